// What the checks read from the installed setup: server.conf by the server's own rules, the state
// file `setup` left (public hostname, base path, nginx ports) and the secret values. Unlike
// loadInstalled it never throws for a broken config: a broken config is the first check's finding.
import { existsSync, readFileSync } from 'node:fs';
import { detectLayout } from '../detect/layout.js';
import { journalPath } from '../apply/journal.js';
import { Target } from '../io/target.js';
import type { Layout } from '../model/layout.js';
import { readSecretFile } from '../detect/existing.js';
import { readState } from '../detect/installed.js';
import { GoconfSyntaxError, parseGoconf, type Environment, type GoconfDocument } from '../goconf/parse.js';
import { deploymentFromConf, type ConfReading, type EnvSetting } from '../goconf/toModel.js';
import { TurnSetupSchema, type DeploymentInput, type TurnSetup } from '../model/deployment.js';
import { COTURN, DEFAULT_BASE_PATH, JANUS } from '../model/defaults.js';
import { problem, UserError } from '../errors.js';
import { publicSignalingUrl } from '../model/urls.js';
import { secretSpecsFor } from '../secrets/secrets.js';

export interface CheckBackend {
  id: string;
  urls: string[];
}

export interface CheckSetup {
  target: Target;
  layout: Layout;
  /** server.conf as the user knows it (without the --root prefix). */
  configPath: string;
  /** Parsed document; undefined when the file does not parse. */
  doc?: GoconfDocument;
  parseError?: string;
  reading?: ConfReading;
  /** `[http] listen` (first address), e.g. 127.0.0.1:8080. */
  listen?: string;
  backends: CheckBackend[];
  nats?: DeploymentInput['nats'];
  mcu?: DeploymentInput['mcu'];
  /** secret name (hashkey, blockkey, internalsecret, backend-<id>) -> value; never printed. */
  secrets: Map<string, string>;
  /** Secrets the server takes from its environment, which `env` does not tell: name -> where. */
  secretsFromEnv: Map<string, EnvSetting>;
  /** The server's environment as far as the caller knows it (not this shell's). */
  env: Environment;
  /** The journal an interrupted spreed-setup run left (its files may be half-applied). */
  interrupted?: string;
  /** `https://HOST[:PORT]/standalone-signaling` from the state file, when known. */
  publicUrl?: string;
  /** The server version setup rendered the files for (recorded in the state file). */
  renderedFor?: string;
  /** The concurrent sessions setup sized the install for (`--sessions`, in the state file). */
  sessions?: number;
  /** The public host name (state file). */
  hostname?: string;
  /** The TURN server setup configured (state file). */
  turnServer?: TurnSetup;
  /** coturn's config as it is on disk now (local TURN only), or why it could not be read. */
  coturnConf?: { text: string } | { error: string };
  /** The nginx certificate paths recorded by setup (for turns). */
  nginx?: DeploymentInput['nginx'];
  /** Janus's config files on this host as they are on disk now (those that could be read), for causes. */
  janusConf?: JanusConf;
}

/** Janus's own files on this host: janus.jcfg, the websockets transport, the event handler. */
export interface JanusConf {
  main?: string;
  websockets?: string;
  events?: string;
}

/** Reads the Janus files that exist on this host (Janus on a loopback URL is this host's Janus). */
function readJanusConf(target: Target): JanusConf | undefined {
  const conf: JanusConf = {};
  const files = { main: JANUS.mainFile, websockets: JANUS.websocketsFile, events: JANUS.eventsFile } as const;
  for (const [k, name] of Object.entries(files) as [keyof JanusConf, string][]) {
    try {
      conf[k] = readFileSync(target.path(`${JANUS.configDir}/${name}`), 'utf8');
    } catch {
      /* absent or unreadable: that file tells no cause */
    }
  }
  return Object.keys(conf).length ? conf : undefined;
}

/**
 * Reads the installed setup as the server that setup rendered for reads it (`env`: the service's
 * environment, when known). Throws a UserError (exit 2) only when there is no server.conf at all.
 */
