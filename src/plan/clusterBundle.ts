// The cluster secrets bundle on this machine (secrets/clusterBundle.ts has its layout): read
// through the host door, refusing links and files others could read; written, as part of the
// run's plan, only by the run for the front node (the one that generates it). Pure over HostFacts.
import type { FileFact, HostFacts } from '../io/host.js';
import { UnreadableFile } from '../io/host.js';
import { problem, type Problem } from '../errors.js';
import { frontNode, type Cluster } from '../model/cluster.js';
import {
  BUNDLE_FILE_MODE,
  bundleEntries,
  bundleModeProblem,
  bundleSecretPath,
  bundleTokenPaths,
  type BundleEntry,
} from '../secrets/clusterBundle.js';
import { secretValueProblem, type SecretSpec, type Secrets } from '../secrets/secrets.js';
import type { TokenKeyPair } from '../secrets/tokenKey.js';
import type { DesiredFile, Ownership } from './plan.js';

export interface BundleRead {
  /** Secret name -> value (trimmed). */
  secrets: Map<string, string>;
  /** Signaling node -> its token private key (PEM). */
  tokenKeys: Map<string, string>;
  /** Signaling node -> its token public key (PEM). */
  tokenPubs: Map<string, string>;
  /** Files a complete bundle holds that are not there. */
  missing: BundleEntry[];
  /** No file of the bundle is there. */
  absent: boolean;
  problems: Problem[];
}

/** The signaling nodes whose token key pairs the bundle holds: all of them, when there are media nodes. */
export const tokenNodes = (c: Cluster): string[] => (c.media.length ? c.nodes.map((n) => n.name) : []);

/** The fix for a bundle that is missing here (or incomplete): copy it from the front node. */
export function copyBundleFix(c: Cluster, dir: string, file: string): string {
  const front = frontNode(c).name;
  return `run spreed-setup setup --cluster ${file} --node ${front} on ${front}'s machine first (it generates the bundle), then copy ${dir} to the same path here (directory 0700, files 0600, owned by root), and run again`;
}

export function readBundle(
  host: HostFacts,
  dir: string,
  specs: readonly SecretSpec[],
  nodes: readonly string[],
): BundleRead {
  const out: BundleRead = {
    secrets: new Map(),
    tokenKeys: new Map(),
    tokenPubs: new Map(),
    missing: [],
    absent: true,
    problems: [],
  };
  const refuse = (p: string, why: string, fix: string) =>
    out.problems.push(problem(`cluster secrets: ${p} ${why}`, fix));
  const onPath = host.linkOnPath(`${dir}/x`);
  let top: FileFact | undefined;
  try {
    top = host.file(dir);
  } catch (err) {
    if (!(err instanceof UnreadableFile)) throw err;
    refuse(dir, `cannot be read (${err.code})`, 'run as root (sudo)');
    return out;
  }
  if (onPath || top?.kind === 'link') {
    const link = onPath ?? { path: dir, target: top?.kind === 'link' ? top.target : '?' };
    refuse(
      link.path,
      `is a symbolic link (to ${link.target}): secrets are never read through a link`,
      `replace the link by the directory itself, then run again`,
    );
    return out;
  }
  for (const e of bundleEntries(dir, specs, nodes)) {
    let f: FileFact | undefined;
    try {
      f = host.file(e.path);
    } catch (err) {
      if (!(err instanceof UnreadableFile)) throw err;
      out.absent = false;
      refuse(e.path, `cannot be read (${err.code})`, 'run as root (sudo), or fix its permissions');
      continue;
    }
    if (f === undefined) {
      out.missing.push(e);
      continue;
    }
    out.absent = false;
    if (f.kind === 'link') {
      refuse(
        e.path,
        `is a symbolic link (to ${f.target}): secrets are never read through a link`,
        'replace the link by the file itself',
      );
      continue;
    }
    if (f.kind !== 'file') {
      refuse(e.path, 'is not a regular file', 'make it a regular file, or move it away');
      continue;
    }
    const why = bundleModeProblem(f.mode, f.uid, host.uid);
    if (why) {
      refuse(e.path, why, `chown root:root ${e.path} && chmod 600 ${e.path} (and chmod 700 ${dir}), then run again`);
      continue;
    }
    const node = nodes.find((n) => {
      const t = bundleTokenPaths(dir, n);
      return t.key === e.path || t.pub === e.path;
    });
    if (node === undefined) out.secrets.set(e.what, f.content.trim());
    else if (e.path.endsWith('.key')) out.tokenKeys.set(node, f.content);
    else out.tokenPubs.set(node, f.content);
  }
  return out;
}

/** The bundle's own files, as the front node's run writes them: 0600, in a 0700 directory. */
export function bundleDesired(
  dir: string,
  secrets: Secrets,
  tokenPairs: ReadonlyMap<string, Pick<TokenKeyPair, 'privatePem' | 'publicPem'>>,
  host: Pick<HostFacts, 'uid'>,
): DesiredFile[] {
  const own: Ownership = {
    mode: BUNDLE_FILE_MODE,
    ...(host.uid === 0 ? { uid: 0, gid: 0 } : {}),
    label: host.uid === 0 ? 'root:root' : 'current user',
  };
  const out: DesiredFile[] = [];
  for (const s of secrets.values())
    out.push({ path: bundleSecretPath(dir, s.spec), role: 'secret', content: `${s.value}\n`, ownership: own });
  for (const [node, pair] of tokenPairs) {
    const t = bundleTokenPaths(dir, node);
    out.push(
      { path: t.key, role: 'secret', content: pair.privatePem, ownership: own },
      { path: t.pub, role: 'secret', content: pair.publicPem, ownership: own },
    );
  }
  return out;
}

