/**
 * A small process manager for the real servers used in tests.
 *
 * - Children are started with detached:false; we keep their pid and a ring buffer of stdout+stderr.
 * - stop() signals THAT pid only (SIGINT signaling, SIGQUIT nginx, SIGTERM nats/janus/coturn) and
 *   waits, bounded, until /proc/PID/stat says Z (zombie) or the entry is gone: PID 1 may reap late.
 *   Only when that bound passes: SIGKILL to the pid and to its own descendants recorded before the stop.
 * - Everything binds 127.0.0.1; every wait is bounded; failures carry the log tail.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { componentPath, proxyBinary } from './components.js';
import { portAnswers } from './ports.js';
import { setSettings } from '../../src/render/libconfig.js';

export type StopSignal = 'SIGINT' | 'SIGQUIT' | 'SIGTERM';

const RING_BYTES = 64 * 1024;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Fields of /proc/PID/stat after the command name, or undefined when the pid is gone. */
function procStat(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = s.lastIndexOf(')');
    return s
      .slice(close + 2)
      .trim()
      .split(/\s+/);
  } catch {
    return undefined;
  }
}

/** Process state letter (R, S, D, Z, X, ...) or undefined when gone. */
export function procState(pid: number): string | undefined {
  return procStat(pid)?.[0];
}

/** Alive = exists and is neither a zombie nor dead. */
export function isAlive(pid: number): boolean {
  const st = procState(pid);
  return st !== undefined && st !== 'Z' && st !== 'X';
}

interface PidIdentity {
  pid: number;
  start: string;
}

function identity(pid: number): PidIdentity | undefined {
  const f = procStat(pid);
  // field 22 (starttime) is index 19 after dropping pid and comm
  return f && f[19] !== undefined ? { pid, start: f[19] } : undefined;
}

function sameProcess(id: PidIdentity): boolean {
  const now = identity(id.pid);
  return now !== undefined && now.start === id.start;
}

/** Descendants of pid (children, grandchildren...), from a single scan of /proc. */
function descendants(root: number): PidIdentity[] {
  const parent = new Map<number, number>();
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const f = procStat(Number(e));
    if (f && f[1] !== undefined) parent.set(Number(e), Number(f[1]));
  }
  const out: PidIdentity[] = [];
  const queue = [root];
  for (let guard = 0; queue.length > 0 && guard < 10000; guard++) {
    const p = queue.shift()!;
    for (const [child, pp] of parent) {
      if (pp === p) {
        const id = identity(child);
        if (id) out.push(id);
        queue.push(child);
      }
    }
  }
  return out;
}

/** Pids of the live descendants of pid (e.g. nginx workers), for assertions in tests. */
export function descendantPids(pid: number): number[] {
  return descendants(pid)
    .filter((d) => isAlive(d.pid))
    .map((d) => d.pid);
}

class RingBuffer {
  private chunks: string[] = [];
  private size = 0;
  constructor(private readonly max: number) {}
  push(s: string): void {
    this.chunks.push(s);
    this.size += s.length;
    while (this.size > this.max && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
    }
    if (this.size > this.max && this.chunks.length === 1) {
      const only = this.chunks[0]!;
      this.chunks[0] = only.slice(only.length - this.max);
      this.size = this.chunks[0].length;
    }
  }
  text(): string {
    return this.chunks.join('');
  }
}

const registry = new Set<ManagedProcess>();

