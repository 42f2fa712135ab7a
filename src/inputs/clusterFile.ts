// Cluster files: an answers file (the settings every node shares) with a `cluster` key naming the
// machines (model/cluster.ts). Read once; every node's input and every engine's files come from it.
import { ClusterSchema, nodeInput, type ClusterFile } from '../model/cluster.js';
import type { DeploymentInput } from '../model/deployment.js';
import type { z } from 'zod';
import { problem, type Problem } from '../errors.js';
import { stringify as stringifyYaml } from 'yaml';
import { loadAnswersFile, withoutSecrets } from './answers.js';

const CLUSTER_KEY = 'cluster';

/** Where a zod issue points, as a cluster file spells it: cluster.nodes[1].httpPort. */
const pathText = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : `${s}.${String(k)}`), CLUSTER_KEY);

export function loadClusterFile(file: string): { cluster?: ClusterFile; problems: Problem[] } {
  const read = loadAnswersFile(file, { extraKeys: [CLUSTER_KEY] });
  if (read.problems.length) return { problems: read.problems };
  const { [CLUSTER_KEY]: raw, ...shared } = read.input as Record<string, unknown>;
  if (raw === undefined)
    return {
      problems: [
        problem(
          `cluster file ${file} has no "cluster" key`,
          'name the nodes under cluster: (see examples/cluster.yaml), or give it with --answers',
        ),
      ],
    };
  const parsed = ClusterSchema.safeParse(raw);
  if (!parsed.success)
    return {
      problems: parsed.error.issues.map((i) =>
        problem(`cluster file ${file}: ${pathText(i.path)} ${i.message}`, `correct ${pathText(i.path)} in ${file}`),
      ),
    };
  return { cluster: { shared: shared as DeploymentInput, cluster: parsed.data }, problems: [] };
}

/** The problem of naming a node the cluster file does not have, or undefined. */
export function unknownNodeProblem(c: ClusterFile, name: string, file: string): Problem | undefined {
  const all = [...c.cluster.nodes, ...c.cluster.media].map((n) => n.name);
  return all.includes(name)
    ? undefined
    : problem(`--node ${name}: ${file} has no node of that name`, `give one of: ${all.join(', ')}`);
}

export { nodeInput };

/** What the cluster decides for each node: never taken from the shared settings of a written file. */
const NODE_KEYS = ['listen', 'nats', 'grpc', 'mcu', 'janus', 'proxyNode'] as const;

/**
 * A cluster file from the shared settings and the cluster (what the wizard writes): no secrets, as
 * an answers file written by --answers-out (pass-through secret keys and NATS URL passwords are
 * left out and named), and none of the keys the cluster decides per node.
 */
export function renderClusterFile(
  shared: Partial<DeploymentInput>,
  cluster: z.input<typeof ClusterSchema>,
  toolVersion: string,
): string {
  const data: Record<string, unknown> = { ...shared };
  for (const k of NODE_KEYS) delete data[k];
  delete data.extra;
  const natsUrls = cluster.nats?.mode === 'external' ? cluster.nats.urls : undefined;
  const clean = withoutSecrets(shared.extra as Record<string, Record<string, string>> | undefined, natsUrls);
  if (clean.extra) data.extra = clean.extra;
  const c: Record<string, unknown> = { ...cluster };
  if (cluster.nats?.mode === 'external') c.nats = { ...cluster.nats, urls: clean.natsUrls };
  data[CLUSTER_KEY] = c;
  return `# spreed-setup ${toolVersion} cluster file (no secrets). On each machine: spreed-setup setup --cluster FILE --node NAME\n${clean.note}${stringifyYaml(data)}`;
}
