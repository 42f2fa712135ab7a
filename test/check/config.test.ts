// The config check on hand-written server.conf files: it judges them by the server's own rules
// and for the version the file was rendered for (no server running here).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCatalogue } from '../../src/check/catalogue.js';
import { readCheckSetup } from '../../src/check/setup.js';
import { tempDir } from '../harness/tmp.js';
import { CONF } from './env.js';

const tmp = tempDir('spreed-check-config-');

const HASH = 'a1'.repeat(32);
const BLOCK = 'b2'.repeat(16);
const INTERNAL = 'c3'.repeat(32);

async function configCheck(file: string | { text: string; version: string }) {
  const { text, version } = typeof file === 'string' ? { text: file, version: undefined } : file;
  const root = tempDir('r-', tmp);
  mkdirSync(path.dirname(path.join(root, CONF)), { recursive: true });
  writeFileSync(path.join(root, CONF), text);
  // What setup rendered for is recorded in its state file beside server.conf.
  if (version)
    writeFileSync(path.join(path.dirname(path.join(root, CONF)), 'spreed-setup.yaml'), `renderedFor: ${version}\n`);
  const setup = readCheckSetup({ root });
  const def = buildCatalogue({ setup, tls: { insecure: false } }).find((d) => d.id === 'config')!;
  return def.run({ left: () => 1000, outcome: async () => undefined });
}

const conf = (version: string, body: string) => ({
  version,
  text: `# Written by spreed-setup 0.1.0 for server version ${version}.\n${body}`,
});
const base = (extra: { sessions?: string; backend?: string; nats?: string } = {}) => `[http]
listen = 127.0.0.1:8080
[sessions]
${extra.sessions ?? `hashkey = ${HASH}\nblockkey = ${BLOCK}`}
[clients]
internalsecret = ${INTERNAL}
[backend]
backends = cloud
${extra.backend ?? '[cloud]\nurl = https://cloud.example.org\nsecret = s3cr3t-value'}
[nats]
url = ${extra.nats ?? 'nats://loopback'}
`;

describe('config check', () => {
  it('passes a complete file', async () => {
    const o = await configCheck(conf('2.0.2', base()));
    expect(o.status, o.detail).toBe('pass');
    expect(o.detail).toContain('for 2.0.2');
  });

  it("names the upstream template's public placeholders and a bad blockkey length", async () => {
    const o = await configCheck(
      conf('2.0.2', base({ sessions: 'hashkey = the-secret-for-session-checksums\nblockkey = 0123456789' })),
    );
    expect(o.status).toBe('fail');
    expect(o.detail).toContain('public placeholder');
    expect(o.detail).toContain('blockkey is 10 bytes');
    expect(o.fix).toContain('--rotate hashkey');
  });

  it('refuses `urls` for a server before 2.0.4 (it ignores it: backend incomplete)', async () => {
    const o = await configCheck(
      conf('1.2.4', base({ backend: '[cloud]\nurls = https://cloud.example.org\nsecret = s3cr3t-value' })),
    );
    expect(o.status).toBe('fail');
    expect(o.detail).toContain('urls is read only from 2.0.4');
    expect(o.fix).toContain('url = https://cloud.example.org');
  });

  it('names a listed backend without a section ("missing or incomplete")', async () => {
    const o = await configCheck(conf('2.0.2', base({ backend: '' })));
    expect(o.status).toBe('fail');
    expect(o.detail).toContain('missing or incomplete');
  });

  it('refuses nats://loopback for 0.4.1 (it hangs) and an /ocs/ backend URL', async () => {
    const o = await configCheck(
      conf('0.4.1', base({ backend: '[cloud]\nurl = https://cloud.example.org/ocs/v2.php\nsecret = s3cr3t-value' })),
    );
    expect(o.status).toBe('fail');
    expect(o.detail).toContain('ocs');
    expect(o.detail).toContain('hangs');
  });

  it('says where a file does not parse', async () => {
    const o = await configCheck(
      '[http]\nlisten = 127.0.0.1:8080\njust words here\n'.replace('[http]\n', 'garbage line\n[http]\n'),
    );
    expect(o.status).toBe('fail');
    expect(o.detail).toContain('line 1');
  });
});