export class ManagedProcess {
  readonly pid: number;
  private readonly ring = new RingBuffer(RING_BYTES);
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly stopSignal: StopSignal,
  ) {
    if (child.pid === undefined) throw new Error(`${name}: spawn failed (no pid)`);
    this.pid = child.pid;
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => this.ring.push(d));
    child.stderr?.on('data', (d: string) => this.ring.push(d));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve();
      });
    });
    registry.add(this);
  }

  /** Append a harness note to the captured output. */
  note(s: string): void {
    this.ring.push(s);
  }

  /** The whole captured output (last 64 KiB of stdout+stderr, interleaved). */
  log(): string {
    return this.ring.text();
  }

  /** The last `lines` lines of output, for error messages. */
  tail(lines = 40): string {
    const all = this.ring.text().split('\n');
    return all.slice(Math.max(0, all.length - lines - 1)).join('\n');
  }

  /** Exit code/signal once the child has exited (as seen by Node), else undefined. */
  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.exitInfo;
  }

  get alive(): boolean {
    return this.exitInfo === undefined && isAlive(this.pid);
  }

  /** Stop THAT pid with its stop signal; bounded wait; SIGKILL fallback. Idempotent. */
  async stop(timeoutMs = 10_000): Promise<void> {
    try {
      if (!this.alive) return;
      const kids = descendants(this.pid);
      try {
        process.kill(this.pid, this.stopSignal);
      } catch {
        /* already gone */
      }
      if (!(await this.waitGone(timeoutMs))) {
        try {
          process.kill(this.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
        await this.waitGone(3000);
      }
      // /proc may show Z before Node has reaped the child; give the 'exit' event a bounded moment.
      if (this.exitInfo === undefined) await Promise.race([this.exited, sleep(1000)]);
      // A well-behaved master (nginx) takes its workers down; anything left of ours is killed.
      const deadline = Date.now() + 3000;
      let left = kids.filter(sameProcess).filter((k) => isAlive(k.pid));
      while (left.length > 0 && Date.now() < deadline) {
        await sleep(50);
        left = left.filter((k) => sameProcess(k) && isAlive(k.pid));
      }
      for (const k of left) {
        try {
          process.kill(k.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    } finally {
      registry.delete(this);
    }
  }

  private async waitGone(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exitInfo !== undefined || !isAlive(this.pid)) return true;
      await Promise.race([this.exited, sleep(50)]);
    }
    return this.exitInfo !== undefined || !isAlive(this.pid);
  }
}

export function startProcess(
  name: string,
  command: string,
  args: string[],
  opts: { stopSignal: StopSignal; cwd?: string; env?: NodeJS.ProcessEnv },
): ManagedProcess {
  const child = spawn(command, args, {
    detached: false,
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: opts.cwd,
    env: opts.env ?? process.env,
  });
  // spawn errors (ENOENT) arrive asynchronously; keep them in the log instead of crashing.
  let proc: ManagedProcess | undefined;
  child.on('error', (err) => proc?.note(`\n[harness] spawn error: ${err.message}\n`));
  try {
    proc = new ManagedProcess(name, child, opts.stopSignal);
  } catch (err) {
    throw new Error(`${name}: could not start ${command}: ${(err as Error).message}`);
  }
  return proc;
}

/** Stop everything started through this module (reverse start order). For afterAll. */
export async function cleanupAll(): Promise<void> {
  const all = [...registry].reverse();
  const errors: string[] = [];
  for (const p of all) {
    try {
      await p.stop();
    } catch (err) {
      errors.push(`${p.name}: ${(err as Error).message}`);
    }
  }
  if (errors.length > 0) throw new Error(`cleanup failed: ${errors.join('; ')}`);
}

// Last resort if a test run exits without cleanupAll(): kill our children synchronously.
process.once('exit', () => {
  for (const p of registry) {
    try {
      if (isAlive(p.pid)) process.kill(p.pid, 'SIGKILL');
    } catch {
      /* ignore */
    }
  }
});

// -------------------------------------------------------------------------------------------
// Readiness helpers
// -------------------------------------------------------------------------------------------

function httpStatus(url: string, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, headers: { Connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', () => resolve(res.statusCode));
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve(undefined);
    });
    req.on('error', () => resolve(undefined));
  });
}

async function failStart(proc: ManagedProcess, what: string): Promise<never> {
  const exit = proc.exit;
  await proc.stop(3000).catch(() => undefined);
  const how = exit ? ` (exited code=${exit.code} signal=${exit.signal})` : '';
  throw new Error(`${proc.name}: ${what}${how}\n--- log tail ---\n${proc.tail()}`);
}

