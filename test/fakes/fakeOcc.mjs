// @ts-check
// A stand-in for Nextcloud's `occ` with Talk installed, for tests. It models someone else's
// program, so it copies that program's behaviour and texts, including the awkward parts:
//   nextcloud/server  console.php                     wrong-user text (uid based), pcntl warning on stdout
//                     lib/private/Console/Application  --no-warnings, maintenance/upgrade: app commands vanish
//                     core/Command/Status.php          status --output=json
//                     core/Command/App/ListApps.php    app:list --output=json
//                     core/Command/Config/App/*.php    config:app:get (exit 1, silent, when unset) / delete
//                     core/Command/Base.php            json output = PHP json_encode (escaped slashes, [] when empty)
//   nextcloud/spreed  lib/Command/Signaling/{Add,ListCommand,Delete,VerifyKeys}.php
//                     lib/Command/Turn/{Add,ListCommand}.php, lib/Command/Stun/{Add,ListCommand}.php
//   symfony/console   "There are no commands defined in the "x" namespace." / "Command "x" is not defined."
//                     / "Not enough arguments (missing: "secret")." on stderr, exit 1; the command is
//                     found first, then Input/ArgvInput.php parses against its options and the
//                     global ones: "The "--x" option does not exist.", "... does not accept a value.",
//                     "... requires a value.", "Too many arguments to "c" command, ...", each with the
//                     command's synopsis after the block (Application::doRenderThrowable), exit 1
//
// runFakeOcc(argv, { stateFile, logFile }) runs one call in-process; occ.mjs is the same as an
// executable. State: the JSON file `stateFile` (absent = a fresh Nextcloud with Talk enabled).
// Written only when a command changes something, so read-only calls leave it byte-identical.
// Knobs in the state: installed, maintenance, needsUpgrade, talk ("enabled"|"disabled"|"missing"),
// talkVersion (talk:signaling:verify-keys exists from 21.1.1: lib/Command/Signaling/VerifyKeys.php,
// changelog 21.1.1), keysValid (false: the stored hello-v2 public key does not match; absent keys
// are created by the first verify-keys, as Config::getSignalingTokenPrivateKey does), requireUid (occ refuses other uids,
// like a config.php owned by that uid), pcntlMissing (warning on stdout without --no-warnings),
// hang (never answers). `logFile`, when given, gets one JSON line per call (argv) for tests.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

/**
 * @typedef {object} OccState
 * @property {boolean} installed
 * @property {boolean} maintenance
 * @property {boolean} needsUpgrade
 * @property {string} version
 * @property {string} versionstring
 * @property {'enabled' | 'disabled' | 'missing'} talk
 * @property {string} talkVersion
 * @property {boolean} keysValid
 * @property {boolean} pcntlMissing
 * @property {boolean} hang
 * @property {number} [requireUid]
 * @property {{ spreed: Record<string, string>; [app: string]: Record<string, string> }} appConfig oc_appconfig: values
 *   are strings, as Nextcloud stores them
 * @property {Record<string, string>} [systemConfig] config.php values (config:system:get)
 */
/** @typedef {Record<string, string | true | undefined>} Options Symfony's parsed options */
/** @typedef {{ server: string; verify: boolean }} SignalingServer */
/** @typedef {{ servers: SignalingServer[]; secret: string }} SignalingConfig talk:signaling:list's JSON, as Talk stores it */
/** @typedef {{ schemes: string; server: string; secret: string; protocols: string }} TurnServer */
/** @typedef {(args: string[], options: Options, output: string) => number | void} Command */
/**
 * What one call did. `hangs`: occ never answers (the caller waits until its own timeout); the
 * output is what it printed before.
 * @typedef {{ hangs: false; exitCode: number; stdout: string; stderr: string } | { hangs: true; stdout: string; stderr: string }} FakeOccResult
 */

/** @type {OccState} */
const defaults = {
  installed: true,
  maintenance: false,
  needsUpgrade: false,
  version: '30.0.5.1',
  versionstring: '30.0.5',
  talk: 'enabled',
  talkVersion: '20.1.3',
  keysValid: true,
  pcntlMissing: false,
  hang: false,
  appConfig: { spreed: {} },
};

