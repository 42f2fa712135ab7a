// Kubernetes manifests (cluster-facts §8): each signaling node of the cluster file as its own
// Deployment (its own proxy token id and key), found by the others through a headless Service on
// the gRPC port (`[grpc] targets` = its DNS name, dnsdiscovery); NATS as a StatefulSet whose pods
// route to each other; the media nodes (proxy + Janus) on the host network of their machines; one
// Service and Ingress for HTTP. Secrets only by secretKeyRef and Secret volumes: no value here.
import { Document } from 'yaml';
import { CLUSTER_PORTS, type MediaNode, type SignalingNode } from '../../model/cluster.js';
import { CONTAINER_IMAGE, JANUS_IMAGE } from '../../model/versions.js';
import { janusBuildContext } from '../../model/urls.js';
import { secretSpecsFor } from '../../secrets/secrets.js';
import { clusterTokenKeyFile, clusterTokenPubFile } from '../../secrets/clusterBundle.js';
import {
  engineRelease,
  firstNode,
  hostPort,
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

export const MANIFEST_FILE = 'spreed-signaling.yaml';
/** Kubernetes' default cluster domain (the kubelet's --cluster-domain). */
const CLUSTER_DOMAIN = 'cluster.local';
/** Ingress timeouts, far above the server's 54 s websocket ping (cluster-facts §8). */
const WS_TIMEOUT_SECONDS = '3600';
const CONFIG = CONTAINER_IMAGE.configDir;

/** The names every object is derived from (the cluster's name is the namespace and the prefix). */
export function kubeNames(clusterName: string) {
  return {
    namespace: clusterName,
    secrets: `${clusterName}-secrets`,
    tokens: `${clusterName}-tokens`,
    tls: `${clusterName}-tls`,
    nats: `${clusterName}-nats`,
    grpc: `${clusterName}-grpc`,
    http: `${clusterName}-signaling`,
    node: (name: string) => `${clusterName}-${name}`,
    janus: (name: string) => `${clusterName}-${name}-janus`,
  };
}

type Obj = { apiVersion: string; kind: string; metadata: Record<string, unknown>; [k: string]: unknown };

const toKubeEnv = (env: EnvVar[], secretName: string) =>
  env.map((e) =>
    'value' in e
      ? { name: e.name, value: e.value }
      : { name: e.name, valueFrom: { secretKeyRef: { name: secretName, key: e.secret } } },
  );

export function kubernetesObjects(input: EngineInput): { comment: string; object: Obj }[] {
  const c = input.cluster.cluster;
  const ns = c.name;
  const k = kubeNames(c.name);
  const d0 = firstNode(input);
  const release = engineRelease(input);
  const svc = (name: string) => `${name}.${ns}.svc.${CLUSTER_DOMAIN}`;
  const labels = (component: string, node?: string) => ({
    'app.kubernetes.io/name': 'nextcloud-spreed-signaling',
    'app.kubernetes.io/instance': c.name,
    'app.kubernetes.io/component': component,
    ...(node ? { 'spreed-setup/node': node } : {}),
  });
  const meta = (name: string, component: string, node?: string) => ({
    name,
    namespace: ns,
    labels: labels(component, node),
  });
  const out: { comment: string; object: Obj }[] = [];

  out.push({
    comment: ` Namespace of cluster ${c.name}, rendered by spreed-setup ${input.toolVersion} (render --engine kubernetes).\n Create the Secrets ${k.secrets}${c.media.length ? ` and ${k.tokens}` : ''} first (README.md beside this file).\n Pods listen on the services' default ports; the cluster file's addresses and ports apply to the\n media nodes only (host network).`,
    object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: labels('namespace') } },
  });

  // NATS: one pod per signaling node, every pod routed to all (a route to itself is dropped).
  const natsUrls =
    c.nats.mode === 'own'
      ? c.nodes.map((_, i) => `nats://${k.nats}-${i}.${svc(k.nats)}:${CLUSTER_PORTS.nats}`)
      : c.nats.urls;
  if (c.nats.mode === 'own') {
    const routes = c.nodes.map((_, i) => `    nats://${k.nats}-${i}.${svc(k.nats)}:${CLUSTER_PORTS.natsCluster}`);
    out.push({
      comment: ' nats-server of every pod (core NATS, no JetStream): the cluster block routes to every pod.',
      object: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: meta(k.nats, 'nats'),
        data: {
          'nats.conf': [
            `port: ${CLUSTER_PORTS.nats}`,
            `http_port: ${CLUSTER_PORTS.natsMonitor}`,
            'cluster {',
            `  name: ${c.name}`,
            `  port: ${CLUSTER_PORTS.natsCluster}`,
            '  routes: [',
            ...routes,
            '  ]',
            '}',
            '',
          ].join('\n'),
        },
      },
    });
    out.push({
      comment: " Headless: each NATS pod has its own DNS name (routes, and the servers' NATS_URL list).",
      object: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: meta(k.nats, 'nats'),
        spec: {
          clusterIP: 'None',
          // Routes form before the pods are ready.
          publishNotReadyAddresses: true,
          selector: labels('nats'),
          ports: [
            { name: 'client', port: CLUSTER_PORTS.nats, targetPort: 'client' },
            { name: 'cluster', port: CLUSTER_PORTS.natsCluster, targetPort: 'cluster' },
            { name: 'monitor', port: CLUSTER_PORTS.natsMonitor, targetPort: 'monitor' },
          ],
        },
      },
    });
    out.push({
      comment: ` NATS cluster ${c.name}: ${c.nodes.length} pods (one per signaling node).`,
      object: {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: meta(k.nats, 'nats'),
        spec: {
          serviceName: k.nats,
          replicas: c.nodes.length,
          podManagementPolicy: 'Parallel',
          selector: { matchLabels: labels('nats') },
          template: {
            metadata: { labels: labels('nats') },
            spec: {
              containers: [
                {
                  name: 'nats',
                  image: natsImage(),
                  args: ['--config', '/etc/nats/nats.conf'],
                  ports: [
                    { name: 'client', containerPort: CLUSTER_PORTS.nats },
                    { name: 'cluster', containerPort: CLUSTER_PORTS.natsCluster },
                    { name: 'monitor', containerPort: CLUSTER_PORTS.natsMonitor },
                  ],
                  readinessProbe: { httpGet: { path: '/healthz', port: 'monitor' }, periodSeconds: 10 },
                  volumeMounts: [{ name: 'config', mountPath: '/etc/nats', readOnly: true }],
                },
              ],
              volumes: [{ name: 'config', configMap: { name: k.nats } }],
            },
          },
        },
      },
    });
  }

  out.push({
    comment: ` Headless (clusterIP None): its DNS name resolves to every signaling pod; each server's\n [grpc] targets is that name with dnsdiscovery (a server drops itself by its id). Pods have no\n fixed addresses: this replaces the cluster file's gRPC discovery.`,
    object: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(k.grpc, 'signaling'),
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector: labels('signaling'),
        ports: [{ name: 'grpc', port: CLUSTER_PORTS.grpc, targetPort: 'grpc' }],
      },
    },
  });
  out.push({
    comment: " Every signaling node behind one address: the Ingress's backend (no sticky sessions needed).",
    object: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(k.http, 'signaling'),
      spec: {
        selector: labels('signaling'),
        ports: [{ name: 'http', port: CLUSTER_PORTS.http, targetPort: 'http' }],
      },
    },
  });

  for (const n of c.nodes)
    out.push(signalingDeployment(input, n, { natsUrls, grpcName: svc(k.grpc), meta, labels, release }));
  for (const m of c.media) out.push(...mediaObjects(input, m, { meta, labels, release }));

  const base = d0.basePath.replace(/\./g, '\\.');
  out.push({
    comment: ` The public URL https://${d0.hostname}${d0.basePath} (register it in Talk once). Annotations for\n ingress-nginx: long websocket timeouts, and ${d0.basePath} stripped as the server expects;\n TLS from the Secret ${k.tls} (e.g. cert-manager's).`,
    object: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: {
        ...meta(c.name, 'ingress'),
        annotations: {
          'nginx.ingress.kubernetes.io/proxy-read-timeout': WS_TIMEOUT_SECONDS,
          'nginx.ingress.kubernetes.io/proxy-send-timeout': WS_TIMEOUT_SECONDS,
          'nginx.ingress.kubernetes.io/use-regex': 'true',
          'nginx.ingress.kubernetes.io/rewrite-target': '/$2',
        },
      },
      spec: {
        ingressClassName: 'nginx',
        tls: [{ hosts: [d0.hostname], secretName: k.tls }],
        rules: [
          {
            host: d0.hostname,
            http: {
              paths: [
                {
                  path: `${base}(/|$)(.*)`,
                  pathType: 'ImplementationSpecific',
                  backend: { service: { name: k.http, port: { name: 'http' } } },
                },
              ],
            },
          },
        ],
      },
    },
  });
  return out;
}