export function readCheckSetup(opts: { root?: string; config?: string; env?: Environment }): CheckSetup {
  const target = new Target(opts.root);
  const layout = detectLayout(target, opts.config);
  const file = target.path(layout.configPath);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new UserError([
        existsSync(journalPath(target, layout.configPath))
          ? problem(
              `no server.conf at ${file}: an earlier spreed-setup run was interrupted while writing`,
              "run spreed-setup setup again: taking its lock, it first puts that run's files back",
            )
          : problem(
              `no server.conf at ${file}`,
              'run spreed-setup setup first, or pass --config PATH (and --root DIR if staged)',
            ),
      ]);
    }
    throw new UserError([
      problem(
        `cannot read ${file}: ${code ?? (err as Error).message}`,
        code === 'EACCES' ? 'run as root (sudo)' : 'make it a readable file',
      ),
    ]);
  }
  const setup: CheckSetup = {
    target,
    layout,
    configPath: layout.configPath,
    backends: [],
    secrets: new Map(),
    secretsFromEnv: new Map(),
    env: opts.env ?? {},
  };
  const journal = journalPath(target, layout.configPath);
  if (existsSync(journal)) setup.interrupted = journal;
  const state = readState(target, layout);
  if (state.renderedFor) setup.renderedFor = state.renderedFor;
  if (typeof state.input.sessions === 'number') setup.sessions = state.input.sessions;
  if (typeof state.input.hostname === 'string') setup.hostname = state.input.hostname;
  if (state.input.nginx) setup.nginx = state.input.nginx;
  const turn = TurnSetupSchema.safeParse(state.input.turnServer ?? { mode: 'none' });
  if (turn.success) setup.turnServer = turn.data;
  if (setup.turnServer?.mode === 'local') {
    try {
      setup.coturnConf = { text: readFileSync(target.path(COTURN.configPath), 'utf8') };
    } catch (err) {
      setup.coturnConf = { error: (err as NodeJS.ErrnoException).code ?? 'unreadable' };
    }
  }
  try {
    setup.doc = parseGoconf(text);
  } catch (err) {
    if (!(err instanceof GoconfSyntaxError)) throw err;
    setup.parseError = err.message;
    return setup;
  }
  const reading = deploymentFromConf(setup.doc, { version: state.renderedFor, env: setup.env });
  setup.reading = reading;
  const input = reading.input;
  if (input.listen) setup.listen = input.listen;
  // A backend whose URL comes from the server's environment cannot be probed from here.
  const urlFromEnv = new Set(reading.fromEnv.filter((e) => e.key === 'url' || e.key === 'urls').map((e) => e.section));
  setup.backends = (input.backends ?? [])
    .filter((b) => !urlFromEnv.has(b.id))
    .map((b) => ({ id: b.id, urls: [...b.urls] }));
  if (input.nats) setup.nats = input.nats;
  if (input.mcu) setup.mcu = input.mcu;
  if (
    input.mcu?.type === 'janus' &&
    /^wss?:\/\/(127\.0\.0\.1|\[::1\]|localhost)[:/]/.test(input.mcu.url ?? 'ws://127.0.0.1/')
  ) {
    const janusConf = readJanusConf(target);
    if (janusConf) setup.janusConf = janusConf;
  }
  for (const [k, v] of reading.secrets) setup.secrets.set(k, v);
  for (const e of reading.fromEnv) if (e.secret) setup.secretsFromEnv.set(e.secret, e);
  // Secret files fill what server.conf does not hold (never override it: the server reads server.conf).
  for (const { name } of secretSpecsFor({ backends: setup.backends, turn: input.turn })) {
    if (setup.secrets.has(name) || setup.secretsFromEnv.has(name)) continue;
    try {
      const v = readSecretFile(target, layout.secretsDir, name);
      if (v !== undefined) setup.secrets.set(name, v);
    } catch {
      /* unreadable secret file: the config check reports the missing value */
    }
  }
  if (state.input.hostname) {
    setup.publicUrl = publicSignalingUrl({
      hostname: state.input.hostname,
      basePath: state.input.basePath ?? DEFAULT_BASE_PATH,
      nginx: { httpsPort: state.input.nginx?.httpsPort ?? 443 },
    });
  }
  return setup;
}