// One call's state. runFakeOcc is synchronous from start to end, so calls never interleave.
/** @type {OccState} */
let state = defaults;
let dirty = false;
/** @type {string | undefined} */
let statePath;
let out = '';
let err = '';

const stdout = (line = '') => {
  out += line + '\n';
};
const stderr = (line = '') => {
  err += line + '\n';
};

/** How occ ends: thrown by finish() and symfonyError(), caught by runFakeOcc. */
class Exit {
  /** @param {number} code */
  constructor(code) {
    this.code = code;
  }
}

/**
 * Runs one occ call against the state file, like `occ ARGV…` would.
 * @param {string[]} argv
 * @param {{ stateFile?: string; logFile?: string; uid?: number }} [opts] uid: the caller's (default: this process's)
 * @returns {FakeOccResult}
 */
export function runFakeOcc(argv, opts = {}) {
  statePath = opts.stateFile;
  state = {
    ...structuredClone(defaults),
    ...(statePath && existsSync(statePath) ? JSON.parse(readFileSync(statePath, 'utf8')) : {}),
  };
  state.appConfig ??= { spreed: {} };
  state.appConfig.spreed ??= {};
  dirty = false;
  out = '';
  err = '';
  if (opts.logFile) appendFileSync(opts.logFile, JSON.stringify(argv) + '\n');
  try {
    start(argv, opts.uid ?? process.getuid?.() ?? 0);
    return { hangs: true, stdout: out, stderr: err };
  } catch (e) {
    if (e instanceof Exit) return { hangs: false, exitCode: e.code, stdout: out, stderr: err };
    throw e;
  }
}

