// The ink dashboard of `check`, rendered into a fake terminal (ink's debug mode writes every frame
// whole, so each write is one frame): running checks first, then results with their marks and
// fixes, the summary in the last frame; and, wired to the real check run as showDashboard wires
// it, no secret of the install or of Talk in any frame.
import { startBlackHole } from '../check/blackhole.js';
import { EventEmitter } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { render } from 'ink';
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCheckArgs } from '../../src/commands/check.js';
import { runCheck, summary } from '../../src/check/run.js';
import type { CheckReport, CheckResult } from '../../src/check/schema.js';
import { CheckDashboard, createStore } from '../../src/ui/checkDashboard.js';
import { runInProcess } from '../cli/inProcess.js';
import { scratch, secretValues } from '../cli/run.js';
import { FAKE_OCC, fakeOccExec, writeOccState } from '../fakes/occState.js';

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** A terminal for ink: a size, and every write kept (ANSI codes removed). */
class FakeTerminal extends EventEmitter {
  readonly isTTY = true;
  readonly columns = 120;
  readonly rows = 50;
  readonly frames: string[] = [];
  write(chunk: string | Uint8Array): boolean {
    const frame = String(chunk).replace(ANSI, '');
    if (frame.trim() !== '') this.frames.push(frame);
    return true;
  }
  get last(): string {
    return this.frames.at(-1) ?? '';
  }
  /** Waits (bounded) for a frame that satisfies `test`; returns its index. */
  async frameWhere(test: (frame: string) => boolean, what: string, timeoutMs = 5000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex(test);
      if (i >= 0) return i;
      if (Date.now() > deadline)
        throw new Error(`no frame with ${what} within ${timeoutMs} ms; last frame:\n${this.last}`);
      await sleep(10);
    }
  }
}

function mount(store: ReturnType<typeof createStore>) {
  const terminal = new FakeTerminal();
  const stdin = Object.assign(new PassThrough(), { isTTY: false });
  // ink reads size and writes frames (stdout), and never reads keys here: stand-ins that are no
  // file descriptor are enough for what it touches.
  const app = render(React.createElement(CheckDashboard, { store, color: false }), {
    stdout: terminal as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  mounted.push(app);
  return terminal;
}

const mounted: Array<ReturnType<typeof render>> = [];
const holes: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (mounted.length) mounted.pop()!.unmount();
  while (holes.length) await holes.pop()!.close();
});

/** A check's row in a frame: its mark (two columns), then its title. */
function line(frame: string, title: string): string {
  return frame.split('\n').find((l) => l.slice(2).startsWith(`${title} `)) ?? '';
}

