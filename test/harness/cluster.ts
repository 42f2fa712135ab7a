/**
 * A signaling cluster on 127.0.0.1 for tests (cluster-facts.md §2, §4): N nats-servers joined as
 * one NATS cluster (full mesh of routes, each with its monitoring port) and M real signaling
 * servers, each with its own server.conf rendered by the model (`nodeDeployment` of a cluster file
 * + `renderServerConf`), every node on its own loopback ports. The secrets every node shares are
 * generated once (a test may give one node other values); they are written as a secrets bundle
 * (one file each, mode 0600) and the cluster file as YAML, so `check --cluster` reads what a user
 * would have. Each process is stopped by its pid; every wait is bounded; failures carry log tails.
 *
 * With as many nats-servers as signaling nodes the cluster file says `nats: {mode: own}` (one
 * nats-server per node); with more, `nats: {mode: external}` with every member's client and
 * monitoring URL. With `media`, each media node is a real Janus and the real signaling proxy 2.0.2
 * (proxy.conf rendered by renderProxyConf), every signaling node has its own RSA token key pair
 * (in its node directory and in the bundle's tokens/), and the proxies list the nodes' public keys.
 */
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { stringify } from 'yaml';
import { ClusterSchema, nodeDeployment, type ClusterFile } from '../../src/model/cluster.js';
import type { Deployment, DeploymentInput } from '../../src/model/deployment.js';
import { traitsFor } from '../../src/model/versions.js';
import { PROXY } from '../../src/model/defaults.js';
import { bundleTokenPaths } from '../../src/secrets/clusterBundle.js';
import { ProxyNodeSchema } from '../../src/model/deployment.js';
import { renderProxyConf } from '../../src/render/proxyConf.js';
import { renderServerConf } from '../../src/render/serverConf.js';
import { resolveSecrets, secretSpecsFor, type SecretSpec } from '../../src/secrets/secrets.js';
import { componentPath, signalingBinary, type SignalingVersion } from './components.js';
import { freePort, portAnswers } from './ports.js';
import {
  startJanus,
  startProcess,
  startProxy,
  startSignaling,
  type ManagedProcess,
  type StartedSignaling,
} from './processes.js';
import { tempDir } from './tmp.js';

export const CLUSTER_BACKEND = { id: 'nextcloud', url: 'https://cloud.example.org' } as const;

/** Secret name (hashkey, blockkey, internalsecret, backend-<id>) -> value. */
export type SecretValues = Record<string, string>;

export interface NatsMemberProcess {
  index: number;
  /** The signaling node it belongs to (own mode). */
  node?: string;
  port: number;
  clusterPort: number;
  monitorPort: number;
  /** The running process, undefined while stopped. */
  proc?: ManagedProcess;
}

export interface ClusterNodeProcess {
  name: string;
  httpPort: number;
  grpcPort: number;
  confPath: string;
  /** The secrets this node's server.conf holds. */
  secrets: SecretValues;
  proc?: StartedSignaling;
}

export interface MediaNodeProcess {
  name: string;
  proxyPort: number;
  janusPort: number;
  confPath: string;
  janus?: ManagedProcess;
  proxy?: ManagedProcess;
}

export interface TestCluster {
  dir: string;
  name: string;
  file: ClusterFile;
  /** The cluster file as YAML (the shared settings and the `cluster` key). */
  filePath: string;
  /** The secrets bundle: one file per shared secret (hashkey, blockkey, internalsecret, backend-<id>). */
  bundleDir: string;
  /** The shared secrets (the bundle's values). */
  secrets: SecretValues;
  nats: NatsMemberProcess[];
  nodes: ClusterNodeProcess[];
  media: MediaNodeProcess[];
  node(name: string): ClusterNodeProcess;
  /** Stops nats-server i by its pid (bounded). */
  stopNats(i: number): Promise<void>;
  /** Starts nats-server i again on the same ports and waits until the whole mesh has its routes again. */
  restartNats(i: number): Promise<void>;
  /** Every process's log tail, for failure messages. */
  logs(): string;
  /** Stops everything this cluster started (signaling first, then NATS), each by its pid. */
  stop(): Promise<void>;
}

