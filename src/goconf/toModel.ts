// Turns a parsed server.conf into the model's terms: the values the model manages, the secret
// values (kept apart from the model), and everything else as pass-through; every value read as the
// server of the given version reads it (`%(name)s`, booleans, `$(VAR)`).
import type { DeploymentInput } from '../model/deployment.js';
import { DEFAULT_JANUS_URL, DEFAULT_LOCAL_NATS } from '../model/defaults.js';
import { MANAGED_KEYS } from '../model/placement.js';
import { traitsFor } from '../model/versions.js';
import {
  envReferences,
  fromEnvironmentText,
  getValue,
  interpolationProblem,
  readBool,
  readServerValue,
  splitList,
  splitSpaces,
  type GoconfDocument,
  type ReadOptions,
  type ServerValue,
} from './parse.js';
import {
  BLOCKKEY,
  HASHKEY,
  INTERNALSECRET,
  TURN_APIKEY,
  TURN_SECRET,
  backendSecretName,
  isSecretKey,
} from '../secrets/secrets.js';

/** A value written with `$(VAR)`. */
export interface EnvSetting {
  section: string;
  key: string;
  /** The text in server.conf (after `%(name)s` unfolding). */
  written: string;
  /** The variables it names (for `fromEnv`: those the given environment does not hold). */
  names: string[];
  /** The secret it holds (hashkey, backend-<id>, …), when it is one. */
  secret?: string;
}

export interface ConfReading {
  input: Partial<DeploymentInput>;
  /** secret name (hashkey, backend-<id>, …) -> value the server uses (never one set from the environment) */
  secrets: Map<string, string>;
  /** Values the server expands from its environment that the given environment does not resolve. */
  fromEnv: EnvSetting[];
  /** `$(VAR)` text in keys the given version takes literally. */
  literalEnv: EnvSetting[];
  /** `[backend] allowed` host names the server accepts (the legacy form, read only without `backends`). */
  allowedHosts: string[];
  notices: string[];
  problems: string[];
}

const LOOPBACK_NATS = new Set([':loopback:', 'nats://loopback']);
const LOCAL_NATS = new Set([DEFAULT_LOCAL_NATS, 'nats://localhost:4222', 'nats://[::1]:4222']);

/**
 * Reads the file as the server of `opts.version` does (unknown: `$(VAR)` may be expanded) with
 * `opts.env` as its environment (default: nothing known).
 */
