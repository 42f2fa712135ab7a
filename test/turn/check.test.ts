// `check`'s TURN group against the real coturn started with the turnserver.conf setup wrote
// (adapted for the test bed only in listen ports and addresses, and its certificate paths to the
// staging root), then each injected fault, each in its own test, named by its cause. All requests
// go to coturn on 127.0.0.1; CreatePermission to 10.0.0.1 etc. sends those peers nothing.
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupContext } from '../../src/check/groups/context.js';
import { turnChecks } from '../../src/check/groups/turn.js';
import { realCheckIO } from '../../src/check/io.js';
import { runChecks } from '../../src/check/runner.js';
import { readCheckSetup } from '../../src/check/setup.js';
import { runInProcess } from '../cli/inProcess.js';
import { scratch } from '../cli/run.js';
import { FAKE_OCC, fakeOccExec, writeOccState } from '../fakes/occState.js';
import { skipUnless } from '../harness/components.js';
import { cleanupAll, coturnConfForLoopback, startCoturnWithConfig, type ManagedProcess } from '../harness/processes.js';
import { freePort } from '../harness/ports.js';
import { tempDir } from '../harness/tmp.js';
import { makeCerts, type Certs } from '../check/env.js';
import type { OccExec } from '../../src/check/occ.js';

const HOST = 'hpb.example.org';
const TURNCONF = 'etc/turnserver.conf';
let certs: Certs;

beforeAll(() => {
  const dir = tempDir('spreed-turn-certs-');
  certs = makeCerts(dir);
});
afterAll(cleanupAll);

interface TurnEnv {
  root: string;
  coturn: ManagedProcess;
  port: number;
  /** Adapts the turnserver.conf setup wrote now for the test bed (as at the start). */
  adapt(): void;
  /** Starts coturn again on the file as it is. */
  restart(): Promise<void>;
  occState: string;
  run(opts?: { occ?: boolean }): Promise<Map<string, { status: string; detail: string; fix?: string }>>;
}