/** Poll until `ready()` resolves true, the process exits, or the deadline passes. */
async function waitReady(
  proc: ManagedProcess,
  ready: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!proc.alive) await failStart(proc, `exited before ${what}`);
    if (await ready()) return;
    await sleep(100);
  }
  await failStart(proc, `not ${what} within ${timeoutMs} ms`);
}

// -------------------------------------------------------------------------------------------
// Signaling
// -------------------------------------------------------------------------------------------

export interface StartedSignaling extends ManagedProcess {
  /** http://127.0.0.1:PORT */
  baseUrl: string;
  /** ws://127.0.0.1:PORT/spreed */
  wsUrl: string;
}

/**
 * Start `binary --config configPath` and wait (polling, bounded ~15 s) until
 * GET http://HOST:PORT/api/v1/welcome answers 200. `port` is the `[http] listen` port of the config.
 */
export async function startSignaling(
  binary: string,
  configPath: string,
  port: number,
  opts: { host?: string; timeoutMs?: number; name?: string } = {},
): Promise<StartedSignaling> {
  const host = opts.host ?? '127.0.0.1';
  const proc = startProcess(opts.name ?? `signaling(${binary})`, binary, ['--config', configPath], {
    stopSignal: 'SIGINT',
  });
  const baseUrl = `http://${host}:${port}`;
  await waitReady(
    proc,
    async () => (await httpStatus(`${baseUrl}/api/v1/welcome`, 1000)) === 200,
    opts.timeoutMs ?? 15_000,
    `answering 200 on ${baseUrl}/api/v1/welcome`,
  );
  return Object.assign(proc, { baseUrl, wsUrl: `ws://${host}:${port}/spreed` });
}

// -------------------------------------------------------------------------------------------
// NATS
// -------------------------------------------------------------------------------------------

export interface StartedNats extends ManagedProcess {
  url: string;
  port: number;
}

/** `nats-server -a 127.0.0.1 -p PORT -P PIDFILE`; ready when the port accepts connections. */
export async function startNats(port: number, opts: { dir?: string; timeoutMs?: number } = {}): Promise<StartedNats> {
  const args = ['-a', '127.0.0.1', '-p', String(port)];
  if (opts.dir) {
    mkdirSync(opts.dir, { recursive: true });
    args.push('-P', path.join(opts.dir, 'nats.pid'));
  }
  const proc = startProcess(`nats-server(:${port})`, componentPath('nats-server'), args, { stopSignal: 'SIGTERM' });
  await waitReady(proc, () => portAnswers(port), opts.timeoutMs ?? 10_000, `listening on 127.0.0.1:${port}`);
  return Object.assign(proc, { url: `nats://127.0.0.1:${port}`, port });
}

// -------------------------------------------------------------------------------------------
// nginx
// -------------------------------------------------------------------------------------------

function run(
  cmd: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : -1
          : 0;
        resolve({
          code,
          stdout: String(stdout),
          stderr: String(stderr) + (err && code === -1 ? `\n${err.message}` : ''),
        });
      },
    );
  });
}

/**
 * When running as root, nginx workers run as `nobody`: every ancestor of the prefix must be
 * traversable by others, or static files, temp files and error pages fail with 403/EACCES.
 */
function assertTraversable(dir: string): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return;
  for (let d = dir; ; d = path.dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) {
      throw new Error(
        `nginx workers (user nobody) cannot traverse ${d} (mode ${(mode & 0o777).toString(8)}); chmod it 0755 or use another prefix`,
      );
    }
    if (d === path.dirname(d)) break;
  }
}

/**
 * Write `PREFIX/nginx.conf`: absolute pid, error_log, access_log and every *_temp_path inside the
 * prefix; `events {}`; `http { include <each>; }`. Returns the path.
 */
