#!/usr/bin/env node
// Sessions benchmark: how many concurrent signaling sessions the produced setup holds.
//   `spreed-setup setup --root DIR` stages an install on a copy of this machine's nginx.conf and
//   Debian's units (so it tunes worker_connections, worker_rlimit_nofile and LimitNOFILE for
//   --sessions); then the real signaling server (2.0.2 from .testbed, else the newest installed)
//   and the real nginx run with those files, adapted only for unprivileged ports and paths (the
//   services get the drop-ins' LimitNOFILE, capped at this process's hard limit); then N
//   internal-client sessions (hello with auth.type "internal") open through the public URL
//   (nginx, TLS), are held, and are counted.
// Bounded: BENCH_SESSIONS (default 500), BENCH_DEADLINE_S for opening (default 120),
// BENCH_HOLD_S (default 5), BENCH_CONCURRENCY handshakes in flight (default 200),
// BENCH_HELLO 1.0|2.0 (default 1.0), BENCH_UNTUNED=1 (control: Debian's nginx.conf as shipped and
// systemd's default 1024 open files instead of what setup produced). Everything on 127.0.0.1, as the current user; stops only the
// pids it started. Prints figures; asserts nothing. Needs `npm run build` and the test bed.
import { execFileSync, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(repo, 'bin/spreed-setup.js');
const N = Math.max(1, Math.min(200_000, Number(process.env.BENCH_SESSIONS ?? 500) || 500));
const deadlineS = Number(process.env.BENCH_DEADLINE_S ?? 120) || 120;
const holdS = Number(process.env.BENCH_HOLD_S ?? 5) || 5;
const concurrency = Math.max(1, Number(process.env.BENCH_CONCURRENCY ?? 200) || 200);
const helloVersion = process.env.BENCH_HELLO === '2.0' ? '2.0' : '1.0';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Soft and hard "Max open files" of a process. */
function nofile(pid = 'self') {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  const n = (s) => (s === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(s));
  return { soft: n(m[1]), hard: n(m[2]) };
}

// Node cannot raise its own limit: run again under the shell's `ulimit -n` (once) when needed.
{
  const { soft, hard } = nofile();
  const need = N + 512;
  if (soft < need && hard > soft && !process.env.SPREED_BENCH_REEXEC) {
    const to = Math.min(hard, Math.max(need, soft));
    const c = spawn('sh', ['-c', `ulimit -n ${to} && exec "$0" "$@"`, process.execPath, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, SPREED_BENCH_REEXEC: '1' },
    });
    c.on('exit', (code, sig) => process.exit(code ?? (sig ? 1 : 0)));
    await new Promise(() => {});
  }
}

const tmp = mkdtempSync(path.join(tmpdir(), 'spreed-bench-sessions-'));
chmodSync(tmp, 0o755);
/** Children we started: { name, pid, child, stop }. */
const started = [];

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitPort(port, what, ms = 15_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise((r) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`${what} never answered on 127.0.0.1:${port}`);
}

/** Starts `cmd args` with its open-files limit at `limit` (via the shell, which then execs: same pid). */
function start(name, limit, cmd, args, stop) {
  const child = spawn('sh', ['-c', `ulimit -n ${limit} && exec "$0" "$@"`, cmd, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => (log = (log + d).slice(-8000)));
  const p = { name, pid: child.pid, child, stop, log: () => log, exited: new Promise((r) => child.once('exit', r)) };
  started.push(p);
  return p;
}

function state(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2)[0];
  } catch {
    return undefined;
  }
}

/** Direct children of pid (nginx's workers). */
function childrenOf(pid) {
  const out = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && state(Number(e)) !== 'Z') out.push(Number(e));
    } catch {}
  }
  return out;
}

const rssKb = (pid) => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

