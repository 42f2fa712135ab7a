// A machine of our own inside this one, for the runs that act on the live system (no --root):
// a private mount namespace where /etc, /var and /usr are overlays (every write lands in a temp
// dir, the host's files stay as they are) and /run is fresh, with systemd's marker
// /run/systemd/system, the stand-in systemctl and journalctl (test/fakes/systemctl.mjs) at their
// real paths, and a chosen signaling server binary as /usr/bin/nextcloud-spreed-signaling-server.
// The network is the host's: everything in it binds 127.0.0.1 only (Debian's default nginx site is
// removed inside). Commands run in it through nsenter; what the stand-in started is stopped by pid.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';

const STANDIN = path.resolve(import.meta.dirname, '../fakes/systemctl.mjs');
export const BIN = path.resolve(import.meta.dirname, '../../bin/spreed-setup.js');

export interface Sandbox {
  /** The anchor process whose mount namespace the sandbox is. */
  pid: number;
  /** A path inside the sandbox, as seen from outside. */
  path(p: string): string;
  /** The command words that run a program inside (for a terminal harness), and its environment. */
  enter: string[];
  env: Record<string, string>;
  /** Runs spreed-setup inside (no TTY, no stdin). */
  cli(args: string[], env?: Record<string, string>): Promise<{ code: number | undefined; all: string }>;
  /** Every systemctl/journalctl call the stand-in took, in order. */
  calls(): string[];
  /** The main pid the stand-in recorded for a unit. */
  mainPid(unit: string): number | undefined;
  stop(): Promise<void>;
}

export function sandboxUsable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (mount namespaces)';
  try {
    execFileSync('unshare', ['-m', '--propagation', 'private', 'true'], { stdio: 'ignore' });
  } catch {
    return 'unshare -m is not permitted here';
  }
  return undefined;
}

export async function startSandbox(opts: {
  /** Replaces the installed server binary (default: the machine's, e.g. Debian 12's 0.4.1 package). */
  serverBinary?: string;
  systemd?: boolean;
}): Promise<Sandbox> {
  // Its own temp dir, removed by stop() after the processes in it are gone (not by the file's
  // temp-dir cleanup, which may run first).
  const base = mkdtempSync(path.join(os.tmpdir(), 'sandbox-'));
  // apt's unprivileged fetcher (_apt) and the server's user walk the overlays' upper dirs.
  chmodSync(base, 0o755);
  const state = path.join(base, 'systemd');
  mkdirSync(state);
  for (const d of ['etc', 'var', 'usr']) for (const x of ['u', 'w']) mkdirSync(path.join(base, `${d}.${x}`));
  const script = [
    'set -e',
    ...['etc', 'var', 'usr'].map(
      (d) => `mount -t overlay overlay -o lowerdir=/${d},upperdir=${base}/${d}.u,workdir=${base}/${d}.w /${d}`,
    ),
    'mount -t tmpfs tmpfs /run',
    opts.systemd === false ? 'mkdir -p /run/lock' : 'mkdir -p /run/lock /run/systemd/system',
    'printf "127.0.0.1 localhost\\n" > /etc/hosts',
    'rm -f /etc/nginx/sites-enabled/default',
    'rm -rf /etc/nextcloud-spreed-signaling /var/lib/spreed-setup /var/backups/spreed-setup',
    ...(opts.serverBinary ? [`cp "${opts.serverBinary}" /usr/bin/nextcloud-spreed-signaling-server`] : []),
    `cp "${STANDIN}" /usr/bin/systemctl && chmod 755 /usr/bin/systemctl`,
    `cp "${STANDIN}" /usr/bin/journalctl && chmod 755 /usr/bin/journalctl`,
    `touch "${state}/ready"`,
    'exec sleep 3600',
  ].join('\n');
  const anchor = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  anchor.stderr.on('data', (b) => {
    err += String(b);
  });
  for (let i = 0; i < 100 && !existsSync(path.join(state, 'ready')); i++) {
    if (anchor.exitCode !== null) break;
    await sleep(50);
  }
  if (!existsSync(path.join(state, 'ready'))) {
    anchor.kill('SIGKILL');
    throw new Error(`the sandbox did not come up: ${err}`);
  }
  // The anchor is `sleep` now (exec'd), in the new mount namespace.
  const pid = anchor.pid!;
  const readPid = (unit: string) => {
    try {
      return Number(readFileSync(path.join(state, `${unit}.pid`), 'utf8'));
    } catch {
      return undefined;
    }
  };
  return {
    pid,
    path: (p) => `/proc/${pid}/root${p}`,
    enter: ['nsenter', '-t', String(pid), '-m', '--'],
    env: { STANDIN_SYSTEMD_DIR: state },
    async cli(args, env = {}) {
      const r = await execa('nsenter', ['-t', String(pid), '-m', '--', process.execPath, BIN, ...args], {
        reject: false,
        stdin: 'ignore',
        env: { NO_COLOR: '1', STANDIN_SYSTEMD_DIR: state, ...env },
        timeout: 120_000,
      });
      return { code: r.exitCode, all: `${r.stdout}\n${r.stderr}` };
    },
    calls: () =>
      existsSync(path.join(state, 'calls.log'))
        ? readFileSync(path.join(state, 'calls.log'), 'utf8').trim().split('\n')
        : [],
    mainPid: (unit) => readPid(unit.includes('.') ? unit : `${unit}.service`),
    async stop() {
      const pids = readdirSync(state)
        .filter((f) => f.endsWith('.pid'))
        .map((f) => Number(readFileSync(path.join(state, f), 'utf8')))
        .filter((n) => n > 0);
      for (const p of pids)
        try {
          process.kill(p, 'SIGTERM');
        } catch {
          /* gone */
        }
      for (let i = 0; i < 50 && pids.some(isAlive); i++) await sleep(100);
      for (const p of pids.filter(isAlive)) process.kill(p, 'SIGKILL');
      anchor.kill('SIGKILL');
      for (let i = 0; i < 50 && anchor.exitCode === null && anchor.signalCode === null; i++) await sleep(20);
      // The overlays went with the namespace; their upper dirs are plain files now.
      rmSync(base, { recursive: true, force: true });
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