export function writeNginxMain(
  prefixDir: string,
  includes: string[],
  opts: { workerConnections?: number; workerProcesses?: number; extraHttp?: string } = {},
): string {
  const prefix = path.resolve(prefixDir);
  mkdirSync(prefix, { recursive: true });
  // Workers run as `nobody` when the master is root: let them traverse the prefix (mkdtemp makes 0700).
  chmodSync(prefix, 0o755);
  assertTraversable(prefix);
  const temp = path.join(prefix, 'temp');
  mkdirSync(path.join(prefix, 'logs'), { recursive: true });
  mkdirSync(temp, { recursive: true });
  chmodSync(temp, 0o755);
  const conf = [
    `worker_processes ${opts.workerProcesses ?? 1};`,
    `pid ${path.join(prefix, 'nginx.pid')};`,
    `error_log ${path.join(prefix, 'logs', 'error.log')} info;`,
    // Bounded graceful stop even with websockets still open.
    'worker_shutdown_timeout 5s;',
    '',
    'events {',
    opts.workerConnections ? `    worker_connections ${opts.workerConnections};` : '',
    '}',
    '',
    'http {',
    `    access_log ${path.join(prefix, 'logs', 'access.log')};`,
    `    client_body_temp_path ${path.join(temp, 'client_body')};`,
    `    proxy_temp_path ${path.join(temp, 'proxy')};`,
    `    fastcgi_temp_path ${path.join(temp, 'fastcgi')};`,
    `    uwsgi_temp_path ${path.join(temp, 'uwsgi')};`,
    `    scgi_temp_path ${path.join(temp, 'scgi')};`,
    ...(opts.extraHttp ? [opts.extraHttp] : []),
    ...includes.map((i) => `    include ${path.resolve(i)};`),
    '}',
    '',
  ]
    .filter((l, i, a) => !(l === '' && a[i - 1] === ''))
    .join('\n');
  const confPath = path.join(prefix, 'nginx.conf');
  writeFileSync(confPath, conf);
  return confPath;
}

/**
 * `nginx -t -p DIR/ -c CONF -e stderr`, then `nginx -p DIR/ -c CONF -e stderr -g 'daemon off;'`;
 * ready when 127.0.0.1:port accepts connections. Stopped with SIGQUIT.
 */
export async function startNginx(
  prefixDir: string,
  confPath: string,
  port: number,
  opts: { timeoutMs?: number } = {},
): Promise<ManagedProcess> {
  const nginx = componentPath('nginx');
  const prefix = path.resolve(prefixDir) + '/';
  const conf = path.resolve(confPath);
  const t = await run(nginx, ['-t', '-p', prefix, '-c', conf, '-e', 'stderr'], 10_000);
  if (t.code !== 0) throw new Error(`nginx -t failed (exit ${t.code}):\n${t.stderr}${t.stdout}`);
  const proc = startProcess(`nginx(:${port})`, nginx, ['-p', prefix, '-c', conf, '-e', 'stderr', '-g', 'daemon off;'], {
    stopSignal: 'SIGQUIT',
  });
  await waitReady(proc, () => portAnswers(port), opts.timeoutMs ?? 10_000, `listening on 127.0.0.1:${port}`);
  return proc;
}

// -------------------------------------------------------------------------------------------
// Apache 2.4
// -------------------------------------------------------------------------------------------

/**
 * Apache in the foreground (`apache2 -f CONF -DFOREGROUND`) on a throwaway main config in `dir`:
 * the modules a staged mods-enabled holds (each .load and .conf, as Debian's apache2.conf includes
 * them), then `includes` (the rendered virtual host, which carries its own Listen). Checked with
 * `apache2 -t` first; ready when 127.0.0.1:port accepts connections; stopped by pid with SIGTERM.
 */