type Helpers = {
  meta: (name: string, component: string, node?: string) => Record<string, unknown>;
  labels: (component: string, node?: string) => Record<string, string>;
  release: string;
};

function signalingDeployment(
  input: EngineInput,
  n: SignalingNode,
  h: Helpers & { natsUrls: readonly string[]; grpcName: string },
): { comment: string; object: Obj } {
  const c = input.cluster;
  const k = kubeNames(c.cluster.name);
  const media = c.cluster.media.length > 0;
  const tokenDir = `${CONFIG}/tokens`;
  const env = serverEnv(
    nodeOf(input, n),
    n,
    {
      listen: `0.0.0.0:${CLUSTER_PORTS.http}`,
      natsUrls: h.natsUrls,
      grpc: {
        listen: `0.0.0.0:${CLUSTER_PORTS.grpc}`,
        targets: [`${h.grpcName}:${CLUSTER_PORTS.grpc}`],
        dnsDiscovery: true,
      },
      ...(media ? { tokenKey: `${tokenDir}/token.key` } : {}),
    },
    c,
  );
  const welcome = { httpGet: { path: '/api/v1/welcome', port: 'http' } };
  return {
    comment: ` Signaling node ${n.name}: one pod (its own proxy token id ${n.name}${media ? ` and key ${clusterTokenKeyFile(n.name)}` : ''}).\n The image builds server.conf from this environment; the welcome answers once NATS and the MCU are up.`,
    object: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: h.meta(k.node(n.name), 'signaling', n.name),
      spec: {
        replicas: 1,
        selector: { matchLabels: h.labels('signaling', n.name) },
        template: {
          metadata: { labels: h.labels('signaling', n.name) },
          spec: {
            // The image's user (spreedbackend) reads the token key through this group.
            securityContext: { fsGroup: CONTAINER_IMAGE.uid },
            containers: [
              {
                name: 'signaling',
                image: serverImage(h.release),
                env: toKubeEnv(env, k.secrets),
                ports: [
                  { name: 'http', containerPort: CLUSTER_PORTS.http },
                  { name: 'grpc', containerPort: CLUSTER_PORTS.grpc },
                ],
                readinessProbe: { ...welcome, periodSeconds: 10 },
                livenessProbe: { ...welcome, initialDelaySeconds: 30, periodSeconds: 20, failureThreshold: 6 },
                ...(media ? { volumeMounts: [{ name: 'token', mountPath: tokenDir, readOnly: true }] } : {}),
              },
            ],
            ...(media
              ? {
                  volumes: [
                    {
                      name: 'token',
                      secret: {
                        secretName: k.tokens,
                        // 0440: the group (fsGroup) reads it, nobody else.
                        defaultMode: 0o440,
                        items: [{ key: clusterTokenKeyFile(n.name).split('/').pop()!, path: 'token.key' }],
                      },
                    },
                  ],
                }
              : {}),
          },
        },
      },
    },
  };
}

