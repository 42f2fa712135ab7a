// Renders server.conf for one target server version from the model plus the resolved secrets,
// then reads the result back with the server's own parsing rules to prove it says what we meant.
import { isDeepStrictEqual } from 'node:util';
import { DeploymentSchema, type Deployment } from '../model/deployment.js';
import { keyIgnoredBy, TRAIT_SINCE, type ServerTraits } from '../model/versions.js';
import { parseGoconf } from '../goconf/parse.js';
import { deploymentFromConf } from '../goconf/toModel.js';
import {
  BLOCKKEY,
  HASHKEY,
  INTERNALSECRET,
  TURN_APIKEY,
  TURN_SECRET,
  backendSecretName,
  type Secrets,
} from '../secrets/secrets.js';
import { CONF_FIELDS, MANAGED_SECTIONS } from '../model/placement.js';
import { renderTemplate } from './templates.js';

export interface ServerConfContext {
  traits: ServerTraits;
  secretsDir: string;
  toolVersion: string;
}

/** What the target version would ignore or misread in this deployment; each is a refusal. */
export function compatibilityProblems(d: Deployment, t: ServerTraits): string[] {
  const out: string[] = [];
  for (const b of d.backends) {
    if (b.urls.length > 1 && !t.backendUrls) {
      out.push(
        `backend "${b.id}" has ${b.urls.length} URLs, but server ${t.version} reads only one "url" per backend ("urls" needs ${TRAIT_SINCE.backendUrls}); give each URL its own backend`,
      );
    }
  }
  if (d.trustedProxies?.length && !t.trustedProxies)
    out.push(`trusted proxies are ignored by server ${t.version} (they need ${TRAIT_SINCE.trustedProxies})`);
  const cidr = (d.statsAllowedIps ?? []).filter((ip) => ip.includes('/'));
  if (cidr.length && !t.statsCidr)
    out.push(
      `server ${t.version} compares stats allowed IPs exactly; ${cidr.join(', ')} would never match (CIDR needs ${TRAIT_SINCE.statsCidr})`,
    );
  if ((d.grpc || d.etcd) && !t.grpcEtcdSections) {
    out.push(
      `server ${t.version} has no [grpc] or [etcd] section (both are read from ${TRAIT_SINCE.grpcEtcdSections}); they would be ignored`,
    );
  }
  // Every pass-through key, against the releases that read it.
  const backendIds = new Set(d.backends.map((b) => b.id));
  for (const [section, keys] of Object.entries(d.extra)) {
    for (const key of Object.keys(keys)) {
      const since = keyIgnoredBy(t.version, section, key, backendIds);
      if (since) out.push(`[${section}] ${key} is read only from ${since}; server ${t.version} would ignore it`);
    }
  }
  return out;
}

function natsUrl(d: Deployment, t: ServerTraits): { url: string; comment: string } {
  switch (d.nats.mode) {
    case 'loopback':
      return { url: t.natsLoopbackUrl, comment: 'In-process NATS (single server; no nats-server needed).' };
    case 'local':
      return { url: d.nats.url, comment: 'nats-server on this host: the server waits for it before it listens.' };
    case 'external':
      return {
        url: d.nats.urls.join(', '),
        comment: 'External NATS cluster: every signaling node must use the same one.',
      };
  }
}

type Entry = { key: string; value: string };
const entries = (rec: Record<string, string> | undefined): Entry[] =>
  Object.entries(rec ?? {}).map(([key, value]) => ({ key, value }));

