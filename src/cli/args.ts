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

const SETUP_OPTIONS = {
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
  config: { type: 'string' },
  root: { type: 'string' },
  rotate: { type: 'string', multiple: true },
  yes: { type: 'boolean', short: 'y' },
  'dry-run': { type: 'boolean' },
  restart: { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseSetupArgs(argv: string[]): SetupFlags {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: SETUP_OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    const msg = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UserError([problem(msg, 'see spreed-setup setup --help')]);
  }
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const list = (k: string) => (Array.isArray(values[k]) ? (values[k] as string[]) : []);
  const flags: SetupFlags = {
    nextcloud: list('nextcloud').flatMap((u) => u.split(/\s+/)).filter(Boolean),
    rotate: list('rotate'),
    yes: values.yes === true,
    dryRun: values['dry-run'] === true,
    restart: values.restart === true,
    debug: values.debug === true,
    help: values.help === true,
  };
  const assign = (key: keyof SetupFlags, opt: string) => {
    const v = str(opt);
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
