// The wizard's "several servers" path (issue 15): on the customize path, one question chooses one
// server or a cluster. For a cluster it asks the machines (signaling nodes, media nodes, NATS,
// gRPC discovery), each answer checked by the cluster file's own schemas, then writes the cluster
// file (the shared settings asked so far plus `cluster:`; no secrets) instead of setting up this
// machine, reads it back as `setup --cluster` will, and prints the commands that set up each node.
import { lstatSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { DeploymentInput } from '../model/deployment.js';
import type { ClusterSchema } from '../model/cluster.js';
import { CLUSTER_BUNDLE } from '../model/defaults.js';
import { EXIT, UserError, problem, quote } from '../errors.js';
import { escapeControls } from '../io/output.js';
import { textProblem } from '../model/text.js';
import { must, type Prompter } from './prompter.js';

type ClusterInput = z.input<typeof ClusterSchema>;
type Schemas = typeof import('../model/cluster.js');
type NodeAnswer = { name: string; address: string; country?: string };

/** The one question: one server (the flow as before), or several as one HPB. */
export async function askServers(p: Prompter): Promise<'one' | 'several'> {
  p.info(
    'A cluster is signaling servers on several machines behind one public URL, for more calls than one machine carries or for failover. For a cluster the wizard writes a cluster file to set up each machine from, and sets up nothing here.',
  );
  return must(
    await p.select<'one' | 'several'>({
      message: 'One server, or several servers as one HPB (a cluster)?',
      options: [
        { value: 'one', label: 'One server: set up this machine', hint: 'recommended' },
        { value: 'several', label: 'Several servers as one HPB (a cluster)', hint: 'writes a cluster file' },
      ],
      initialValue: 'one',
    }),
  );
}

/** An answer as a one-line reason shows it: shortened, control characters escaped. */
const shown = (s: string) => escapeControls(quote(s));

/**
 * A prompt check from the cluster file's own rules: the field's schema first, then the whole
 * cluster as it would be with this answer (duplicate names, two services on one address and port),
 * keeping only what it says about this answer's node.
 */
function answerCheck(
  field: z.ZodType,
  s: Schemas,
  cross?: { tentative: (v: string) => unknown; at: readonly (string | number)[] },
): (v: string) => string | undefined {
  return (raw) => {
    const v = raw.trim();
    if (v === '') return 'type a value (the dimmed example is not taken)';
    const own = field.safeParse(v);
    const about = (path: readonly PropertyKey[]) => cross?.at.every((k, j) => path[j] === k);
    const why = own.success
      ? (textProblem(v) ??
        (cross && s.ClusterSchema.safeParse(cross.tentative(v)).error?.issues.find((i) => about(i.path))?.message))
      : own.error.issues[0]?.message;
    return why === undefined ? undefined : `${shown(v)} ${why}`;
  };
}

const freeName = (prefix: string, taken: readonly NodeAnswer[]): string => {
  for (let i = 1; ; i++) if (!taken.some((n) => n.name === `${prefix}${i}`)) return `${prefix}${i}`;
};

/** The machines of the cluster: at least two signaling nodes, media nodes if any, NATS and gRPC. */
export async function askCluster(p: Prompter): Promise<ClusterInput> {
  const s = await import('../model/cluster.js');
  const nodes: NodeAnswer[] = [];
  const media: NodeAnswer[] = [];
  const cluster = (): ClusterInput => ({ nodes: [...nodes], media: [...media] });
  p.info(
    'Signaling nodes: each runs a signaling server (and, by default, a nats-server). The first is the front node: its web server takes the public URL and balances it over every node.',
  );
  for (;;) {
    const i = nodes.length;
    const name = must(
      await p.text({
        message: `Signaling node ${i + 1}: its name (lower-case letters, digits, dashes)`,
        defaultValue: freeName('sig', [...nodes, ...media]),
        validate: answerCheck(s.SignalingNodeSchema.shape.name, s, {
          tentative: (v) => ({ ...cluster(), nodes: [...nodes, { name: v, address: '192.0.2.1' }] }),
          at: ['nodes', i, 'name'],
        }),
      }),
    ).trim();
    const address = must(
      await p.text({
        message: `Address the other machines reach ${name} at (an IP address or a host name, no port)`,
        example: `10.0.0.${11 + i}`,
        validate: answerCheck(s.SignalingNodeSchema.shape.address, s, {
          tentative: (v) => ({ ...cluster(), nodes: [...nodes, { name, address: v }] }),
          at: ['nodes', i],
        }),
      }),
    ).trim();
    nodes.push({ name, address });
    if (nodes.length < 2) continue;
    if (!must(await p.confirm({ message: 'Add another signaling node?', initialValue: false }))) break;
  }
  const withMedia = must(
    await p.confirm({
      message:
        'Media nodes too? (machines running the signaling proxy and Janus for larger calls; without them calls run peer-to-peer)',
      initialValue: false,
    }),
  );
  while (withMedia) {
    const j = media.length;
    const name = must(
      await p.text({
        message: `Media node ${j + 1}: its name`,
        defaultValue: freeName('media', [...nodes, ...media]),
        validate: answerCheck(s.MediaNodeSchema.shape.name, s, {
          tentative: (v) => ({ ...cluster(), media: [...media, { name: v, address: '192.0.2.1' }] }),
          at: ['media', j, 'name'],
        }),
      }),
    ).trim();
    const address = must(
      await p.text({
        message: `Address the signaling nodes reach ${name} at (an IP address or a host name, no port)`,
        example: `10.0.0.${21 + j}`,
        validate: answerCheck(s.MediaNodeSchema.shape.address, s, {
          tentative: (v) => ({ ...cluster(), media: [...media, { name, address: v }] }),
          at: ['media', j],
        }),
      }),
    ).trim();
    const country = must(
      await p.text({
        message: `Country ${name} stands in, two letters (the proxy places publishers near them); empty: none`,
        validate: (v) => {
          if (v.trim() === '') return undefined;
          const r = s.MediaNodeSchema.shape.country.safeParse(v.trim());
          return r.success ? undefined : `${shown(v.trim())} ${r.error.issues[0]?.message}`;
        },
      }),
    ).trim();
    media.push({ name, address, ...(country ? { country } : {}) });
    if (!must(await p.confirm({ message: 'Add another media node?', initialValue: false }))) break;
  }
  const nats = await askClusterNats(p);
  const grpc = await askGrpc(p, s);
  const c: ClusterInput = { front: nodes[0]!.name, nodes, ...(media.length ? { media } : {}), nats, grpc };
  const all = s.ClusterSchema.safeParse(c);
  if (!all.success)
    throw new UserError(all.error.issues.map((i) => problem(`cluster: ${i.path.join('.')} ${i.message}`)));
  return c;
}

async function askClusterNats(p: Prompter): Promise<ClusterInput['nats']> {
  const mode = must(
    await p.select<'own' | 'external'>({
      message: 'NATS (the message bus joining the signaling nodes)',
      options: [
        {
          value: 'own',
          label: 'A nats-server on every signaling node, routed to each other',
          hint: 'recommended; apt install nats-server on each',
        },
        { value: 'external', label: 'An existing NATS cluster (its URLs)' },
      ],
      initialValue: 'own',
    }),
  );
  if (mode === 'own') return { mode: 'own' };
  const { NatsUrlSchema } = await import('../model/deployment.js');
  const v = must(
    await p.text({
      message: 'URLs of the existing NATS cluster (comma-separated)',
      example: 'nats://10.0.0.5:4222, nats://10.0.0.6:4222',
      validate: (v) => {
        const urls = v.split(/[\s,]+/).filter(Boolean);
        if (!urls.length) return 'give at least one nats:// URL';
        for (const u of urls) {
          const r = NatsUrlSchema.safeParse(u);
          const why = r.success ? textProblem(u) : r.error.issues[0]?.message;
          if (why) return `${shown(u)} ${why}`;
        }
        return undefined;
      },
    }),
  );
  return { mode: 'external', urls: v.split(/[\s,]+/).filter(Boolean) };
}

async function askGrpc(p: Prompter, s: Schemas): Promise<ClusterInput['grpc']> {
  const discovery = must(
    await p.select<'static' | 'dns'>({
      message: 'How the signaling nodes find each other (gRPC)',
      options: [
        { value: 'static', label: "Every node's address, listed on every node", hint: 'recommended' },
        { value: 'dns', label: 'One DNS name that resolves to every node (a Kubernetes headless Service)' },
      ],
      initialValue: 'static',
    }),
  );
  if (discovery === 'static') return { discovery: 'static' };
  const name = must(
    await p.text({
      message: 'The DNS name resolving to every signaling node',
      example: 'spreed-grpc.hpb.svc.cluster.local',
      // grpc.name is a node address's kind: a host name (no port).
      validate: answerCheck(s.SignalingNodeSchema.shape.address, s),
    }),
  ).trim();
  return { discovery: 'dns', name };
}

/** Where the wizard writes the cluster file unless told otherwise: ./cluster.yaml, or under --root. */
export const defaultClusterFile = (root: string | undefined): string =>
  root ? path.join(root, 'cluster.yaml') : './cluster.yaml';

/** Why the cluster file cannot go at `file`, or undefined (an existing regular file is asked about). */
function placeProblem(file: string): string | undefined {
  const real = path.resolve(file);
  const dir = path.dirname(real);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory())
    return `the directory ${dir} does not exist (create it first, or give another path)`;
  const st = lstatSync(real, { throwIfNoEntry: false });
  if (st?.isSymbolicLink()) return 'is a symbolic link: the cluster file is not written through one';
  if (st && !st.isFile()) return 'exists and is not a file';
  return undefined;
}