function mediaObjects(input: EngineInput, m: MediaNode, h: Helpers): { comment: string; object: Obj }[] {
  const c = input.cluster;
  const k = kubeNames(c.cluster.name);
  const tokensDir = `${CONFIG}/tokens`;
  const transports = janusTransportFiles(m);
  const env = proxyEnv(m, c, { listen: hostPort(m.address, m.proxyPort), tokensDir });
  return [
    {
      comment: ` Janus's transports on media node ${m.name}: the websocket API for the proxy only, REST off.`,
      object: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: h.meta(k.janus(m.name), 'media', m.name),
        data: Object.fromEntries(transports.map((t) => [t.name, t.content])),
      },
    },
    {
      comment: ` Media node ${m.name} (${m.address}): the signaling proxy and Janus on the host's network (a\n Service cannot carry Janus's UDP range, and Janus must offer the host's addresses), pinned to\n the machine by its node name (change kubernetes.io/hostname if it is not ${m.name}). The Janus\n image is built from upstream's docker/janus (README.md) and pushed where the cluster pulls from.`,
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: h.meta(k.node(m.name), 'media', m.name),
        spec: {
          replicas: 1,
          // Host ports: the old pod goes before the new one starts.
          strategy: { type: 'Recreate' },
          selector: { matchLabels: h.labels('media', m.name) },
          template: {
            metadata: { labels: h.labels('media', m.name) },
            spec: {
              hostNetwork: true,
              dnsPolicy: 'ClusterFirstWithHostNet',
              nodeSelector: { 'kubernetes.io/hostname': m.name },
              containers: [
                {
                  name: 'janus',
                  image: janusImage(),
                  command: janusCommand(),
                  volumeMounts: transports.map((t) => ({
                    name: 'janus-config',
                    mountPath: `${JANUS_IMAGE.configDir}/${t.name}`,
                    subPath: t.name,
                    readOnly: true,
                  })),
                },
                {
                  name: 'proxy',
                  image: proxyImage(h.release),
                  env: toKubeEnv(env, k.secrets),
                  ports: [{ name: 'proxy', containerPort: m.proxyPort }],
                  volumeMounts: [{ name: 'tokens', mountPath: tokensDir, readOnly: true }],
                },
              ],
              volumes: [
                { name: 'janus-config', configMap: { name: k.janus(m.name) } },
                {
                  name: 'tokens',
                  secret: {
                    secretName: k.tokens,
                    // Public keys only.
                    items: c.cluster.nodes.map((n) => {
                      const f = clusterTokenPubFile(n.name).split('/').pop()!;
                      return { key: f, path: f };
                    }),
                  },
                },
              ],
            },
          },
        },
      },
    },
  ];
}