/** PHP's json_encode: "/" escaped, non-ASCII as \uXXXX, an empty array is []. */
/** @param {unknown} value */
function phpJson(value) {
  /** @param {unknown} v */
  const norm = (v) => (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0 ? [] : v);
  return JSON.stringify(value, (_k, v) => norm(v))
    .replace(/\//g, '\\/')
    .replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/**
 * Symfony's rendering of an exception: a padded block on stderr.
 * @param {string} message
 * @param {string} [usage]
 * @returns {never}
 */
function symfonyError(message, usage) {
  const pad = ' '.repeat(message.length + 4);
  stderr();
  stderr(pad);
  stderr(`  ${message}  `);
  stderr(pad);
  stderr();
  if (usage) {
    stderr(usage);
    stderr();
  }
  throw new Exit(1);
}

/**
 * @param {number} code
 * @returns {never}
 */
function finish(code) {
  if (dirty && statePath) writeFileSync(statePath, JSON.stringify(state, null, 2) + '\n');
  throw new Exit(code);
}

/**
 * console.php: the owner check comes first, before anything else is loaded. Returns only when
 * occ hangs.
 * @param {string[]} argv
 * @param {number} uid
 */
function start(argv, uid) {
  if (state.requireUid !== undefined && uid !== state.requireUid) {
    const owner = state.requireUid;
    stdout('Console has to be executed with the user that owns the file config/config.php');
    stdout(`Current user id: ${uid}`);
    stdout(`Owner id of config.php: ${owner}`);
    stdout(`Try adding 'sudo -u #${owner}' to the beginning of the command (without the single quotes)`);
    stdout(
      `If running with 'docker exec' try adding the option '-u ${owner}' to the docker command (without the single quotes)`,
    );
    throw new Exit(1);
  }
  const noWarnings = argv.includes('--no-warnings');
  if (state.pcntlMissing && !noWarnings) {
    stdout(
      'The process control (PCNTL) extensions are required in case you want to interrupt long running commands - see https://www.php.net/manual/en/book.pcntl.php',
    );
    stdout("Additionally the function 'pcntl_signal' and 'pcntl_signal_dispatch' need to be enabled in your php.ini.");
  }
  if (!state.hang) main(argv, noWarnings);
}

/**
 * One option of a command's InputDefinition: `none` (VALUE_NONE), `required` (VALUE_REQUIRED),
 * `optional` (VALUE_OPTIONAL), `negatable` (VALUE_NEGATABLE: also --no-NAME); `short` its shortcut.
 * @typedef {{ mode: 'none' | 'required' | 'optional' | 'negatable'; short?: string }} OptionSpec
 */
/**
 * A command's definition: its options, its arguments (a trailing `...` = an array argument) and its
 * synopsis as Symfony prints it under an input error.
 * @typedef {{ options: Record<string, OptionSpec>; args: string[]; usage: string }} CommandSpec
 */

/** @type {Record<string, OptionSpec>} Application::getDefaultInputDefinition, plus occ's --no-warnings. */
const GLOBAL_OPTIONS = {
  help: { mode: 'none', short: 'h' },
  quiet: { mode: 'none', short: 'q' },
  verbose: { mode: 'none', short: 'v' },
  version: { mode: 'none', short: 'V' },
  ansi: { mode: 'negatable' },
  'no-interaction': { mode: 'none', short: 'n' },
  'no-warnings': { mode: 'none' },
};

/** @type {OptionSpec} core/Command/Base::configure: --output=[plain|json|json_pretty] */
const OUTPUT = { mode: 'optional' };

/**
 * Symfony's ArgvInput against a command's definition: options anywhere before `--`, `--opt=value`
 * or `--opt value`, short options and sets (`-vvv`); every input error is Symfony's, exit 1.
 * @param {string} command
 * @param {string[]} args the argv without the command name
 * @param {CommandSpec} spec
 */
function parseInput(command, args, spec) {
  const definition = { ...GLOBAL_OPTIONS, ...spec.options };
  /** @type {string[]} */
  const positionals = [];
  /** @type {Options} */
  const options = {};
  /** @type {(message: string) => never} */
  const fail = (message) => symfonyError(message, spec.usage);
  const byShort = (/** @type {string} */ c) => Object.keys(definition).find((n) => definition[n]?.short === c);
  /**
   * @param {string} name
   * @param {string | undefined} value
   * @param {number} i index of the token, for a value in the next one
   * @returns {number} the index of the last token used
   */
  const addLong = (name, value, i) => {
    const option = definition[name];
    if (!option) {
      const negated = name.startsWith('no-') ? definition[name.slice(3)] : undefined;
      if (negated?.mode !== 'negatable') fail(`The "--${name}" option does not exist.`);
      if (value !== undefined) fail(`The "--${name}" option does not accept a value.`);
      options[name.slice(3)] = undefined;
      return i;
    }
    const acceptsValue = option.mode === 'required' || option.mode === 'optional';
    if (value !== undefined && !acceptsValue) fail(`The "--${name}" option does not accept a value.`);
    if ((value === undefined || value === '') && acceptsValue && i + 1 < args.length) {
      const next = args[i + 1] ?? '';
      if (next === '' || next[0] !== '-') {
        value = next;
        i++;
      }
    }
    if (value === undefined) {
      if (option.mode === 'required') fail(`The "--${name}" option requires a value.`);
      options[name] = option.mode === 'optional' ? '' : true;
    } else options[name] = value;
    return i;
  };
  let onlyPositionals = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (onlyPositionals || a === '' || a[0] !== '-' || a === '-') {
      positionals.push(a);
      const last = spec.args[spec.args.length - 1] ?? '';
      if (positionals.length > spec.args.length && !last.endsWith('...')) {
        fail(
          spec.args.length
            ? `Too many arguments to "${command}" command, expected arguments "${spec.args.join('" "')}".`
            : `No arguments expected for "${command}" command, got "${a}".`,
        );
      }
    } else if (a === '--') onlyPositionals = true;
    else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      i = eq > 0 ? addLong(a.slice(2, eq), a.slice(eq + 1), i) : addLong(a.slice(2), undefined, i);
    } else {
      const set = a.slice(1);
      for (let j = 0; j < set.length; j++) {
        const name = byShort(set[j] ?? '');
        if (!name) fail(`The "-${set[j]}" option does not exist.`);
        const mode = definition[name]?.mode;
        if (mode === 'required' || mode === 'optional') {
          i = addLong(name, j === set.length - 1 ? undefined : set.slice(j + 1), i);
          break;
        }
        addLong(name, undefined, i);
      }
    }
  }
  return { positionals, options };
}