/** setup --turn local (+TLS) under a scratch root, coturn started from the file it wrote. */
async function turnEnv(
  opts: { tls?: boolean; conf?: (text: string) => string; keyMode?: number } = {},
): Promise<TurnEnv> {
  const root = scratch('spreed-turn-check-');
  chmodSync(root, 0o755);
  mkdirSync(path.join(root, 'certs'), { recursive: true, mode: 0o755 });
  copyFileSync(certs.good.cert, path.join(root, 'certs/fullchain.pem'));
  copyFileSync(certs.good.key, path.join(root, 'certs/privkey.pem'));
  chmodSync(path.join(root, 'certs/fullchain.pem'), 0o644);
  chmodSync(path.join(root, 'certs/privkey.pem'), opts.keyMode ?? 0o644);
  const args = [
    'setup',
    '--hostname',
    HOST,
    '--nextcloud',
    'https://cloud.example.org',
    '--janus',
    'ws://127.0.0.1:8188',
    '--nginx',
    'none',
    '--tls-cert',
    '/certs/fullchain.pem',
    '--tls-key',
    '/certs/privkey.pem',
    '--turn',
    'local',
    '--turn-external-ip',
    '203.0.113.7',
    '--turn-allow-peer',
    '10.1.2.3',
    ...(opts.tls ? ['--turn-tls-port', '5349'] : []),
    '--yes',
    '--root',
    root,
  ];
  const r = await runInProcess(args);
  expect(r.code, r.all).toBe(0);
  const port = await freePort();
  const tlsPort = opts.tls ? await freePort() : undefined;
  let conf = coturnConfForLoopback(readFileSync(path.join(root, TURNCONF), 'utf8'), {
    port,
    ...(tlsPort ? { tlsPort } : {}),
  }).replace(/^(cert|pkey)=\//gm, `$1=${root}/`);
  if (opts.conf) conf = opts.conf(conf);
  writeFileSync(path.join(root, TURNCONF), conf);
  const occState = path.join(root, 'occ-state.json');
  writeOccState(occState, {});
  const occExec: OccExec = (argv, timeoutMs) =>
    fakeOccExec({ stateFile: occState })(argv[0]!, argv.slice(1), { timeoutMs });
  const env: TurnEnv = {
    root,
    coturn: await startCoturnWithConfig(tempDir('coturn-'), conf, port),
    port,
    occState,
    adapt() {
      const again = coturnConfForLoopback(readFileSync(path.join(root, TURNCONF), 'utf8'), {
        port,
        ...(tlsPort ? { tlsPort } : {}),
      }).replace(/^(cert|pkey)=\//gm, `$1=${root}/`);
      writeFileSync(path.join(root, TURNCONF), again);
    },
    async restart() {
      await env.coturn.stop();
      env.coturn = await startCoturnWithConfig(
        tempDir('coturn-'),
        readFileSync(path.join(root, TURNCONF), 'utf8'),
        port,
      );
    },
    async run(o = {}) {
      const setup = readCheckSetup({ root });
      const g = groupContext(
        { setup, tls: { insecure: true }, ...(o.occ ? { occ: [FAKE_OCC], occExec } : {}) },
        realCheckIO,
      );
      const { results } = await runChecks(turnChecks(g), { timeoutMs: 8000 });
      return new Map(results.map((x) => [x.id, x as { status: string; detail: string; fix?: string }]));
    },
  };
  return env;
}

const dump = (m: Map<string, unknown>) => JSON.stringify(Object.fromEntries(m), null, 1);

const req = skipUnless({ components: ['turnserver', 'openssl'] });
describe.skipIf(req.skip)(`check: TURN group against real coturn${req.suffix}`, () => {
  it('healthy (TLS, registered): every TURN check passes', async () => {
    const env = await turnEnv({ tls: true });
    chmodSync(FAKE_OCC, 0o755);
    const reg = await runInProcess(['register', '--root', env.root, '--occ', FAKE_OCC, '--yes'], {
      exec: fakeOccExec({ stateFile: env.occState }),
    });
    expect(reg.code, reg.all).toBe(0);
    const r = await env.run({ occ: true });
    expect([...r.keys()]).toEqual(['turn.stun', 'turn.allocate', 'turn.relay', 'turn.peers', 'turn.tls', 'turn.talk']);
    for (const [, v] of r) expect(v.status, dump(r)).toBe('pass');
    expect(r.get('turn.relay')!.detail).toContain('203.0.113.7');
    expect(r.get('turn.peers')!.detail).toContain("Janus's 10.1.2.3 allowed");
    expect(r.get('turn.tls')!.detail).toMatch(/valid \d+ more days/);
  });

  it('after rotating the TURN secret (setup, coturn restarted, register) check passes again', async () => {
    const env = await turnEnv();
    chmodSync(FAKE_OCC, 0o755);
    const register = () =>
      runInProcess(['register', '--root', env.root, '--occ', FAKE_OCC, '--yes'], {
        exec: fakeOccExec({ stateFile: env.occState }),
      });
    expect((await register()).code).toBe(0);
    const rot = await runInProcess(['setup', '--root', env.root, '--yes', '--rotate', 'turn-secret']);
    expect(rot.code, rot.all).toBe(0);
    // The test bed's own listen lines outside the block survived the re-run.
    expect(readFileSync(path.join(env.root, TURNCONF), 'utf8')).toContain('\nlistening-ip=127.0.0.1\n');
    env.adapt();
    // Before coturn restarts it still has the old secret; Talk too until register runs.
    const stale = await env.run({ occ: true });
    expect(stale.get('turn.allocate')!.status, dump(stale)).toBe('fail');
    expect(stale.get('turn.talk')!.detail).toContain('another secret');
    await env.restart();
    expect((await register()).code).toBe(0);
    const r = await env.run({ occ: true });
    for (const [, v] of r) expect(v.status, dump(r)).toBe('pass');
  });

  it('coturn stopped: named as not running', async () => {
    const env = await turnEnv();
    await env.coturn.stop();
    const r = await env.run();
    expect(r.get('turn.stun')!.status, dump(r)).toBe('fail');
    expect(r.get('turn.stun')!.detail).toContain('coturn is not running');
    expect(r.get('turn.allocate')!.status).toBe('skip');
  });

  it('wrong secret in coturn: named as the wrong secret', async () => {
    const env = await turnEnv({
      conf: (c) => c.replace(/^static-auth-secret=.*$/m, `static-auth-secret=${'ab'.repeat(32)}`),
    });
    const r = await env.run();
    expect(r.get('turn.stun')!.status).toBe('pass');
    expect(r.get('turn.allocate')!.status, dump(r)).toBe('fail');
    expect(r.get('turn.allocate')!.detail).toContain('wrong secret');
    expect(r.get('turn.allocate')!.fix).toContain('spreed-setup setup');
  });

  it('denied-peer list removed: named as relaying to private addresses', async () => {
    const env = await turnEnv({ conf: (c) => c.replace(/^denied-peer-ip=.*\n/gm, '') });
    const r = await env.run();
    expect(r.get('turn.allocate')!.status, dump(r)).toBe('pass');
    expect(r.get('turn.peers')!.status).toBe('fail');
    expect(r.get('turn.peers')!.detail).toContain('denied-peer list missing');
  });

  it('relay address private (no external-ip): named as such', async () => {
    const env = await turnEnv({ conf: (c) => c.replace(/^external-ip=.*\n/m, '') });
    const r = await env.run();
    expect(r.get('turn.relay')!.status, dump(r)).toBe('fail');
    expect(r.get('turn.relay')!.detail).toContain('127.0.0.1');
    expect(r.get('turn.relay')!.detail).toContain('relay address private');
    expect(r.get('turn.relay')!.fix).toContain('--turn-external-ip');
  });

  it('Janus not allowed (allowed-peer-ip removed): named as a filter too strict', async () => {
    const env = await turnEnv({ conf: (c) => c.replace(/^allowed-peer-ip=.*\n/m, '') });
    const r = await env.run();
    expect(r.get('turn.peers')!.status, dump(r)).toBe('fail');
    expect(r.get('turn.peers')!.detail).toContain('peer filter too strict');
  });

  it('TLS certificate unreadable by turnserver: named as such', async () => {
    const env = await turnEnv({ tls: true, keyMode: 0o600 });
    const r = await env.run();
    expect(r.get('turn.tls')!.status, dump(r)).toBe('fail');
    expect(r.get('turn.tls')!.detail).toContain('certificate unreadable by turnserver');
    expect(r.get('turn.tls')!.fix).toContain('renewal-hooks/deploy/spreed-setup-coturn');
  });
});
