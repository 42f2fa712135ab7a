// Reads server.conf exactly as the signaling server's parser (dlintw/goconf) does, keeping line
// numbers and the suspicious spots (continuation lines, `rem…` comments) so callers can warn; and
// reads values as the server gets them: `%(name)s` unfolded, booleans, `$(VAR)` from its environment.
import { expandsEnv } from '../model/versions.js';

export interface GoconfEntry {
  section: string; // lower-cased, as the server sees it
  key: string; // lower-cased
  value: string; // after inline-comment stripping and trimming; continuation lines joined with \n
  line: number; // 1-based line of the key
}

export interface GoconfWarning {
  line: number;
  kind: 'rem' | 'continuation';
  message: string;
}

export interface GoconfDocument {
  /** section -> key -> value; last assignment wins, repeated sections merge (as in goconf). */
  sections: Map<string, Map<string, GoconfEntry>>;
  /** Section names in order of first appearance. */
  order: string[];
  warnings: GoconfWarning[];
}

export class GoconfSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly text: string,
  ) {
    // The line itself is not shown: it may be (part of) a secret.
    super(`line ${line}: the server cannot parse it (${text.length} characters, no "=" or ":" and no key before it)`);
  }
}

/** goconf cuts a value at the first whitespace followed by `;` or `#`. */
export function stripInlineComment(value: string): string {
  const m = /[ \t][;#]/.exec(value);
  return m ? value.slice(0, m.index) : value;
}

export function parseGoconf(text: string): GoconfDocument {
  const sections = new Map<string, Map<string, GoconfEntry>>();
  const order: string[] = [];
  const warnings: GoconfWarning[] = [];
  const ensure = (name: string) => {
    let s = sections.get(name);
    if (!s) {
      s = new Map();
      sections.set(name, s);
      order.push(name);
    }
    return s;
  };

  let section = 'default';
  let option = '';
  const lines = text.split('\n');
  for (let idx = 0; idx < lines.length; idx++) {
    const lineNo = idx + 1;
    const l = (lines[idx] ?? '').trim();
    if (l.length === 0 || l[0] === '#' || l[0] === ';') continue;
    if (l.length >= 3 && l.slice(0, 3).toLowerCase() === 'rem') {
      if (/^rem\S/i.test(l) && /[=:]/.test(l)) {
        warnings.push({
          line: lineNo,
          kind: 'rem',
          message: `"${l.split(/[=:]/)[0]!.trim()}" starts with "rem", so the server reads the whole line as a comment`,
        });
      }
      continue;
    }
    if (l[0] === '[' && l[l.length - 1] === ']') {
      option = '';
      section = l.slice(1, -1).trim().toLowerCase();
      ensure(section);
      continue;
    }
    // `[]` names no section: goconf refuses the next key ("empty section name not allowed").
    if (section === '') throw new GoconfSyntaxError(lineNo, l);
    const i = l.search(/[=:]/);
    if (i > 0) {
      option = l.slice(0, i).trim().toLowerCase();
      const value = stripInlineComment(l.slice(i + 1)).trim();
      ensure(section).set(option, { section, key: option, value, line: lineNo });
    } else if (option !== '') {
      const prev = sections.get(section)?.get(option);
      const value = stripInlineComment(l).trim();
      const joined = (prev?.value ?? '') + '\n' + value;
      ensure(section).set(option, { section, key: option, value: joined, line: prev?.line ?? lineNo });
      warnings.push({
        line: lineNo,
        kind: 'continuation',
        // Not quoted: a continuation line may hold (part of) a secret.
        message: `the line has no "=", so the server appends it to [${section}] ${option} (a value spanning lines)`,
      });
    } else {
      throw new GoconfSyntaxError(lineNo, l);
    }
  }
  return { sections, order, warnings };
}

/** The value as written (goconf `GetRawString`): no `%(name)s` unfolding. */
export function getRawValue(doc: GoconfDocument, section: string, key: string): string | undefined {
  return doc.sections.get(section.toLowerCase())?.get(key.toLowerCase())?.value;
}

/** goconf `varRegExp` and `DepthValues`. */
const INTERPOLATION = /%\(([a-zA-Z0-9_.-]+)\)s/;
const INTERPOLATION_DEPTH = 200;

/**
 * The value as the server reads it (goconf `GetString`, which every server read goes through):
 * undefined when the key is not in that section (`[default]` keys are not inherited), and `%(name)s`
 * unfolded from the same section, else `[default]`. A name that is unknown or empty there, or more
 * than 199 unfoldings (a cycle), make goconf return an error, which the server reads as "".
 */
export function getValue(doc: GoconfDocument, section: string, key: string): string | undefined {
  const r = unfold(doc, section, key);
  return r === undefined ? undefined : r.error ? '' : r.value;
}

/** Why the server reads the value as empty although it is written, or undefined when it does not. */
export function interpolationProblem(doc: GoconfDocument, section: string, key: string): string | undefined {
  return unfold(doc, section, key)?.error;
}

function unfold(
  doc: GoconfDocument,
  section: string,
  key: string,
): { value: string; error?: undefined } | { value?: undefined; error: string } | undefined {
  const s = section.toLowerCase();
  let value = getRawValue(doc, s, key);
  if (value === undefined) return undefined;
  const own = doc.sections.get(s)!;
  const fallback = doc.sections.get('default');
  let i = 0;
  for (; i < INTERPOLATION_DEPTH; i++) {
    const m = INTERPOLATION.exec(value);
    if (!m) break;
    const name = m[1]!.toLowerCase();
    const found = own.has(name) ? own.get(name)!.value : (fallback?.get(name)?.value ?? '');
    if (found === '')
      return { error: `%(${m[1]})s names no non-empty key in [${s}] or [default], so the server reads it as empty` };
    value = value.slice(0, m.index) + found + value.slice(m.index + m[0].length);
  }
  if (i === INTERPOLATION_DEPTH)
    return {
      error: `its %(…)s references unfold ${INTERPOLATION_DEPTH} times (a cycle), so the server reads it as empty`,
    };
  return { value };
}

/** goconf `BoolStrings`, matched after lower-casing. */
const GOCONF_BOOLS: Readonly<Record<string, boolean>> = {
  t: true,
  true: true,
  y: true,
  yes: true,
  on: true,
  '1': true,
  f: false,
  false: false,
  n: false,
  no: false,
  off: false,
  '0': false,
};

/** A spelling goconf reads as a boolean, or undefined for anything else (which the server takes as false). */
export function boolSpelling(value: string | undefined): boolean | undefined {
  return value === undefined ? undefined : GOCONF_BOOLS[value.toLowerCase()];
}

/** A boolean as the server reads it (goconf `GetBool`; every error means false). */
export function readBool(doc: GoconfDocument, section: string, key: string): boolean {
  return boolSpelling(getValue(doc, section, key)) ?? false;
}

/** `$(VAR)` as the server's `replaceEnvVars` finds it. */
const ENV_REFERENCE = /\$\(([A-Za-z][A-Za-z0-9_]*)\)/g;

/** Names of the `$(VAR)` references in a value. */
export function envReferences(value: string): string[] {
  return [...value.matchAll(ENV_REFERENCE)].map((m) => m[1]!);
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** `replaceEnvVars`: each `$(VAR)` becomes the variable's value, or its bare name when unset. */
export function expandEnv(value: string, env: Environment): string {
  return value.replace(ENV_REFERENCE, (_, name: string) => env[name] ?? name);
}

export interface ReadOptions {
  /** The server version that reads the file; undefined when unknown (then `$(VAR)` may be expanded). */
  version?: string | undefined;
  /** The server's environment, as far as it is known (the service's, not this shell's). */
  env?: Environment | undefined;
}

/** A value as the server of a version gets it, `$(VAR)` included. */
export type ServerValue =
  | { kind: 'absent' }
  /** `literal`: holds `$(VAR)` text that this version does not expand. */
  | { kind: 'value'; value: string; literal?: boolean }
  /** Holds `$(VAR)` the server expands from its environment, which `env` does not tell. */
  | { kind: 'env'; written: string; names: string[] };

/**
 * Reads a value as the given server version does. `tableSection` names the row of ENV_EXPANSION
 * when it differs from the section (`*backend*` for a backend's own section).
 */
export function readServerValue(
  doc: GoconfDocument,
  section: string,
  key: string,
  opts: ReadOptions & { tableSection?: string } = {},
): ServerValue {
  const value = getValue(doc, section, key);
  if (value === undefined) return { kind: 'absent' };
  const names = envReferences(value);
  if (names.length === 0) return { kind: 'value', value };
  if (!expandsEnv(opts.version, opts.tableSection ?? section, key)) return { kind: 'value', value, literal: true };
  const env = opts.env ?? {};
  const unknown = names.filter((n) => env[n] === undefined);
  if (unknown.length) return { kind: 'env', written: value, names: unknown };
  return { kind: 'value', value: expandEnv(value, env) };
}

/** How a user reads where a value comes from: "set from the environment ($(A), $(B))". */
export function fromEnvironmentText(names: string[]): string {
  return `set from the environment (${names.map((n) => `$(${n})`).join(', ')})`;
}

/** Comma-separated list as the server splits it (empty items dropped). */
export function splitList(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Space-separated list ([http] listen, [mcu] url in proxy mode). */
export function splitSpaces(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(/\s+/).filter((s) => s.length > 0);
}
