// A short local command's exit code and output, with node's own child_process: detection runs
// before the wizard's first prompt, where loading execa (~80 ms) would be most of the wait.
import { execFile } from 'node:child_process';

export interface QuietResult {
  /** undefined when it could not start, was killed, or timed out */
  exitCode: number | undefined;
  stdout: string;
}

/** Runs file with args (no shell), stdin closed, bounded by timeoutMs; never throws. */
export function runQuiet(file: string, args: string[], timeoutMs: number): Promise<QuietResult> {
  return new Promise((resolve) => {
    try {
      const child = execFile(
        file,
        args,
        { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 1024 * 1024, windowsHide: true },
        (err, stdout) => {
          const code = err ? (err as NodeJS.ErrnoException & { code?: unknown }).code : 0;
          resolve({ exitCode: typeof code === 'number' ? code : undefined, stdout: String(stdout ?? '') });
        },
      );
      child.stdin?.end();
    } catch {
      resolve({ exitCode: undefined, stdout: '' });
    }
  });
}