describe('check dashboard (ink, fake terminal)', () => {
  const titles = [
    { id: 'config', title: 'Config' },
    { id: 'public.tls', title: 'Certificate' },
    { id: 'hello', title: 'Internal hello' },
  ];
  const results: CheckResult[] = [
    { id: 'config', title: 'Config', status: 'pass', detail: 'server.conf is complete', fix: 'never shown for a pass' },
    {
      id: 'public.tls',
      title: 'Certificate',
      status: 'fail',
      detail: 'nothing listening at 127.0.0.1:1',
      fix: 'start nginx',
    },
    { id: 'hello', title: 'Internal hello', status: 'skip', detail: 'skipped: needs Certificate (fail)' },
  ];

  it('shows the checks waiting, then running, then each result with its mark and fix, and the summary last', async () => {
    const store = createStore();
    const t = mount(store);
    store.catalogue(titles);
    const waiting = await t.frameWhere((f) => titles.every((x) => f.includes(x.title)), 'every title');
    expect(t.frames[waiting]).not.toContain('checking…');

    store.event({ type: 'start', id: 'public.tls', title: 'Certificate' });
    store.event({ type: 'start', id: 'config', title: 'Config' });
    const running = await t.frameWhere(
      (f) => line(f, 'Certificate').includes('checking…') && line(f, 'Config').includes('checking…'),
      'two running checks',
    );
    expect(line(t.frames[running]!, 'Internal hello')).not.toContain('checking…');

    store.event({ type: 'done', result: results[0]! });
    store.event({ type: 'done', result: results[1]! });
    const failed = await t.frameWhere((f) => line(f, 'Certificate').includes('✖'), 'the failed check');
    expect(failed).toBeGreaterThan(running);
    const frame = t.frames[failed]!;
    expect(line(frame, 'Config')).toMatch(/✔\s+Config\s+server\.conf is complete/);
    expect(line(frame, 'Certificate')).toContain('nothing listening at 127.0.0.1:1');
    expect(frame).toMatch(/^\s+fix: start nginx$/m);
    expect(frame).not.toContain('never shown for a pass');
    expect(frame).not.toMatch(/passed, \d+ warning/);

    const report: CheckReport = {
      ok: false,
      checks: results,
      url: 'https://127.0.0.1:1/standalone-signaling',
      timeout: 1,
      ms: 1234,
    };
    store.finish(report);
    await t.frameWhere((f) => f.includes(summary(report)), 'the summary');
    const last = t.last;
    expect(last).toContain(
      '1 passed, 0 warning(s), 1 failed, 1 skipped (1.2 s) — https://127.0.0.1:1/standalone-signaling',
    );
    expect(line(last, 'Internal hello')).toMatch(/–\s+Internal hello\s+skipped: needs Certificate/);
    expect(last).not.toContain('checking…');
    expect(last.indexOf('Config')).toBeLessThan(last.indexOf('Certificate'));
    expect(last.indexOf('fix: start nginx')).toBeLessThan(last.indexOf('1 passed'));
  });

  it('wired to a real check run (as showDashboard is): live frames, then every result; no secret in any frame', async () => {
    // A staged install whose every endpoint is closed, and a Talk (stand-in occ) with another secret.
    const root = scratch('spreed-dashboard-');
    const answers = path.join(root, 'answers.yaml');
    // Nextcloud's address takes connections and never answers: its check runs until the timeout,
    // so the live view has a running check to show (the closed ports answer at once).
    const hole = await startBlackHole();
    holes.push(hole);
    writeFileSync(
      answers,
      `hostname: localhost\nlisten: 127.0.0.1:1\nbackends:\n  - id: cloud\n    urls: [http://127.0.0.1:${hole.port}]\nnginx:\n  mode: none\n`,
    );
    const setup = await runInProcess([
      'setup',
      '--answers',
      answers,
      '--server-version',
      '2.0.2',
      '--yes',
      '--root',
      root,
    ]);
    expect(setup.code, setup.all).toBe(0);
    const talkSecret = 'e5'.repeat(32);
    const occState = path.join(root, 'occ-state.json');
    writeOccState(occState, {
      servers: [{ server: 'https://127.0.0.1:1/standalone-signaling', verify: true }],
      secret: talkSecret,
    });
    const exec = fakeOccExec({ stateFile: occState });

    const store = createStore();
    const t = mount(store);
    const flags = parseCheckArgs([
      '--root',
      root,
      '--url',
      'https://127.0.0.1:1/standalone-signaling',
      '--timeout',
      '2',
      '--occ',
      `${process.execPath} ${FAKE_OCC}`,
    ]);
    const { report, titles: shown } = await runCheck(
      flags,
      (e) => store.event(e),
      (x) => store.catalogue(x),
      {
        occExec: (argv, timeoutMs) => exec(argv[0]!, argv.slice(1), { timeoutMs }),
      },
    );
    store.finish(report);
    const done = await t.frameWhere((f) => f.includes(summary(report)), 'the summary');

    expect(
      t.frames.slice(0, done).some((f) => f.includes('checking…')),
      'a frame with a running check',
    ).toBe(true);
    const last = t.last;
    expect(last).toContain(summary(report));
    for (const c of report.checks)
      expect(line(last, c.title), c.id).toContain({ pass: '✔', warn: '▲', fail: '✖', skip: '–', info: 'ℹ' }[c.status]);
    expect(shown.map((x) => x.id)).toEqual(report.checks.map((c) => c.id));
    const registration = report.checks.find((c) => c.id === 'registration')!;
    expect(registration.status).toBe('fail');
    expect(line(last, 'Registration in Talk')).toContain('differs');

    const secrets = [...secretValues(root), talkSecret];
    expect(secrets.length).toBeGreaterThan(1);
    // Asserted without printing either, should it fail: the frame would hold the secret.
    t.frames.forEach((frame, i) =>
      secrets.forEach((s, j) =>
        expect(frame.includes(s), `secret #${j} (${s.length} chars) in frame ${i}`).toBe(false),
      ),
    );
  });
  it('shows the cluster group of check --cluster, INFO marks included', async () => {
    const dir = scratch('spreed-dashboard-cluster-');
    const file = path.join(dir, 'cluster.yaml');
    writeFileSync(
      file,
      [
        'hostname: hpb.example.org',
        'backends:',
        '  - id: nextcloud',
        '    urls: [https://cloud.example.org]',
        'cluster:',
        '  nodes:',
        '    - {name: sig1, address: 127.0.0.1, httpPort: 1, grpcPort: 2}',
        '    - {name: sig2, address: 127.0.0.1, httpPort: 3, grpcPort: 4}',
        '  nats: {mode: external, urls: ["nats://127.0.0.1:5"]}',
        '',
      ].join('\n'),
    );
    const store = createStore();
    const t = mount(store);
    const flags = parseCheckArgs(['--cluster', file, '--cluster-secrets', dir, '--timeout', '2']);
    const { report } = await runCheck(
      flags,
      (e) => store.event(e),
      (x) => store.catalogue(x),
    );
    store.finish(report);
    await t.frameWhere((f) => f.includes(summary(report)), 'the summary');
    const last = t.last;
    expect(line(last, 'Node sig2')).toMatch(/✖\s+Node sig2\s+nothing listening at http:\/\/127\.0\.0\.1:3/);
    expect(last).toMatch(/fix: start the signaling server on sig2/);
    expect(line(last, 'NATS cluster')).toMatch(/ℹ\s+NATS cluster\s+routes not checked/);
    expect(line(last, 'sig1 → sig2')).toContain('skipped: needs Node sig1 (failed), Node sig2 (failed)');
    expect(summary(report)).toMatch(/, 1 info \(/);
    for (const c of report.checks)
      expect(line(last, c.title), c.id).toContain({ pass: '✔', warn: '▲', fail: '✖', skip: '–', info: 'ℹ' }[c.status]);
  });
});