export async function startApache(
  dir: string,
  modsEnabled: string,
  includes: string[],
  port: number,
  opts: { timeoutMs?: number } = {},
): Promise<ManagedProcess> {
  const apache = componentPath('apache2');
  const root = path.resolve(dir);
  mkdirSync(root, { recursive: true });
  chmodSync(root, 0o755);
  const mods = readdirSync(modsEnabled).sort();
  const isRoot = process.getuid?.() === 0;
  const conf = [
    `Define APACHE_RUN_DIR ${root}`,
    `Define APACHE_LOCK_DIR ${root}`,
    `Define APACHE_LOG_DIR ${root}`,
    `ServerRoot "${root}"`,
    `DefaultRuntimeDir "${root}"`,
    `PidFile "${root}/apache2.pid"`,
    `ErrorLog "${root}/error.log"`,
    'LogLevel info',
    'ServerName localhost',
    ...(isRoot ? ['User nobody', 'Group nogroup'] : []),
    ...['mpm_event.load', 'authz_core.load']
      .filter((m) => !mods.includes(m))
      .map((m) => `Include /etc/apache2/mods-available/${m}`),
    ...mods.filter((m) => m.endsWith('.load')).map((m) => `Include "${path.join(modsEnabled, m)}"`),
    ...mods.filter((m) => m.endsWith('.conf')).map((m) => `Include "${path.join(modsEnabled, m)}"`),
    ...includes.map((i) => `Include "${path.resolve(i)}"`),
    '',
  ].join('\n');
  const confPath = path.join(root, 'apache2.conf');
  writeFileSync(confPath, conf);
  const t = await run(apache, ['-t', '-f', confPath], 10_000);
  if (t.code !== 0) throw new Error(`apache2 -t failed (exit ${t.code}):\n${t.stderr}${t.stdout}`);
  const proc = startProcess(`apache2(:${port})`, apache, ['-f', confPath, '-DFOREGROUND'], { stopSignal: 'SIGTERM' });
  await waitReady(proc, () => portAnswers(port), opts.timeoutMs ?? 10_000, `listening on 127.0.0.1:${port}`);
  return proc;
}

// -------------------------------------------------------------------------------------------
// Caddy 2
// -------------------------------------------------------------------------------------------

/**
 * `caddy run` on a throwaway Caddyfile in `dir`: admin endpoint off, no redirects, the plain-HTTP
 * port moved to `httpPort` (nothing binds 80), storage in `dir`; then the rendered site file
 * imported. Checked with `caddy validate` first; ready when 127.0.0.1:port accepts connections.
 */
