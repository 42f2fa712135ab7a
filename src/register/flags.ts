// `register`'s options, parsed in one place (node's parseArgs, strict: a typo is an error).
import { UserError, problem, type Problem } from '../errors.js';
import { COMMON_OPTIONS, parseCommandOptions } from '../options/parse.js';
import { SECRET_CHOICES, type SecretChoice } from './decide.js';

export interface RegisterFlags {
  root?: string;
  config?: string;
  url?: string;
  occ?: string;
  occSsh?: string;
  backend?: string;
  secretChoice?: SecretChoice;
  unsetInternalMode: boolean;
  updateKeys: boolean;
  verify: boolean;
  turn?: string;
  turnSchemes: string;
  turnProtocols: string;
  turnSecretFile?: string;
  stun?: string;
  manual: boolean;
  showSecret: boolean;
  dryRun: boolean;
  timeoutSeconds: number;
  yes: boolean;
  debug: boolean;
}

const OPTIONS = {
  ...COMMON_OPTIONS,
  url: { type: 'string' },
  occ: { type: 'string' },
  'occ-ssh': { type: 'string' },
  backend: { type: 'string' },
  'secret-choice': { type: 'string' },
  'unset-internal-mode': { type: 'boolean' },
  'update-keys': { type: 'boolean' },
  'no-verify': { type: 'boolean' },
  turn: { type: 'string' },
  'turn-schemes': { type: 'string' },
  'turn-protocols': { type: 'string' },
  'turn-secret-file': { type: 'string' },
  stun: { type: 'string' },
  manual: { type: 'boolean' },
  'show-secret': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  timeout: { type: 'string' },
} as const;

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

export function parseRegisterFlags(argv: string[]): RegisterFlags {
  const o = parseCommandOptions(argv, OPTIONS, 'register');
  const str = o.str;
  const values: Record<string, boolean> = Object.fromEntries(Object.keys(OPTIONS).map((k) => [k, o.bool(k)]));
  const problems: Problem[] = [];
  const flags: RegisterFlags = {
    unsetInternalMode: values['unset-internal-mode'] === true,
    updateKeys: values['update-keys'] === true,
    verify: values['no-verify'] !== true,
    turnSchemes: str('turn-schemes') ?? 'turn',
    turnProtocols: str('turn-protocols') ?? 'udp,tcp',
    manual: values.manual === true,
    showSecret: values['show-secret'] === true,
    dryRun: values['dry-run'] === true,
    timeoutSeconds: 30,
    yes: values.yes === true,
    debug: values.debug === true,
  };
  for (const [key, opt] of [['root', 'root'], ['config', 'config'], ['url', 'url'], ['occ', 'occ'], ['occSsh', 'occ-ssh'], ['backend', 'backend'], ['turn', 'turn'], ['turnSecretFile', 'turn-secret-file'], ['stun', 'stun']] as const) {
    const v = str(opt);
    if (v !== undefined) (flags as unknown as Record<string, string>)[key] = v;
  }
  const choice = str('secret-choice');
  if (choice !== undefined) {
    if ((SECRET_CHOICES as readonly string[]).includes(choice)) flags.secretChoice = choice as SecretChoice;
    else problems.push(problem(`--secret-choice "${choice}": expected ${SECRET_CHOICES.join(', ')}`));
  }
  const timeout = str('timeout');
  if (timeout !== undefined) {
    if (/^\d+$/.test(timeout) && Number(timeout) > 0) flags.timeoutSeconds = Number(timeout);
    else problems.push(problem(`--timeout "${timeout}": expected a number of seconds`));
  }
  if (flags.url !== undefined) {
    let ok = false;
    try {
      const u = new URL(flags.url);
      ok = (u.protocol === 'https:' || u.protocol === 'http:') && !u.search && !u.hash;
    } catch {
      /* not a URL */
    }
    if (!ok) problems.push(problem(`--url "${flags.url}": expected the public base URL, e.g. https://hpb.example.org/standalone-signaling`));
    else flags.url = flags.url.replace(/\/+$/, '');
  }
  if (flags.turn !== undefined && !HOST_PORT.test(flags.turn)) problems.push(problem(`--turn "${flags.turn}": expected HOST:PORT, e.g. turn.example.org:3478`));
  if (flags.stun !== undefined && !HOST_PORT.test(flags.stun)) problems.push(problem(`--stun "${flags.stun}": expected HOST:PORT, e.g. stun.example.org:3478`));
  if (!['turn', 'turns', 'turn,turns'].includes(flags.turnSchemes)) problems.push(problem(`--turn-schemes "${flags.turnSchemes}": expected turn, turns or turn,turns`));
  if (!['udp', 'tcp', 'udp,tcp'].includes(flags.turnProtocols)) problems.push(problem(`--turn-protocols "${flags.turnProtocols}": expected udp, tcp or udp,tcp`));
  if (problems.length) throw new UserError(problems);
  return flags;
}
