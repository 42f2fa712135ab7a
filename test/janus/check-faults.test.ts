// `check`'s Janus group against the real Janus 1.1.2 behind the real 2.0.2 server: healthy, and
// each injected fault named in its own test (Janus down, websockets transport off, videoroom plugin
// missing, full trickle off, the event handler not loaded), and a working event handler.
import { chmodSync } from 'node:fs';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { freePort } from '../harness/ports.js';
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

  it('websockets transport off: Janus runs (its REST API answers), and the check names ws = false', async () => {
    await withEnv({ janus: true }, async (env) => {
      const port = Number(new URL((env.janus as ManagedProcess & { url: string }).url).port);
      await env.janus!.stop();
      // The admin's Janus in /etc/janus (what check reads), websockets off, the REST transport on.
      const broken = await startJanus(path.join(env.root, 'etc/janus'), port, { websockets: false });
      try {
        const rest = await fetch(`http://127.0.0.1:${port}/janus/info`);
        expect(((await rest.json()) as { janus: string }).janus).toBe('server_info');
        const r = await check(env);
        const j = r.byId('janus');
        expect(j.status, dump(r.report)).toBe('fail');
        expect(j.detail).toContain(
          'the websockets transport is off (ws = false in /etc/janus/janus.transport.websockets.jcfg)',
        );
        expect(j.fix).toContain('set ws = true');
      } finally {
        await broken.stop();
      }
    });
  });

  it('event handler enabled without events.broadcast: Janus loads none, and the check says so', async () => {
    await withEnv({ janus: true }, async (env) => {
      const port = Number(new URL((env.janus as ManagedProcess & { url: string }).url).port);
      await env.janus!.stop();
      const backend = `ws://127.0.0.1:${await freePort()}/spreed`;
      const broken = await startJanus(path.join(env.root, 'etc/janus'), port, {
        events: { backend, broadcast: false },
      });
      try {
        const r = await check(env);
        const e = r.byId('janus-events');
        expect(e.status, dump(r.report)).toBe('fail');
        expect(e.detail).toContain('Janus loads no event handlers (events.broadcast is off)');
        expect(e.fix).toContain('broadcast = true');
      } finally {
        await broken.stop();
      }
    });
  });

  it('event handler loaded: the check passes once its backend takes the janus-events websocket, which Janus uses', async () => {
    await withEnv({ janus: true }, async (env) => {
      const port = Number(new URL((env.janus as ManagedProcess & { url: string }).url).port);
      await env.janus!.stop();
      // A stand-in for a 2.1 server's /spreed: it takes only the janus-events subprotocol.
      const evPort = await freePort();
      const wss = new WebSocketServer({
        host: '127.0.0.1',
        port: evPort,
        handleProtocols: (protocols) => (protocols.has('janus-events') ? 'janus-events' : false),
      });
      const fromJanus = new Promise<string>((resolve) =>
        // The check's own probe sends nothing; the first message is Janus's.
        wss.on('connection', (ws) => ws.once('message', (m) => resolve(String(m)))),
      );
      const janus = await startJanus(path.join(env.root, 'etc/janus'), port, {
        events: { backend: `ws://127.0.0.1:${evPort}/spreed`, broadcast: true },
      });
      try {
        const r = await check(env);
        const e = r.byId('janus-events');
        expect(e.status, dump(r.report)).toBe('pass');
        expect(e.detail).toContain(`janus.eventhandler.wsevh loaded; ws://127.0.0.1:${evPort}/spreed takes`);
        // Janus itself is connected and sends its events there (a JSON array, grouping on).
        const first = await Promise.race([
          fromJanus,
          new Promise<string>((_, reject) =>
            setTimeout(() => reject(new Error('no event from Janus in 15 s')), 15_000),
          ),
        ]);
        expect(Array.isArray(JSON.parse(first))).toBe(true);
      } finally {
        await janus.stop();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
      }
    });
  });

  it('a private nat_1_1_mapping: named, with the --janus-public-ip fix; a public one passes', async () => {
    await withEnv({ janus: true }, async (env) => {
      const port = Number(new URL((env.janus as ManagedProcess & { url: string }).url).port);
      await env.janus!.stop();
      const natted = await startJanus(tempDir('janus-nat-'), port, { natMapping: '10.20.30.40' });
      try {
        const r = await check(env);
        const a = r.byId('janus-address');
        expect(a.status, dump(r.report)).toBe('fail');
        expect(a.detail).toContain('Janus announces 10.20.30.40 as its public address (nat_1_1_mapping)');
        expect(a.fix).toContain('--janus-public-ip');
      } finally {
        await natted.stop();
      }
      const good = await startJanus(tempDir('janus-nat-'), port, { natMapping: '198.51.100.7' });
      try {
        const r = await check(env);
        expect(r.byId('janus-address').detail, dump(r.report)).toMatch(
          /^Janus announces the public address 198\.51\.100\.7/,
        );
      } finally {
        await good.stop();
      }
    });
  });
});