function memory(server, nginx) {
  const workers = childrenOf(nginx.pid);
  return {
    server: rssKb(server.pid),
    nginxWorkers: workers.reduce((a, p) => a + rssKb(p), 0),
    workers: workers.length,
    workerLimits: workers.map((p) => nofile(p).soft),
  };
}

function signalingBinary() {
  for (const v of ['2.0.2', '1.2.4']) {
    const p = path.join(repo, `.testbed/signaling-${v}/usr/bin/nextcloud-spreed-signaling-server`);
    if (existsSync(p)) return { binary: p, version: v };
  }
  return { binary: '/usr/bin/nextcloud-spreed-signaling-server', version: '0.4.1' };
}

const read = (f) => readFileSync(f, 'utf8');
const limitIn = (f) => {
  try {
    const m = /^LimitNOFILE=(\d+)/m.exec(read(f));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
};

/** Debian's nginx.conf as setup tuned it, with only the paths a normal run cannot use moved into the prefix. */
function unprivilegedMain(tuned, root, prefix) {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `${t}_temp_path ${prefix}/${t};`)
    .join(' ');
  return tuned
    .replace(/^user\s+[^;]*;\n/m, '')
    .replace(/^(\s*pid\s+)[^;]*;/m, `$1${prefix}/nginx.pid;`)
    .replace(/^(\s*error_log\s+)[^;]*;/m, `$1${prefix}/error.log;`)
    .replace(/^(\s*access_log\s+)[^;]*;/m, '$1off;')
    .replace(/^\s*include\s+\/etc\/nginx\/modules-enabled\/[^;]*;\n/m, '')
    .replace(/\/etc\/nginx\/(conf\.d|sites-enabled)\//g, `${root}/etc/nginx/$1/`)
    .replace(/^http\s*\{/m, `http {\n\t${temp}`);
}

function hello(id, secret, backend) {
  const random = randomBytes(16).toString('hex');
  const token = createHmac('sha256', secret).update(random).digest('hex');
  return JSON.stringify({
    id: String(id),
    type: 'hello',
    hello: { version: helloVersion, auth: { type: 'internal', params: { random, token, backend } } },
  });
}

/** One session: connect, hello, wait for the hello answer. Resolves { ws } or { error }. */
function openSession(url, ca, id, secret, backend, timeoutMs) {
  return new Promise((resolve) => {
    let done = false;
    const ws = new WebSocket(url, { ca, perMessageDeflate: false, handshakeTimeout: timeoutMs });
    const timer = setTimeout(() => finish({ error: 'timeout' }), timeoutMs);
    const finish = (r) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (r.error) ws.terminate();
      resolve(r);
    };
    ws.on('open', () => ws.send(hello(id, secret, backend)));
    ws.on('message', (data) => {
      let m;
      try {
        m = JSON.parse(String(data));
      } catch {
        return;
      }
      if (m.type === 'hello' && m.hello?.sessionid) finish({ ws });
      else if (m.type === 'error') finish({ error: m.error?.code ?? 'error' });
    });
    ws.on('error', (e) => finish({ error: e.code ?? e.message ?? 'error' }));
    ws.on('close', () => finish({ error: 'closed' }));
  });
}

function stats(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/api/v1/stats', timeout: 5000 }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? JSON.parse(b) : undefined);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
  });
}

async function stopAll() {
  for (const p of [...started].reverse()) {
    if (state(p.pid) === undefined || state(p.pid) === 'Z') continue;
    try {
      process.kill(p.pid, p.stop);
    } catch {}
    await Promise.race([p.exited, sleep(10_000)]);
    if (state(p.pid) !== undefined && state(p.pid) !== 'Z') {
      // Ours only: the pid we started and (nginx) its own workers.
      for (const w of childrenOf(p.pid)) {
        try {
          process.kill(w, 'SIGKILL');
        } catch {}
      }
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {}
    }
  }
}

