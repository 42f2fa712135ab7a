// The config check on hand-written server.conf files: it judges them by the server's own rules
// and for the version the file was rendered for (no server running here).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCatalogue } from '../../src/check/catalogue.js';
import { groupContext } from '../../src/check/groups/context.js';
import { readCheckSetup } from '../../src/check/setup.js';
import { tempDir } from '../harness/tmp.js';
import { CONF } from './env.js';

const tmp = tempDir('spreed-check-config-');

const HASH = 'a1'.repeat(32);
const BLOCK = 'b2'.repeat(16);
const INTERNAL = 'c3'.repeat(32);

function setupFor(file: string | { text: string; version: string }, env?: Record<string, string>) {
  const { text, version } = typeof file === 'string' ? { text: file, version: undefined } : file;
  const root = tempDir('r-', tmp);
  mkdirSync(path.dirname(path.join(root, CONF)), { recursive: true });
  writeFileSync(path.join(root, CONF), text);
  // What setup rendered for is recorded in its state file beside server.conf.
  if (version)
    writeFileSync(path.join(path.dirname(path.join(root, CONF)), 'spreed-setup.yaml'), `renderedFor: ${version}\n`);
  return readCheckSetup({ root, ...(env ? { env } : {}) });
}

async function configCheck(file: string | { text: string; version: string }, env?: Record<string, string>) {
  const setup = setupFor(file, env);
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

  // The issue's acceptance: a 2.1.1 config (renderedFor 2.1.1 in the state file) using skipverify = yes,
  // allowall = on and $(VAR) secrets, read as the server reads it.
  const ENV_SECRETS = {
    sessions: 'hashkey = $(HASH_KEY)\nblockkey = $(BLOCK_KEY)',
    backend: '[cloud]\nurl = https://cloud.example.org\nsecret = $(NC_SECRET)',
  };

  it('2.1.1: reads skipverify = yes as on (the probes do not verify Nextcloud)', async () => {
    const setup = setupFor(
      conf(
        '2.1.1',
        base({ backend: 'skipverify = yes\n[cloud]\nurl = https://cloud.example.org\nsecret = s3cr3t-value' }),
      ),
    );
    expect(groupContext({ setup, tls: { insecure: false } }, {}).skipVerify).toBe(true);
    expect(setup.reading?.input.backendSkipVerify).toBe(true);
    const off = setupFor(
      conf('2.1.1', base({ backend: 'skipverify = disabled\n[cloud]\nurl = https://cloud.example.org\nsecret = s' })),
    );
    expect(groupContext({ setup: off, tls: { insecure: false } }, {}).skipVerify).toBe(false);
  });

  it('2.1.1: reads allowall = on as on: no "names no backend" failure, the development warning instead', async () => {
    const text = conf('2.1.1', base()).text.replace('backends = cloud\n', 'allowall = on\nsecret = s3cr3t-value\n');
    const o = await configCheck({ version: '2.1.1', text });
    expect(o.status, o.detail).toBe('warn');
    expect(o.detail).toContain('allowall = on lets any Nextcloud');
    expect(o.detail).not.toContain('invalid_backend');
    const listed = await configCheck(
      conf('2.1.1', base({ backend: 'allowall = ON\n[cloud]\nurl = https://cloud.example.org\nsecret = s' })),
    );
    expect(listed.detail).toContain('ignores [backend] backends');
  });

  it('2.1.1: $(VAR) secrets are "set from the environment", never a wrong length', async () => {
    const o = await configCheck(conf('2.1.1', base(ENV_SECRETS)));
    expect(o.status, o.detail).toBe('pass');
    expect(o.detail).toContain('[sessions] blockkey set from the environment ($(BLOCK_KEY))');
    expect(o.detail).toContain('[cloud] secret set from the environment ($(NC_SECRET))');
    expect(o.detail).not.toMatch(/bytes/);
  });

  it('2.1.1: with the service environment given, the secrets are its values (and judged)', async () => {
    const o = await configCheck(conf('2.1.1', base(ENV_SECRETS)), {
      HASH_KEY: HASH,
      BLOCK_KEY: 'b2'.repeat(32),
      NC_SECRET: 'x',
    });
    expect(o.status).toBe('fail');
    expect(o.detail).toContain('blockkey is 64 bytes');
    const setup = setupFor(conf('2.1.1', base(ENV_SECRETS)), { HASH_KEY: HASH, BLOCK_KEY: BLOCK, NC_SECRET: 'n' });
    expect(setup.secrets.get('backend-cloud')).toBe('n');
    expect(setup.secretsFromEnv.size).toBe(0);
  });

  it('2.0.2 takes $(VAR) literally: blockkey = $(BLOCK_KEY) is 12 bytes and fatal, and says so', async () => {
    const o = await configCheck(conf('2.0.2', base(ENV_SECRETS)), { BLOCK_KEY: BLOCK });
    expect(o.status).toBe('fail');
    expect(o.detail).toContain('blockkey is 12 bytes');
    expect(o.detail).toContain('[sessions] blockkey holds $(BLOCK_KEY), which the server 2.0.2');
    expect(o.detail).toContain('takes literally (the environment is read there only from 2.0.3)');
  });

  it('reads the legacy [backend] allowed hosts instead of failing with invalid_backend', async () => {
    const text = conf('2.0.2', base()).text.replace(
      'backends = cloud\n',
      'allowed = cloud.example.org\nsecret = s3cr3t-value\n',
    );
    const o = await configCheck({ version: '2.0.2', text });
    expect(o.status, o.detail).toBe('pass');
    expect(o.detail).toContain('legacy [backend] allowed = cloud.example.org');
    const noSecret = await configCheck({
      version: '2.0.2',
      text: text.replace('secret = s3cr3t-value\n[cloud]', '[cloud]'),
    });
    expect(noSecret.status).toBe('fail');
    expect(noSecret.detail).toContain('needs the common [backend] secret');
  });

  it('unfolds %(name)s in the backend url as the server does', async () => {
    const o = await configCheck(
      conf(
        '2.0.2',
        base({ backend: '[cloud]\nhost = cloud.example.org\nurl = https://%(host)s/ocs/v2.php\nsecret = s' }),
      ),
    );
    expect(o.status).toBe('fail');
    expect(o.detail).toContain('url https://cloud.example.org/ocs/v2.php');
  });

  it('warns where %(name)s makes the server read a value as empty', async () => {
    const o = await configCheck(conf('2.0.2', base()).text.replace('[nats]\n', '[app]\nname = %(nope)s\n[nats]\n'));
    expect(o.status).toBe('warn');
    expect(o.detail).toContain('[app] name: %(nope)s names no non-empty key in [app] or [default]');
  });
});
