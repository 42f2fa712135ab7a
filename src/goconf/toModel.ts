// Turns a parsed server.conf into the model's terms: the values the model manages, the secret
// values (kept apart from the model), and everything else verbatim as pass-through.
import type { DeploymentInput } from '../model/deployment.js';
import { DEFAULT_JANUS_URL, DEFAULT_LOCAL_NATS } from '../model/defaults.js';
import { MANAGED_KEYS } from '../model/placement.js';
import { getValue, splitList, splitSpaces, type GoconfDocument } from './parse.js';
import { BLOCKKEY, HASHKEY, INTERNALSECRET, TURN_APIKEY, TURN_SECRET, backendSecretName } from '../secrets/secrets.js';

export interface ConfReading {
  input: Partial<DeploymentInput>;
  /** secret name (hashkey, backend-<id>, …) -> value found in the file */
  secrets: Map<string, string>;
  notices: string[];
  problems: string[];
}

const LOOPBACK_NATS = new Set([':loopback:', 'nats://loopback']);
const LOCAL_NATS = new Set([DEFAULT_LOCAL_NATS, 'nats://localhost:4222', 'nats://[::1]:4222']);

export function deploymentFromConf(doc: GoconfDocument): ConfReading {
  const input: Partial<DeploymentInput> = {};
  const secrets = new Map<string, string>();
  const notices: string[] = [];
  const problems: string[] = [];
  const get = (s: string, k: string) => getValue(doc, s, k);

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

  for (const [section, key, name] of [
    ...[HASHKEY, BLOCKKEY, INTERNALSECRET, TURN_APIKEY, TURN_SECRET].map((s) => [s.section, s.key, s.name] as const),
  ] as const) {
    const v = get(section, key);
    if (v !== undefined) secrets.set(name, v);
  }

  const ids = splitList(get('backend', 'backends')).map((id) => id.toLowerCase());
  const commonSecret = get('backend', 'secret');
  const backends: NonNullable<DeploymentInput['backends']> = [];
  for (const id of ids) {
    const urls = splitList(get(id, 'urls'));
    const url = get(id, 'url');
    const all = urls.length ? urls : url ? [url] : [];
    const secret = get(id, 'secret') ?? commonSecret;
    if (!doc.sections.has(id) || all.length === 0) {
      notices.push(
        `backend "${id}" is listed but has no url; the server skips it ("missing or incomplete"), so it is dropped`,
      );
      continue;
    }
    if (secret !== undefined) secrets.set(backendSecretName(id), secret);
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
  if (get('backend', 'skipverify') === 'true') input.backendSkipVerify = true;

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

  // Everything the model does not manage survives verbatim.
  const extra: Record<string, Record<string, string>> = {};
  for (const section of doc.order) {
    const managed =
      ids.includes(section) && backends.some((b) => b.id === section)
        ? MANAGED_KEYS['*backend*']!
        : (MANAGED_KEYS[section] ?? []);
    for (const [key, entry] of doc.sections.get(section)!) {
      if (managed.includes(key)) continue;
      (extra[section] ??= {})[key] = entry.value;
    }
  }
  if (Object.keys(extra).length) input.extra = extra;

  if (get('backend', 'allowall') === 'true')
    notices.push('[backend] allowall = true lets any Nextcloud use this server (meant for development only)');
  for (const w of doc.warnings)
    (w.kind === 'continuation' ? problems : notices).push(`server.conf line ${w.line}: ${w.message}`);
  return { input, secrets, notices, problems };
}