export interface TestClusterOptions {
  /** Signaling nodes (default 2), named sig1, sig2, … */
  nodes?: number;
  /** nats-servers (default: one per node, own mode); more than nodes -> external mode. */
  natsServers?: number;
  version?: SignalingVersion;
  name?: string;
  /** Per-node secrets that differ from the bundle's, e.g. { sig2: { hashkey, blockkey } }. */
  override?: Record<string, SecretValues>;
  /** More shared settings for the cluster file (answers-file keys). */
  shared?: Partial<DeploymentInput>;
  /** Media nodes (default 0), named media1, …: a Janus and the signaling proxy each. */
  media?: number;
  /** The signaling nodes whose public keys the proxies list (default: every node). */
  mediaTokens?: string[];
  /** Bounded waits (ms). */
  timeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function getJson(url: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, headers: { Connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as unknown);
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', () => resolve(undefined));
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve(undefined);
    });
    req.on('error', () => resolve(undefined));
  });
}

/** Distinct servers a nats-server has routes to, from its /routez; undefined when it does not answer. */
export async function natsRouteCount(monitorPort: number, timeoutMs = 1000): Promise<number | undefined> {
  const j = (await getJson(`http://127.0.0.1:${monitorPort}/routez`, timeoutMs)) as
    | { routes?: { remote_id?: string }[] }
    | undefined;
  if (!j) return undefined;
  return new Set((j.routes ?? []).map((r) => r.remote_id)).size;
}

/** Waits (bounded) until every running member routes to every other one. */
async function waitMesh(members: NatsMemberProcess[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const want = members.length - 1;
  let counts: (number | undefined)[] = [];
  while (Date.now() < deadline) {
    counts = await Promise.all(members.map((m) => natsRouteCount(m.monitorPort)));
    if (counts.every((c) => c === want)) return;
    await sleep(100);
  }
  const tails = members.map(
    (m) => `--- nats-server ${m.index} (routes ${counts[m.index]}) ---\n${m.proc?.tail(15) ?? '(stopped)'}`,
  );
  throw new Error(
    `the NATS cluster did not form within ${timeoutMs} ms (want ${want} routes each)\n${tails.join('\n')}`,
  );
}

async function startNatsMember(
  m: NatsMemberProcess,
  all: NatsMemberProcess[],
  clusterName: string,
  dir: string,
  timeoutMs: number,
) {
  const routes = all.filter((o) => o.index !== m.index).map((o) => `nats://127.0.0.1:${o.clusterPort}`);
  const args = [
    '-a',
    '127.0.0.1',
    '-p',
    String(m.port),
    '--cluster',
    `nats://127.0.0.1:${m.clusterPort}`,
    '--cluster_name',
    clusterName,
    ...(routes.length ? ['--routes', routes.join(',')] : []),
    '-m',
    String(m.monitorPort),
    '-P',
    path.join(dir, `nats-${m.index}.pid`),
  ];
  const proc = startProcess(`nats-server#${m.index}(:${m.port})`, componentPath('nats-server'), args, {
    stopSignal: 'SIGTERM',
  });
  m.proc = proc;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!proc.alive) break;
    if ((await portAnswers(m.port)) && (await portAnswers(m.monitorPort))) return;
    await sleep(50);
  }
  const tail = proc.tail();
  await proc.stop(3000);
  m.proc = undefined;
  throw new Error(
    `nats-server ${m.index} did not listen on ${m.port}/${m.monitorPort} within ${timeoutMs} ms\n${tail}`,
  );
}

/** Writes one secret per file (0600) into dir. */
export function writeSecretFiles(dir: string, values: SecretValues): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const [name, value] of Object.entries(values)) {
    const f = path.join(dir, name);
    writeFileSync(f, `${value}\n`, { mode: 0o600 });
    chmodSync(f, 0o600);
  }
}

/** Fresh values for every shared secret of a node's deployment (as setup generates them). */
function generateShared(d: Deployment): SecretValues {
  const { secrets } = resolveSecrets(secretSpecsFor(d), {
    fromFile: () => undefined,
    fromConfig: () => undefined,
    rotate: new Set(),
  });
  return Object.fromEntries([...secrets].map(([k, v]) => [k, v.value]));
}