/**
 * @param {string} format
 * @param {unknown} value
 * @param {() => void} [plain]
 */
function writeOutput(format, value, plain) {
  if (format === 'json') stdout(phpJson(value));
  else if (format === 'json_pretty') stdout(JSON.stringify(value, null, 4).replace(/\//g, '\\/'));
  else plain?.();
}

/**
 * @param {object} items
 * @param {string} [prefix]
 */
function plainArray(items, prefix = '  - ') {
  for (const [k, v] of Object.entries(items)) {
    if (v && typeof v === 'object') {
      stdout(`${prefix}${k}:`);
      plainArray(v, '  ' + prefix);
    } else
      stdout(
        Array.isArray(items)
          ? `${prefix}${v}`
          : `${prefix}${k}: ${v === true ? 'true' : v === false ? 'false' : (v ?? '')}`,
      );
  }
}

/** @returns {SignalingConfig | [] | null} */
function signalingConfig() {
  const raw = state.appConfig.spreed.signaling_servers;
  try {
    return raw === undefined ? null : JSON.parse(raw);
  } catch {
    return null;
  }
}

/**
 * @param {string[]} argv
 * @param {boolean} noWarnings
 */
function main(argv, noWarnings) {
  // Application::doRun: the command name is the first argument that is not an option.
  const at = argv.findIndex((a) => a === '' || a[0] !== '-');
  const command = at >= 0 && !argv.slice(0, at).includes('--') ? argv[at] : undefined;
  const talkLoaded = state.installed && !state.needsUpgrade && !state.maintenance && state.talk === 'enabled';

  // Application::loadCommands: warnings on stderr unless --no-warnings.
  if (!noWarnings && command !== 'status') {
    if (state.needsUpgrade) {
      stderr('Nextcloud or one of the apps require upgrade - only a limited number of commands are available');
      stderr('You may use your browser or the occ upgrade command to do the upgrade');
    } else if (state.maintenance) {
      stderr('Nextcloud is in maintenance mode, no apps are loaded.');
      stderr('Commands provided by apps are unavailable.');
    } else if (!state.installed) {
      stderr('Nextcloud is not installed - only a limited number of commands are available');
    }
  }

  const talkCommands = {
    'talk:signaling:add': signalingAdd,
    'talk:signaling:list': signalingList,
    'talk:signaling:delete': signalingDelete,
    ...(versionAtLeast(state.talkVersion, '21.1.1') ? { 'talk:signaling:verify-keys': verifyKeys } : {}),
    'talk:turn:add': turnAdd,
    'talk:turn:list': turnList,
    'talk:turn:delete': turnDelete,
    'talk:stun:add': stunAdd,
    'talk:stun:list': stunList,
    'talk:stun:delete': stunDelete,
  };
  const core = {
    status,
    'app:list': appList,
    'app:getpath': appGetpath,
    'config:app:get': configAppGet,
    'config:app:delete': configAppDelete,
    'config:system:get': configSystemGet,
  };
  if (command === undefined) {
    stdout(`Nextcloud ${state.versionstring}`);
    finish(0);
  }
  /** @type {Record<string, Command | undefined>} */
  const available = { ...core, ...(talkLoaded ? talkCommands : {}) };
  const fn = available[command];
  if (!fn) {
    const ns = command.includes(':') ? command.slice(0, command.lastIndexOf(':')) : undefined;
    const known = Object.keys(available);
    if (ns && !known.some((c) => c.startsWith(ns + ':')))
      symfonyError(`There are no commands defined in the "${ns}" namespace.`);
    symfonyError(`Command "${command}" is not defined.`);
  }
  const { positionals, options } = parseInput(
    command,
    argv.filter((_a, i) => i !== at),
    /** @type {CommandSpec} */ (COMMANDS[command]),
  );
  const output = typeof options.output === 'string' && options.output !== '' ? options.output : 'plain';
  finish(fn(positionals, options, output) ?? 0);
}

/** @type {Record<string, CommandSpec>} Each command's configure(): options, arguments, synopsis. */
const COMMANDS = {
  status: {
    options: { output: OUTPUT, 'exit-code': { mode: 'none', short: 'e' } },
    args: [],
    usage: 'status [--output [OUTPUT]] [-e|--exit-code]',
  },
  'app:list': {
    options: { output: OUTPUT, shipped: { mode: 'required' } },
    args: [],
    usage: 'app:list [--output [OUTPUT]] [--shipped SHIPPED]',
  },
  'app:getpath': { options: { output: OUTPUT }, args: ['app'], usage: 'app:getpath [--output [OUTPUT]] [--] <app>' },
  'config:app:get': {
    options: { output: OUTPUT, details: { mode: 'none' }, 'default-value': { mode: 'optional' } },
    args: ['app', 'name'],
    usage: 'config:app:get [--output [OUTPUT]] [--details] [--default-value [DEFAULT-VALUE]] [--] <app> <name>',
  },
  'config:app:delete': {
    options: { 'error-if-not-exists': { mode: 'none' } },
    args: ['app', 'name'],
    usage: 'config:app:delete [--error-if-not-exists] [--] <app> <name>',
  },
  'config:system:get': {
    options: { output: OUTPUT, 'default-value': { mode: 'optional' } },
    args: ['name...'],
    usage: 'config:system:get [--output [OUTPUT]] [--default-value [DEFAULT-VALUE]] [--] <name>...',
  },
  // lib/Command/Signaling/Add.php: its configure() skips parent::configure(), so no --output.
  'talk:signaling:add': {
    options: { verify: { mode: 'none' } },
    args: ['server', 'secret'],
    usage: 'talk:signaling:add [--verify] [--] <server> <secret>',
  },
  'talk:signaling:list': { options: { output: OUTPUT }, args: [], usage: 'talk:signaling:list [--output [OUTPUT]]' },
  'talk:signaling:delete': { options: {}, args: ['server'], usage: 'talk:signaling:delete <server>' },
  'talk:signaling:verify-keys': {
    options: { output: OUTPUT, update: { mode: 'none' } },
    args: [],
    usage: 'talk:signaling:verify-keys [--output [OUTPUT]] [--update]',
  },
  'talk:turn:add': {
    options: { secret: { mode: 'required' }, 'generate-secret': { mode: 'none' } },
    args: ['schemes', 'server', 'protocols'],
    usage: 'talk:turn:add [--secret SECRET] [--generate-secret] [--] <schemes> <server> <protocols>',
  },
  'talk:turn:list': { options: { output: OUTPUT }, args: [], usage: 'talk:turn:list [--output [OUTPUT]]' },
  'talk:turn:delete': {
    options: {},
    args: ['schemes', 'server', 'protocols'],
    usage: 'talk:turn:delete <schemes> <server> <protocols>',
  },
  'talk:stun:add': { options: {}, args: ['server'], usage: 'talk:stun:add <server>' },
  'talk:stun:delete': { options: {}, args: ['server'], usage: 'talk:stun:delete <server>' },
  'talk:stun:list': { options: { output: OUTPUT }, args: [], usage: 'talk:stun:list [--output [OUTPUT]]' },
};

/** @param {string} command */
const usageOf = (command) => COMMANDS[command]?.usage ?? command;

/**
 * `a` >= `b`, both dotted versions.
 * @param {string} a
 * @param {string} b
 */
function versionAtLeast(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d > 0;
  }
  return true;
}

/**
 * Symfony's check of the required arguments; returns them.
 * @template {readonly string[]} const N
 * @param {string[]} args
 * @param {N} names
 * @param {string} usage
 * @returns {{ -readonly [K in keyof N]: string }}
 */
function required(args, names, usage) {
  const missing = names.filter((_n, i) => args[i] === undefined);
  if (missing.length) symfonyError(`Not enough arguments (missing: "${missing.join(', ')}").`, usage);
  return /** @type {{ -readonly [K in keyof N]: string }} */ (/** @type {unknown} */ (args));
}

// core/Command/Status.php (Nextcloud 25+ fields)
/** @type {Command} */
function status(_args, _options, output) {
  const values = {
    installed: state.installed,
    version: state.version,
    versionstring: state.versionstring,
    edition: '',
    maintenance: state.maintenance,
    needsDbUpgrade: state.needsUpgrade,
    productname: 'Nextcloud',
    extendedSupport: false,
  };
  writeOutput(output, values, () => plainArray(values));
}

// core/Command/App/ListApps.php
/** @type {Command} */
function appList(_args, _options, output) {
  const enabled = {
    activity: '3.0.0',
    dav: '1.31.1',
    files: '2.2.0',
    ...(state.talk === 'enabled' ? { spreed: state.talkVersion } : {}),
  };
  const disabled = { ...(state.talk === 'disabled' ? { spreed: null } : {}), weather_status: null };
  /** @param {Record<string, string | null>} o */
  const sort = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
  const apps = { enabled: sort(enabled), disabled: sort(disabled) };
  if (output === 'plain') {
    stdout('Enabled:');
    plainArray(apps.enabled);
    stdout('Disabled:');
    plainArray(apps.disabled);
  } else writeOutput(output, apps);
}

/** @type {Command} */
function appGetpath(args) {
  if (args[0] === 'spreed' && state.talk !== 'missing') {
    stdout('/var/www/nextcloud/apps/spreed');
    return 0;
  }
  if (['activity', 'dav', 'files', 'weather_status'].includes(args[0] ?? '')) {
    stdout(`/var/www/nextcloud/apps/${args[0]}`);
    return 0;
  }
  return 1;
}

// core/Command/Config/App/GetConfig.php: unset -> exit 1 and nothing printed
/** @type {Command} */
function configAppGet(args, options, output) {
  const [app, name] = required(args, ['app', 'name'], usageOf('config:app:get'));
  const value = state.appConfig[app]?.[name];
  if (value === undefined) {
    if (options['default-value'] === undefined) return 1;
    writeOutput(output, options['default-value'], () => stdout(String(options['default-value'])));
    return 0;
  }
  writeOutput(output, value, () => stdout(String(value)));
  return 0;
}

// core/Command/Config/System/GetConfig.php: like config:app:get (unset -> exit 1, silent)
/** @type {Command} */
function configSystemGet(args, options, output) {
  const [name] = required(args, ['name'], usageOf('config:system:get'));
  const value = state.systemConfig?.[name];
  if (value === undefined) {
    if (options['default-value'] === undefined) return 1;
    writeOutput(output, options['default-value'], () => stdout(String(options['default-value'])));
    return 0;
  }
  writeOutput(output, value, () => stdout(String(value)));
  return 0;
}

// core/Command/Config/App/DeleteConfig.php: exit 0 also when it did not exist
/** @type {Command} */
function configAppDelete(args, options) {
  const [app, name] = required(args, ['app', 'name'], usageOf('config:app:delete'));
  const values = state.appConfig[app];
  const exists = values && name in values;
  if (options['error-if-not-exists'] && !exists) {
    stdout(`Config ${name} of app ${app} could not be deleted because it did not exist`);
    return 1;
  }
  if (exists) {
    delete values[name];
    dirty = true;
  }
  stdout(`Config value ${name} of app ${app} deleted`);
  return 0;
}

// lib/Command/Signaling/Add.php: appends without a duplicate check; the secret is global.
/** @type {Command} */
function signalingAdd(args, options) {
  const [server, secret] = required(args, ['server', 'secret'], usageOf('talk:signaling:add'));
  if (server.trim() === '') {
    stdout('Server cannot be empty.');
    return 1;
  }
  if (secret.trim() === '') {
    stdout('Secret cannot be empty.');
    return 1;
  }
  const signaling = signalingConfig();
  const servers =
    signaling && typeof signaling === 'object' && !Array.isArray(signaling) && Array.isArray(signaling.servers)
      ? signaling.servers
      : [];
  servers.push({ server, verify: options.verify === true });
  state.appConfig.spreed.signaling_servers = phpJson({ servers, secret });
  dirty = true;
  stdout(`Added signaling server ${server}.`);
  return 0;
}

// lib/Command/Signaling/ListCommand.php: [] when never configured; prints the secret.
/** @type {Command} */
function signalingList(_args, _options, output) {
  let signaling = signalingConfig();
  if (!signaling || typeof signaling !== 'object') signaling = [];
  writeOutput(output, signaling, () => plainArray(signaling, ''));
}

// lib/Command/Signaling/Delete.php: removes every exact match; exit 0 either way.
/** @type {Command} */
function signalingDelete(args) {
  const [server] = required(args, ['server'], usageOf('talk:signaling:delete'));
  let signaling = signalingConfig();
  if (!signaling || typeof signaling !== 'object' || Array.isArray(signaling) || Object.keys(signaling).length === 0)
    signaling = { servers: [], secret: '' };
  const count = signaling.servers.length;
  signaling.servers = signaling.servers.filter((s) => s.server !== server);
  state.appConfig.spreed.signaling_servers = phpJson(signaling);
  dirty = true;
  stdout(count > signaling.servers.length ? `Deleted ${server}.` : 'There is nothing to delete.');
  return 0;
}

// lib/Command/Signaling/VerifyKeys.php
/** @type {Command} */
function verifyKeys(_args, options) {
  // Config::getSignalingTokenPrivateKey creates and stores the pair when there is none.
  const spreed = state.appConfig.spreed;
  if (spreed.signaling_token_privkey_es256 === undefined && state.keysValid) {
    spreed.signaling_token_privkey_es256 = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAstored\n-----END PRIVATE KEY-----';
    spreed.signaling_token_pubkey_es256 =
      '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEstored\n-----END PUBLIC KEY-----';
    dirty = true;
  }
  const stored = state.keysValid
    ? 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEstored'
    : 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEstale';
  const derived = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEstored';
  /** @param {string} k */
  const pem = (k) => `-----BEGIN PUBLIC KEY-----\n${k}\n-----END PUBLIC KEY-----`;
  stdout('Stored public key:');
  stdout(pem(stored));
  stdout('Derived public key:');
  stdout(pem(derived));
  if (stored !== derived) {
    if (options.update) {
      stdout('Stored public key for algorithm es256 did not match stored private key.');
      stdout('A new public key was created and stored.');
      state.keysValid = true;
      dirty = true;
      return 0;
    }
    stdout('Stored public key for algorithm es256 does not match stored private key');
    return 1;
  }
  stdout('Stored public key for algorithm es256 matches stored private key');
  return 0;
}

// lib/Command/Turn/Add.php (Talk 17+: schemes first; duplicate check)
/** @type {Command} */
function turnAdd(args, options) {
  let [schemes, server, protocols] = required(args, ['schemes', 'server', 'protocols'], usageOf('talk:turn:add'));
  const secret = typeof options.secret === 'string' ? options.secret : null;
  const generate = options['generate-secret'] === true;
  if (!['turn', 'turns', 'turn,turns'].includes(schemes)) {
    stdout('Not allowed schemes, must be turn or turns or turn,turns.');
    return 1;
  }
  if (!['tcp', 'udp', 'udp,tcp'].includes(protocols)) {
    stdout('Not allowed protocols, must be udp or tcp or udp,tcp.');
    return 1;
  }
  if (server.trim() === '') {
    stdout('Server cannot be empty.');
    return 1;
  }
  if ((!generate && secret === null) || (generate && secret !== null)) {
    stdout('You must provide --secret or --generate-secret.');
    return 1;
  }
  if (!generate && secret?.trim() === '') {
    stdout('Secret cannot be empty.');
    return 1;
  }
  const value = generate || secret === null ? Math.random().toString(16).slice(2).padEnd(40, '0') : secret;
  server = server.replace(/^https:\/\//i, '').replace(/^http:\/\//i, '');
  /** @type {TurnServer[]} */
  const servers = JSON.parse(state.appConfig.spreed.turn_servers ?? '[]');
  if (servers.some((s) => s.schemes === schemes && s.server === server && s.protocols === protocols)) {
    stdout('Server already exists with the same configuration.');
    return 1;
  }
  servers.push({ schemes, server, secret: value, protocols });
  state.appConfig.spreed.turn_servers = phpJson(servers);
  dirty = true;
  stdout(`Added ${server}.`);
  return 0;
}

/** @type {Command} */
function turnList(_args, _options, output) {
  let servers = JSON.parse(state.appConfig.spreed.turn_servers ?? 'null');
  if (!Array.isArray(servers)) servers = [];
  writeOutput(output, servers, () => plainArray(servers, ''));
}

// lib/Command/Turn/Delete.php: removes every entry matching schemes, server and protocols (the
// secret is not compared); exit 0 either way.
/** @type {Command} */
function turnDelete(args) {
  const [schemes, server, protocols] = required(args, ['schemes', 'server', 'protocols'], usageOf('talk:turn:delete'));
  /** @type {TurnServer[]} */
  let servers = JSON.parse(state.appConfig.spreed.turn_servers ?? '[]');
  if (!Array.isArray(servers)) servers = [];
  const kept = servers.filter((s) => s.schemes !== schemes || s.server !== server || s.protocols !== protocols);
  state.appConfig.spreed.turn_servers = phpJson(kept);
  dirty = true;
  stdout(kept.length < servers.length ? `Deleted ${server}.` : 'There is nothing to delete.');
  return 0;
}

// lib/Command/Stun/Delete.php: removes every occurrence; deleting the last one puts Talk's default back.
/** @type {Command} */
function stunDelete(args) {
  const [server] = required(args, ['server'], usageOf('talk:stun:delete'));
  /** @type {string[]} */
  const servers = JSON.parse(state.appConfig.spreed.stun_servers ?? '["stun.nextcloud.com:443"]');
  const kept = servers.filter((s) => s !== server);
  if (kept.length === 0) {
    state.appConfig.spreed.stun_servers = phpJson(['stun.nextcloud.com:443']);
    stdout('You deleted all STUN servers. A default STUN server was added.');
  } else {
    state.appConfig.spreed.stun_servers = phpJson(kept);
    stdout(kept.length < servers.length ? `Deleted ${server}.` : 'There is nothing to delete.');
  }
  dirty = true;
  return 0;
}

// lib/Command/Stun/Add.php (duplicate check; host:port only)
/** @type {Command} */
function stunAdd(args) {
  const [server] = required(args, ['server'], usageOf('talk:stun:add'));
  // PHP's parse_url: an optional scheme://, then host (an IPv6 literal in brackets) and port;
  // stored as "$host:$port" (the scheme dropped).
  const m = /^(?:[a-z][a-z0-9+.-]*:\/\/)?(\[[0-9a-f:.]+\]|[^:/\s[\]]+):(\d+)\/?$/i.exec(server);
  if (!m || Number(m[2]) === 0) {
    stdout('Incorrect value. Must be stunserver:port.');
    return 1;
  }
  const value = `${m[1]}:${Number(m[2])}`;
  /** @type {string[]} */
  const servers = JSON.parse(state.appConfig.spreed.stun_servers ?? '["stun.nextcloud.com:443"]');
  if (servers.includes(value)) {
    stdout('Server already exists.');
    return 1;
  }
  servers.push(value);
  state.appConfig.spreed.stun_servers = phpJson(servers);
  dirty = true;
  stdout(`Added ${value}.`);
  return 0;
}

/** @type {Command} */
function stunList(_args, _options, output) {
  const servers = JSON.parse(state.appConfig.spreed.stun_servers ?? '["stun.nextcloud.com:443"]');
  writeOutput(output, servers, () => plainArray(servers));
}
