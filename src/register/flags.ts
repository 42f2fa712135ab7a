// `register`'s options, parsed in one place (node's parseArgs, strict: a typo is an error).
import { UserError, problem, type Problem } from '../errors.js';
import { COMMON, parseCommandOptions, type OptionTable } from '../options/spec.js';
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
  /** Remove Talk's default STUN server once ours is listed. */
  dropDefaultStun: boolean;
  manual: boolean;
  showSecret: boolean;
  dryRun: boolean;
  timeoutSeconds: number;
  yes: boolean;
  debug: boolean;
}

/** Declared once: parsing and the Options section of `register --help` come from this table. */
export const REGISTER_OPTIONS: OptionTable = [
  { ...COMMON.root, label: '--root DIR, --config PATH', help: ['where the installed setup is (as for setup)'] },
  {
    name: 'url',
    type: 'string',
    arg: 'URL',
    help: ['the URL Talk should use (default https://HOST/standalone-signaling)'],
  },
  {
    name: 'backend',
    type: 'string',
    arg: 'ID',
    help: ['register only this backend (its Nextcloud); needed with several backends', 'when nothing is asked'],
  },
  {
    name: 'occ',
    type: 'string',
    arg: '"COMMAND"',
    help: [
      'how to run occ, split into words (no shell), e.g.',
      '"sudo -u www-data php /var/www/nextcloud/occ",',
      '"docker exec -u www-data nextcloud php occ"; default: detected (snap,',
      'NixOS, /var/www/…, /srv/…, Nextcloud AIO, a container of the nextcloud image)',
    ],
  },
  {
    name: 'occ-ssh',
    type: 'string',
    arg: 'USER@HOST',
    help: [
      'run occ on another host over ssh (batch mode, no TTY); --occ then names the',
      'command there (default "sudo -u www-data php /var/www/nextcloud/occ")',
    ],
  },
  {
    name: 'secret-choice',
    type: 'string',
    arg: 'C',
    help: [
      'Talk keeps ONE secret for all its signaling servers. When other servers use',
      "another secret: reuse-nextcloud (this backend takes over Talk's secret:",
      'secret file and server.conf rewritten, restart the server), replace-all',
      '(Talk gets ours: the other servers stop working), stop (change nothing)',
    ],
  },
  {
    name: 'unset-internal-mode',
    type: 'boolean',
    help: ['delete Talk\'s signaling_mode when it is "internal" (Talk ignores every', 'external server then)'],
  },
  { name: 'update-keys', type: 'boolean', help: ["repair Talk's hello-v2 key pair when verify-keys finds a mismatch"] },
  { name: 'no-verify', type: 'boolean', help: ["do not validate the server's TLS certificate (self-signed only)"] },
  {
    name: 'turn',
    type: 'string',
    arg: 'HOST:PORT',
    help: [
      'also give browsers this TURN server (idempotent); secret: the one setup',
      'configured, or --turn-secret-file PATH; --turn-schemes turn|turns|turn,turns',
      '(default turn), --turn-protocols udp|tcp|udp,tcp (default udp,tcp)',
    ],
  },
  { name: 'stun', type: 'string', arg: 'HOST:PORT', help: ['also add this STUN server (idempotent)'] },
  {
    name: 'drop-default-stun',
    type: 'boolean',
    help: ["remove Talk's default stun.nextcloud.com:443 once setup's TURN server is listed as STUN"],
  },
  {
    name: 'manual',
    type: 'boolean',
    help: ["do not run occ: print the values for Talk's admin page and the occ command"],
  },
  {
    name: 'show-secret',
    type: 'boolean',
    help: ['with --manual: print the secret itself (otherwise the path of its file)'],
  },
  { name: 'timeout', type: 'string', arg: 'SECONDS', help: ['give up on an occ call after this long (default 30)'] },
  { name: 'dry-run', type: 'boolean', help: ["read Talk's settings and show what would change; change nothing"] },
  { ...COMMON.yes, help: ['ask nothing (also implied without a terminal)'] },
  { ...COMMON.debug, help: ['stack traces for unexpected errors'] },
  COMMON.config,
  COMMON.help,
  { name: 'turn-schemes', type: 'string', help: [] },
  { name: 'turn-protocols', type: 'string', help: [] },
  { name: 'turn-secret-file', type: 'string', help: [] },
];

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

export function parseRegisterFlags(argv: string[]): RegisterFlags {
  const o = parseCommandOptions(argv, REGISTER_OPTIONS, 'register');
  const str = o.str;
  const values: Record<string, boolean> = Object.fromEntries(REGISTER_OPTIONS.map((d) => [d.name, o.bool(d.name)]));
  const problems: Problem[] = [];
  const flags: RegisterFlags = {
    unsetInternalMode: values['unset-internal-mode'] === true,
    updateKeys: values['update-keys'] === true,
    verify: values['no-verify'] !== true,
    turnSchemes: str('turn-schemes') ?? 'turn',
    turnProtocols: str('turn-protocols') ?? 'udp,tcp',
    dropDefaultStun: values['drop-default-stun'] === true,
    manual: values.manual === true,
    showSecret: values['show-secret'] === true,
    dryRun: values['dry-run'] === true,
    timeoutSeconds: 30,
    yes: values.yes === true,
    debug: values.debug === true,
  };
  for (const [key, opt] of [
    ['root', 'root'],
    ['config', 'config'],
    ['url', 'url'],
    ['occ', 'occ'],
    ['occSsh', 'occ-ssh'],
    ['backend', 'backend'],
    ['turn', 'turn'],
    ['turnSecretFile', 'turn-secret-file'],
    ['stun', 'stun'],
  ] as const) {
    const v = str(opt);
    if (v !== undefined) flags[key] = v;
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
    if (!ok)
      problems.push(
        problem(
          `--url "${flags.url}": expected the public base URL, e.g. https://hpb.example.org/standalone-signaling`,
        ),
      );
    else flags.url = flags.url.replace(/\/+$/, '');
  }
  if (flags.turn !== undefined && !HOST_PORT.test(flags.turn))
    problems.push(problem(`--turn "${flags.turn}": expected HOST:PORT, e.g. turn.example.org:3478`));
  if (flags.stun !== undefined && !HOST_PORT.test(flags.stun))
    problems.push(problem(`--stun "${flags.stun}": expected HOST:PORT, e.g. stun.example.org:3478`));
  if (!['turn', 'turns', 'turn,turns'].includes(flags.turnSchemes))
    problems.push(problem(`--turn-schemes "${flags.turnSchemes}": expected turn, turns or turn,turns`));
  if (!['udp', 'tcp', 'udp,tcp'].includes(flags.turnProtocols))
    problems.push(problem(`--turn-protocols "${flags.turnProtocols}": expected udp, tcp or udp,tcp`));
  if (problems.length) throw new UserError(problems);
  return flags;
}
