// Errors a user can meet are values: what went wrong, and how to fix it. Printed without a stack
// trace (stack traces are for bugs, shown with --debug).

export const EXIT = { ok: 0, failed: 1, badInput: 2, aborted: 130 } as const;

export interface Problem {
  message: string;
  fix?: string;
}

export class UserError extends Error {
  constructor(
    readonly problems: Problem[],
    readonly exitCode: number = EXIT.badInput,
  ) {
    super(problems.map((p) => p.message).join('; '));
  }
}

export const problem = (message: string, fix?: string): Problem => (fix ? { message, fix } : { message });

/** A value from the input as a message shows it: quoted, and shortened when long (control characters are escaped by the output). */
export function quote(value: string, max = 60): string {
  return value.length > max ? `"${value.slice(0, max)}…" (${value.length} characters)` : `"${value}"`;
}