export function deploymentFromConf(doc: GoconfDocument, opts: ReadOptions = {}): ConfReading {
  const input: Partial<DeploymentInput> = {};
  const secrets = new Map<string, string>();
  const fromEnv: EnvSetting[] = [];
  const literalEnv: EnvSetting[] = [];
  const notices: string[] = [];
  const problems: string[] = [];
  const serverValue = (s: string, k: string, backend = false) =>
    readServerValue(doc, s, k, { ...opts, ...(backend ? { tableSection: '*backend*' } : {}) });
  /** Records a `$(VAR)` value; the value the server uses when known. */
  const noted = new Set<string>();
  const note = (s: string, k: string, r: ServerValue, secret?: string): string | undefined => {
    if (r.kind === 'absent') return undefined;
    const id = `${s}\0${k}\0${secret ?? ''}`;
    const once = !noted.has(id);
    noted.add(id);
    if (!once) return r.kind === 'value' ? r.value : undefined;
    if (r.kind === 'env') {
      fromEnv.push({ section: s, key: k, written: r.written, names: r.names, ...(secret ? { secret } : {}) });
      return undefined;
    }
    if (r.literal) {
      const names = envReferences(r.value);
      literalEnv.push({ section: s, key: k, written: r.value, names, ...(secret ? { secret } : {}) });
    }
    return r.value;
  };
  /** A non-secret value: one set from the environment stays as written (a rewrite keeps the reference). */
  const get = (s: string, k: string, backend = false) => {
    const r = serverValue(s, k, backend);
    return note(s, k, r) ?? (r.kind === 'env' ? r.written : undefined);
  };

  const listen = splitSpaces(get('http', 'listen'));
  if (listen.length > 0) input.listen = listen[0];
  if (listen.length > 1)
    notices.push(`[http] listen has ${listen.length} addresses; only ${listen[0]} is managed, the others are dropped`);

  const https = { listen: get('https', 'listen'), certificate: get('https', 'certificate'), key: get('https', 'key') };
  if (https.listen || https.certificate || https.key) {
    input.https = Object.fromEntries(Object.entries(https).filter(([, v]) => v !== undefined && v !== ''));
  }
  const tp = splitList(get('app', 'trustedproxies'));
  if (tp.length) input.trustedProxies = tp;

  for (const spec of [HASHKEY, BLOCKKEY, INTERNALSECRET, TURN_APIKEY, TURN_SECRET]) {
    const v = note(spec.section, spec.key, serverValue(spec.section, spec.key), spec.name);
    if (v !== undefined) secrets.set(spec.name, v);
  }

  const ids = splitList(get('backend', 'backends')).map((id) => id.toLowerCase());
  const common = serverValue('backend', 'secret');
  // A backend without its own secret uses the common one (1.2.0+; the server also does so for an empty one).
  const fallback = traitsFor(opts.version).backendSecretFallback;
  const backends: NonNullable<DeploymentInput['backends']> = [];
  for (const id of ids) {
    const urls = splitList(get(id, 'urls', true));
    const url = get(id, 'url', true);
    const all = urls.length ? urls : url ? [url] : [];
    if (!doc.sections.has(id) || all.length === 0) {
      notices.push(
        `backend "${id}" is listed but has no url; the server skips it ("missing or incomplete"), so it is dropped`,
      );
      continue;
    }
    const own = serverValue(id, 'secret', true);
    const ownEmpty = own.kind === 'absent' || (own.kind === 'value' && own.value === '');
    const [where, secret] = ownEmpty && fallback && common.kind !== 'absent' ? ['backend', common] : [id, own];
    const value = note(where, 'secret', secret, backendSecretName(id));
    if (value !== undefined) secrets.set(backendSecretName(id), value);
    const num = (k: string) => {
      const v = get(id, k);
      return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
    };
    backends.push({
      id,
      urls: all,
      ...(num('sessionlimit') !== undefined ? { sessionLimit: num('sessionlimit') } : {}),
      ...(num('maxstreambitrate') !== undefined ? { maxStreamBitrate: num('maxstreambitrate') } : {}),
      ...(num('maxscreenbitrate') !== undefined ? { maxScreenBitrate: num('maxscreenbitrate') } : {}),
    });
  }
  if (backends.length) input.backends = backends;
  if (readBool(doc, 'backend', 'skipverify')) input.backendSkipVerify = true;
  const allowAll = readBool(doc, 'backend', 'allowall');
  // The legacy form (every release): host names sharing [backend] secret, read only without backends.
  const allowedHosts =
    allowAll || ids.length
      ? []
      : [
          ...new Set(
            splitList(getValue(doc, 'backend', 'allowed'))
              .map((h) => h.split('/')[0]!.toLowerCase())
              .filter((h) => h !== ''),
          ),
        ];

  const nats = splitList(get('nats', 'url'));
  if (nats.length === 0) input.nats = { mode: 'local', url: DEFAULT_LOCAL_NATS };
  else if (nats.length === 1 && LOOPBACK_NATS.has(nats[0]!)) input.nats = { mode: 'loopback' };
  else if (nats.length === 1 && LOCAL_NATS.has(nats[0]!)) input.nats = { mode: 'local', url: nats[0]! };
  else input.nats = { mode: 'external', urls: nats };

  const mcuType = get('mcu', 'type') ?? '';
  if (mcuType === 'janus') input.mcu = { type: 'janus', url: get('mcu', 'url') ?? DEFAULT_JANUS_URL };
  else if (mcuType === 'proxy') {
    input.mcu = {
      type: 'proxy',
      urls: splitSpaces(get('mcu', 'url')),
      urlType: get('mcu', 'urltype') === 'etcd' ? 'etcd' : 'static',
      tokenId: get('mcu', 'token_id') ?? '',
      tokenKey: get('mcu', 'token_key') ?? '',
    };
  } else if (mcuType !== '')
    problems.push(`[mcu] type = ${mcuType} is not janus or proxy: the server exits with this value`);
  else input.mcu = { type: 'none' };

  const turnServers = splitList(get('turn', 'servers'));
  if (turnServers.length) {
    input.turn = { servers: turnServers };
    if (!get('turn', 'apikey') || !get('turn', 'secret')) {
      problems.push(
        '[turn] servers is set without apikey and secret: the server exits with this config; add both or remove servers',
      );
    }
  }
  const stats = splitList(get('stats', 'allowed_ips'));
  if (stats.length) input.statsAllowedIps = stats;
  const grpcListen = get('grpc', 'listen');
  const grpcTargets = splitList(get('grpc', 'targets'));
  if (grpcListen || grpcTargets.length)
    input.grpc = { ...(grpcListen ? { listen: grpcListen } : {}), targets: grpcTargets };
  const etcd = splitList(get('etcd', 'endpoints'));
  if (etcd.length) input.etcd = { endpoints: etcd };

  // Everything the model does not manage survives as the server reads it: `%(name)s` unfolded (so
  // nothing rewritten holds "%("), `$(VAR)` kept as written (the server expands it itself).
  const extra: Record<string, Record<string, string>> = {};
  for (const section of doc.order) {
    const managed =
      ids.includes(section) && backends.some((b) => b.id === section)
        ? MANAGED_KEYS['*backend*']!
        : (MANAGED_KEYS[section] ?? []);
    for (const key of doc.sections.get(section)!.keys()) {
      const unfoldProblem = interpolationProblem(doc, section, key);
      if (unfoldProblem) notices.push(`[${section}] ${key}: ${unfoldProblem}`);
      if (managed.includes(key)) continue;
      (extra[section] ??= {})[key] = getValue(doc, section, key)!;
    }
  }
  if (Object.keys(extra).length) input.extra = extra;

  if (allowAll)
    notices.push(
      `[backend] allowall = ${getValue(doc, 'backend', 'allowall')} lets any Nextcloud use this server (meant for development only)${ids.length ? '; the server then ignores [backend] backends' : ''}`,
    );
  if (allowedHosts.length)
    notices.push(
      `[backend] allowed = ${allowedHosts.join(', ')} is the legacy form: the server accepts these hosts with the common [backend] secret`,
    );
  else if (!allowAll && !ids.length && getValue(doc, 'backend', 'allowed') !== undefined)
    notices.push('[backend] allowed names no host: the server allows no backend');
  for (const text of new Set(fromEnv.map((e) => `[${e.section}] ${e.key} is ${fromEnvironmentText(e.names)}`)))
    notices.push(`${text}: the server reads it from its environment`);
  // `%(secret)s` in a value that is no secret copies the secret there: into a URL the server calls,
  // an answers file, a check report. Refused, and the value is not shown.
  for (const section of doc.order) {
    for (const [key, entry] of doc.sections.get(section)!) {
      if (isSecretKey(key)) continue;
      const named = [...entry.value.matchAll(/%\(([a-zA-Z0-9_.-]+)\)s/g)].map((m) => m[1]!).filter(isSecretKey);
      if (named.length)
        problems.push(
          `line ${entry.line}: [${section}] ${key} takes the secret ${named.map((n) => `%(${n})s`).join(', ')} into a value that is no secret (the server would send or show it)`,
        );
    }
  }
  for (const w of doc.warnings)
    (w.kind === 'continuation' ? problems : notices).push(`server.conf line ${w.line}: ${w.message}`);
  return { input, secrets, fromEnv, literalEnv, allowedHosts, notices, problems };
}
