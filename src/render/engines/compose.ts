// docker compose (cluster-facts §8): one project per machine of the cluster, upstream's images,
// host networking. A signaling node runs the server and its nats-server (routed to the other
// nodes'); a media node runs the signaling proxy and Janus. No secret value in any file: the
// project's prepare.sh builds secrets.env (the env_file) and the token key from the bundle.
import { Document, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { frontNode, hostPort, natsRoutes, type MediaNode, type SignalingNode } from '../../model/cluster.js';
import { CONTAINER_IMAGE, JANUS_IMAGE } from '../../model/versions.js';
import { janusBuildContext } from '../../model/urls.js';
import { clusterTokenKeyFile, clusterTokenPubFile } from '../../secrets/clusterBundle.js';
import { renderTemplate } from '../templates.js';
import {
  engineRelease,
  janusCommand,
  janusImage,
  janusTransportFiles,
  natsImage,
  nodeOf,
  proxyEnv,
  proxyImage,
  serverEnv,
  serverImage,
  type EngineFile,
  type EngineInput,
  type EnvVar,
} from './common.js';

export const COMPOSE_FILE = 'docker-compose.yml';
export const SECRETS_ENV_FILE = 'secrets.env';
const CONFIG = CONTAINER_IMAGE.configDir;

const HOST_NETWORK =
  " host: the nodes reach each other (NATS routes, gRPC, the proxies) at the cluster file's addresses,\n" +
  " and Janus must offer the host's own addresses as ICE candidates; a bridge network breaks both.";

function yamlFile(header: string, body: object, hostComment: boolean): string {
  const doc = new Document(body, { aliasDuplicateObjects: false });
  doc.commentBefore = header;
  if (hostComment) {
    const services = doc.get('services', true) as YAMLMap;
    // Said once, at the first service's network_mode (every service has it).
    const first = services.items[0]?.value as YAMLMap | undefined;
    const pair = first?.items.find((p) => (p.key as Scalar).value === 'network_mode') as
      | Pair<Scalar, unknown>
      | undefined;
    if (pair) pair.key.commentBefore = HOST_NETWORK.replace(' host:', ' host (every service):');
  }
  return doc.toString({ lineWidth: 0 });
}

const plainEnv = (env: EnvVar[]): Record<string, string> =>
  Object.fromEntries(
    env.filter((e): e is { name: string; value: string } => 'value' in e).map((e) => [e.name, e.value]),
  );
const secretEnv = (env: EnvVar[]) =>
  env
    .filter((e): e is { name: string; secret: string } => 'secret' in e)
    .map((e) => ({ name: e.name, file: e.secret }));

function prepareScript(
  input: EngineInput,
  what: string,
  o: { secrets?: { name: string; file: string }[]; tokenKey?: string; pubKeys?: { file: string; name: string }[] },
): string {
  return renderTemplate('engine-prepare.sh.mustache', {
    toolVersion: input.toolVersion,
    bundleDir: input.bundleDir,
    what,
    uid: CONTAINER_IMAGE.uid,
    secrets: o.secrets ?? [],
    tokenKey: o.tokenKey,
    pubKeys: o.pubKeys ?? [],
  });
}

function signalingProject(input: EngineInput, n: SignalingNode): EngineFile[] {
  const c = input.cluster;
  const d = nodeOf(input, n);
  const release = engineRelease(input);
  const media = c.cluster.media.length > 0;
  const grpc =
    c.cluster.grpc.discovery === 'etcd'
      ? { listen: d.grpc?.listen ?? hostPort(n.address, n.grpcPort), etcdPrefix: c.cluster.grpc.prefix }
      : {
          listen: d.grpc?.listen ?? hostPort(n.address, n.grpcPort),
          targets: d.grpc?.targets ?? [],
          dnsDiscovery: c.cluster.grpc.discovery === 'dns',
        };
  const env = serverEnv(
    d,
    n,
    {
      listen: d.listen,
      natsUrls: d.nats.mode === 'external' ? d.nats.urls : [],
      grpc,
      ...(media ? { tokenKey: `${CONFIG}/token.key` } : {}),
    },
    c,
  );
  const services: Record<string, object> = {};
  if (c.cluster.nats.mode === 'own') {
    const routes = natsRoutes(c.cluster, n);
    services.nats = {
      image: natsImage(),
      // Core NATS only (no JetStream): every nats-server routes to the others' route port.
      command: [
        '--addr',
        n.address,
        '--port',
        String(n.natsPort),
        '--http_port',
        String(n.natsMonitorPort),
        '--cluster_name',
        c.cluster.name,
        '--cluster',
        `nats://${hostPort(n.address, n.natsClusterPort)}`,
        '--routes',
        routes.join(','),
      ],
      network_mode: 'host',
      restart: 'unless-stopped',
    };
  }
  services.signaling = {
    image: serverImage(release),
    network_mode: 'host',
    restart: 'unless-stopped',
    ...(c.cluster.nats.mode === 'own' ? { depends_on: ['nats'] } : {}),
    environment: plainEnv(env),
    env_file: [SECRETS_ENV_FILE],
    ...(media ? { volumes: [`./token.key:${CONFIG}/token.key:ro`] } : {}),
  };
  const header = [
    ` docker compose project of signaling node ${n.name} (cluster ${c.cluster.name}): the signaling server${c.cluster.nats.mode === 'own' ? ' and its nats-server' : ''}.`,
    ` Rendered by spreed-setup ${input.toolVersion} (spreed-setup render --engine compose); run it on ${n.address}.`,
    ` No secret is in this file: first \`sh prepare.sh [BUNDLE]\` writes ${SECRETS_ENV_FILE}${media ? ' and token.key' : ''} from the cluster's secrets bundle.`,
    ' The image builds server.conf from this environment only when the container has none yet: after a',
    ' change, `docker compose up -d --force-recreate` (a restart keeps the old server.conf).',
  ].join('\n');
  const dir = `${n.name}`;
  return [
    { path: `${dir}/${COMPOSE_FILE}`, content: yamlFile(header, { services }, true), mode: 0o644 },
    {
      path: `${dir}/prepare.sh`,
      content: prepareScript(input, `signaling node ${n.name}`, {
        secrets: secretEnv(env),
        ...(media ? { tokenKey: clusterTokenKeyFile(n.name) } : {}),
      }),
      mode: 0o755,
    },
  ];
}

function mediaProject(input: EngineInput, m: MediaNode): EngineFile[] {
  const c = input.cluster;
  const release = engineRelease(input);
  const tokensDir = `${CONFIG}/tokens`;
  const env = proxyEnv(m, c, { listen: hostPort(m.address, m.proxyPort), tokensDir });
  const transports = janusTransportFiles(m);
  const services = {
    janus: {
      // No published image: built from upstream's docker/janus at a pinned release.
      image: janusImage(),
      build: { context: janusBuildContext(JANUS_IMAGE.fromRelease) },
      command: janusCommand(),
      network_mode: 'host',
      restart: 'unless-stopped',
      volumes: transports.map((t) => `./${t.name}:${JANUS_IMAGE.configDir}/${t.name}:ro`),
    },
    proxy: {
      image: proxyImage(release),
      network_mode: 'host',
      restart: 'unless-stopped',
      depends_on: ['janus'],
      environment: plainEnv(env),
      volumes: [`./tokens:${tokensDir}:ro`],
    },
  };
  const header = [
    ` docker compose project of media node ${m.name} (cluster ${c.cluster.name}): the signaling proxy and Janus.`,
    ` Rendered by spreed-setup ${input.toolVersion} (spreed-setup render --engine compose); run it on ${m.address}.`,
    " First `sh prepare.sh [BUNDLE]` copies every signaling node's public token key into ./tokens.",
    ' The image builds proxy.conf from this environment only when the container has none yet: after a',
    ' change, `docker compose up -d --force-recreate`.',
  ].join('\n');
  return [
    { path: `${m.name}/${COMPOSE_FILE}`, content: yamlFile(header, { services }, true), mode: 0o644 },
    ...transports.map((t) => ({ path: `${m.name}/${t.name}`, content: t.content, mode: 0o644 })),
    {
      path: `${m.name}/prepare.sh`,
      content: prepareScript(input, `media node ${m.name}`, {
        pubKeys: c.cluster.nodes.map((n) => ({
          file: clusterTokenPubFile(n.name),
          name: clusterTokenPubFile(n.name).split('/').pop()!,
        })),
      }),
      mode: 0o755,
    },
  ];
}

function readme(input: EngineInput): string {
  const c = input.cluster.cluster;
  const machines = [
    ...c.nodes.map((n) => `- \`${n.name}/\` on ${n.address} (signaling node)`),
    ...c.media.map((m) => `- \`${m.name}/\` on ${m.address} (media node)`),
  ];
  return `# Cluster ${c.name} on docker compose

Rendered by spreed-setup ${input.toolVersion} (\`spreed-setup render --engine compose\`): one project per
machine, upstream's images, host networking.

${machines.join('\n')}

On each machine, with the cluster's secrets bundle in place (\`spreed-setup setup --cluster FILE
--node NAME\` writes it, by default ${input.bundleDir}), copy that machine's directory and run:

\`\`\`sh
sh prepare.sh ${input.bundleDir}   # ${SECRETS_ENV_FILE} (0600) and token keys from the bundle; prints no secret
docker compose up -d --force-recreate
\`\`\`

No secret value is in any file here: ${SECRETS_ENV_FILE} is the env_file prepare.sh builds. The load
balancer in front of the signaling nodes is the front node's web server (\`spreed-setup setup --cluster
FILE --node ${frontNode(c).name}\`).${
    c.media.length
      ? `
The media nodes build Janus from upstream's docker/janus (\`docker compose build\` there first).`
      : ''
  }
`;
}

/** One directory per machine: <node>/docker-compose.yml and <node>/prepare.sh (and Janus's transports). */
export function renderCompose(input: EngineInput): EngineFile[] {
  return [
    ...input.cluster.cluster.nodes.flatMap((n) => signalingProject(input, n)),
    ...input.cluster.cluster.media.flatMap((m) => mediaProject(input, m)),
    { path: 'README.md', content: readme(input), mode: 0o644 },
  ];
}
