// A private copy of the machine's package state for tests that really run apt and dpkg: the
// command runs in its own mount namespace (and its own network namespace: no network at all)
// with overlays over /etc, /usr and /var whose upper layers live in a temp dir, and empty tmpfs
// over /run/lock, /run/systemd and /run/dbus. Whatever apt installs lands in the upper layers; the host's files never change.
// Runs again with the same upper layers see the same sandboxed system. Needs root and overlayfs.
// Also builds a local, signed file: apt repository from .deb files (dpkg-scanpackages, gpg).
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { tempDir } from './tmp.js';

const LAYERS = ['etc', 'usr', 'var'] as const;

export interface SandboxRun {
  code: number | undefined;
  stdout: string;
  stderr: string;
  all: string;
}

export interface AptSandbox {
  /** The sandbox's own directory (upper layers, the runner script). */
  dir: string;
  /** Where a system path's sandboxed copy lands, once something wrote it (e.g. /usr/bin/x). */
  upper(systemPath: string): string;
  /** Runs argv inside the sandbox (bounded), from cwd. */
  run(argv: string[], opts?: { env?: Record<string, string>; cwd?: string; timeoutMs?: number }): Promise<SandboxRun>;
  /** Puts a file into the sandbox only (at a system path), before any run mounts it. */
  place(systemPath: string, content: Buffer | string, mode?: number): void;
}

/** Why the sandbox cannot run here, or undefined. */
export async function aptSandboxUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root (mount namespaces and overlayfs)';
  for (const bin of ['/usr/bin/unshare', '/usr/bin/apt-get', '/usr/bin/dpkg-scanpackages', '/usr/bin/gpg']) {
    try {
      statSync(bin);
    } catch {
      return `${bin} is not installed`;
    }
  }
  const probe = createAptSandbox();
  const r = await probe.run(['/bin/true'], { timeoutMs: 20_000 });
  return r.code === 0 ? undefined : `overlay mounts failed: ${r.all.trim().split('\n').pop()}`;
}

export function createAptSandbox(): AptSandbox {
  const dir = tempDir('spreed-apt-sandbox-');
  chmodSync(dir, 0o755); // apt's unprivileged fetcher reads file: repositories below it
  for (const l of LAYERS) {
    for (const part of ['upper', 'work']) mkdirSync(path.join(dir, part, l), { recursive: true });
    // The upper layer's root is the merged directory's root: same mode as the real one.
    chmodSync(path.join(dir, 'upper', l), statSync(`/${l}`).mode & 0o7777);
  }
  const script = path.join(dir, 'enter.sh');
  writeFileSync(
    script,
    [
      'set -e',
      ...LAYERS.map(
        (l) =>
          `mount -t overlay spreed-sandbox-${l} -o lowerdir=/${l},upperdir=${dir}/upper/${l},workdir=${dir}/work/${l} /${l}`,
      ),
      // Package scripts must not reach the host's service manager (they would restart the
      // host's services): without its sockets they see a machine without systemd.
      ...['/run/lock', '/run/systemd', '/run/dbus'].map(
        (d) => `if [ -d ${d} ]; then mount -t tmpfs spreed-sandbox ${d}; fi`,
      ),
      'exec "$@"',
      '',
    ].join('\n'),
  );
  const upper = (p: string) => path.join(dir, 'upper', p.replace(/^\/+/, ''));
  return {
    dir,
    upper,
    place(systemPath, content, mode = 0o644) {
      const top = systemPath.split('/')[1];
      if (!(LAYERS as readonly string[]).includes(top ?? ''))
        throw new Error(`${systemPath}: not in a sandboxed layer`);
      const dest = upper(systemPath);
      // Parent directories keep the real ones' modes, so the merged view looks like the host's.
      const rel = path.dirname(systemPath).split('/').filter(Boolean);
      for (let i = 1; i <= rel.length; i++) {
        const sys = `/${rel.slice(0, i).join('/')}`;
        mkdirSync(upper(sys), { recursive: true });
        try {
          chmodSync(upper(sys), statSync(sys).mode & 0o7777);
        } catch {
          /* not on the host: keep the default */
        }
      }
      writeFileSync(dest, content, { mode });
    },
    async run(argv, opts = {}) {
      const r = await execa('unshare', ['--mount', '--net', '--propagation', 'private', 'sh', script, ...argv], {
        reject: false,
        stdin: 'ignore',
        cwd: opts.cwd ?? dir,
        env: { LC_ALL: 'C', ...(opts.env ?? {}) },
        timeout: opts.timeoutMs ?? 300_000,
        all: true,
      });
      return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr), all: String(r.all) };
    },
  };
}