/**
 * The cluster file written: the shared settings (no secrets, none of the per-node keys) and the
 * cluster, checked for every node before anything is written, read back as `setup --cluster` reads
 * it, then the commands that set up each machine. Nothing else on this machine changes.
 */
export async function writeClusterFile(
  p: Prompter,
  flags: { root?: string; dryRun: boolean; answersOut?: string },
  shared: Partial<DeploymentInput>,
  cluster: ClusterInput,
  toolVersion: string,
): Promise<number> {
  const { ClusterSchema, nodeInput } = await import('../model/cluster.js');
  const { DeploymentSchema } = await import('../model/deployment.js');
  const { loadClusterFile, renderClusterFile } = await import('../inputs/clusterFile.js');
  const text = renderClusterFile(shared, cluster, toolVersion);
  // Every signaling node's settings must hold, as `setup --cluster FILE --node NAME` will parse them.
  const parsed = ClusterSchema.parse(cluster);
  const { cluster: _c, ...settings } = (await import('yaml')).parse(text) as Record<string, unknown>;
  const problems = parsed.nodes.flatMap((n) => {
    const r = DeploymentSchema.safeParse(nodeInput({ shared: settings as DeploymentInput, cluster: parsed }, n.name));
    return r.success
      ? []
      : r.error.issues.map((i) =>
          problem(`node ${n.name}: ${i.path.join('.')} ${i.message}`, 'run the wizard again with another value'),
        );
  });
  if (problems.length) throw new UserError(problems);
  if (flags.answersOut) p.info(`--answers-out ${flags.answersOut}: not written; the cluster file holds these answers`);
  if (flags.dryRun) {
    p.note(text.trimEnd(), 'The cluster file (dry run: not written)');
    p.outro('Dry run: nothing was written.');
    return EXIT.ok;
  }
  let file: string;
  for (;;) {
    file = must(
      await p.text({
        message: 'Where to write the cluster file (every machine gets a copy of it)',
        defaultValue: defaultClusterFile(flags.root),
        validate: (v) => {
          const t = v.trim();
          if (!t) return 'type a path for the cluster file';
          const why = textProblem(t) ?? placeProblem(t);
          return why ? `${shown(t)} ${why}` : undefined;
        },
      }),
    ).trim();
    if (!lstatSync(file, { throwIfNoEntry: false })) break;
    if (must(await p.confirm({ message: `${file} exists. Replace it?`, initialValue: false }))) break;
  }
  const real = path.resolve(file);
  const existed = lstatSync(real, { throwIfNoEntry: false }) !== undefined;
  const { writeDurable } = await import('../apply/journal.js');
  try {
    writeDurable(real, text, 0o644);
  } catch (err) {
    throw new UserError(
      [
        problem(
          `cannot write ${real}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
          'choose a writable path',
        ),
      ],
      EXIT.failed,
    );
  }
  const back = loadClusterFile(real);
  if (!back.cluster) {
    if (!existed) rmSync(real, { force: true });
    throw new UserError(back.problems, EXIT.failed);
  }
  p.note((await nextCommands(real, back.cluster.cluster)).join('\n'), 'Next: set up each machine from it');
  p.outro(`Cluster file written: ${real}. Nothing else was changed on this machine.`);
  return EXIT.ok;
}

/** The commands that set up the cluster from the file, in their order (README "Several servers"). */
async function nextCommands(real: string, c: z.output<typeof ClusterSchema>): Promise<string[]> {
  const { shellQuote } = await import('../register/occ.js');
  const { frontNode } = await import('../model/cluster.js');
  const base = shellQuote(path.basename(real));
  const front = frontNode(c);
  const others = [...c.nodes.filter((n) => n.name !== front.name), ...c.media];
  const bundle = CLUSTER_BUNDLE.dir(c.name);
  const at = (address: string) => `root@${address.includes(':') ? `[${address}]` : address}`;
  return [
    `# 1. Copy the file to every machine (as ${base} in root's home there):`,
    ...[front, ...others].map((n) => `scp ${shellQuote(real)} ${at(n.address)}:${base}`),
    `# 2. On ${front.name} (the front node) first: it generates the secrets every node shares,`,
    `#    into ${bundle}`,
    `spreed-setup setup --cluster ${base} --node ${front.name} --yes   # --dry-run first shows the plan`,
    '# 3. Copy that directory as it is (0700, files 0600, owned by root) to every other machine:',
    ...others.map((n) => `rsync -a ${bundle}/ ${at(n.address)}:${bundle}/`),
    '# 4. Each other node, on its own machine:',
    ...others.map((n) => `spreed-setup setup --cluster ${base} --node ${n.name} --yes`),
    `# 5. Once, on ${front.name}: Talk gets the cluster's one public URL`,
    'spreed-setup register',
    '# 6. Then the cluster as a whole (on any signaling node):',
    `spreed-setup check --cluster ${base}`,
  ];
}
