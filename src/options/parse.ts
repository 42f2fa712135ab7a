// Option parsing in one place (node's parseArgs: strict, so a typo is an error, not ignored).
import { parseArgs } from 'node:util';
import { UserError, problem } from '../errors.js';

export interface SetupFlags {
  hostname?: string;
  nextcloud: string[];
  nats?: string;
  listen?: string;
  janus?: string;
  tlsCert?: string;
  tlsKey?: string;
  nginx?: string;
  serverVersion?: string;
  answers?: string;
  answersOut?: string;
  config?: string;
  root?: string;
  rotate: string[];
  yes: boolean;
  dryRun: boolean;
  restart: boolean;
  debug: boolean;
  help: boolean;
}


type OptionSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;

/** Options every command shares: where the installed setup is, and how to behave. */
export const COMMON_OPTIONS = {
  root: { type: 'string' },
  config: { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface ParsedOptions {
  str(name: string): string | undefined;
  bool(name: string): boolean;
  list(name: string): string[];
}

/** Strict parse of one command's options: a typo or a stray word is a UserError naming the help. */
export function parseCommandOptions(argv: string[], options: OptionSpec, command: string): ParsedOptions {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }) as { values: typeof values });
  } catch (err) {
    const msg = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UserError([problem(msg, `see spreed-setup ${command} --help`)]);
  }
  return {
    str: (k) => (typeof values[k] === 'string' ? (values[k] as string) : undefined),
    bool: (k) => values[k] === true,
    list: (k) => (Array.isArray(values[k]) ? (values[k] as string[]) : []),
  };
}

const SETUP_OPTIONS = {
  ...COMMON_OPTIONS,
  hostname: { type: 'string' },
  nextcloud: { type: 'string', multiple: true },
  nats: { type: 'string' },
  listen: { type: 'string' },
  janus: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  nginx: { type: 'string' },
  'server-version': { type: 'string' },
  answers: { type: 'string' },
  'answers-out': { type: 'string' },
  rotate: { type: 'string', multiple: true },
  'dry-run': { type: 'boolean' },
  restart: { type: 'boolean' },
} as const;

export function parseSetupArgs(argv: string[]): SetupFlags {
  const o = parseCommandOptions(argv, SETUP_OPTIONS, 'setup');
  const flags: SetupFlags = {
    nextcloud: o.list('nextcloud').flatMap((u) => u.split(/\s+/)).filter(Boolean),
    rotate: o.list('rotate'),
    yes: o.bool('yes'),
    dryRun: o.bool('dry-run'),
    restart: o.bool('restart'),
    debug: o.bool('debug'),
    help: o.bool('help'),
  };
  const assign = (key: keyof SetupFlags, opt: string) => {
    const v = o.str(opt);
    if (v !== undefined) (flags as unknown as Record<string, string>)[key] = v;
  };
  assign('hostname', 'hostname');
  assign('nats', 'nats');
  assign('listen', 'listen');
  assign('janus', 'janus');
  assign('tlsCert', 'tls-cert');
  assign('tlsKey', 'tls-key');
  assign('nginx', 'nginx');
  assign('serverVersion', 'server-version');
  assign('answers', 'answers');
  assign('answersOut', 'answers-out');
  assign('config', 'config');
  assign('root', 'root');
  return flags;
}