export interface SignedRepo {
  /** file: URI of the repository root, for a `URIs:` line or --apt-mirror. */
  uri: string;
  /** The throwaway public key (binary keyring) that signed its InRelease. */
  keyring: Buffer;
  dir: string;
}

/**
 * A Debian-style repository of `debs` in suite `codename` (Suite `suite`), component main, one
 * architecture, signed (InRelease) with a key made for it. The gpg agent it starts is stopped.
 */
export async function buildSignedRepo(
  debs: string[],
  o: { codename: string; suite: string; arch?: string; parent?: string },
): Promise<SignedRepo> {
  const arch = o.arch ?? 'amd64';
  const dir = tempDir('spreed-apt-repo-', o.parent);
  chmodSync(dir, 0o755);
  const pool = path.join(dir, 'pool', 'main');
  mkdirSync(pool, { recursive: true });
  for (const d of debs) copyFileSync(d, path.join(pool, path.basename(d)));
  const binDir = path.join(dir, 'dists', o.codename, 'main', `binary-${arch}`);
  mkdirSync(binDir, { recursive: true });
  const scan = await execa('dpkg-scanpackages', ['--multiversion', 'pool'], {
    cwd: dir,
    reject: false,
    timeout: 60_000,
  });
  if (scan.exitCode !== 0) throw new Error(`dpkg-scanpackages failed: ${scan.stderr}`);
  const packages = `${String(scan.stdout).trim()}\n`;
  writeFileSync(path.join(binDir, 'Packages'), packages);
  const rel = `main/binary-${arch}/Packages`;
  const bytes = Buffer.from(packages);
  const release = [
    'Origin: spreed-setup test',
    'Label: spreed-setup test',
    `Suite: ${o.suite}`,
    `Codename: ${o.codename}`,
    `Date: ${new Date(Date.now() - 60_000).toUTCString()}`,
    `Architectures: ${arch}`,
    'Components: main',
    'SHA256:',
    ` ${createHash('sha256').update(bytes).digest('hex')} ${bytes.length} ${rel}`,
    '',
  ].join('\n');
  const dists = path.join(dir, 'dists', o.codename);
  writeFileSync(path.join(dists, 'Release'), release);
  const home = tempDir('gnupg-', dir);
  const gpg = (args: string[]) =>
    execa('gpg', ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], {
      reject: false,
      timeout: 60_000,
    });
  try {
    const gen = await gpg(['--quick-gen-key', 'spreed-setup test repository', 'ed25519', 'sign', '1d']);
    if (gen.exitCode !== 0) throw new Error(`gpg key generation failed: ${gen.stderr}`);
    const sign = await gpg(['--yes', '--clearsign', '-o', path.join(dists, 'InRelease'), path.join(dists, 'Release')]);
    if (sign.exitCode !== 0) throw new Error(`gpg signing failed: ${sign.stderr}`);
    const exp = await execa('gpg', ['--homedir', home, '--export'], {
      encoding: 'buffer',
      reject: false,
      timeout: 30_000,
    });
    if (exp.exitCode !== 0 || !exp.stdout.length) throw new Error('gpg export failed');
    return { uri: `file:${dir}`, keyring: Buffer.from(exp.stdout), dir };
  } finally {
    await execa('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { reject: false, timeout: 10_000 });
  }
}

/** The sha256 of a file (to prove a host file did not change). */
export const fileHash = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
