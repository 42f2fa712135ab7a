/**
 * The goconf rules against the real 2.0.2 server: `allowall = On` and `skipverify = yes` are
 * booleans to it, `%(name)s` unfolds from the same section, and `$(VAR)` in a secret is literal
 * (2.0.2 expands it only from 2.0.3). spreed-setup's reader must agree on each.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseGoconf, readBool } from '../../src/goconf/parse.js';
import { deploymentFromConf } from '../../src/goconf/toModel.js';
import { signedRoomRequest } from '../../src/probe/signaling.js';
import { signalingBinary, skipUnless } from '../harness/components.js';
import { freePort } from '../harness/ports.js';
import { cleanupAll, startSignaling } from '../harness/processes.js';
import { tempDir } from '../harness/tmp.js';

const SECRET = 'd4'.repeat(32);
const conf = (backend: string, blockkey = 'b2'.repeat(16)) => `[http]
listen = 127.0.0.1:PORT
[sessions]
hashkey = ${'a1'.repeat(32)}
blockkey = ${blockkey}
[clients]
internalsecret = ${'c3'.repeat(32)}
[backend]
${backend}
[nats]
url = nats://loopback
`;

afterAll(async () => {
  await cleanupAll();
});

const d = skipUnless({ signaling: ['2.0.2'] });
describe.skipIf(d.skip)(`goconf rules on the real 2.0.2${d.suffix}`, () => {
  const tmp = tempDir('spreed-goconf-rules-');

  async function start(text: string) {
    const port = await freePort();
    const file = path.join(tempDir('c-', tmp), 'server.conf');
    writeFileSync(file, text.replace('127.0.0.1:PORT', `127.0.0.1:${port}`));
    return { file, server: await startSignaling(signalingBinary('2.0.2'), file, port) };
  }

  it('allowall = On and skipverify = yes are on, and the secret unfolds %(name)s, for the server and the reader', async () => {
    const text = conf(`allowall = On\nskipverify = yes\nshared = ${SECRET}\nsecret = %(shared)s`);
    const { server } = await start(text);
    // Any backend URL is allowed, signed with the unfolded common secret.
    const ok = await signedRoomRequest(server.baseUrl, { backend: 'https://any.example.net', secret: SECRET });
    expect(ok.status, ok.body).toBe(400);
    const raw = await signedRoomRequest(server.baseUrl, { backend: 'https://any.example.net', secret: '%(shared)s' });
    expect(raw.status).toBe(403);
    const doc = parseGoconf(text);
    expect(readBool(doc, 'backend', 'allowall')).toBe(true);
    const reading = deploymentFromConf(doc, { version: '2.0.2' });
    expect(reading.input.backendSkipVerify).toBe(true);
    expect(reading.notices.join('\n')).toContain('allowall = On lets any Nextcloud');
    await server.stop(3000);
  });

  it('allowall = enabled is no boolean: off for the server and the reader', async () => {
    const text = conf(`allowall = enabled\nsecret = ${SECRET}`);
    const { server } = await start(text);
    const r = await signedRoomRequest(server.baseUrl, { backend: 'https://any.example.net', secret: SECRET });
    expect(r.status).toBe(403);
    expect(readBool(parseGoconf(text), 'backend', 'allowall')).toBe(false);
    await server.stop(3000);
  });

  it('takes blockkey = $(VAR) literally: 12 bytes, so it exits even with the variable set', async () => {
    process.env.SPREED_TEST_BLOCK = 'b2'.repeat(8);
    const text = conf(`allowall = on\nsecret = ${SECRET}`, '$(SPREED_TEST_BLOCK)');
    await expect(start(text)).rejects.toThrow(/exited[\s\S]*block ?key/i);
    const reading = deploymentFromConf(parseGoconf(text), {
      version: '2.0.2',
      env: { SPREED_TEST_BLOCK: 'b2'.repeat(8) },
    });
    expect(reading.secrets.get('blockkey')).toBe('$(SPREED_TEST_BLOCK)');
    expect(reading.literalEnv.map((e) => e.key)).toEqual(['blockkey']);
  });
});
