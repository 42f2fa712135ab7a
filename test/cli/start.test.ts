// Start and prove, or put back: `setup` on the live system (inside a sandbox: overlays over /etc,
// /var, /usr; the stand-in systemctl really starting the unit's ExecStart as _signaling) enables
// and restarts the real 2.0.2 server, starts nginx, waits for the welcome, runs the check and says
// "Working" only when it passed. A change the new server cannot run with (its listen port taken)
// puts every file back, starts the previous server again, exits 1 and shows the server's error.
import { readFileSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getValue, parseGoconf } from '../../src/goconf/parse.js';
import { fetchWelcome } from '../../src/probe/signaling.js';
import { signalingBinary, skipUnless } from '../harness/components.js';
import { freePort } from '../harness/ports.js';
import { sandboxUsable, startSandbox, type Sandbox } from '../harness/sandbox.js';
import { tempDir } from '../harness/tmp.js';
import { testSiteAnswers } from '../harness/answers.js';
import { startFakeNextcloud, type FakeNextcloud } from '../fakes/nextcloud.js';
import { makeCerts } from '../check/env.js';

const CONF = '/etc/nextcloud-spreed-signaling/server.conf';
const UNIT = 'nextcloud-spreed-signaling';
const SECRET = 'a1'.repeat(32);

const d = skipUnless({ signaling: ['2.0.2'], components: ['nginx', 'openssl'] });
const why = sandboxUsable();
if (why && process.env.CI) throw new Error(`the sandbox is needed in CI: ${why}`);

describe.skipIf(d.skip || !!why)(`setup starts what it wrote and proves it${d.suffix}`, () => {
  let sb: Sandbox;
  let nc: FakeNextcloud;
  let answers = '';
  let listenPort = 0;
  const env: Record<string, string> = {};

  beforeAll(async () => {
    const base = tempDir('start-');
    chmodSync(base, 0o755);
    const certs = makeCerts(path.join(base, 'tls'));
    sb = await startSandbox({ serverBinary: signalingBinary('2.0.2') });
    nc = await startFakeNextcloud({ secret: SECRET });
    listenPort = await freePort();
    answers = path.join(base, 'answers.yaml');
    writeFileSync(
      answers,
      testSiteAnswers({
        listenPort,
        nextcloudUrl: `http://127.0.0.1:${nc.port}`,
        cert: certs.good,
        httpPort: await freePort(),
        httpsPort: await freePort(),
        acmeWebroot: '/var/www/html',
      }),
    );
    // Talk's secret, adopted before the first run (the fake Nextcloud signs with it).
    mkdirSync(sb.path('/etc/nextcloud-spreed-signaling/secrets'), { recursive: true });
    writeFileSync(sb.path('/etc/nextcloud-spreed-signaling/secrets/backend-cloud'), `${SECRET}\n`, { mode: 0o640 });
    env.NODE_EXTRA_CA_CERTS = certs.good.cert;
    env.SPREED_SETUP_START_TIMEOUT = '15';
  }, 60_000);

  afterAll(async () => {
    await sb?.stop();
    await nc?.close();
  });

  it('first install: enables and starts the server and nginx, the check passes, "Working"', async () => {
    const t0 = performance.now();
    const r = await sb.cli(['setup', '--answers', answers, '--server-version', '2.0.2', '--yes'], env);
    // A figure for bench/working.mjs, never asserted.
    if (process.env.SPREED_BENCH_OUT)
      writeFileSync(process.env.SPREED_BENCH_OUT, `${(performance.now() - t0).toFixed(0)}\n`, { flag: 'a' });
    expect(r.code, r.all).toBe(0);
    if (process.env.SHOW) console.log(r.all, sb.calls());
    const calls = sb.calls();
    expect(calls).toContain(`systemctl enable ${UNIT}`);
    expect(calls).toContain(`systemctl restart ${UNIT}`);
    expect(calls).toContain('systemctl reload-or-restart nginx');
    expect(calls.indexOf('systemctl daemon-reload')).toBeLessThan(calls.indexOf(`systemctl restart ${UNIT}`));
    expect(r.all).toContain('(server 2.0.2');
    expect(r.all).toMatch(/Working: /);
    expect(r.all).not.toMatch(/^(FAIL|WARN) /m);
    expect(r.all).not.toContain(SECRET);
    // The real server runs, from outside the sandbox too, as the package's user.
    const w = await fetchWelcome(`http://127.0.0.1:${listenPort}`);
    expect((w.json as { version: string }).version).toMatch(/^2\.0\.2/);
    const pid = sb.mainPid(UNIT)!;
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Uid:\s+102\b/m);
  }, 120_000);

  it('a change the new server cannot run with: files put back, the previous server runs again, exit 1', async () => {
    const before = readFileSync(sb.path(CONF), 'utf8');
    const oldPid = sb.mainPid(UNIT)!;
    // Something else holds the new port: the new server exits with "address already in use".
    const blocker = net.createServer();
    const taken = await freePort();
    await new Promise<void>((res) => blocker.listen(taken, '127.0.0.1', res));
    try {
      const r = await sb.cli(['setup', '--answers', answers, '--listen', `127.0.0.1:${taken}`, '--yes'], env);
      if (process.env.SHOW) console.log(r.all);
      expect(r.code, r.all).toBe(1);
      expect(r.all).toContain('the signaling server did not come up with the new files');
      expect(r.all).toMatch(/address already in use/);
      expect(r.all).toContain('Put back:');
      expect(r.all).toContain('the previous server runs again');
      expect(readFileSync(sb.path(CONF), 'utf8')).toBe(before);
      expect(getValue(parseGoconf(before), 'http', 'listen')).toBe(`127.0.0.1:${listenPort}`);
      const w = await fetchWelcome(`http://127.0.0.1:${listenPort}`);
      expect(w.status).toBe(200);
      expect(sb.mainPid(UNIT)).not.toBe(oldPid); // restarted with the previous files
    } finally {
      blocker.close();
    }
  }, 120_000);
});

describe.skipIf(d.skip || !!why)(`setup without systemd (a container)${d.suffix}`, () => {
  it('writes the files, starts nothing, and says what to run by hand', async () => {
    const sb = await startSandbox({ serverBinary: signalingBinary('2.0.2'), systemd: false });
    try {
      const r = await sb.cli([
        'setup',
        '--hostname',
        'hpb.example.org',
        '--nextcloud',
        'https://cloud.example.org',
        '--nginx',
        'none',
        '--yes',
      ]);
      expect(r.code, r.all).toBe(0);
      expect(r.all).toContain('systemd is not running here (a container?): the files are written, nothing was started');
      expect(r.all).toContain(
        `(re)start the signaling server as _signaling: /usr/bin/nextcloud-spreed-signaling-server --config ${CONF}`,
      );
      expect(sb.calls()).toEqual([]); // systemctl was never asked
      expect(readFileSync(sb.path(CONF), 'utf8')).toContain('[http]');
      expect(r.all).not.toContain('Working');
    } finally {
      await sb.stop();
    }
  }, 60_000);
});
