// What every engine renderer shares (cluster-facts §8): the cluster's nodes as deployments, the
// refusals that come before any file, and the upstream images' environment (their entrypoints
// build server.conf and proxy.conf from it). Secrets appear here only as bundle file names.
import { isIP } from 'node:net';
import { hostPort, mediaProxyUrls, type ClusterFile, type MediaNode, type SignalingNode } from '../../model/cluster.js';
import type { Deployment } from '../../model/deployment.js';
import { JANUS, JANUS_RTP_MAX, JANUS_RTP_MIN } from '../../model/defaults.js';
import { CONTAINER_IMAGE, JANUS_IMAGE, NATS_IMAGE, TRAIT_SINCE, traitsFor } from '../../model/versions.js';
import { problem, type Problem } from '../../errors.js';
import {
  BLOCKKEY,
  HASHKEY,
  INTERNALSECRET,
  TURN_APIKEY,
  TURN_SECRET,
  backendSecretName,
} from '../../secrets/secrets.js';
import { clusterTokenPubFile } from '../../secrets/clusterBundle.js';

export { ENGINES, type Engine } from '../../model/defaults.js';
import type { Engine } from '../../model/defaults.js';

/** One file an engine renderer returns: its path below the output directory ('/'-separated). */
export interface EngineFile {
  path: string;
  content: string;
  mode: number;
}

export interface EngineInput {
  cluster: ClusterFile;
  /** Each signaling node's deployment (nodeDeployment, TURN following), by node name, in file order. */
  nodes: ReadonlyMap<string, Deployment>;
  /** Where the cluster's secrets bundle lives on every machine (compose, NixOS). */
  bundleDir: string;
  toolVersion: string;
}

/** The server release the images are tagged with: the cluster file's serverVersion, else ours. */
export const engineRelease = (input: EngineInput): string => firstNode(input).serverVersion ?? CONTAINER_IMAGE.tag;
export const serverImage = (release: string): string => `${CONTAINER_IMAGE.name}:${release}`;
export const proxyImage = (release: string): string =>
  `${CONTAINER_IMAGE.name}:${release}${CONTAINER_IMAGE.proxyTagSuffix}`;
export const natsImage = (): string => `${NATS_IMAGE.name}:${NATS_IMAGE.tag}`;
export const janusImage = (): string => `${JANUS_IMAGE.name}:${JANUS_IMAGE.tag}`;

export function firstNode(input: EngineInput): Deployment {
  const d = input.nodes.values().next().value;
  if (!d) throw new Error('internal: a cluster without signaling nodes');
  return d;
}

export const nodeOf = (input: EngineInput, n: SignalingNode): Deployment => {
  const d = input.nodes.get(n.name);
  if (!d) throw new Error(`internal: no deployment for node ${n.name}`);
  return d;
};

/**
 * Characters no engine file takes in a value: YAML and Nix quoting, the shell, the image's `sed`
 * (delimiter `|`; `&` and `\` in its replacement), Nix's `${` and the server's `$(`. The model's own rules come first; this is
 * what the engines add.
 */
