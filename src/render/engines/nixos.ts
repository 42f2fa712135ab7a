// NixOS (cluster-facts §8): a module per signaling node for nixpkgs' services.nextcloud-spreed-signaling
// (backends.<id>.urls + secretFile, settings with *File secrets, nats.url as the cluster's list,
// grpc, mcu) and services.nats with the cluster block when the cluster runs its own NATS. Secrets
// are paths into the bundle, replaced into stateDir/server.conf at start (never the Nix store).
import { hostPort, natsRoutes, type SignalingNode } from '../../model/cluster.js';
import { TRAIT_SINCE } from '../../model/versions.js';
import {
  BLOCKKEY,
  HASHKEY,
  INTERNALSECRET,
  TURN_APIKEY,
  TURN_SECRET,
  backendSecretName,
} from '../../secrets/secrets.js';
import { clusterTokenKeyFile } from '../../secrets/clusterBundle.js';
import { nodeOf, type EngineFile, type EngineInput } from './common.js';

/** A Nix expression written as is (only the renderer's own code, never a value from the input). */
class NixCode {
  constructor(readonly code: string) {}
}
type NixValue = string | number | boolean | null | NixCode | NixValue[] | { [key: string]: NixValue };

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A Nix string literal: \ " and ${ escaped; a control character is refused (never rendered). */
export function nixString(s: string): string {
  if (CONTROL.test(s))
    throw new Error(`refusing to render a control character into a Nix string: ${JSON.stringify(s)}`);
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$\{/g, '\\${')}"`;
}