/** Starts a cluster; on any failure everything started so far is stopped before the error is thrown. */
export async function startTestCluster(opts: TestClusterOptions = {}): Promise<TestCluster> {
  const n = opts.nodes ?? 2;
  const natsCount = opts.natsServers ?? n;
  if (natsCount < n) throw new Error('startTestCluster: at least one nats-server per signaling node');
  const version = opts.version ?? '2.0.2';
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const name = opts.name ?? 'testhpb';
  const dir = tempDir('spreed-cluster-');
  const own = natsCount === n;
  const nats: NatsMemberProcess[] = [];
  for (let i = 0; i < natsCount; i++)
    nats.push({
      index: i,
      ...(own ? { node: `sig${i + 1}` } : {}),
      port: await freePort(),
      clusterPort: await freePort(),
      monitorPort: await freePort(),
    });
  const nodeSpecs = [];
  for (let i = 0; i < n; i++) {
    const node = {
      name: `sig${i + 1}`,
      address: '127.0.0.1',
      httpPort: await freePort(),
      grpcPort: await freePort(),
      ...(own
        ? { natsPort: nats[i]!.port, natsClusterPort: nats[i]!.clusterPort, natsMonitorPort: nats[i]!.monitorPort }
        : {}),
    };
    nodeSpecs.push(node);
  }
  const media: MediaNodeProcess[] = [];
  for (let i = 0; i < (opts.media ?? 0); i++) {
    const name = `media${i + 1}`;
    media.push({
      name,
      proxyPort: await freePort(),
      janusPort: await freePort(),
      confPath: path.join(dir, name, 'proxy.conf'),
    });
  }
  const shared: DeploymentInput = {
    hostname: 'hpb.example.org',
    backends: [{ id: CLUSTER_BACKEND.id, urls: [CLUSTER_BACKEND.url] }],
    statsAllowedIps: ['127.0.0.1'],
    ...(opts.shared ?? {}),
  } as DeploymentInput;
  // Own mode: each node's nats-server ports are its member's; external mode leaves them at their defaults.
  const rawCluster = {
    name,
    front: 'sig1',
    nodes: nodeSpecs,
    nats: own
      ? { mode: 'own' }
      : {
          mode: 'external',
          urls: nats.map((m) => `nats://127.0.0.1:${m.port}`),
          monitorUrls: nats.map((m) => `http://127.0.0.1:${m.monitorPort}`),
        },
    grpc: { discovery: 'static' },
    media: media.map((m) => ({
      name: m.name,
      address: '127.0.0.1',
      proxyPort: m.proxyPort,
      janusUrl: `ws://127.0.0.1:${m.janusPort}`,
      country: 'DE',
    })),
  };
  const cluster = ClusterSchema.parse(rawCluster);
  const file: ClusterFile = { shared, cluster };
  const filePath = path.join(dir, 'cluster.yaml');
  writeFileSync(filePath, stringify({ ...shared, cluster: rawCluster }));
  const secrets = generateShared(nodeDeployment(file, cluster.nodes[0]!.name));
  const bundleDir = path.join(dir, 'bundle');
  writeSecretFiles(bundleDir, secrets);

  // Each signaling node's token key pair: in its own directory (where its server.conf points) and in the bundle.
  const publicKeys = new Map<string, string>();
  const tokenKeys = new Map<string, string>();
  if (media.length) {
    mkdirSync(path.dirname(bundleTokenPaths(bundleDir, 'x').key), { recursive: true, mode: 0o700 });
    for (const node of cluster.nodes) {
      const pair = generateKeyPairSync('rsa', {
        modulusLength: PROXY.keyBits,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      const nodeDir = path.join(dir, node.name);
      mkdirSync(nodeDir, { recursive: true, mode: 0o700 });
      const key = path.join(nodeDir, 'proxy-token.key');
      writeFileSync(key, pair.privateKey, { mode: 0o600 });
      writeFileSync(PROXY.publicKeyPath(key), pair.publicKey);
      writeFileSync(bundleTokenPaths(bundleDir, node.name).key, pair.privateKey, { mode: 0o600 });
      writeFileSync(bundleTokenPaths(bundleDir, node.name).pub, pair.publicKey);
      tokenKeys.set(node.name, key);
      publicKeys.set(node.name, PROXY.publicKeyPath(key));
    }
  }
  for (const m of media) {
    const d = nodeDeployment(file, cluster.nodes[0]!.name);
    const spec = cluster.media.find((x) => x.name === m.name)!;
    const listed = opts.mediaTokens ?? cluster.nodes.map((n) => n.name);
    const proxyNode = ProxyNodeSchema.parse({
      listen: `127.0.0.1:${m.proxyPort}`,
      janusUrl: spec.janusUrl,
      country: spec.country,
      tokens: listed.map((id) => ({ id, publicKey: publicKeys.get(id)! })),
    });
    mkdirSync(path.dirname(m.confPath), { recursive: true });
    writeFileSync(m.confPath, renderProxyConf({ ...d, mcu: { type: 'none' } }, proxyNode, { toolVersion: 'test' }));
  }

  const nodes: ClusterNodeProcess[] = cluster.nodes.map((node) => {
    const values = { ...secrets, ...(opts.override?.[node.name] ?? {}) };
    const parsed = nodeDeployment(file, node.name);
    // The token key where this test put it (setup writes it to nodeTokenKeyPath on the node).
    const d =
      parsed.mcu.type === 'proxy' ? { ...parsed, mcu: { ...parsed.mcu, tokenKey: tokenKeys.get(node.name)! } } : parsed;
    const specs: SecretSpec[] = secretSpecsFor(d);
    const resolved = resolveSecrets(specs, {
      fromFile: (s) => values[s.name],
      fromConfig: () => undefined,
      rotate: new Set(),
    });
    if (resolved.problems.length)
      throw new Error(`node ${node.name}: ${resolved.problems.map((p) => p.message).join('; ')}`);
    const nodeDir = path.join(dir, node.name);
    mkdirSync(nodeDir, { recursive: true, mode: 0o700 });
    const secretsDir = path.join(nodeDir, 'secrets');
    writeSecretFiles(secretsDir, values);
    const text = renderServerConf(d, resolved.secrets, { traits: traitsFor(version), secretsDir, toolVersion: 'test' });
    const confPath = path.join(nodeDir, 'server.conf');
    writeFileSync(confPath, text, { mode: 0o600 });
    return { name: node.name, httpPort: node.httpPort, grpcPort: node.grpcPort, confPath, secrets: values };
  });

  const stopAll = async () => {
    for (const nd of nodes) {
      await nd.proc?.stop();
      nd.proc = undefined;
    }
    for (const m of media) {
      await m.proxy?.stop();
      await m.janus?.stop();
      m.proxy = undefined;
      m.janus = undefined;
    }
    for (const m of nats) {
      await m.proc?.stop();
      m.proc = undefined;
    }
  };
  const logs = () =>
    [
      ...nats.map((m) => `--- nats-server ${m.index} ---\n${m.proc?.tail(20) ?? '(stopped)'}`),
      ...media.map((m) => `--- proxy ${m.name} ---\n${m.proxy?.tail(20) ?? '(stopped)'}`),
      ...nodes.map((nd) => `--- signaling ${nd.name} ---\n${nd.proc?.tail(30) ?? '(stopped)'}`),
    ].join('\n');

  try {
    for (const m of nats) await startNatsMember(m, nats, name, dir, timeoutMs);
    await waitMesh(nats, timeoutMs);
    for (const m of media) {
      m.janus = await startJanus(path.join(dir, m.name, 'janus'), m.janusPort, { timeoutMs });
      m.proxy = await startProxy(m.confPath, m.proxyPort, { timeoutMs });
    }
    const binary = signalingBinary(version);
    for (const nd of nodes)
      nd.proc = await startSignaling(binary, nd.confPath, nd.httpPort, { name: `signaling-${nd.name}`, timeoutMs });
  } catch (err) {
    const tails = logs();
    await stopAll();
    throw new Error(`${(err as Error).message}\n${tails}`);
  }

  return {
    dir,
    name,
    file,
    filePath,
    bundleDir,
    secrets,
    nats,
    nodes,
    media,
    node(nm) {
      const found = nodes.find((x) => x.name === nm);
      if (!found) throw new Error(`no node ${nm}`);
      return found;
    },
    async stopNats(i) {
      const m = nats[i]!;
      await m.proc?.stop();
      m.proc = undefined;
    },
    async restartNats(i) {
      const m = nats[i]!;
      if (m.proc?.alive) return;
      await startNatsMember(m, nats, name, dir, timeoutMs);
      await waitMesh(nats, timeoutMs);
    },
    logs,
    stop: stopAll,
  };
}