export function renderServerConf(d: Deployment, secrets: Secrets, ctx: ServerConfContext): string {
  const secret = (name: string) => {
    const s = secrets.get(name);
    if (!s) throw new Error(`internal: secret ${name} was not resolved`);
    return s.value;
  };
  const t = ctx.traits;
  const backendIds = new Set(d.backends.map((b) => b.id));
  const extra = Object.fromEntries(Object.entries(d.extra).map(([s, kv]) => [s.toLowerCase(), entries(kv)]));
  const nats = natsUrl(d, t);
  // Sections the template does not write itself, and that do not belong to a backend, go last.
  const extraSections = Object.entries(extra)
    .filter(([name]) => !MANAGED_SECTIONS.has(name) && !backendIds.has(name))
    .map(([name, list]) => ({ name, entries: list }));
  // Template sections the model leaves out (https, turn, grpc, etcd) still carry their extras.
  for (const name of ['https', 'turn', 'grpc', 'etcd'] as const) {
    const present = name === 'https' ? d.https : name === 'turn' ? d.turn : name === 'grpc' ? d.grpc : d.etcd;
    if (!present && extra[name]?.length) extraSections.push({ name, entries: extra[name]! });
  }
  const view = {
    hostname: d.hostname,
    toolVersion: ctx.toolVersion,
    serverVersion: t.known ? t.version : `unknown (rendered for ${t.version}, the oldest that current Talk accepts)`,
    secretsDir: ctx.secretsDir,
    listen: d.listen,
    https: d.https
      ? {
          httpsListen: d.https.listen ?? null,
          httpsCertificate: d.https.certificate ?? null,
          httpsKey: d.https.key ?? null,
        }
      : null,
    trustedProxies: d.trustedProxies?.length ? d.trustedProxies.join(', ') : undefined,
    hashkey: secret(HASHKEY.name),
    blockkey: secret(BLOCKKEY.name),
    internalsecret: secret(INTERNALSECRET.name),
    backendIds: d.backends.map((b) => b.id).join(', '),
    skipVerify: d.backendSkipVerify,
    backends: d.backends.map((b) => ({
      id: b.id,
      urlKey: t.backendUrls ? 'urls' : 'url',
      urls: b.urls.join(', '),
      backendSecret: secret(backendSecretName(b.id)),
      sessionLimit: b.sessionLimit !== undefined ? String(b.sessionLimit) : null,
      maxStreamBitrate: b.maxStreamBitrate !== undefined ? String(b.maxStreamBitrate) : null,
      maxScreenBitrate: b.maxScreenBitrate !== undefined ? String(b.maxScreenBitrate) : null,
      backendExtra: extra[b.id] ?? [],
    })),
    natsUrl: nats.url,
    natsComment: nats.comment,
    mcuType: d.mcu.type === 'none' ? undefined : d.mcu.type,
    mcuUrl: d.mcu.type === 'janus' ? d.mcu.url : d.mcu.type === 'proxy' ? d.mcu.urls.join(' ') : '',
    mcuProxy: d.mcu.type === 'proxy' ? d.mcu : undefined,
    turn: d.turn
      ? {
          turnApiKey: secret(TURN_APIKEY.name),
          turnSecret: secret(TURN_SECRET.name),
          turnServers: d.turn.servers.join(', '),
        }
      : null,
    statsAllowedIps: d.statsAllowedIps?.length ? d.statsAllowedIps.join(', ') : undefined,
    grpc: d.grpc ? { grpcListen: d.grpc.listen ?? null, grpcTargets: d.grpc.targets.join(', ') } : null,
    etcd: d.etcd ? { etcdEndpoints: d.etcd.endpoints.join(', ') } : null,
    extra,
    extraSections,
  };
  return renderTemplate('server.conf.mustache', view).replace(/\n{3,}/g, '\n\n');
}

/**
 * Reads rendered text back by the server's rules and lists every difference from what was meant.
 * Empty means the server will read exactly the model's values and secrets.
 */
export function readBackDifferences(text: string, d: Deployment, secrets: Secrets): string[] {
  const diffs: string[] = [];
  const reading = deploymentFromConf(parseGoconf(text));
  diffs.push(...reading.problems);
  const parsed = DeploymentSchema.safeParse({
    ...reading.input,
    hostname: d.hostname,
    backends: reading.input.backends ?? [],
  });
  if (!parsed.success) return [...diffs, ...parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)];
  const back = parsed.data;
  for (const f of CONF_FIELDS) {
    const want = normalizeField(f, d);
    const got = normalizeField(f, back);
    if (!isDeepStrictEqual(want, got))
      diffs.push(`${f}: wrote ${JSON.stringify(got)} but meant ${JSON.stringify(want)}`);
  }
  for (const [name, s] of secrets) {
    if (reading.secrets.get(name) !== s.value) diffs.push(`secret ${name} does not read back as written`);
  }
  return diffs;
}

function normalizeField(f: (typeof CONF_FIELDS)[number], d: Deployment): unknown {
  if (f === 'nats' && d.nats.mode === 'loopback') return { mode: 'loopback' };
  if (f === 'extra') {
    // Section/key names are case-insensitive to the server.
    const out: Record<string, Record<string, string>> = {};
    for (const [s, kv] of Object.entries(d.extra))
      for (const [k, v] of Object.entries(kv)) (out[s.toLowerCase()] ??= {})[k.toLowerCase()] = v;
    return out;
  }
  const v = d[f];
  return Array.isArray(v) && v.length === 0 ? undefined : (v ?? undefined);
}
