// mkfifo for a test: node has no API for it.
import { execFileSync } from 'node:child_process';

export function mkfifoSync(file: string): string {
  execFileSync('mkfifo', [file]);
  return file;
}