const sockets = [];
try {
  const { binary, version } = signalingBinary();
  const root = path.join(tmp, 'root');
  mkdirSync(path.join(root, 'etc/nginx'), { recursive: true });
  mkdirSync(path.join(root, 'lib/systemd/system'), { recursive: true });
  chmodSync(root, 0o755);
  copyFileSync('/etc/nginx/nginx.conf', path.join(root, 'etc/nginx/nginx.conf'));
  for (const unit of ['nginx', 'nextcloud-spreed-signaling']) {
    const vendor = [`/lib/systemd/system/${unit}.service`, `/usr/lib/systemd/system/${unit}.service`].find(existsSync);
    if (vendor) copyFileSync(vendor, path.join(root, `lib/systemd/system/${unit}.service`));
  }
  const tls = path.join(tmp, 'tls');
  mkdirSync(tls);
  chmodSync(tls, 0o755);
  const cert = path.join(tls, 'cert.pem');
  const key = path.join(tls, 'key.pem');
  execFileSync(
    'openssl',
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
    { stdio: 'ignore' },
  );
  chmodSync(key, 0o644);
  const [listen, httpsPort, httpPort, ncPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const backend = `http://127.0.0.1:${ncPort}`;
  const answers = path.join(tmp, 'answers.yaml');
  writeFileSync(
    answers,
    [
      'hostname: localhost',
      `listen: 127.0.0.1:${listen}`,
      'backends:',
      '  - id: cloud',
      `    urls: [${backend}]`,
      'nginx:',
      '  mode: site',
      `  certificate: ${cert}`,
      `  key: ${key}`,
      '  bindAddress: 127.0.0.1',
      `  httpPort: ${httpPort}`,
      `  httpsPort: ${httpsPort}`,
      `  acmeWebroot: ${tmp}`,
      '',
    ].join('\n'),
  );
  const sessions = Math.max(100, N);
  execFileSync(
    process.execPath,
    [
      bin,
      'setup',
      '--answers',
      answers,
      '--server-version',
      version,
      '--sessions',
      String(sessions),
      '--yes',
      '--root',
      root,
    ],
    { stdio: 'ignore' },
  );
  const conf = path.join(root, 'etc/nextcloud-spreed-signaling/server.conf');
  const secret = read(path.join(root, 'etc/nextcloud-spreed-signaling/secrets/internalsecret')).trim();
  const untuned = process.env.BENCH_UNTUNED === '1';
  const tuned = untuned ? read('/etc/nginx/nginx.conf') : read(path.join(root, 'etc/nginx/nginx.conf'));
  const hard = nofile().hard;
  const dropIn = (unit) =>
    untuned ? 1024 : limitIn(path.join(root, `etc/systemd/system/${unit}.service.d/spreed-setup-limits.conf`));
  // Without a drop-in (no unit on this machine), systemd's default soft limit.
  const serverLimit = Math.min(hard, dropIn('nextcloud-spreed-signaling') ?? 1024);
  const nginxLimit = Math.min(hard, dropIn('nginx') ?? 1024);
  const settings = (name) =>
    /^\s*(\S+)\s+([^;]+);/m.exec(tuned.split('\n').find((l) => new RegExp(`^\\s*${name}\\s`).test(l)) ?? '')?.[2];
  console.log(
    `${untuned ? "control (BENCH_UNTUNED): Debian's nginx.conf and 1024 open files" : `setup --sessions ${sessions}`}: worker_processes ${settings('worker_processes')}, worker_connections ${settings('worker_connections')}, worker_rlimit_nofile ${settings('worker_rlimit_nofile')}; LimitNOFILE nginx ${nginxLimit}, server ${serverLimit} (hard limit here ${hard})`,
  );

  const server = start(`signaling ${version}`, serverLimit, binary, ['--config', conf], 'SIGINT');
  await waitPort(listen, 'the signaling server');
  const prefix = path.join(tmp, 'nginx');
  mkdirSync(prefix);
  chmodSync(prefix, 0o755);
  const main = path.join(prefix, 'nginx.conf');
  writeFileSync(main, unprivilegedMain(tuned, root, prefix));
  const t = (() => {
    try {
      execFileSync('nginx', ['-t', '-q', '-p', `${prefix}/`, '-c', main, '-e', 'stderr'], { stdio: 'pipe' });
      return undefined;
    } catch (e) {
      return String(e.stderr);
    }
  })();
  if (t) throw new Error(`nginx -t failed on the produced config:\n${t}`);
  const nginx = start(
    'nginx',
    nginxLimit,
    'nginx',
    ['-p', `${prefix}/`, '-c', main, '-e', 'stderr', '-g', 'daemon off;'],
    'SIGQUIT',
  );
  await waitPort(httpsPort, 'nginx');
  await sleep(300);

  const before = memory(server, nginx);
  const url = `wss://127.0.0.1:${httpsPort}/standalone-signaling/spreed`;
  const ca = readFileSync(cert);
  const errors = new Map();
  const t0 = Date.now();
  const deadline = t0 + deadlineS * 1000;
  let next = 0;
  let opened = 0;
  const worker = async () => {
    while (next < N && Date.now() < deadline) {
      const id = ++next;
      const r = await openSession(
        url,
        ca,
        id,
        secret,
        backend,
        Math.max(1000, Math.min(30_000, deadline - Date.now())),
      );
      if (r.ws) {
        opened++;
        sockets.push(r.ws);
      } else errors.set(r.error, (errors.get(r.error) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, N) }, worker));
  const openMs = Date.now() - t0;
  let closedWhileHeld = 0;
  for (const ws of sockets) ws.once('close', () => closedWhileHeld++);
  await sleep(holdS * 1000);
  const held = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
  const st = await stats(listen);
  const after = memory(server, nginx);
  let nginxLog = nginx.log();
  try {
    nginxLog += read(path.join(prefix, 'error.log'));
  } catch {}
  const perSession = (a, b) => (held > 0 ? `${(((b - a) * 1024) / held / 1024).toFixed(1)} KB` : 'n/a');
  const errText = [...errors].map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  console.log(`signaling server ${version} behind nginx (TLS) on 127.0.0.1, hello ${helloVersion} internal clients`);
  console.log(
    `asked ${N}; opened ${opened} in ${(openMs / 1000).toFixed(1)} s (${next} attempted before the ${deadlineS} s deadline)`,
  );
  console.log(
    `held after ${holdS} s: ${held}; closed while held: ${closedWhileHeld}; errors: ${N - held} (${errText})`,
  );
  if (st) console.log(`server's own count (/api/v1/stats): sessions ${st.sessions ?? '?'}`);
  console.log(
    `memory (RSS): server ${(before.server / 1024).toFixed(1)} -> ${(after.server / 1024).toFixed(1)} MB, ${perSession(before.server, after.server)}/session; ` +
      `nginx ${after.workers} workers ${(before.nginxWorkers / 1024).toFixed(1)} -> ${(after.nginxWorkers / 1024).toFixed(1)} MB, ${perSession(before.nginxWorkers, after.nginxWorkers)}/session`,
  );
  console.log(
    `open-files limits in force: server ${nofile(server.pid).soft}, nginx workers ${after.workerLimits.join(', ')}`,
  );
  const alerts = nginxLog.split('\n').filter((l) => /\[(alert|emerg|crit)\]|worker_connections are not enough/.test(l));
  if (alerts.length) console.log(`nginx said: ${alerts.slice(-3).join(' | ')}`);
  process.exitCode = 0;
} catch (err) {
  console.error(`bench failed: ${err.message}`);
  for (const p of started) if (p.log()) console.error(`--- ${p.name} (tail)\n${p.log().slice(-2000)}`);
  process.exitCode = 1;
} finally {
  for (const ws of sockets) ws.terminate();
  await stopAll();
  rmSync(tmp, { recursive: true, force: true });
}
