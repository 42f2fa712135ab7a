// A cluster (cluster-facts.md): several signaling nodes joined by one NATS cluster and gRPC,
// media nodes (the signaling proxy in front of a Janus), one public URL behind the front node's
// web server. A cluster file is an answers file (the settings every node shares) with a `cluster`
// key naming the machines; `nodeDeployment` derives one node's deployment from it, so each node's
// files come out of the same renderers as a single server's.
import { isIP } from 'node:net';
import { z } from 'zod';

import {
  DeploymentSchema,
  isLoopbackWsUrl,
  PortSchema,
  ProxyNodeSchema,
  type Deployment,
  type DeploymentInput,
} from './deployment.js';
import { DEFAULT_JANUS_URL, NATS_PORT, PROXY } from './defaults.js';
import { isValidHostname } from './urls.js';

/** The ports a node's services take when the cluster file names none (each service's own default). */
export const CLUSTER_PORTS = {
  http: 8080,
  grpc: 9090,
  nats: NATS_PORT,
  /** nats-server's route port (upstream's gnatsd.conf uses 4244; 6222 is nats-server's default). */
  natsCluster: 6222,
  /** nats-server's monitoring port (/routez, /varz), bound to the node's own address. */
  natsMonitor: 8222,
  proxy: 9091,
} as const;
export const DEFAULT_GRPC_ETCD_PREFIX = '/signaling/cluster/grpc';
export const DEFAULT_CLUSTER_NAME = 'spreed';

const NodeNameSchema = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/, 'node names are 1-32 lower-case letters, digits and inner dashes');
/** The address other machines reach a node at: an IP address or a host name (no port). */
const AddressSchema = z
  .string()
  .refine((s) => isIP(s) !== 0 || isValidHostname(s), 'must be an IP address or a host name (no port)');

export const SignalingNodeSchema = z.object({
  name: NodeNameSchema,
  address: AddressSchema,
  httpPort: PortSchema.default(CLUSTER_PORTS.http),
  grpcPort: PortSchema.default(CLUSTER_PORTS.grpc),
  /** This node's nats-server (cluster.nats.mode own). */
  natsPort: PortSchema.default(CLUSTER_PORTS.nats),
  natsClusterPort: PortSchema.default(CLUSTER_PORTS.natsCluster),
  natsMonitorPort: PortSchema.default(CLUSTER_PORTS.natsMonitor),
});
export type SignalingNode = z.infer<typeof SignalingNodeSchema>;

export const MediaNodeSchema = z.object({
  name: NodeNameSchema,
  address: AddressSchema,
  proxyPort: PortSchema.default(CLUSTER_PORTS.proxy),
  /** The Janus this proxy drives, as the proxy reaches it (its own host's loopback by default). */
  janusUrl: z.string().default(DEFAULT_JANUS_URL),
  /** As a media node on a signaling host takes them (country, bandwidth limits in Mbit/s). */
  ...ProxyNodeSchema.pick({ country: true, bandwidthIncoming: true, bandwidthOutgoing: true }).shape,
});
export type MediaNode = z.infer<typeof MediaNodeSchema>;

