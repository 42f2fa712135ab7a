// The cluster secrets bundle (cluster-facts §4, §9): one directory holding what every node of a
// cluster shares, one file per secret named as its spec (hashkey, blockkey, internalsecret,
// backend-<id>, turn-apikey, turn-secret), and, with media nodes, every signaling node's proxy
// token key pair under tokens/. Generated once by the front node's run, copied by the operator to
// the same path on every other machine. Layout only here: reading and writing are the plan's.
import path from 'node:path';
import type { SecretSpec } from './secrets.js';

export const BUNDLE_TOKENS_DIR = 'tokens';
/** The bundle directory is closed to everyone but root; so is every file in it. */
export const BUNDLE_DIR_MODE = 0o700;
export const BUNDLE_FILE_MODE = 0o600;

export interface BundleEntry {
  /** System path of the file. */
  path: string;
  /** What the file holds, for messages: a secret's name, or "token key of NODE". */
  what: string;
}

export const bundleSecretPath = (dir: string, spec: Pick<SecretSpec, 'name'>): string =>
  path.posix.join(dir, spec.name);

/** A signaling node's token key pair inside the bundle: tokens/<node>.key and tokens/<node>.pub. */
export const clusterTokenKeyFile = (node: string): string => `${BUNDLE_TOKENS_DIR}/${node}.key`;
export const clusterTokenPubFile = (node: string): string => `${BUNDLE_TOKENS_DIR}/${node}.pub`;

/** The same pair as system paths under the bundle directory. */
export const bundleTokenPaths = (dir: string, node: string): { key: string; pub: string } => ({
  key: path.posix.join(dir, clusterTokenKeyFile(node)),
  pub: path.posix.join(dir, clusterTokenPubFile(node)),
});

/** Every file a complete bundle holds for these secrets and these token nodes. */
export function bundleEntries(dir: string, specs: readonly SecretSpec[], tokenNodes: readonly string[]): BundleEntry[] {
  return [
    ...specs.map((s) => ({ path: bundleSecretPath(dir, s), what: s.name })),
    ...tokenNodes.flatMap((n) => {
      const t = bundleTokenPaths(dir, n);
      return [
        { path: t.key, what: `token key of ${n}` },
        { path: t.pub, what: `token public key of ${n}` },
      ];
    }),
  ];
}

/** Why a bundle file's mode or owner is refused, or undefined (group/other may not read it). */
export function bundleModeProblem(
  mode: number,
  uid: number | undefined,
  runningUid: number | undefined,
): string | undefined {
  if (mode & 0o077) return `is readable or writable by group or others (mode 0${(mode & 0o777).toString(8)})`;
  if (runningUid === 0 && uid !== undefined && uid !== 0) return `is owned by uid ${uid}, not root`;
  return undefined;
}