export async function startCaddy(
  dir: string,
  site: string,
  ports: { https: number; http: number },
  opts: { timeoutMs?: number } = {},
): Promise<ManagedProcess> {
  const caddy = componentPath('caddy');
  const root = path.resolve(dir);
  mkdirSync(root, { recursive: true });
  const conf = path.join(root, 'Caddyfile');
  writeFileSync(
    conf,
    `{\n\tadmin off\n\thttp_port ${ports.http}\n\thttps_port ${ports.https}\n\tauto_https disable_redirects\n\tstorage file_system ${root}/data\n}\nimport ${path.resolve(site)}\n`,
  );
  const env = { ...process.env, HOME: root, XDG_DATA_HOME: root, XDG_CONFIG_HOME: root };
  const t = await new Promise<{ code: number | null; out: string }>((resolve) => {
    execFile(caddy, ['validate', '--config', conf, '--adapter', 'caddyfile'], { env, timeout: 20_000 }, (err, so, se) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${se}${so}` }),
    );
  });
  if (t.code !== 0) throw new Error(`caddy validate failed (exit ${t.code}):\n${t.out}`);
  const proc = startProcess(`caddy(:${ports.https})`, caddy, ['run', '--config', conf, '--adapter', 'caddyfile'], {
    stopSignal: 'SIGTERM',
    env,
  });
  await waitReady(
    proc,
    () => portAnswers(ports.https),
    opts.timeoutMs ?? 15_000,
    `listening on 127.0.0.1:${ports.https}`,
  );
  return proc;
}

// -------------------------------------------------------------------------------------------
// HAProxy 2.6
// -------------------------------------------------------------------------------------------

/**
 * `haproxy -f CONF -db` (foreground) on a configuration file the test wrote (a copy of the
 * rendered haproxy.cfg). Checked with `haproxy -c` first; ready when 127.0.0.1:port accepts
 * connections; stopped by pid with SIGTERM.
 */
export async function startHaproxy(
  conf: string,
  port: number,
  opts: { timeoutMs?: number } = {},
): Promise<ManagedProcess> {
  const haproxy = componentPath('haproxy');
  const t = await run(haproxy, ['-c', '-f', conf], 10_000);
  if (t.code !== 0) throw new Error(`haproxy -c failed (exit ${t.code}):\n${t.stderr}${t.stdout}`);
  const proc = startProcess(`haproxy(:${port})`, haproxy, ['-f', conf, '-db'], { stopSignal: 'SIGTERM' });
  await waitReady(proc, () => portAnswers(port), opts.timeoutMs ?? 10_000, `listening on 127.0.0.1:${port}`);
  return proc;
}

// -------------------------------------------------------------------------------------------
// TLS
// -------------------------------------------------------------------------------------------

/** Self-signed certificate for 127.0.0.1/localhost (openssl, per docs/testbed.md). */
export async function selfSignedCert(dir: string): Promise<{ cert: string; key: string }> {
  mkdirSync(dir, { recursive: true });
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const r = await run(
    componentPath('openssl'),
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    30_000,
  );
  if (r.code !== 0) throw new Error(`openssl req failed (exit ${r.code}):\n${r.stderr}`);
  return { cert, key };
}

// -------------------------------------------------------------------------------------------
// Janus
// -------------------------------------------------------------------------------------------

const JANUS_LIB = '/usr/lib/x86_64-linux-gnu/janus';

function janusLibDir(kind: 'plugins' | 'transports' | 'events' | 'loggers'): string {
  // Debian multiarch path; fall back to scanning /usr/lib/*/janus.
  const candidates = [path.join(JANUS_LIB, kind)];
  try {
    for (const d of readdirSync('/usr/lib')) candidates.push(path.join('/usr/lib', d, 'janus', kind));
  } catch {
    /* ignore */
  }
  candidates.push(path.join('/usr/lib/janus', kind));
  for (const c of candidates) {
    try {
      readdirSync(c);
      return c;
    } catch {
      /* next */
    }
  }
  return path.join(JANUS_LIB, kind);
}

function soNames(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => /^libjanus_.*\.so$/.test(f));
  } catch {
    return [];
  }
}

/**
 * Janus with only libjanus_videoroom.so and libjanus_websockets.so (ws on 127.0.0.1:port); every
 * other plugin, transport, event handler and logger disabled by name. Ready when the port answers.
 */
export async function startJanus(
  dir: string,
  port: number,
  opts: {
    timeoutMs?: number;
    fullTrickle?: boolean;
    plugins?: string[];
    /** false: the websockets transport off (ws = false) and Janus's REST transport on instead, on this port. */
    websockets?: false;
    /** The websocket event handler enabled towards this backend; broadcast as given (janus-facts §4). */
    events?: { backend: string; broadcast: boolean };
    /** nat_1_1_mapping: the public address Janus announces. */
    natMapping?: string;
  } = {},
): Promise<ManagedProcess & { url: string }> {
  const d = path.resolve(dir);
  mkdirSync(d, { recursive: true });
  const folders = {
    plugins: janusLibDir('plugins'),
    transports: janusLibDir('transports'),
    events: janusLibDir('events'),
    loggers: janusLibDir('loggers'),
  };
  const disable = (kind: keyof typeof folders, keep: string[]): string =>
    soNames(folders[kind])
      .filter((f) => !keep.includes(f))
      .join(',');
  const jcfg = `general: {
\tconfigs_folder = "${d}"
\tplugins_folder = "${folders.plugins}"
\ttransports_folder = "${folders.transports}"
\tevents_folder = "${folders.events}"
\tloggers_folder = "${folders.loggers}"
\tdebug_level = 4
}
certificates: {
}
media: {
}
nat: {
\tnice_debug = false
\tice_ignore_list = "vmnet"
\tfull_trickle = ${opts.fullTrickle === false ? 'false' : 'true'}${opts.natMapping ? `\n\tnat_1_1_mapping = "${opts.natMapping}"` : ''}
}
plugins: {
\tdisable = "${disable('plugins', opts.plugins ?? ['libjanus_videoroom.so'])}"
}
transports: {
\tdisable = "${disable('transports', ['libjanus_websockets.so', ...(opts.websockets === false ? ['libjanus_http.so'] : [])])}"
}
loggers: {
\tdisable = "${disable('loggers', [])}"
}
events: {
\tbroadcast = ${opts.events?.broadcast ? 'true' : 'false'}
\tdisable = "${disable('events', opts.events ? ['libjanus_wsevh.so'] : [])}"
}
`;
  writeFileSync(path.join(d, 'janus.jcfg'), jcfg);
  writeFileSync(
    path.join(d, 'janus.transport.websockets.jcfg'),
    `general: {
\tjson = "indented"
\tws = ${opts.websockets === false ? 'false' : 'true'}
\tws_port = ${port}
\tws_ip = "127.0.0.1"
\twss = false
}
admin: {
\tadmin_ws = false
\tadmin_wss = false
}
`,
  );
  writeFileSync(path.join(d, 'janus.plugin.videoroom.jcfg'), 'general: {\n}\n');
  if (opts.websockets === false)
    writeFileSync(
      path.join(d, 'janus.transport.http.jcfg'),
      `general: {\n\thttp = true\n\tport = ${port}\n\tip = "127.0.0.1"\n\thttps = false\n}\nadmin: {\n\tadmin_http = false\n\tadmin_https = false\n}\n`,
    );
  if (opts.events)
    writeFileSync(
      path.join(d, 'janus.eventhandler.wsevh.jcfg'),
      `general: {\n\tenabled = true\n\tevents = "all"\n\tgrouping = true\n\tbackend = "${opts.events.backend}"\n\tsubprotocol = "janus-events"\n}\n`,
    );
  const proc = startProcess(
    `janus(:${port})`,
    componentPath('janus'),
    ['-C', path.join(d, 'janus.jcfg'), '-F', d, '-o'],
    { stopSignal: 'SIGTERM' },
  );
  await waitReady(proc, () => portAnswers(port), opts.timeoutMs ?? 15_000, `listening on 127.0.0.1:${port}`);
  return Object.assign(proc, { url: `ws://127.0.0.1:${port}` });
}

/**
 * Janus from spreed-setup's own rendered config folder (e.g. ROOT/etc/janus): the .jcfg files are
 * copied into `workDir` and adapted only in the websocket port (`ws_port`, to a free loopback
 * port) and the config folder (`-F workDir`); everything else is as rendered. Ready when the port
 * answers; stopped by its pid.
 */
export async function startJanusRendered(
  renderedDir: string,
  workDir: string,
  port: number,
  opts: { timeoutMs?: number } = {},
): Promise<ManagedProcess & { url: string; configDir: string }> {
  const d = path.resolve(workDir);
  mkdirSync(d, { recursive: true });
  for (const f of readdirSync(renderedDir).filter((n) => n.endsWith('.jcfg')))
    writeFileSync(path.join(d, f), readFileSync(path.join(renderedDir, f), 'utf8'));
  const ws = path.join(d, 'janus.transport.websockets.jcfg');
  writeFileSync(ws, setSettings(readFileSync(ws, 'utf8'), [{ group: 'general', key: 'ws_port', value: port }]));
  const proc = startProcess(
    `janus-rendered(:${port})`,
    componentPath('janus'),
    ['-C', path.join(d, 'janus.jcfg'), '-F', d, '-o'],
    { stopSignal: 'SIGTERM' },
  );
  await waitReady(proc, () => portAnswers(port), opts.timeoutMs ?? 20_000, `listening on 127.0.0.1:${port}`);
  return Object.assign(proc, { url: `ws://127.0.0.1:${port}`, configDir: d });
}

// -------------------------------------------------------------------------------------------
// Signaling proxy
// -------------------------------------------------------------------------------------------

/**
 * The real signaling proxy (`-config FILE`, as Debian's unit starts it) with a proxy.conf whose
 * `[http] listen` is 127.0.0.1:port; ready when GET /welcome answers 200. Stopped by its pid.
 */
export async function startProxy(
  configPath: string,
  port: number,
  opts: { timeoutMs?: number; binary?: string } = {},
): Promise<ManagedProcess & { baseUrl: string }> {
  const proc = startProcess(`signaling-proxy(:${port})`, opts.binary ?? proxyBinary(), ['-config', configPath], {
    stopSignal: 'SIGINT',
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitReady(
    proc,
    async () => (await httpStatus(`${baseUrl}/welcome`, 1000)) === 200,
    opts.timeoutMs ?? 15_000,
    `answering 200 on ${baseUrl}/welcome`,
  );
  return Object.assign(proc, { baseUrl });
}

// -------------------------------------------------------------------------------------------
// coturn
// -------------------------------------------------------------------------------------------

/** coturn on 127.0.0.1:port (UDP+TCP), TURN REST secret auth; ready when the TCP port answers. */
export async function startCoturn(
  dir: string,
  port: number,
  secret: string,
  opts: { realm?: string; timeoutMs?: number } = {},
): Promise<ManagedProcess> {
  const d = path.resolve(dir);
  mkdirSync(d, { recursive: true });
  const args = [
    '-n',
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    `--listening-port=${port}`,
    '--use-auth-secret',
    `--static-auth-secret=${secret}`,
    `--realm=${opts.realm ?? 'spreed-setup.test'}`,
    '--no-cli',
    '--no-tls',
    '--no-dtls',
    `--userdb=${path.join(d, 'turndb')}`,
    `--pidfile=${path.join(d, 'turnserver.pid')}`,
    '--log-file=stdout',
  ];
  const proc = startProcess(`turnserver(:${port})`, componentPath('turnserver'), args, { stopSignal: 'SIGTERM' });
  await waitReady(proc, () => portAnswers(port), opts.timeoutMs ?? 10_000, `listening on 127.0.0.1:${port}`);
  return proc;
}

/**
 * A rendered turnserver.conf adapted for the test bed only in listen ports and addresses:
 * listening-port and tls-listening-port replaced, coturn bound and relaying on 127.0.0.1.
 */
export function coturnConfForLoopback(conf: string, ports: { port: number; tlsPort?: number }): string {
  const lines = conf
    .split('\n')
    .map((l) =>
      /^listening-port=/.test(l)
        ? `listening-port=${ports.port}`
        : /^tls-listening-port=/.test(l) && ports.tlsPort !== undefined
          ? `tls-listening-port=${ports.tlsPort}`
          : l,
    )
    .filter((l) => !/^(listening-ip|relay-ip)=/.test(l));
  return [...lines, 'listening-ip=127.0.0.1', 'relay-ip=127.0.0.1', ''].join('\n');
}

/**
 * coturn in the foreground with a config file (the secret stays in that file, never in argv);
 * ready when its TCP port answers. `port` must be the listening-port the file holds.
 */
export async function startCoturnWithConfig(
  dir: string,
  conf: string,
  port: number,
  opts: { timeoutMs?: number } = {},
): Promise<ManagedProcess & { confPath: string }> {
  const d = path.resolve(dir);
  mkdirSync(d, { recursive: true });
  const confPath = path.join(d, 'turnserver.conf');
  writeFileSync(confPath, conf, { mode: 0o600 });
  const args = [
    '-c',
    confPath,
    `--userdb=${path.join(d, 'turndb')}`,
    `--pidfile=${path.join(d, 'turnserver.pid')}`,
    '--log-file=stdout',
    '--simple-log',
  ];
  const proc = startProcess(`turnserver(:${port})`, componentPath('turnserver'), args, { stopSignal: 'SIGTERM' });
  await waitReady(proc, () => portAnswers(port), opts.timeoutMs ?? 10_000, `listening on 127.0.0.1:${port}`);
  return Object.assign(proc, { confPath });
}