export const ClusterSchema = z
  .object({
    /** nats-server's cluster name, and the prefix of the engines' object names. */
    name: NodeNameSchema.default(DEFAULT_CLUSTER_NAME),
    /** The node whose machine runs the web server (the load balancer of every node). */
    front: NodeNameSchema.optional(),
    nodes: z.array(SignalingNodeSchema).min(2, 'a cluster has at least two signaling nodes'),
    media: z.array(MediaNodeSchema).default([]),
    nats: z
      .discriminatedUnion('mode', [
        /** A nats-server on every signaling node, routed to each other (full mesh). */
        z.object({ mode: z.literal('own') }),
        /**
         * An existing NATS cluster (its client URLs) and, optionally, each member's monitoring
         * endpoint (nats-server -m), so `check --cluster` can see that the members route to each other.
         */
        z.object({
          mode: z.literal('external'),
          urls: z.array(z.string()).min(1),
          monitorUrls: z
            .array(
              z
                .string()
                .regex(
                  /^https?:\/\/[^\s/?#]+\/?$/,
                  'a NATS monitoring URL is http(s)://HOST:PORT (nats-server -m PORT)',
                ),
            )
            .optional(),
        }),
      ])
      .default({ mode: 'own' }),
    grpc: z
      .discriminatedUnion('discovery', [
        /** Every node's gRPC address, the same list on every node (a node drops itself). */
        z.object({ discovery: z.literal('static') }),
        /** One name resolving to every node (Kubernetes' headless Service), watched continuously. */
        z.object({ discovery: z.literal('dns'), name: AddressSchema, port: PortSchema.default(CLUSTER_PORTS.grpc) }),
        /** Targets from etcd keys under the prefix (the operator writes them; see `etcdGrpcKeys`). */
        z.object({
          discovery: z.literal('etcd'),
          prefix: z
            .string()
            .regex(/^\/[A-Za-z0-9._/-]*[^/]$/, 'an etcd prefix is an absolute key path without a trailing /')
            .default(DEFAULT_GRPC_ETCD_PREFIX),
        }),
      ])
      .default({ discovery: 'static' }),
  })
  .superRefine((c, ctx) => {
    const names = new Map<string, string>();
    const where = (kind: string, i: number) => `${kind}[${i}]`;
    c.nodes.forEach((n, i) => {
      if (names.has(n.name))
        ctx.addIssue({ code: 'custom', path: ['nodes', i, 'name'], message: `duplicate node name "${n.name}"` });
      names.set(n.name, where('nodes', i));
    });
    c.media.forEach((m, i) => {
      if (names.has(m.name))
        ctx.addIssue({ code: 'custom', path: ['media', i, 'name'], message: `duplicate node name "${m.name}"` });
      names.set(m.name, where('media', i));
    });
    if (c.front !== undefined && !c.nodes.some((n) => n.name === c.front))
      ctx.addIssue({
        code: 'custom',
        path: ['front'],
        message: `"${c.front}" is not a signaling node (nodes: ${c.nodes.map((n) => n.name).join(', ')})`,
      });
    // Two services of the same address on one port would not both start.
    const taken = new Map<string, string>();
    const take = (address: string, port: number, what: string, path: PropertyKey[]) => {
      const key = `${address}:${port}`;
      const before = taken.get(key);
      if (before) ctx.addIssue({ code: 'custom', path, message: `${key} is already ${before}` });
      else taken.set(key, what);
    };
    c.nodes.forEach((n, i) => {
      take(n.address, n.httpPort, `node ${n.name}'s HTTP port`, ['nodes', i, 'httpPort']);
      take(n.address, n.grpcPort, `node ${n.name}'s gRPC port`, ['nodes', i, 'grpcPort']);
      if (c.nats.mode === 'own') {
        take(n.address, n.natsPort, `node ${n.name}'s NATS port`, ['nodes', i, 'natsPort']);
        take(n.address, n.natsClusterPort, `node ${n.name}'s NATS route port`, ['nodes', i, 'natsClusterPort']);
        take(n.address, n.natsMonitorPort, `node ${n.name}'s NATS monitoring port`, ['nodes', i, 'natsMonitorPort']);
      }
    });
    c.media.forEach((m, i) => {
      take(m.address, m.proxyPort, `media node ${m.name}'s proxy port`, ['media', i, 'proxyPort']);
    });
  });
export type Cluster = z.infer<typeof ClusterSchema>;

/** A cluster file: the settings every node shares (an answers file) and the `cluster` key. */
export interface ClusterFile {
  shared: DeploymentInput;
  cluster: Cluster;
}

/** host:port with an IPv6 address in brackets. */
export const hostPort = (address: string, port: number): string =>
  isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;

export const frontNode = (c: Cluster): SignalingNode => c.nodes.find((n) => n.name === c.front) ?? c.nodes[0]!;

/** Every node's NATS client URL (own mode), or the existing cluster's URLs. */
export function clusterNatsUrls(c: Cluster): string[] {
  return c.nats.mode === 'own' ? c.nodes.map((n) => `nats://${hostPort(n.address, n.natsPort)}`) : c.nats.urls;
}

/** A nats-server of the cluster as `check --cluster` reaches its monitoring endpoint. */
export interface NatsMember {
  /** The signaling node it runs on (own mode), or undefined for an external cluster's member. */
  node?: string;
  /** `http://HOST:PORT` of its monitoring port (/routez, /varz). */
  monitorUrl: string;
}

/** Every nats-server whose routes can be seen: each node's (own mode), or the external cluster's monitors. */
export function natsMembers(c: Cluster): NatsMember[] {
  if (c.nats.mode === 'own')
    return c.nodes.map((n) => ({ node: n.name, monitorUrl: `http://${hostPort(n.address, n.natsMonitorPort)}` }));
  return (c.nats.monitorUrls ?? []).map((u) => ({ monitorUrl: u.replace(/\/+$/, '') }));
}

/** The routes a node's nats-server dials: every other node's route port. */
export function natsRoutes(c: Cluster, node: SignalingNode): string[] {
  return c.nodes.filter((n) => n.name !== node.name).map((n) => `nats://${hostPort(n.address, n.natsClusterPort)}`);
}

/** The proxy base URLs the signaling nodes place publishers on (a path-less URL needs no "/"). */
export const mediaProxyUrls = (c: Cluster): string[] =>
  c.media.map((m) => `http://${hostPort(m.address, m.proxyPort)}`);

/** The etcd keys and values the operator writes for etcd gRPC discovery (the server writes none). */
export function etcdGrpcKeys(c: Cluster): { key: string; value: string }[] {
  const prefix = c.grpc.discovery === 'etcd' ? c.grpc.prefix : DEFAULT_GRPC_ETCD_PREFIX;
  return c.nodes.map((n) => ({
    key: `${prefix}/${n.name}`,
    value: JSON.stringify({ address: hostPort(n.address, n.grpcPort) }),
  }));
}

/** Every node's HTTP listener, the front node's web server upstream. */
export const upstreamServers = (c: Cluster): string[] => c.nodes.map((n) => hostPort(n.address, n.httpPort));

/** Where node `name`'s proxy token private key lives (its public half beside it, `.pub`). */
export const nodeTokenKeyPath = (name: string): string => PROXY.tokenKeyPath.replace(/\.key$/, `-${name}.key`);

/**
 * One signaling node's input: the shared settings with this node's listen, the cluster's NATS,
 * gRPC between the nodes, the media nodes as the proxy MCU (token id = the node's name), and the
 * web server only on the front node. Flags may still override it, like an answers file's.
 */
export function nodeInput(file: ClusterFile, name: string): DeploymentInput {
  const { cluster: c, shared } = file;
  const node = c.nodes.find((n) => n.name === name);
  if (!node) throw new Error(`no signaling node named ${name}`);
  const grpc =
    c.grpc.discovery === 'static'
      ? { listen: hostPort(node.address, node.grpcPort), targets: c.nodes.map((n) => hostPort(n.address, n.grpcPort)) }
      : c.grpc.discovery === 'dns'
        ? { listen: hostPort(node.address, node.grpcPort), targets: [hostPort(c.grpc.name, c.grpc.port)] }
        : { listen: hostPort(node.address, node.grpcPort), targets: [] };
  const grpcExtra: Record<string, string> =
    c.grpc.discovery === 'dns'
      ? { dnsdiscovery: 'true' }
      : c.grpc.discovery === 'etcd'
        ? { targettype: 'etcd', targetprefix: c.grpc.prefix }
        : {};
  const extra = { ...(shared.extra ?? {}) };
  if (Object.keys(grpcExtra).length) extra.grpc = { ...(extra.grpc ?? {}), ...grpcExtra };
  const isFront = node.name === frontNode(c).name;
  const sharedNginx = (shared.nginx ?? {}) as NonNullable<DeploymentInput['nginx']>;
  const input: DeploymentInput = {
    ...shared,
    listen: hostPort(node.address, node.httpPort),
    nats: { mode: 'external', urls: clusterNatsUrls(c) },
    grpc,
    ...(c.media.length
      ? {
          mcu: {
            type: 'proxy',
            urls: mediaProxyUrls(c),
            urlType: 'static',
            tokenId: node.name,
            tokenKey: nodeTokenKeyPath(node.name),
          },
        }
      : {}),
    nginx: isFront ? { ...sharedNginx, upstreams: upstreamServers(c) } : { ...sharedNginx, mode: 'none' },
    extra,
  };
  return input;
}

/** One signaling node's deployment (nodeInput, parsed: throws a ZodError on a bad shared value). */
export const nodeDeployment = (file: ClusterFile, name: string): Deployment =>
  DeploymentSchema.parse(nodeInput(file, name));

/**
 * A media node's two inputs (a media-only machine runs no signaling server): the proxy's (the
 * proxy MCU of the signaling nodes, every node's public key in [tokens], ids = node names) and,
 * when its Janus is on this machine's loopback, Janus's (as `--janus local` renders it; its TURN
 * REST requests go to the front node's signaling server).
 */
export function mediaNodeInputs(file: ClusterFile, name: string): { proxy: DeploymentInput; janus?: DeploymentInput } {
  const { cluster: c, shared } = file;
  const m = c.media.find((x) => x.name === name);
  if (!m) throw new Error(`no media node named ${name}`);
  const [first, ...rest] = c.nodes;
  const front = frontNode(c);
  const base: DeploymentInput = {
    ...shared,
    listen: hostPort(front.address, front.httpPort),
    nginx: { ...((shared.nginx ?? {}) as NonNullable<DeploymentInput['nginx']>), mode: 'none' },
  };
  const proxy: DeploymentInput = {
    ...base,
    mcu: {
      type: 'proxy',
      urls: [`http://${hostPort(m.address, m.proxyPort)}`],
      urlType: 'static',
      tokenId: first!.name,
      tokenKey: nodeTokenKeyPath(first!.name),
    },
    proxyNode: {
      listen: hostPort(m.address, m.proxyPort),
      janusUrl: m.janusUrl,
      ...(m.country ? { country: m.country } : {}),
      ...(m.bandwidthIncoming !== undefined ? { bandwidthIncoming: m.bandwidthIncoming } : {}),
      ...(m.bandwidthOutgoing !== undefined ? { bandwidthOutgoing: m.bandwidthOutgoing } : {}),
      tokens: rest.map((n) => ({ id: n.name, publicKey: PROXY.publicKeyPath(nodeTokenKeyPath(n.name)) })),
    },
  };
  const local = isLoopbackWsUrl(m.janusUrl);
  const { proxyNode: _p, ...noProxy } = proxy;
  return {
    proxy,
    ...(local ? { janus: { ...noProxy, mcu: { type: 'janus', url: m.janusUrl }, janus: { publicIps: [] } } } : {}),
  };
}
