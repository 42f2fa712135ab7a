#!/usr/bin/env node
// @ts-check
// The stand-in occ (fakeOcc.mjs) as an executable, for tests that need a real process (the CLI,
// ssh, a terminal): state in the file FAKE_OCC_STATE, one JSON line per call in FAKE_OCC_LOG.
import { runFakeOcc } from './fakeOcc.mjs';

const r = runFakeOcc(process.argv.slice(2), {
  stateFile: process.env.FAKE_OCC_STATE,
  logFile: process.env.FAKE_OCC_LOG,
});
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
if (r.hangs) setInterval(() => {}, 1 << 30);
else process.exitCode = r.exitCode;
