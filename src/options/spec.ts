// One declaration per option: what node's parseArgs needs, what --help says, and the key the parsed
// value lands under. Commands list their options once, as a table; parsing and help derive from it.
// No packages here: the help path loads this module.
import { parseArgs } from 'node:util';
import { UserError, problem } from '../errors.js';
import { rootProblem } from '../io/target.js';

export interface OptionDecl {
  /** Long name without dashes, e.g. "tls-cert". */
  name: string;
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  /** Placeholder in the help, e.g. "PATH". */
  arg?: string;
  /** The left column of the help line when it is not "--name ARG" (e.g. two options on one line). */
  label?: string;
  /** Help text: one string per line. Empty: accepted but not listed (a shared option this command only tolerates). */
  help: readonly string[];
}

export type OptionTable = readonly OptionDecl[];

/** Options every command shares: where the installed setup is, and how to behave. */
export const COMMON = {
  root: { name: 'root', type: 'string', arg: 'DIR', help: [] },
  config: { name: 'config', type: 'string', arg: 'PATH', help: [] },
  yes: { name: 'yes', type: 'boolean', short: 'y', label: '--yes, -y', help: [] },
  debug: { name: 'debug', type: 'boolean', help: [] },
  help: { name: 'help', type: 'boolean', short: 'h', help: [] },
} as const satisfies Record<string, OptionDecl>;

/** A shared option with this command's own help text. */
export const withHelp = (decl: OptionDecl, ...help: string[]): OptionDecl => ({ ...decl, help });

/** The "Options:" lines of a help text, the text starting at column `2 + width`. */
export function optionsHelp(table: OptionTable, width: number): string {
  const lines: string[] = [];
  for (const o of table) {
    if (o.help.length === 0) continue;
    const label = o.label ?? `--${o.name}${o.arg ? ` ${o.arg}` : ''}`;
    const head = label.length >= width ? `${label}${label.length === width - 1 ? ' ' : '  '}` : label.padEnd(width);
    lines.push(`  ${head}${o.help[0]}`);
    for (const more of o.help.slice(1)) lines.push(`  ${' '.repeat(width)}${more}`);
  }
  return lines.join('\n') + '\n';
}

export interface ParsedOptions {
  str(name: string): string | undefined;
  bool(name: string): boolean;
  list(name: string): string[];
}

type ParseArgsOptions = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

/** Strict parse of one command's options: a typo or a stray word is a UserError naming the help. */
export function parseCommandOptions(argv: string[], table: OptionTable, command: string): ParsedOptions {
  const options: ParseArgsOptions = Object.fromEntries(
    table.map((o) => [
      o.name,
      { type: o.type, ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) },
    ]),
  );
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    const msg = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UserError([problem(msg, `see spreed-setup ${command} --help`)]);
  }
  // An empty value is never meant: `--root ""` (an unset $STAGE) would mean the live system.
  const empty = table.filter((o) => {
    const v = values[o.name];
    return v === '' || (Array.isArray(v) && v.some((x) => x === ''));
  });
  if (empty.length) {
    throw new UserError(empty.map((o) => problem(`--${o.name} is empty`, `give it a value, or leave --${o.name} out`)));
  }
  const root = values.root;
  const missing = typeof root === 'string' && table.some((o) => o.name === 'root') ? rootProblem(root) : undefined;
  if (missing) throw new UserError([missing]);
  return {
    str: (k) => {
      const v = values[k];
      return typeof v === 'string' ? v : undefined;
    },
    bool: (k) => values[k] === true,
    list: (k) => {
      const v = values[k];
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    },
  };
}
