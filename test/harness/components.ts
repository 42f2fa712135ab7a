/**
 * Where the real components live (installed by scripts/provision.sh).
 *
 * Missing component:
 *  - with `CI` set: throw (a missing component is a failure in CI, never a skip);
 *  - otherwise: return what exists; tests use `skipUnless(...)` to `describe.skipIf` with a visible reason.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type SignalingVersion = '0.4.1' | '1.2.4' | '2.0.2' | '2.1.1';
export type ComponentName =
  | 'nats-server'
  | 'nginx'
  | 'janus'
  | 'turnserver'
  | 'openssl'
  | 'apache2'
  | 'caddy'
  | 'haproxy'
  | 'etcd'
  | 'docker-compose'
  | 'nix-instantiate';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROVISION_HINT = 'run `bash scripts/provision.sh` (as root) to install the test components';

export function testbedDir(): string {
  return process.env.SPREED_TESTBED_DIR
    ? path.resolve(process.env.SPREED_TESTBED_DIR)
    : path.join(REPO_ROOT, '.testbed');
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Upstream's 2.1.1, where the machine has it: `SPREED_UPSTREAM_BIN_DIR` names a folder with its
 * `server` (and `proxy`), as `go install …/v2/cmd/server@v2.1.1` makes them; scripts/provision.sh
 * tries that into .testbed/upstream-2.1.1. The Go module proxy of
 * this workplace refuses that module, so CI has none (issue 9): the suite then runs the three
 * Debian releases, and with the folder given it runs every release test against 2.1.1 as well.
 */
const UPSTREAM_BIN_DIR =
  process.env.SPREED_UPSTREAM_BIN_DIR ||
  (isExecutable(path.join(testbedDir(), 'upstream-2.1.1', 'server'))
    ? path.join(testbedDir(), 'upstream-2.1.1')
    : undefined);
export const SIGNALING_VERSIONS: readonly SignalingVersion[] = [
  '0.4.1',
  '1.2.4',
  '2.0.2',
  ...(UPSTREAM_BIN_DIR ? (['2.1.1'] as const) : []),
];

/** The releases current Talk accepts (2.0+) that the test bed has: 2.0.2, and 2.1.1 where it can be had. */
export const TALK_RELEASES: readonly SignalingVersion[] = SIGNALING_VERSIONS.filter(
  (v) => v === '2.0.2' || v === '2.1.1',
);

function isCI(): boolean {
  const v = process.env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

function signalingCandidate(version: SignalingVersion): string {
  const bin = 'usr/bin/nextcloud-spreed-signaling-server';
  // 0.4.1 is Debian 12's own package; the newer ones are unpacked into the testbed directory.
  if (version === '2.1.1') return path.join(UPSTREAM_BIN_DIR ?? path.join(testbedDir(), 'upstream-2.1.1'), 'server');
  return version === '0.4.1' ? `/${bin}` : path.join(testbedDir(), `signaling-${version}`, bin);
}

/** The signaling proxy release the test bed unpacks (scripts/provision.sh: Debian's 2.0.2 from sid). */
export const PROXY_VERSION = '2.0.2';

function proxyCandidates(): string[] {
  const rel = path.join(`proxy-${PROXY_VERSION}`, 'usr/bin/nextcloud-spreed-signaling-proxy');
  // A worktree that shares another checkout's test bed may unpack the proxy into its own .extra/.
  return [path.join(testbedDir(), rel), path.join(REPO_ROOT, '.extra', rel)];
}

/** The signaling proxy binary, or undefined when it is not installed. */
export function proxyBinaryPath(): string | undefined {
  return proxyCandidates().find(isExecutable);
}

const SYSTEM_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'];

function findComponent(name: ComponentName): string | undefined {
  const dirs = [...SYSTEM_DIRS, ...(process.env.PATH ?? '').split(':').filter(Boolean)];
  for (const d of dirs) {
    const p = path.join(d, name);
    if (existsSync(p) && isExecutable(p)) return p;
  }
  return undefined;
}

/** Names of everything missing among the given requirements (for messages). */
export function missingComponents(
  opts: { signaling?: readonly SignalingVersion[]; components?: readonly ComponentName[]; proxy?: boolean } = {},
): string[] {
  const missing: string[] = [];
  if (opts.proxy && !proxyBinaryPath()) missing.push(`signaling proxy ${PROXY_VERSION} (${proxyCandidates()[0]})`);
  for (const v of opts.signaling ?? []) {
    const p = signalingCandidate(v);
    if (!isExecutable(p)) missing.push(`signaling ${v} (${p})`);
  }
  for (const c of opts.components ?? []) {
    if (!findComponent(c)) missing.push(c);
  }
  return missing;
}

function failInCI(missing: string[]): void {
  if (missing.length > 0 && isCI()) {
    throw new Error(`missing test components: ${missing.join(', ')}; ${PROVISION_HINT}`);
  }
}

/** The signaling binaries present (all three required in CI). */
export function signalingBinaries(): { version: SignalingVersion; path: string }[] {
  failInCI(missingComponents({ signaling: SIGNALING_VERSIONS }));
  return SIGNALING_VERSIONS.map((version) => ({ version, path: signalingCandidate(version) })).filter((b) =>
    isExecutable(b.path),
  );
}

/** Binary path of a signaling version; throws (with the provisioning hint) when absent. */
export function signalingBinary(version: SignalingVersion): string {
  const p = signalingCandidate(version);
  if (!isExecutable(p)) throw new Error(`signaling ${version} not found at ${p}; ${PROVISION_HINT}`);
  return p;
}

/** Upstream's 2.1.1 proxy beside its server (SPREED_UPSTREAM_BIN_DIR), when the machine has it. */
export const upstreamProxyBinary = (): string | undefined =>
  UPSTREAM_BIN_DIR && isExecutable(path.join(UPSTREAM_BIN_DIR, 'proxy'))
    ? path.join(UPSTREAM_BIN_DIR, 'proxy')
    : undefined;

/** The signaling proxy binary; throws (with the provisioning hint) when absent. */
export function proxyBinary(): string {
  const p = proxyBinaryPath();
  if (!p) throw new Error(`signaling proxy ${PROXY_VERSION} not found at ${proxyCandidates()[0]}; ${PROVISION_HINT}`);
  return p;
}

/** Absolute path of a component; throws (with the provisioning hint) when absent. */
export function componentPath(name: ComponentName): string {
  const p = findComponent(name);
  if (!p) throw new Error(`${name} not found; ${PROVISION_HINT}`);
  return p;
}

export interface SkipDecision {
  /** true when something is missing and we are not in CI. */
  skip: boolean;
  /** Human-readable reason (empty when nothing is missing); put it in the describe title. */
  reason: string;
  /** Title suffix: '' or ` [SKIPPED: missing ...]`. */
  suffix: string;
}

/**
 * For `describe.skipIf(d.skip)(`title${d.suffix}`, ...)`. In CI a missing component throws instead
 * (at collection time, so the whole file fails loudly). Outside CI it also prints a warning once.
 */
export function skipUnless(req: {
  signaling?: readonly SignalingVersion[];
  components?: readonly ComponentName[];
  proxy?: boolean;
}): SkipDecision {
  const missing = missingComponents(req);
  failInCI(missing);
  if (missing.length === 0) return { skip: false, reason: '', suffix: '' };
  const reason = `missing ${missing.join(', ')}; ${PROVISION_HINT}`;
  // Visible in the vitest output even though the suite is skipped.
  console.warn(`[harness] skipping: ${reason}`);
  return { skip: true, reason, suffix: ` [SKIPPED: ${reason}]` };
}
