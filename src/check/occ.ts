// Asks Nextcloud's occ what Talk is configured with (facts sheet section 6). Read-only commands
// only, always --no-warnings, no stdin, bounded. `talk:signaling:list` prints Talk's secret: its
// output is parsed here and never shown.

import { execaExec, splitCommand, type ExecResult } from '../register/occ.js';
import { parseSignalingList as parseTalkSignaling } from '../register/talk.js';

// The process door and the parsers are register's (one implementation of occ's formats).
export type OccRun = ExecResult;
export type OccExec = (argv: string[], timeoutMs: number) => Promise<OccRun>;

export const execaOcc: OccExec = (argv, timeoutMs) => execaExec(argv[0]!, argv.slice(1), { timeoutMs });

/** Splits `--occ "sudo -u www-data php /var/www/nextcloud/occ"` like a shell (no expansion); [] when unusable. */
export function splitOccCommand(text: string): string[] {
  try {
    return splitCommand(text);
  } catch {
    return [];
  }
}

export interface SignalingList {
  servers: { server: string; verify: boolean }[];
  /** Talk's one global secret; compare it, never print it. */
  secret?: string;
}

/** `talk:signaling:list --output=json`, or undefined when occ printed no usable JSON. */
export function parseSignalingList(stdout: string): SignalingList | undefined {
  try {
    const t = parseTalkSignaling(stdout);
    return { servers: t.servers, ...(t.secret ? { secret: t.secret } : {}) };
  } catch {
    return undefined;
  }
}

/** First meaningful line of occ's complaint, for a one-line detail. */
export function occComplaint(r: OccRun): string {
  const line = `${r.stderr}\n${r.stdout}`
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0 && !/^[-=\s]+$/.test(l));
  return line ? (line.length > 160 ? line.slice(0, 160) + '…' : line) : `exit code ${r.exitCode ?? '?'}`;
}
