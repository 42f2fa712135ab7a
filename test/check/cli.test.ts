/**
 * `spreed-setup check` as a user runs it (the built CLI): usage errors exit 2; plain lines without
 * a terminal; the ink dashboard only on a terminal (and never loaded otherwise); a run against
 * endpoints that accept and never answer ends within about one timeout. The registration check
 * against the stand-in occ, which never gets to print Talk's secret, runs in-process (check --json
 * with the stand-in behind its process door).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckReportSchema } from '../../src/check/schema.js';
import { DIST, packagesIn, staticImportGraph } from '../harness/imports.js';
import { tempDir } from '../harness/tmp.js';
import { BIN, runCli, secretValues } from '../cli/run.js';
import { runInProcess } from '../cli/inProcess.js';
import { FAKE_OCC, fakeOccExec, writeOccState } from '../fakes/occState.js';
import { blackHoleConf, startBlackHole } from './blackhole.js';
import { CONF } from './env.js';

let tmp = '';
let hole: Awaited<ReturnType<typeof startBlackHole>>;
let holeRoot = '';

beforeAll(async () => {
  tmp = tempDir('spreed-check-cli-');
  hole = await startBlackHole();
  holeRoot = path.join(tmp, 'hole');
  mkdirSync(path.dirname(path.join(holeRoot, CONF)), { recursive: true });
  writeFileSync(path.join(holeRoot, CONF), blackHoleConf(hole.port));
});

afterAll(async () => {
  await hole?.close();
});

describe('usage', () => {
  it('exits 2 with a fix for bad flags and a missing server.conf', async () => {
    const bad = await runCli(['check', '--timeout', 'soon']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--timeout soon');
    mkdirSync(path.join(tmp, 'empty'), { recursive: true }); // --root must exist; server.conf is what is missing
    const none = await runCli(['check', '--root', path.join(tmp, 'empty')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no server.conf');
    expect(none.stderr).toContain('spreed-setup setup');
  });

  it('--help prints the usage without running anything', async () => {
    const r = await runCli(['check', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--occ "COMMAND"');
    expect(r.stdout).toContain('Exit codes');
  });
});

describe('never-answering endpoints', () => {
  it('runs the probes side by side, each ended by the timeout; every probe fails naming the silence', async () => {
    const occState = path.join(tmp, 'occ-hang.json');
    writeOccState(occState, { hang: true });
    hole.resetMax();
    const r = await runCli(
      [
        'check',
        '--root',
        holeRoot,
        '--url',
        `https://127.0.0.1:${hole.port}/standalone-signaling`,
        '--timeout',
        '2',
        '--json',
        '--occ',
        `${process.execPath} ${FAKE_OCC}`,
      ],
      { FAKE_OCC_STATE: occState },
    );
    expect(r.code, r.all).toBe(1);
    const report = CheckReportSchema.parse(JSON.parse(r.stdout));
    // Not a stopwatch (bench/check.mjs prints the wall time): the hung probes were all in flight
    // at once (server, NATS, Janus, the public TLS handshake, Nextcloud), so the run is bounded by
    // one timeout, not by their sum.
    expect(hole.maxOpen()).toBeGreaterThanOrEqual(5);
    const status = Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
    for (const id of ['server', 'nats', 'janus', 'public.tls', 'backend.cloud.nextcloud', 'registration'])
      expect(status[id], id).toBe('fail');
    for (const id of [
      'public.welcome',
      'public.upgrade',
      'hello',
      'backend.cloud.secret',
      'backend.cloud.server',
      'server.talk',
    ])
      expect(status[id], id).toBe('skip');
    const byId = (id: string) => report.checks.find((c) => c.id === id)!;
    expect(byId('nats').detail).toMatch(/not answering|timeout/);
    expect(byId('public.tls').detail).toMatch(/no TLS handshake|no answer/);
    for (const s of secretValues(holeRoot)) expect(r.all).not.toContain(s);
    for (const v of ['a1'.repeat(32), 'c3'.repeat(32), 'd4'.repeat(32)]) expect(r.all).not.toContain(v);
  });
});

describe('plain output and the dashboard', () => {
  it('prints one line per check in catalogue order, fixes indented, and a summary (no TTY, CI set)', async () => {
    const r = await runCli(
      ['check', '--root', holeRoot, '--url', 'https://127.0.0.1:1/standalone-signaling', '--timeout', '1'],
      { CI: '1' },
    );
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^(PASS|WARN|FAIL|SKIP) {2}Config: /);
    expect(r.stdout).toMatch(/^FAIL {2}Certificate: nothing listening at 127\.0\.0\.1:1/m);
    expect(r.stdout).toMatch(/^ {6}fix: start nginx/m);
    expect(r.stdout).toMatch(/^SKIP {2}Internal hello: skipped: needs Websocket upgrade \(skipped\)/m);
    expect(lines.at(-1)).toMatch(/\d+ passed, \d+ warning\(s\), \d+ failed, \d+ skipped \(\d+\.\d s\)/);
    expect(r.stdout).not.toContain('\x1b[');
  });

  it('shows the ink dashboard on a terminal (script(1) gives it a pty), with stdin not readable', async () => {
    if (!existsSync('/usr/bin/script')) return;
    const cmd = `stty cols 160 rows 60; ${process.execPath} ${BIN} check --root ${holeRoot} --url https://127.0.0.1:1/standalone-signaling --timeout 1 < /dev/null`;
    const r = await execa('script', ['-qec', cmd, '/dev/null'], {
      reject: false,
      env: { NO_COLOR: '1', CI: '', TERM: 'xterm', COLUMNS: '160' },
      timeout: 30_000,
    });
    const out = String(r.stdout).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    expect(r.exitCode, out).toBe(1);
    expect(out).toContain('✖');
    expect(out).toContain('Certificate');
    expect(out).toMatch(/\d+ passed, \d+ warning\(s\), \d+ failed, \d+ skipped/);
    expect(out).not.toContain('FAIL  ');
    // The plain first paint (before ink loads): the header once, then the groups line, which the
    // dashboard takes the place of (cursor up over it, clear down) before its first frame.
    const raw = String(r.stdout);
    expect(out.split('spreed-setup check: ').length - 1).toBe(1);
    expect(out.indexOf('spreed-setup check: ')).toBeLessThan(out.indexOf('Certificate'));
    const checking = raw.indexOf('Checking config, local server, NATS');
    expect(checking).toBeGreaterThanOrEqual(0);
    const erase = raw.indexOf('\x1b[1A\r\x1b[J', checking);
    expect(erase).toBeGreaterThan(checking);
    expect(raw.indexOf('Certificate', checking)).toBeGreaterThan(erase);
  });
});

describe('start-up: ink stays out of --help and the plain path', () => {
  const graph = staticImportGraph;
  it('commands/check.js (loaded for --help) imports nothing heavy; the check engine never imports ink statically', () => {
    expect(packagesIn(graph(path.join(DIST, 'commands/check.js')))).toEqual([]);
    const engine = graph(path.join(DIST, 'check/run.js'));
    expect(engine.some((g) => g === 'pkg:ink' || g === 'pkg:react' || g.startsWith('pkg:react/'))).toBe(false);
    expect(engine.some((g) => g.includes('/ui/'))).toBe(false);
  });
});

describe('registration in Talk (stand-in occ)', () => {
  let root = '';
  const publicUrl = 'https://127.0.0.1:1/standalone-signaling';
  let backendSecret = '';

  beforeAll(async () => {
    root = path.join(tmp, 'reg');
    mkdirSync(root, { recursive: true });
    const answers = path.join(root, 'answers.yaml');
    writeFileSync(
      answers,
      'hostname: localhost\nlisten: 127.0.0.1:1\nbackends:\n  - id: cloud\n    urls: [http://127.0.0.1:1]\nnginx:\n  mode: none\n',
    );
    const r = await runInProcess(['setup', '--answers', answers, '--server-version', '2.0.2', '--yes', '--root', root]);
    expect(r.code, r.all).toBe(0);
    backendSecret = readFileSync(
      path.join(root, 'etc/nextcloud-spreed-signaling/secrets/backend-cloud'),
      'utf8',
    ).trim();
  });

  async function registration(state: Parameters<typeof writeOccState>[1] | undefined) {
    const file = path.join(tmp, `occ-${Math.random().toString(36).slice(2)}.json`);
    const log = `${file}.log`;
    if (state) writeOccState(file, state);
    const r = await runInProcess(
      [
        'check',
        '--root',
        root,
        '--url',
        publicUrl,
        '--timeout',
        '5',
        '--json',
        '--occ',
        `${process.execPath} ${FAKE_OCC}`,
      ],
      { exec: fakeOccExec({ stateFile: file, logFile: log }) },
    );
    const report = CheckReportSchema.parse(JSON.parse(r.stdout));
    const calls = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
    for (const c of calls) expect(c).toContain('--no-warnings');
    for (const s of secretValues(root)) expect(r.all).not.toContain(s);
    return { check: report.checks.find((c) => c.id === 'registration')!, all: r.all, calls };
  }

  it('passes when Talk lists this URL with the same secret', async () => {
    const { check } = await registration({ servers: [{ server: publicUrl, verify: true }], secret: backendSecret });
    expect(check.status, check.detail).toBe('pass');
    expect(check.detail).toContain(publicUrl);
  });

  it('fails when Talk was never configured ([])', async () => {
    const { check } = await registration(undefined);
    expect(check.status).toBe('fail');
    expect(check.detail).toContain('lists: nothing');
    expect(check.fix).toBe('spreed-setup register');
  });

  it("fails when Talk's secret differs, without printing it", async () => {
    const talkSecret = 'e5'.repeat(32);
    const { check, all } = await registration({ servers: [{ server: publicUrl, verify: true }], secret: talkSecret });
    expect(check.status).toBe('fail');
    expect(check.detail).toContain('differs');
    expect(all).not.toContain(talkSecret);
  });

  it('fails when signaling_mode is internal', async () => {
    const { check } = await registration({
      servers: [{ server: publicUrl, verify: true }],
      secret: backendSecret,
      appConfig: { spreed: { signaling_mode: 'internal' } },
    });
    expect(check.status).toBe('fail');
    expect(check.detail).toContain('signaling_mode = internal');
  });

  it("fails when Nextcloud's overwrite.cli.url matches no backend URL (its own requests would get 403)", async () => {
    const { check } = await registration({
      servers: [{ server: publicUrl, verify: true }],
      secret: backendSecret,
      systemConfig: { 'overwrite.cli.url': 'https://cloud.example.org' },
    });
    expect(check.status).toBe('fail');
    expect(check.detail).toContain('overwrite.cli.url https://cloud.example.org matches no backend url');
    const ok = await registration({
      servers: [{ server: publicUrl, verify: true }],
      secret: backendSecret,
      systemConfig: { 'overwrite.cli.url': 'http://127.0.0.1:1/' },
    });
    expect(ok.check.status, ok.check.detail).toBe('pass');
  });

  it("names occ's complaint when run as the wrong user", async () => {
    const { check } = await registration({ requireUid: 4242 });
    expect(check.status).toBe('fail');
    expect(check.detail).toContain('Console has to be executed with the user that owns the file config/config.php');
    expect(check.fix).toContain('sudo -u www-data');
  });
});
