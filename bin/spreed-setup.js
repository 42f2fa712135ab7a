#!/usr/bin/env node
// Thin entry: the compiled CLI lives in dist/ (npm run build).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`spreed-setup: ${err?.message ?? err}\n`);
    process.exitCode = 1;
  },
);
