// `install`'s options, declared once: parsing and the help text both come from INSTALL_OPTIONS.
import { UserError, problem } from '../errors.js';
import { COMMON, optionsHelp, parseCommandOptions, withHelp, type OptionTable } from './spec.js';

/** The ways, as --method spells them (plan/install.ts holds what each does). */
export const METHOD_NAMES = ['package', 'debian-pinned', 'container'] as const;
export type MethodName = (typeof METHOD_NAMES)[number];

export interface InstallFlags {
  root?: string;
  config?: string;
  method?: MethodName;
  aptMirror?: string;
  aptKeyring?: string;
  removePin: boolean;
  yes: boolean;
  dryRun: boolean;
  debug: boolean;
  help: boolean;
}

export const INSTALL_OPTIONS: OptionTable = [
  {
    name: 'method',
    type: 'string',
    arg: 'WAY',
    help: [
      "package: the distribution's package (when it is new enough)",
      "debian-pinned: Debian's newer package through an apt source pinned to it alone",
      "container: upstream's image under a systemd unit (docker or podman)",
    ],
  },
  {
    name: 'apt-mirror',
    type: 'string',
    arg: 'URI',
    help: ["the Debian mirror for debian-pinned (default: the one this machine's apt sources use)"],
  },
  {
    name: 'apt-keyring',
    type: 'string',
    arg: 'PATH',
    help: ["the keyring apt checks that mirror with (default: Debian's archive keyring)"],
  },
  {
    name: 'remove-pin',
    type: 'boolean',
    help: ['remove the apt source and pin debian-pinned wrote (the package stays)'],
  },
  withHelp(COMMON.root, 'stage the files under DIR (apt is not run there)'),
  withHelp(COMMON.config, 'server.conf path, when not the package default'),
  { name: 'dry-run', type: 'boolean', help: ['show the files and commands, change nothing'] },
  withHelp(COMMON.yes, 'go ahead without asking (needed without a terminal)'),
  withHelp(COMMON.debug, 'show stack traces for unexpected errors'),
  COMMON.help,
];

export const INSTALL_HELP = `spreed-setup install: get a signaling server current Nextcloud Talk accepts

Usage:
  spreed-setup install [--method package|debian-pinned|container] [--apt-mirror URI [--apt-keyring PATH]]
                       [--root DIR] [--dry-run] [--yes]
  spreed-setup install --remove-pin [--dry-run] [--yes]

Options:
${optionsHelp(INSTALL_OPTIONS, 20)}
Detects the installed server; when it is missing or older than what Talk needs, shows the files
(apt source and pin, or the unit) and the commands of the chosen way, and carries them out.
Without --method the first way that works here is taken.

Exit codes: 0 done (or nothing to do), 1 a command failed (files put back), 2 bad input.
`;

export function parseInstallArgs(argv: string[]): InstallFlags {
  const o = parseCommandOptions(argv, INSTALL_OPTIONS, 'install');
  const method = o.str('method');
  if (method !== undefined && !(METHOD_NAMES as readonly string[]).includes(method))
    throw new UserError([problem(`unknown --method "${method}"`, `use one of: ${METHOD_NAMES.join(', ')}`)]);
  const flags: InstallFlags = {
    removePin: o.bool('remove-pin'),
    yes: o.bool('yes'),
    dryRun: o.bool('dry-run'),
    debug: o.bool('debug'),
    help: o.bool('help'),
  };
  if (method) flags.method = method as MethodName;
  for (const [opt, key] of [
    ['root', 'root'],
    ['config', 'config'],
    ['apt-mirror', 'aptMirror'],
    ['apt-keyring', 'aptKeyring'],
  ] as const) {
    const v = o.str(opt);
    if (v !== undefined) flags[key] = v;
  }
  if (flags.removePin && flags.method)
    throw new UserError([problem('--remove-pin and --method do not go together', 'give one of them')]);
  return flags;
}
