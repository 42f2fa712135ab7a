// The non-interactive commands run in this process (no build, no process start), their output
// captured as the CLI prints it: the same Output as main's, and main's handling of a UserError
// (its problems on stderr, its exit code). The same shape as runCli's result, to compare freely.
// What only a process shows (bin/, main's "Nothing was written.", exit codes as seen by a shell,
// --help, the plain and live views of check) stays with runCli.
import { toolVersion } from '../../src/io/toolVersion.js';
import { createOutput, type Output } from '../../src/io/output.js';
import { parseSetupArgs } from '../../src/options/setup.js';
import { runSetup } from '../../src/commands/setup.js';
import { run as runRegister } from '../../src/commands/register.js';
import { parseCheckArgs } from '../../src/commands/check.js';
import { runCheck } from '../../src/check/run.js';
import { UserError } from '../../src/errors.js';
import type { Exec } from '../../src/register/occ.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  all: string;
}

/** A stream that is no terminal (so no colour), collecting what is written. */
function collector(): { stream: NodeJS.WriteStream; text(): string } {
  let text = '';
  const sink = {
    isTTY: false,
    write(chunk: string | Uint8Array): boolean {
      text += String(chunk);
      return true;
    },
  };
  // createOutput uses write() and isTTY only; a full tty.WriteStream would need a file descriptor.
  return { stream: sink as unknown as NodeJS.WriteStream, text: () => text };
}

/** An Output like the CLI's, writing into strings. */
export function captureOutput(): { out: Output; result(code: number): CliResult } {
  const stdout = collector();
  const stderr = collector();
  return {
    out: createOutput(stdout.stream, stderr.stream),
    result: (code) => ({
      code,
      stdout: stdout.text(),
      stderr: stderr.text(),
      all: `${stdout.text()}\n${stderr.text()}`,
    }),
  };
}

/**
 * `spreed-setup setup …`, `spreed-setup register …` or `spreed-setup check --json …` (argv as for
 * runCli), never interactive. occ calls go through `exec` when given (e.g. the in-process
 * stand-in occ).
 */
export async function runInProcess(argv: string[], doors: { exec?: Exec } = {}): Promise<CliResult> {
  const [command, ...rest] = argv;
  const { out, result } = captureOutput();
  let code: number;
  try {
    if (command === 'setup') code = await runSetup(parseSetupArgs(rest), { out, toolVersion: toolVersion() });
    else if (command === 'register')
      code = await runRegister(rest, { out, interactive: false, ...(doors.exec ? { exec: doors.exec } : {}) });
    else if (command === 'check') code = await checkJson(rest, out, doors.exec);
    else throw new Error(`runInProcess: no in-process route for "${command}" (use runCli)`);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    out.problems(err.problems);
    code = err.exitCode;
  }
  return result(code);
}

/** check's --json path (the report on stdout; exit 1 when a check failed), as runCheckCommand has it. */
async function checkJson(argv: string[], out: Output, exec: Exec | undefined): Promise<number> {
  const flags = parseCheckArgs(argv);
  if (!flags.json) throw new Error('runInProcess: check runs in-process with --json only (its views need runCli)');
  const occExec = exec
    ? (words: string[], timeoutMs: number) => exec(words[0]!, words.slice(1), { timeoutMs })
    : undefined;
  const { report } = await runCheck(flags, undefined, undefined, occExec ? { occExec } : {});
  out.raw(JSON.stringify(report, null, 2) + '\n');
  return report.ok ? 0 : 1;
}
