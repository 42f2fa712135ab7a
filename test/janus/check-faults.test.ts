// `check`'s Janus group against the real Janus 1.1.2 behind the real 2.0.2 server: healthy, and
// each injected fault named in its own test (Janus down, videoroom plugin missing, full trickle off).
import { chmodSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnless } from '../harness/components.js';
import { cleanupAll, startJanus, type ManagedProcess } from '../harness/processes.js';
import { tempDir } from '../harness/tmp.js';
import { check, dump, makeCerts, startEnv, type Certs, type EnvOptions } from '../check/env.js';

let tmp = '';
let certs: Certs;

beforeAll(() => {
  tmp = tempDir('spreed-janus-check-');
  chmodSync(tmp, 0o755);
  certs = makeCerts(path.join(tmp, 'tls'));
});

afterAll(async () => {
  await cleanupAll();
});

async function withEnv(
  opts: Omit<EnvOptions, 'version'>,
  fn: (env: Awaited<ReturnType<typeof startEnv>>) => Promise<void>,
): Promise<void> {
  const env = await startEnv(tmp, certs, { version: '2.0.2', ...opts });
  try {
    await fn(env);
  } finally {
    await env.stop();
  }
}

const d = skipUnless({ signaling: ['2.0.2'], components: ['nginx', 'openssl', 'janus'] });
describe.skipIf(d.skip)(`check's Janus group on the real Janus${d.suffix}`, () => {
  it('healthy: Janus answers with videoroom, websockets, data channels and full trickle', async () => {
    await withEnv({ janus: true }, async (env) => {
      const r = await check(env);
      expect(r.byId('janus').status, dump(r.report)).toBe('pass');
      const t = r.byId('janus-talk');
      expect(t.status, dump(r.report)).toBe('pass');
      expect(t.detail).toContain('full trickle on');
    });
  });

  it('Janus down: the Janus check names it, the Talk check waits for it', async () => {
    await withEnv({ janus: true }, async (env) => {
      await env.janus!.stop();
      const r = await check(env);
      expect(r.byId('janus').detail, dump(r.report)).toContain('Janus not running');
      expect(r.byId('janus-talk').status).toBe('skip');
    });
  });

  it('videoroom plugin missing: named, with the plugins.disable fix', async () => {
    await withEnv({ janus: true }, async (env) => {
      // The server connected at its start; Janus comes back without its videoroom plugin.
      const port = Number(new URL((env.janus as ManagedProcess & { url: string }).url).port);
      await env.janus!.stop();
      const bare = await startJanus(tempDir('janus-bare-'), port, { plugins: [] });
      try {
        const r = await check(env);
        const t = r.byId('janus-talk');
        expect(t.status, dump(r.report)).toBe('fail');
        expect(t.detail).toContain('videoroom plugin missing');
        expect(t.fix).toContain('plugins.disable');
      } finally {
        await bare.stop();
      }
    });
  });

  it('full trickle off: named as a warning with the janus.jcfg fix', async () => {
    await withEnv({ janus: true, janusOptions: { fullTrickle: false } }, async (env) => {
      const r = await check(env);
      const t = r.byId('janus-talk');
      expect(t.status, dump(r.report)).toBe('warn');
      expect(t.detail).toMatch(/^full trickle off/);
      expect(t.fix).toContain('full_trickle = true');
    });
  });
});