/** The kubectl commands that make the Secrets the manifests name, from the bundle's files. */
export function kubectlSecretCommands(input: EngineInput, bundle = 'BUNDLE'): string[] {
  const c = input.cluster.cluster;
  const k = kubeNames(c.name);
  const specs = secretSpecsFor(firstNode(input));
  const lines = [
    `kubectl create namespace ${k.namespace}`,
    `kubectl -n ${k.namespace} create secret generic ${k.secrets} \\\n${specs.map((s) => `  --from-file=${s.name}=${bundle}/${s.name}`).join(' \\\n')}`,
  ];
  if (c.media.length)
    lines.push(
      `kubectl -n ${k.namespace} create secret generic ${k.tokens} \\\n${c.nodes
        .flatMap((n) => [clusterTokenKeyFile(n.name), clusterTokenPubFile(n.name)])
        .map((f) => `  --from-file=${f.split('/').pop()}=${bundle}/${f}`)
        .join(' \\\n')}`,
    );
  return lines;
}

export function renderKubernetes(input: EngineInput): EngineFile[] {
  const docs = kubernetesObjects(input).map(({ comment, object }) => {
    const doc = new Document(object, { aliasDuplicateObjects: false });
    doc.commentBefore = comment;
    return doc.toString({ lineWidth: 0 });
  });
  const c = input.cluster.cluster;
  const readme = `# Cluster ${c.name} on Kubernetes

Rendered by spreed-setup ${input.toolVersion} (\`spreed-setup render --engine kubernetes\`). No secret
value is in ${MANIFEST_FILE}: the pods read them from the Secrets below, made from the cluster's
secrets bundle (\`spreed-setup setup --cluster\` writes it, by default ${input.bundleDir}):

\`\`\`sh
BUNDLE=${input.bundleDir}
${kubectlSecretCommands(input, '$BUNDLE').join('\n')}
kubectl apply -f ${MANIFEST_FILE}
\`\`\`
${
  c.media.length
    ? `
The media nodes' Janus image has no upstream build to pull: build it from upstream's docker/janus
and push it to the registry the cluster pulls from (then change its \`image:\` to that name):

\`\`\`sh
docker build -t ${janusImage()} '${janusBuildContext(JANUS_IMAGE.fromRelease)}'
\`\`\`
`
    : ''
}
The Ingress expects ingress-nginx and a TLS Secret ${kubeNames(c.name).tls} for the host name.
`;
  return [
    { path: MANIFEST_FILE, content: docs.join('---\n'), mode: 0o644 },
    { path: 'README.md', content: readme, mode: 0o644 },
  ];
}