const BARE_NAME = /^[A-Za-z_][A-Za-z0-9_'-]*$/;
const KEYWORDS = new Set(['if', 'then', 'else', 'assert', 'with', 'let', 'in', 'rec', 'inherit', 'or']);
const attrName = (k: string): string => (BARE_NAME.test(k) && !KEYWORDS.has(k) ? k : nixString(k));
/** An attribute path key (services.nats): the renderer's own, marked by a NUL no input value holds. */
const PATH_MARK = '\u0000';
const attrPath = (p: string): string => `${PATH_MARK}${p}`;
const attrKey = (k: string): string =>
  k.startsWith(PATH_MARK) ? k.slice(1).split('.').map(attrName).join('.') : attrName(k);

export function nixValue(v: NixValue, indent = ''): string {
  if (v instanceof NixCode) return v.code;
  if (v === null) return 'null';
  if (typeof v === 'string') return nixString(v);
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Error(`refusing to render ${v} as a Nix integer`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[ ]';
    return `[\n${v.map((x) => `${inner}${nixValue(x, inner)}`).join('\n')}\n${indent}]`;
  }
  const entries = Object.entries(v);
  if (entries.length === 0) return '{ }';
  return `{\n${entries.map(([k, x]) => `${inner}${attrKey(k)} = ${nixValue(x, inner)};`).join('\n')}\n${indent}}`;
}

function nodeModule(input: EngineInput, n: SignalingNode): string {
  const c = input.cluster.cluster;
  const d = nodeOf(input, n);
  const file = (name: string) => `${input.bundleDir}/${name}`;
  const grpc: Record<string, NixValue> = {
    listen: d.grpc?.listen ?? hostPort(n.address, n.grpcPort),
    targets: d.grpc?.targets ?? [],
  };
  for (const [key, value] of Object.entries(d.extra.grpc ?? {})) grpc[key] = value === 'true' ? true : value;
  const mcu: Record<string, NixValue> =
    d.mcu.type === 'proxy'
      ? {
          type: 'proxy',
          urltype: d.mcu.urlType,
          // The proxy MCU takes its URLs space-separated.
          url: d.mcu.urls.join(' '),
          token_id: d.mcu.tokenId,
          // Read by the server itself: readable by the service's user (nextcloud-spreed-signaling).
          token_key: file(clusterTokenKeyFile(n.name)),
        }
      : d.mcu.type === 'janus'
        ? { type: 'janus', url: d.mcu.url }
        : { type: null };
  const settings: Record<string, NixValue> = {
    http: { listen: d.listen },
    sessions: { hashkeyFile: file(HASHKEY.name), blockkeyFile: file(BLOCKKEY.name) },
    clients: { internalsecretFile: file(INTERNALSECRET.name) },
    // Every node the same list; the module's default is in-process NATS, which cannot cluster.
    nats: { url: d.nats.mode === 'external' ? d.nats.urls : [] },
    grpc,
    mcu,
  };
  if (d.turn)
    settings.turn = { servers: d.turn.servers, apikeyFile: file(TURN_APIKEY.name), secretFile: file(TURN_SECRET.name) };
  if (d.statsAllowedIps?.length) settings.stats = { allowed_ips: d.statsAllowedIps };
  if (d.trustedProxies?.length) settings.app = { trustedproxies: d.trustedProxies.join(', ') };
  if (d.etcd) settings.etcd = { endpoints: d.etcd.endpoints };
  if (d.backendSkipVerify) settings.backend = { skipverify: true };
  for (const [section, keys] of Object.entries(d.extra)) {
    if (section === 'grpc') continue;
    settings[section] = { ...((settings[section] as Record<string, NixValue> | undefined) ?? {}), ...keys };
  }
  const signaling: Record<string, NixValue> = {
    enable: true,
    backends: Object.fromEntries(
      d.backends.map((b) => [b.id, { urls: b.urls, secretFile: file(backendSecretName(b.id)) }]),
    ),
    settings,
  };
  const body: Record<string, NixValue> = {
    assertions: [
      {
        assertion: new NixCode(
          `lib.versionAtLeast config.services.nextcloud-spreed-signaling.package.version ${nixString(TRAIT_SINCE.backendUrls)}`,
        ),
        message: `services.nextcloud-spreed-signaling writes backends as "urls", which servers before ${TRAIT_SINCE.backendUrls} ignore ("Backend ... is missing or incomplete"): use a package of ${TRAIT_SINCE.backendUrls} or later.`,
      },
    ],
    [attrPath('services.nextcloud-spreed-signaling')]: signaling,
  };
  const ports = [n.httpPort, n.grpcPort];
  if (c.nats.mode === 'own') {
    body[attrPath('services.nats')] = {
      enable: true,
      serverName: n.name,
      port: n.natsPort,
      settings: {
        host: n.address,
        http: hostPort(n.address, n.natsMonitorPort),
        // Core NATS only (no JetStream): routes to every other node's route port.
        cluster: {
          name: c.name,
          listen: hostPort(n.address, n.natsClusterPort),
          routes: natsRoutes(c, n),
        },
      },
    };
    ports.push(n.natsPort, n.natsClusterPort);
  }
  body[attrPath('networking.firewall.allowedTCPPorts')] = ports;
  const header = [
    `# Signaling node ${n.name} (${n.address}) of cluster ${c.name}, for nixpkgs' services.nextcloud-spreed-signaling.`,
    `# Rendered by spreed-setup ${input.toolVersion} (render --engine nixos): import it from configuration.nix.`,
    `# Secrets: the *File paths and secretFile name the cluster's bundle (${input.bundleDir}, written by`,
    '# spreed-setup setup --cluster), the same files on every node; the module copies them into its',
    '# stateDir at start (as its user, nextcloud-spreed-signaling: the files must be readable by it),',
    '# never into the Nix store.',
    `# The module writes backends as "urls": servers before ${TRAIT_SINCE.backendUrls} ignore it (the assertion below).`,
    "# configureNginx stays off: it would serve the server at the root of hostName; the front node's",
    '# web server (spreed-setup setup --cluster) proxies every node instead.',
  ];
  return `${header.join('\n')}\n{ config, lib, ... }:\n\n${nixValue(body)}\n`;
}

export function renderNixos(input: EngineInput): EngineFile[] {
  const c = input.cluster.cluster;
  const readme = `# Cluster ${c.name} on NixOS

Rendered by spreed-setup ${input.toolVersion} (\`spreed-setup render --engine nixos\`): one module per
signaling node. On each node, with the cluster's secrets bundle at ${input.bundleDir}
(\`spreed-setup setup --cluster FILE --node NAME\` writes it), import that node's file:

\`\`\`nix
imports = [ ./${c.nodes[0]!.name}.nix ];
\`\`\`

then \`nixos-rebuild switch\`. No secret value is in these files.${
    c.media.length ? ' The media nodes (proxy + Janus) have no NixOS module: run them with `--engine compose`.' : ''
  }
`;
  return [
    ...c.nodes.map((n) => ({ path: `${n.name}.nix`, content: nodeModule(input, n), mode: 0o644 })),
    { path: 'README.md', content: readme, mode: 0o644 },
  ];
}
