#!/usr/bin/env node
// From the last answer to "Working": `setup --answers FILE --yes` on a fresh machine (the test's
// sandbox: overlays over /etc, /var, /usr, the stand-in systemctl starting the real 2.0.2 server
// and nginx), through writing, starting, waiting for the welcome and the whole check. Runs the
// healthy-path test BENCH_RUNS times (default 5) and prints the figures; asserts nothing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 5);
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-working-'));
const out = path.join(dir, 'ms');
try {
  for (let i = 0; i < runs; i++)
    execFileSync(
      process.execPath,
      [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', 'test/cli/start.test.ts', '-t', 'first install'],
      { cwd: root, stdio: 'ignore', env: { ...process.env, SPREED_BENCH_OUT: out } },
    );
  const ms = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map(Number)
    .sort((a, b) => a - b);
  console.log(
    `last answer -> "Working" (write, start, welcome, check), ${ms.length} runs: median ${ms[Math.floor(ms.length / 2)]} ms, min ${ms[0]} ms, max ${ms.at(-1)} ms`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
