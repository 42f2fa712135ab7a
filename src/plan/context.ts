// What is on this machine before any question: where things go, what is installed, and what the
// flags and an answers file say. Light on purpose: the wizard's first prompt waits for this, so
// YAML and the model (zod) load only when there is a state file or an answers file to read.
import { lstatSync } from 'node:fs';
import type { SetupFlags } from '../options/setup.js';
import type { Problem } from '../errors.js';
import { detectLayout, statePath } from '../detect/layout.js';
import { Target } from '../io/target.js';
import type { Layout } from '../model/layout.js';
import type { ExistingInstall } from '../detect/existing.js';
import type { DetectedVersion } from '../detect/version.js';
import type { StateReading } from '../detect/installed.js';
import type { DeploymentInput } from '../model/deployment.js';
import { inputFromFlags, keepNatsPasswords, mergeInputs, normalizeInput } from '../inputs/inputs.js';
import type { ClusterFile } from '../model/cluster.js';
import { problem } from '../errors.js';
import { CLUSTER_BUNDLE } from '../model/defaults.js';

const REQUIRED: Array<{ key: 'hostname' | 'backends'; flag: string }> = [
  { key: 'hostname', flag: '--hostname NAME' },
  { key: 'backends', flag: '--nextcloud URL' },
];

/** What is on this machine before any question: where things go and what is already there. */
export interface SetupContext {
  target: Target;
  layout: Layout;
  existing: ExistingInstall;
  /** state file + existing server.conf (server.conf wins) */
  installedInput: Partial<DeploymentInput>;
  /** What the installed files were rendered for, from the state file. */
  rendered: { version?: string; installed?: string };
  answersInput: Partial<DeploymentInput>;
  /** The answers file says it left the NATS URL passwords out. */
  natsPasswordsLeftOut?: boolean;
  /** Where each value came from, to say where to fix it: the answers file, server.conf, the state file. */
  sources: InputSource[];
  /** What the command-line flags gave (set by inputFor). */
  flagInput?: Partial<DeploymentInput>;
  problems: Problem[];
  notices: string[];
  toolVersion: string;
  detectedVersion?: Promise<DetectedVersion | undefined>;
  /** setup --cluster FILE --node NAME: the node's input took the answers file's place. */
  cluster?: ClusterRun;
}

/** One node of a cluster file, as this run sets it up. */
export interface ClusterRun {
  /** The cluster file as given. */
  path: string;
  file: ClusterFile;
  node: string;
  role: 'signaling' | 'media';
  /** The cluster secrets bundle (--cluster-secrets, default by the cluster's name). */
  dir: string;
}

/** One layer of input and how to correct a value it gave. */
export interface InputSource {
  input: Partial<DeploymentInput>;
  fix(field: string): string;
  /** Values given on the command line: named by their flag. */
  flags?: boolean;
}

export async function detectSetupContext(
  flags: Pick<SetupFlags, 'root' | 'config' | 'answers' | 'cluster' | 'node' | 'clusterSecrets'>,
  toolVersion: string,
): Promise<SetupContext> {
  const target = new Target(flags.root);
  const layout = detectLayout(target, flags.config);
  // server.conf (read by the server's rules: goconf) only when there is one.
  const { existing, problems } = mayExist(target.path(layout.configPath))
    ? (await import('../detect/existing.js')).readExistingInstall(target, layout)
    : { existing: { secretFiles: new Map<string, string>() }, problems: [] };
  const state: StateReading = mayExist(target.path(statePath(layout)))
    ? (await import('../detect/installed.js')).readState(target, layout)
    : { input: {}, problems: [] };
  problems.push(...state.problems);
  // With --cluster the cluster file is the answers file (both given: one problem, below).
  const answers =
    flags.answers && flags.cluster === undefined
      ? (await import('../inputs/answers.js')).loadAnswersFile(flags.answers)
      : { input: {}, problems: [] };
  problems.push(...answers.problems);
  const cluster = await clusterRun(flags);
  problems.push(...cluster.problems);
  const sources: InputSource[] = [
    ...(flags.answers
      ? [{ input: answers.input, fix: (f: string) => `correct ${f} in the answers file ${flags.answers}` }]
      : []),
    ...(cluster.run
      ? [{ input: cluster.input, fix: (f: string) => `correct ${f} in the cluster file ${flags.cluster}` }]
      : []),
    {
      input: existing.reading?.input ?? {},
      fix: () => `correct it in ${target.path(layout.configPath)}, or give another value with a flag`,
    },
    {
      input: state.input,
      fix: (f: string) => `correct ${f} in ${target.path(statePath(layout))}, or give another value with a flag`,
    },
  ];
  return {
    sources,
    target,
    layout,
    existing,
    // The state file holds what server.conf cannot; server.conf itself wins for everything else.
    installedInput: mergeInputs(state.input, existing.reading?.input ?? {}),
    rendered: {
      ...(state.renderedFor ? { version: state.renderedFor } : {}),
      ...(state.installedWhenRendered ? { installed: state.installedWhenRendered } : {}),
    },
    answersInput: cluster.run ? cluster.input : answers.input,
    ...(cluster.run ? { cluster: cluster.run } : {}),
    ...('natsPasswordsLeftOut' in answers && answers.natsPasswordsLeftOut ? { natsPasswordsLeftOut: true } : {}),
    problems,
    notices: [...(existing.reading?.notices ?? [])],
    toolVersion,
  };
}

