#!/usr/bin/env node
// Start-up benchmark: `spreed-setup --version` and `--help` against bare `node -e 0`.
// Prints figures (median and min of N runs, and the ratio); asserts nothing. Target: < 1.5x.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/spreed-setup.js', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 30);

function time(args) {
  const samples = [];
  for (let i = 0; i < runs + 3; i++) {
    const t0 = process.hrtime.bigint();
    execFileSync(process.execPath, args, { stdio: 'ignore' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (i >= 3) samples.push(ms); // first runs warm the file cache
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], min: samples[0] };
}

const base = time(['-e', '0']);
const rows = [
  ['node -e 0', base],
  ['spreed-setup --version', time([bin, '--version'])],
  ['spreed-setup --help', time([bin, '--help'])],
  ['spreed-setup setup --help', time([bin, 'setup', '--help'])],
];
console.log(`start-up, ${runs} runs each (ms)`);
for (const [name, r] of rows) {
  console.log(
    `${name.padEnd(28)} median ${r.median.toFixed(1).padStart(6)}  min ${r.min.toFixed(1).padStart(6)}  ratio ${(r.median / base.median).toFixed(2)}x`,
  );
}
