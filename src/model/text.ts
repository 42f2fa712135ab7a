// The rule for every value that may reach a config file, whatever its field (deployment.ts applies
// it to the whole model). Imports nothing, so the wizard's first prompt can check with it before zod loads.

/** The longest value any field may hold: config lines are short, and a huge value is no setting. */
export const MAX_VALUE_LENGTH = 4096;
/** C0 and C1 control characters and DEL: never part of a value in any file we write. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Why a value may not reach any config file whatever its field, or undefined: control characters,
 * goconf's `%(name)s` interpolation, and over-long values everywhere; `$(VAR)` (which the server may
 * replace from its environment) everywhere but pass-through keys.
 */
export function textProblem(s: string, opts: { envAllowed?: boolean } = {}): string | undefined {
  if (s.length > MAX_VALUE_LENGTH) return `is ${s.length} characters long; a value holds at most ${MAX_VALUE_LENGTH}`;
  if (CONTROL.test(s)) return 'contains a control character (a line break, tab, escape or the like)';
  if (s.includes('%('))
    return 'contains "%(", which the server\'s config parser would replace with another key\'s value';
  if (!opts.envAllowed && s.includes('$(')) return 'contains "$(", which the server would replace from its environment';
  return undefined;
}
