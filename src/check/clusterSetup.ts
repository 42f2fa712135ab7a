// What `check --cluster FILE` reads before any probe: the cluster file, the cluster's secrets
// bundle, and, with --node NAME, that node's installed server.conf and proxy token key on this
// machine. Secret values stay in these maps and go to probes only; reports show fingerprints.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError, problem } from '../errors.js';
import { loadClusterFile, unknownNodeProblem } from '../inputs/clusterFile.js';
import { Target } from '../io/target.js';
import { detectLayout } from '../detect/layout.js';
import { nodeDeployment, nodeTokenKeyPath, type ClusterFile } from '../model/cluster.js';
import { CLUSTER_BUNDLE } from '../model/defaults.js';
import { bundleTokenPaths } from '../secrets/clusterBundle.js';
import { secretSpecsFor } from '../secrets/secrets.js';
import { readCheckSetup } from './setup.js';

export interface SecretSource {
  /** Where the values came from, for details and fixes (a directory or server.conf's path). */
  where: string;
  /** secret name -> value; never printed. */
  values: Map<string, string>;
  /** Why nothing could be read, when nothing could. */
  error?: string;
}

export interface ClusterCheckSetup {
  filePath: string;
  file: ClusterFile;
  /** --node: the node this machine is. */
  node?: string;
  /** The secrets bundle (--cluster-secrets, default /etc/spreed-setup/cluster-<name> under --root). */
  bundle: SecretSource;
  /** The local node's server.conf secrets (--node on a signaling node). */
  local?: SecretSource;
  /** The Nextcloud URL the internal sessions name (the first backend's first URL). */
  backendUrl?: string;
  /** The signaling server's unit (this machine's layout; the nodes are assumed alike), for fixes. */
  unit: string;
  /** The proxy token this machine's node signs with: its id (the node's name) and private key. */
  token?: { id: string; privateKeyPem: string; where: string };
  /** Why no token could be read (for the media checks' skip). */
  tokenError?: string;
}

export interface ClusterFlags {
  cluster: string;
  node?: string;
  bundle?: string;
  root?: string;
  config?: string;
}

const readText = (file: string): { text?: string; error?: string } => {
  try {
    return { text: readFileSync(file, 'utf8') };
  } catch (err) {
    return { error: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
};

/** Reads the cluster file (problems: exit 2, nothing probed), the bundle and the local node. */
export function readClusterCheckSetup(flags: ClusterFlags): ClusterCheckSetup {
  const loaded = loadClusterFile(flags.cluster);
  if (!loaded.cluster) throw new UserError(loaded.problems);
  const file = loaded.cluster;
  const c = file.cluster;
  if (flags.node !== undefined) {
    const p = unknownNodeProblem(file, flags.node, flags.cluster);
    if (p) throw new UserError([p]);
  }
  // Every node's deployment must parse: the shared settings are the ones each node renders.
  let names: string[] = [];
  let backendUrl: string | undefined;
  try {
    const d = nodeDeployment(file, c.nodes[0]!.name);
    names = secretSpecsFor(d).map((s) => s.name);
    backendUrl = d.backends[0]?.urls[0];
  } catch (err) {
    const issues = (err as { issues?: { path: PropertyKey[]; message: string }[] }).issues ?? [];
    throw new UserError(
      (issues.length ? issues : [{ path: [], message: (err as Error).message }]).map((i) =>
        problem(
          `cluster file ${flags.cluster}: ${i.path.map(String).join('.') || 'shared settings'} ${i.message}`,
          `correct it in ${flags.cluster}`,
        ),
      ),
    );
  }
  const target = new Target(flags.root);
  const bundleDir = flags.bundle ? path.resolve(flags.bundle) : target.path(CLUSTER_BUNDLE.dir(c.name));
  const bundle: SecretSource = { where: bundleDir, values: new Map() };
  const errors: string[] = [];
  for (const name of names) {
    const r = readText(path.join(bundleDir, name));
    const value = r.text?.trim();
    if (value) bundle.values.set(name, value);
    else if (r.error && r.error !== 'ENOENT') errors.push(`${name}: ${r.error}`);
  }
  if (bundle.values.size === 0) bundle.error = errors[0] ?? `no secret files in ${bundleDir}`;

  const unit = detectLayout(target, flags.config).unit;
  const setup: ClusterCheckSetup = {
    filePath: flags.cluster,
    file,
    bundle,
    unit,
    ...(backendUrl ? { backendUrl } : {}),
  };
  const signaling = flags.node !== undefined && c.nodes.some((n) => n.name === flags.node);
  if (flags.node !== undefined) setup.node = flags.node;
  if (signaling) {
    try {
      const s = readCheckSetup({
        ...(flags.root ? { root: flags.root } : {}),
        ...(flags.config ? { config: flags.config } : {}),
      });
      setup.local = { where: s.target.path(s.configPath), values: new Map(s.secrets) };
      if (s.parseError) setup.local.error = s.parseError;
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      setup.local = { where: 'server.conf', values: new Map(), error: err.problems[0]?.message ?? 'unreadable' };
    }
  }
  // The token: this node's installed key, else the bundle's; without --node, the first node's in the bundle.
  const tokenNode = signaling ? flags.node! : c.nodes[0]!.name;
  const candidates = [
    ...(signaling ? [target.path(nodeTokenKeyPath(tokenNode))] : []),
    bundleTokenPaths(bundleDir, tokenNode).key,
  ];
  for (const f of candidates) {
    const r = readText(f);
    if (r.text !== undefined) {
      setup.token = { id: tokenNode, privateKeyPem: r.text, where: f };
      break;
    }
  }
  if (!setup.token) setup.tokenError = `no token key for ${tokenNode} at ${candidates.join(' or ')}`;
  return setup;
}

/** Every secret value this run knows (to scrub them from any output). */
export function clusterSecretValues(s: ClusterCheckSetup): string[] {
  return [
    ...s.bundle.values.values(),
    ...(s.local?.values.values() ?? []),
    ...(s.token ? [s.token.privateKeyPem] : []),
  ];
}