/** Which node of which cluster this run sets up, and where its bundle lives. */
export interface ClusterNodeContext {
  cluster: Cluster;
  node: string;
  /** The bundle directory (--cluster-secrets). */
  dir: string;
  /** The cluster file as given, for fixes. */
  file: string;
}

export interface SignalingBundle {
  /** This run generates (and writes) the bundle: the front node's. */
  generator: boolean;
  /** Secret values every node shares, taken over as they are. */
  adopt: Map<string, string>;
  /** The token key pairs this run knows: every node's on the generator, this node's elsewhere. */
  tokenPairs: Map<string, TokenKeyPair>;
  problems: Problem[];
}

/**
 * A signaling node's view of the bundle: on the front node, what is there is reused and the rest
 * generated (existing secrets of this machine first); on every other node the bundle must be
 * complete, and its values replace what differs here.
 */
export function signalingBundle(
  cn: ClusterNodeContext,
  host: HostFacts,
  specs: readonly SecretSpec[],
  opts: {
    rotate: ReadonlySet<string>;
    /** This node's existing token private key (its file), reused on the front node's first run. */
    ownKey?: string;
    resolveKey: (
      existing: string | undefined,
      rotate: boolean,
    ) => { ok: true; pair: TokenKeyPair } | { ok: false; reason: string };
    rotateTokens: boolean;
  },
): SignalingBundle {
  const generator = frontNode(cn.cluster).name === cn.node;
  const nodes = tokenNodes(cn.cluster);
  const read = readBundle(host, cn.dir, specs, nodes);
  const out: SignalingBundle = { generator, adopt: new Map(), tokenPairs: new Map(), problems: [...read.problems] };
  if (out.problems.length) return out;
  if (!generator) {
    if (opts.rotate.size)
      out.problems.push(
        problem(
          `--rotate on node ${cn.node}: the cluster's secrets are shared by every node`,
          `rotate on the front node (spreed-setup setup --cluster ${cn.file} --node ${frontNode(cn.cluster).name} --rotate NAME), then copy ${cn.dir} to every machine again`,
        ),
      );
    if (read.missing.length)
      out.problems.push(
        problem(
          read.absent
            ? `no cluster secrets at ${cn.dir}: every node takes the secrets the front node generated`
            : `the cluster secrets at ${cn.dir} lack ${read.missing.map((m) => m.what).join(', ')}`,
          copyBundleFix(cn.cluster, cn.dir, cn.file),
        ),
      );
    if (out.problems.length) return out;
  }
  for (const spec of specs) {
    const v = read.secrets.get(spec.name);
    const why = v === undefined ? undefined : v === '' ? 'is empty' : secretValueProblem(spec, v);
    if (why)
      out.problems.push(
        problem(
          `cluster secrets: ${bundleSecretPath(cn.dir, spec)} ${why}`,
          generator
            ? `remove it (a new value is generated), then run again and copy ${cn.dir} to every machine again`
            : copyBundleFix(cn.cluster, cn.dir, cn.file),
        ),
      );
  }
  if (out.problems.length) return out;
  const rotateAll = opts.rotate.has('all');
  for (const [name, value] of read.secrets) if (!(rotateAll || opts.rotate.has(name))) out.adopt.set(name, value);
  for (const n of generator ? nodes : nodes.filter((x) => x === cn.node)) {
    const had = read.tokenKeys.get(n) ?? (n === cn.node ? opts.ownKey : undefined);
    const r = opts.resolveKey(had, generator && opts.rotateTokens);
    if (!r.ok) {
      out.problems.push(
        problem(
          `cluster secrets: the token key of ${n} (${bundleTokenPaths(cn.dir, n).key}) ${r.reason}`,
          generator
            ? 'move it away (a new pair is generated), then run again'
            : copyBundleFix(cn.cluster, cn.dir, cn.file),
        ),
      );
      continue;
    }
    const pub = read.tokenPubs.get(n);
    if (
      pub !== undefined &&
      read.tokenKeys.has(n) &&
      r.pair.origin === 'file' &&
      pub.trim() !== r.pair.publicPem.trim()
    )
      out.problems.push(
        problem(
          `cluster secrets: ${bundleTokenPaths(cn.dir, n).pub} is not the public half of ${bundleTokenPaths(cn.dir, n).key}`,
          generator
            ? `remove ${bundleTokenPaths(cn.dir, n).pub} (it is written again from the key), then run again`
            : copyBundleFix(cn.cluster, cn.dir, cn.file),
        ),
      );
    out.tokenPairs.set(n, r.pair);
  }
  return out;
}

/** A media node's view of the bundle: every signaling node's public key, and the TURN REST key. */
export function mediaBundle(
  cn: ClusterNodeContext,
  host: HostFacts,
  specs: readonly SecretSpec[],
): { secrets: Map<string, string>; pubs: Map<string, string>; problems: Problem[] } {
  const nodes = tokenNodes(cn.cluster);
  const read = readBundle(host, cn.dir, specs, nodes);
  const problems = [...read.problems];
  // A media node needs no private key: only the public halves are asked for.
  const missing = read.missing.filter((m) => !m.path.endsWith('.key'));
  if (!problems.length && missing.length)
    problems.push(
      problem(
        read.absent
          ? `no cluster secrets at ${cn.dir}: the media node takes the signaling nodes' public keys from it`
          : `the cluster secrets at ${cn.dir} lack ${missing.map((m) => m.what).join(', ')}`,
        copyBundleFix(cn.cluster, cn.dir, cn.file),
      ),
    );
  return { secrets: read.secrets, pubs: read.tokenPubs, problems };
}