/** --cluster FILE --node NAME: the cluster file read, and the node's input (a media node's is empty). */
async function clusterRun(
  flags: Pick<SetupFlags, 'answers' | 'cluster' | 'node' | 'clusterSecrets'>,
): Promise<{ run?: ClusterRun; input: Partial<DeploymentInput>; problems: Problem[] }> {
  const none = { input: {}, problems: [] as Problem[] };
  if (flags.cluster === undefined) {
    for (const [given, name] of [
      [flags.node, '--node'],
      [flags.clusterSecrets, '--cluster-secrets'],
    ] as const)
      if (given !== undefined)
        none.problems.push(
          problem(`${name} without --cluster`, `give the cluster file too: --cluster FILE ${name} ${given}`),
        );
    return none;
  }
  if (flags.answers !== undefined)
    none.problems.push(
      problem(
        '--cluster and --answers both given: a cluster file is the answers file of every node',
        `give only --cluster ${flags.cluster} (put the shared settings into it)`,
      ),
    );
  const { loadClusterFile, unknownNodeProblem, nodeInput } = await import('../inputs/clusterFile.js');
  const read = loadClusterFile(flags.cluster);
  if (!read.cluster) return { input: {}, problems: [...none.problems, ...read.problems] };
  const file = read.cluster;
  const names = [...file.cluster.nodes, ...file.cluster.media].map((n) => n.name);
  if (flags.node === undefined)
    return {
      input: {},
      problems: [
        ...none.problems,
        problem(
          '--cluster without --node: which machine of the cluster is this?',
          `add --node NAME (one of: ${names.join(', ')})`,
        ),
      ],
    };
  const unknown = unknownNodeProblem(file, flags.node, flags.cluster);
  if (unknown) return { input: {}, problems: [...none.problems, unknown] };
  const role = file.cluster.nodes.some((n) => n.name === flags.node) ? 'signaling' : 'media';
  const run: ClusterRun = {
    path: flags.cluster,
    file,
    node: flags.node,
    role,
    dir: flags.clusterSecrets ?? CLUSTER_BUNDLE.dir(file.cluster.name),
  };
  const { AbsPathSchema } = await import('../model/deployment.js');
  const dirCheck = AbsPathSchema.safeParse(run.dir);
  if (!dirCheck.success)
    none.problems.push(
      problem(
        `--cluster-secrets ${run.dir}: ${dirCheck.error.issues[0]?.message ?? 'not a path'}`,
        'give another directory',
      ),
    );
  return { run, input: role === 'signaling' ? nodeInput(file, flags.node) : {}, problems: none.problems };
}

/** flags > answers file > installed setup; hosts lower-cased with notices. */
export function inputFor(
  ctx: SetupContext,
  flags: SetupFlags,
): { input: Partial<DeploymentInput>; problems: Problem[]; notices: string[] } {
  const below = mergeInputs(ctx.installedInput, ctx.answersInput);
  const fromFlags = inputFromFlags(flags, below);
  const merged = normalizeInput(mergeInputs(below, fromFlags.input));
  // --janus URL|none: Janus is no longer ours to configure.
  if (flags.janus !== undefined && flags.janus !== 'local') delete merged.input.janus;
  ctx.flagInput = fromFlags.input;
  const nats = keepNatsPasswords(merged.input, ctx.installedInput, {
    ...(flags.answers ? { answersFile: flags.answers } : {}),
    ...(ctx.natsPasswordsLeftOut ? { leftOut: true } : {}),
  });
  return {
    input: nats.input,
    problems: [...fromFlags.problems, ...nats.problems],
    notices: [...merged.notices, ...nats.notices],
  };
}

/** Every layer of a run's input, highest precedence first (the flags, once inputFor has read them). */
export function sourcesOf(ctx: SetupContext): InputSource[] {
  const flags: InputSource = { input: ctx.flagInput ?? {}, fix: (f) => `give another ${f}`, flags: true };
  return [flags, ...ctx.sources];
}

export function missingRequired(input: Partial<DeploymentInput>): typeof REQUIRED {
  return REQUIRED.filter(
    (r) => input[r.key] === undefined || (Array.isArray(input[r.key]) && (input[r.key] as unknown[]).length === 0),
  );
}

/** False only when the path is surely absent (so an unreadable one is still read, and reported). */
function mayExist(file: string): boolean {
  try {
    lstatSync(file);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}
