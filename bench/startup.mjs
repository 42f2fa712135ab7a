#!/usr/bin/env node
// Start-up benchmark: `spreed-setup --version` and `--help` against bare `node -e 0`, and, on a
// pseudo-terminal, the time from spawn to the wizard's first prompt and to `check`'s
// first painted line. Prints figures (median and min of N runs after warm-up runs, and the ratio
// to bare node); asserts nothing. Targets: --version/--help < 1.5x, first prompt/paint < 2x.
// Everything runs under --root in a scratch directory; the staged setup points only at loopback.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/spreed-setup.js', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 20);
const WARMUP = 3;
const helper = fileURLToPath(new URL('./pty_first_output.py', import.meta.url));

function stats(samples) {
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], min: samples[0], n: samples.length };
}

/** Wall time of one run of a command to its exit. */
function timeOnce(args) {
  const t0 = process.hrtime.bigint();
  execFileSync(process.execPath, args, { stdio: 'ignore' });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * One run of each spec on a pseudo-terminal (120x50, python3's pty module: no shell or stty in the
 * measured time): ms from spawn until its output matches the spec's pattern.
 */
function ptyOnce(specs) {
  if (specs.length === 0) return [];
  const out = execFileSync('python3', [helper, '1', JSON.stringify(specs)], {
    encoding: 'utf8',
    env: { ...process.env, TERM: 'xterm-256color', NO_COLOR: '1', CI: '' },
    timeout: specs.length * 30_000,
  });
  return JSON.parse(out).map((samples) => samples[0]);
}

/**
 * Every row takes its turn in every round (a change of load on the machine hits each alike); the
 * first rounds only warm the file cache.
 */
function measure(plain, onTerminal) {
  const samples = [...plain, ...onTerminal].map(() => []);
  for (let i = 0; i < runs + WARMUP; i++) {
    const round = [...plain.map(([, args]) => timeOnce(args)), ...ptyOnce(onTerminal.map(([, r, argv]) => [r, argv]))];
    if (i >= WARMUP) round.forEach((ms, j) => samples[j].push(ms));
  }
  return samples.map(stats);
}

const scratch = mkdtempSync(path.join(os.tmpdir(), 'spreed-bench-startup-'));
try {
  const fresh = path.join(scratch, 'fresh');
  const staged = path.join(scratch, 'staged');
  for (const dir of [fresh, staged]) mkdirSync(dir); // --root must exist
  // A staged setup whose every endpoint is on loopback (port 1: nothing answers), so `check`
  // contacts nothing else.
  execFileSync(
    process.execPath,
    [
      bin,
      'setup',
      '--hostname',
      'localhost',
      '--nextcloud',
      'http://127.0.0.1:1',
      '--listen',
      '127.0.0.1:1',
      '--nginx',
      'none',
      '--server-version',
      '2.0.2',
      '--yes',
      '--root',
      staged,
    ],
    { stdio: 'ignore' },
  );

  const plain = [
    ['node -e 0', ['-e', '0']],
    ['spreed-setup --version', [bin, '--version']],
    ['spreed-setup --help', [bin, '--help']],
    ['spreed-setup setup --help', [bin, 'setup', '--help']],
  ];
  const onTerminal = [
    ['pty: node prints a line', 'ready', [process.execPath, '-e', 'process.stdout.write("ready\\n")']],
    ['pty: wizard first prompt', 'Public hostname', [process.execPath, bin, 'setup', '--root', fresh]],
    [
      'pty: check first paint',
      '\\S',
      [
        process.execPath,
        bin,
        'check',
        '--root',
        staged,
        '--url',
        'https://127.0.0.1:1/standalone-signaling',
        '--timeout',
        '1',
      ],
    ],
  ];
  let hasPython = true;
  try {
    execFileSync('python3', ['-c', 'import pty'], { stdio: 'ignore' });
  } catch {
    hasPython = false;
    console.log('(no python3 with its pty module: the pseudo-terminal rows are left out)');
  }
  const all = measure(plain, hasPython ? onTerminal : []);
  const rows = plain.map(([name], i) => [name, all[i]]);
  const ptyRows = (hasPython ? onTerminal : []).map(([name], i) => [name, all[plain.length + i]]);
  const base = rows[0][1];
  const ptyBase = ptyRows[0]?.[1];
  const line = (name, r, extra = '') =>
    console.log(
      `${name.padEnd(28)} median ${r.median.toFixed(1).padStart(6)}  min ${r.min.toFixed(1).padStart(6)}  ratio ${(r.median / base.median).toFixed(2)}x${extra}`,
    );
  console.log(
    `start-up, ${runs} rounds after ${WARMUP} warm-up rounds, every row once a round (ms; ratio to node -e 0)`,
  );
  for (const [name, r] of rows) line(name, r);
  if (ptyRows.length)
    console.log('on a pseudo-terminal (spawn to the text on screen); also the ratio to node printing a line there');
  for (const [name, r] of ptyRows) line(name, r, `  (${(r.median / ptyBase.median).toFixed(2)}x pty baseline)`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