const ENGINE_UNSAFE = /["'`\\$|&{}<>]|[\u0000-\u001f\u007f-\u009f]/;

const describeChar = (c: string): string =>
  /[\u0000-\u001f\u007f-\u009f]/.test(c) ? 'a control character (a line break, tab or the like)' : `"${c}"`;

/** Every string of the cluster file an engine file could hold, that no engine file can hold safely. */
export function engineValueProblems(file: ClusterFile, fileName: string): Problem[] {
  const out: Problem[] = [];
  const walk = (v: unknown, at: string) => {
    if (typeof v === 'string') {
      const m = ENGINE_UNSAFE.exec(v);
      if (m)
        out.push(
          problem(
            `cluster file ${fileName}: ${at} contains ${describeChar(m[0])}, which the engines' files (YAML, Nix, the image's sed) cannot carry safely`,
            `remove it from ${at} in ${fileName}`,
          ),
        );
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${at}[${i}]`));
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        const path = at ? `${at}.${k}` : k;
        if (ENGINE_UNSAFE.test(k))
          out.push(
            problem(`cluster file ${fileName}: the key ${path} has characters no engine file takes`, `rename it`),
          );
        else walk(x, path);
      }
  };
  walk(file.shared, '');
  walk(file.cluster, 'cluster');
  return out;
}

/** An upper-cased id as the images' entrypoints build variable names from it (bash: letters, digits, _). */
const envId = (id: string): string => id.toUpperCase().replace(/\./g, '_');
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** What a cluster asks of an engine that the engine cannot give; each a refusal before any file. */
export function engineProblems(input: EngineInput, engine: Engine, fileName: string): Problem[] {
  const out: Problem[] = [];
  const d = firstNode(input);
  const c = input.cluster.cluster;
  const release = engineRelease(input);
  if (!traitsFor(release).backendUrls)
    out.push(
      problem(
        `serverVersion ${release}: the ${engine} files configure backends by "urls", which servers before ${TRAIT_SINCE.backendUrls} ignore`,
        `set serverVersion to ${TRAIT_SINCE.backendUrls} or later in ${fileName} (or leave it out for ${CONTAINER_IMAGE.tag})`,
      ),
    );
  if (d.https?.listen !== undefined)
    out.push(
      problem(
        "the server's own https listener is not rendered for the engines",
        `remove https from ${fileName}; TLS ends at the load balancer`,
      ),
    );
  for (const m of c.media)
    if (!/^ws:\/\/(?:\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:]+\]):\d+\/?$/i.test(m.janusUrl))
      out.push(
        problem(
          `cluster file ${fileName}: media node ${m.name}'s janusUrl ${m.janusUrl} is not ws://IP:PORT`,
          'give the address Janus listens on beside its proxy, e.g. ws://127.0.0.1:8188',
        ),
      );
  // Kubernetes finds the pods by the headless Service's DNS name, whatever the file's discovery.
  if (c.grpc.discovery === 'etcd' && engine !== 'kubernetes' && !d.etcd)
    out.push(problem('gRPC discovery by etcd needs etcd endpoints', `add etcd.endpoints to ${fileName}`));
  if (engine === 'kubernetes' && isIP(d.hostname) !== 0)
    out.push(
      problem(
        `hostname ${d.hostname} is an IP address; an Ingress host is a DNS name`,
        `give the public host name in ${fileName}`,
      ),
    );
  if (engine === 'nixos') {
    for (const b of d.backends)
      if (b.sessionLimit !== undefined || b.maxStreamBitrate !== undefined || b.maxScreenBitrate !== undefined)
        out.push(
          problem(
            `backend ${b.id}: the NixOS module's backends take only urls and secretFile (no session limit or bitrates)`,
            `remove sessionLimit/maxStreamBitrate/maxScreenBitrate of ${b.id} from ${fileName}`,
          ),
        );
    return out;
  }
  // The images' entrypoints: variable names from ids, every setting from a variable.
  for (const b of d.backends)
    if (!ENV_NAME.test(`BACKEND_${envId(b.id)}_URLS`))
      out.push(
        problem(
          `backend id ${b.id}: the image reads BACKEND_${envId(b.id)}_URLS, which no shell variable can be named`,
          `use letters, digits and _ in the backend id in ${fileName}`,
        ),
      );
  if (c.media.length)
    for (const n of c.nodes)
      if (!ENV_NAME.test(`TOKEN_${envId(n.name)}_KEY`))
        out.push(
          problem(
            `node ${n.name}: the proxy image reads TOKEN_${envId(n.name)}_KEY, which no shell variable can be named`,
            `use letters and digits (no -) in the node's name in ${fileName}`,
          ),
        );
  const grpcExtra = Object.keys(d.extra.grpc ?? {}).filter(
    (k) => !['dnsdiscovery', 'targettype', 'targetprefix'].includes(k),
  );
  const sections = Object.keys(d.extra).filter((s) => s !== 'grpc');
  if (sections.length || grpcExtra.length)
    out.push(
      problem(
        `extra server.conf keys (${[...sections, ...grpcExtra.map((k) => `grpc.${k}`)].join(', ')}) cannot reach the image: its entrypoint builds server.conf from known variables only`,
        `remove them from ${fileName} for ${engine}`,
      ),
    );
  return out;
}

/** A variable of a container's environment: a plain value, or a secret from the bundle file of that name. */
export type EnvVar = { name: string; value: string } | { name: string; secret: string };

export interface ServerEnvOptions {
  listen: string;
  natsUrls: readonly string[];
  grpc: { listen: string; targets: readonly string[]; dnsDiscovery: boolean } | { listen: string; etcdPrefix: string };
  /** The proxy MCU's token key file inside the container (with media nodes). */
  tokenKey?: string;
}

/** The server image's environment for one signaling node (docker/server/entrypoint.sh). */
export function serverEnv(d: Deployment, node: SignalingNode, o: ServerEnvOptions, c: ClusterFile): EnvVar[] {
  const env: EnvVar[] = [
    { name: 'HTTP_LISTEN', value: o.listen },
    // Unset, the image writes nats://loopback, which cannot cluster (cluster-facts §2).
    { name: 'NATS_URL', value: o.natsUrls.join(',') },
    { name: 'HASH_KEY', secret: HASHKEY.name },
    { name: 'BLOCK_KEY', secret: BLOCKKEY.name },
    // Unset, the template's public placeholder would stay.
    { name: 'INTERNAL_SHARED_SECRET_KEY', secret: INTERNALSECRET.name },
    { name: 'BACKENDS', value: d.backends.map((b) => b.id).join(' ') },
  ];
  for (const b of d.backends) {
    const id = envId(b.id);
    env.push({ name: `BACKEND_${id}_URLS`, value: b.urls.join(',') });
    // _SHARED_SECRET: the image does not read _SECRET (sig #1029).
    env.push({ name: `BACKEND_${id}_SHARED_SECRET`, secret: backendSecretName(b.id) });
    if (b.sessionLimit !== undefined) env.push({ name: `BACKEND_${id}_SESSION_LIMIT`, value: String(b.sessionLimit) });
    if (b.maxStreamBitrate !== undefined)
      env.push({ name: `BACKEND_${id}_MAX_STREAM_BITRATE`, value: String(b.maxStreamBitrate) });
    if (b.maxScreenBitrate !== undefined)
      env.push({ name: `BACKEND_${id}_MAX_SCREEN_BITRATE`, value: String(b.maxScreenBitrate) });
  }
  env.push({ name: 'GRPC_LISTEN', value: o.grpc.listen });
  if ('etcdPrefix' in o.grpc) {
    env.push({ name: 'GRPC_ETCD', value: 'true' }, { name: 'GRPC_TARGET_PREFIX', value: o.grpc.etcdPrefix });
  } else {
    env.push({ name: 'GRPC_TARGETS', value: o.grpc.targets.join(',') });
    if (o.grpc.dnsDiscovery) env.push({ name: 'GRPC_DNS_DISCOVERY', value: 'true' });
  }
  if (d.etcd) env.push({ name: 'ETCD_ENDPOINTS', value: d.etcd.endpoints.join(',') });
  if (c.cluster.media.length) {
    if (o.tokenKey === undefined) throw new Error(`internal: node ${node.name} needs its token key's path`);
    env.push(
      { name: 'USE_PROXY', value: 'true' },
      // The server takes the proxy MCU's URLs space-separated.
      { name: 'PROXY_URLS', value: mediaProxyUrls(c.cluster).join(' ') },
      { name: 'PROXY_TOKEN_ID', value: node.name },
      { name: 'PROXY_TOKEN_KEY', value: o.tokenKey },
    );
  } else if (d.mcu.type === 'janus') {
    env.push({ name: 'USE_JANUS', value: 'true' }, { name: 'JANUS_URL', value: d.mcu.url });
  }
  if (d.turn) {
    env.push(
      { name: 'TURN_API_KEY', secret: TURN_APIKEY.name },
      { name: 'TURN_SECRET', secret: TURN_SECRET.name },
      { name: 'TURN_SERVERS', value: d.turn.servers.join(',') },
    );
  }
  if (d.statsAllowedIps?.length) env.push({ name: 'STATS_IPS', value: d.statsAllowedIps.join(',') });
  if (d.trustedProxies?.length) env.push({ name: 'TRUSTED_PROXIES', value: d.trustedProxies.join(',') });
  if (d.backendSkipVerify) env.push({ name: 'SKIP_VERIFY', value: 'true' });
  return env;
}

/** The proxy image's environment for one media node (docker/proxy/entrypoint.sh); tokens/<node>.pub under `tokensDir`. */
export function proxyEnv(m: MediaNode, c: ClusterFile, o: { listen: string; tokensDir: string }): EnvVar[] {
  const env: EnvVar[] = [
    { name: 'HTTP_LISTEN', value: o.listen },
    { name: 'JANUS_URL', value: m.janusUrl },
  ];
  if (m.country) env.push({ name: 'COUNTRY', value: m.country });
  if (m.bandwidthIncoming !== undefined) env.push({ name: 'BANDWIDTH_INCOMING', value: String(m.bandwidthIncoming) });
  if (m.bandwidthOutgoing !== undefined) env.push({ name: 'BANDWIDTH_OUTGOING', value: String(m.bandwidthOutgoing) });
  // [tokens]: every signaling node's public key (the token id is the node's name).
  env.push({ name: 'TOKENS', value: c.cluster.nodes.map((n) => n.name).join(' ') });
  for (const n of c.cluster.nodes)
    env.push({
      name: `TOKEN_${envId(n.name)}_KEY`,
      value: `${o.tokensDir}/${clusterTokenPubFile(n.name).split('/').pop()}`,
    });
  return env;
}

/** Janus's command line: full trickle, the RTP range, no candidates from container bridges (janus-facts §3). */
export const janusCommand = (): string[] => [
  'janus',
  '--full-trickle',
  `--rtp-port-range=${JANUS_RTP_MIN}-${JANUS_RTP_MAX}`,
  `--ice-ignore-list=${JANUS.iceIgnoreList.join(',')}`,
];

/**
 * The transports Janus's image would otherwise open on every address: its websocket API only
 * where the proxy reaches it (the media node's janusUrl), the REST API off.
 */
export function janusTransportFiles(m: MediaNode): { name: string; content: string }[] {
  const u = new URL(m.janusUrl);
  const ip = u.hostname.replace(/^\[|\]$/g, '');
  const port = u.port ? Number(u.port) : JANUS.wsPort;
  return [
    {
      name: JANUS.websocketsFile,
      content: `# Janus's websocket API, for the signaling proxy beside it only (media node ${m.name}).
general: {
	json = "indented"
	ws = true
	ws_ip = "${ip}"
	ws_port = ${port}
	wss = false
}
admin: {
	admin_ws = false
	admin_wss = false
}
`,
    },
    {
      name: 'janus.transport.http.jcfg',
      content: `# Janus's REST API is not used by the signaling proxy: off (it would listen on every address).
general: {
	http = false
	https = false
}
admin: {
	admin_http = false
	admin_https = false
}
`,
    },
  ];
}

export { hostPort };
