#!/usr/bin/env node
// Check benchmark: wall time of a full `spreed-setup check` (the built CLI, as a user runs it)
//   1. on a healthy local setup: rendered by `spreed-setup setup` for signaling 2.0.2 (else the
//      newest installed), the real server, nginx with TLS, and a minimal stand-in Nextcloud;
//   2. where every endpoint (listen, NATS, Janus, Nextcloud, the public URL, occ) accepts and never
//      answers, next to the per-check timeout and the sum of all the checks' timeouts.
// Prints figures only; asserts nothing. Needs `npm run build` and the test components.
import { execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(repo, 'bin/spreed-setup.js');
const runs = Number(process.env.BENCH_RUNS ?? 5);
const timeoutS = Number(process.env.BENCH_TIMEOUT ?? 5);
const tmp = mkdtempSync(path.join(tmpdir(), 'spreed-bench-check-'));
chmodSync(tmp, 0o755);
const children = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitPort(port, ms = 10_000) {
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
  throw new Error(`port ${port} never answered`);
}

function start(cmd, args) {
  const c = spawn(cmd, args, { stdio: 'ignore' });
  children.push(c);
  return c;
}

/** Minimal stand-in Nextcloud: capabilities (Nextcloud 30, Talk) and the signed backend endpoint. */
function fakeNextcloud(secretRef) {
  const srv = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const ocs = (data) => JSON.stringify({ ocs: { meta: { status: 'ok', statuscode: 200, message: 'OK' }, data } });
      res.setHeader('Content-Type', 'application/json');
      if (req.headers['ocs-apirequest'] !== 'true') return res.writeHead(412).end('{"message":"CSRF check failed"}');
      if (req.url === '/ocs/v2.php/cloud/capabilities') {
        return res.end(
          ocs({
            version: { major: 30, minor: 0, micro: 5, string: '30.0.5', edition: '', extendedSupport: false },
            capabilities: { spreed: { features: [], version: '20.1.0' } },
          }),
        );
      }
      if (req.url === '/ocs/v2.php/apps/spreed/api/v3/signaling/backend') {
        const random = String(req.headers['spreed-signaling-random'] ?? '');
        const sum = createHmac('sha256', secretRef.value).update(random).update(body).digest('hex');
        const ok = random.length >= 32 && String(req.headers['spreed-signaling-checksum'] ?? '').toLowerCase() === sum;
        return res.end(
          ocs({
            type: 'error',
            error: ok
              ? { code: 'unknown_type', message: 'not supported' }
              : { code: 'invalid_request', message: 'The request could not be authenticated.' },
          }),
        );
      }
      res.writeHead(404).end('{}');
    });
  });
  return new Promise((r) => srv.listen(0, '127.0.0.1', () => r(srv)));
}

/** The stand-in Nextcloud lives in this process: run the CLI without blocking the event loop. */
function runOnce(args, env) {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [bin, 'check', ...args, '--json'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('close', () => resolve(out));
  });
}

async function timeCheck(args, env = {}) {
  const samples = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    last = await runOnce(args, env);
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return {
    median: samples[Math.floor(samples.length / 2)],
    min: samples[0],
    max: samples.at(-1),
    report: JSON.parse(last),
  };
}

function statusCounts(report) {
  const n = (s) => report.checks.filter((c) => c.status === s).length;
  return `${n('pass')} pass, ${n('warn')} warn, ${n('fail')} fail, ${n('skip')} skip`;
}

async function healthy() {
  const version = ['2.0.2', '1.2.4'].find((v) =>
    existsSync(path.join(repo, `.testbed/signaling-${v}/usr/bin/nextcloud-spreed-signaling-server`)),
  );
  const binary = version
    ? path.join(repo, `.testbed/signaling-${version}/usr/bin/nextcloud-spreed-signaling-server`)
    : '/usr/bin/nextcloud-spreed-signaling-server';
  const root = path.join(tmp, 'healthy');
  mkdirSync(path.join(root, 'tls'), { recursive: true });
  chmodSync(root, 0o755);
  const cert = path.join(root, 'tls/cert.pem');
  const key = path.join(root, 'tls/key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '90',
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
  const secretRef = { value: '' };
  const nc = await fakeNextcloud(secretRef);
  const [listen, https, httpPort] = [await freePort(), await freePort(), await freePort()];
  writeFileSync(
    path.join(root, 'answers.yaml'),
    [
      'hostname: localhost',
      `listen: 127.0.0.1:${listen}`,
      'backends:',
      '  - id: cloud',
      `    urls: [http://127.0.0.1:${nc.address().port}]`,
      'nginx:',
      '  mode: site',
      `  certificate: ${cert}`,
      `  key: ${key}`,
      '  bindAddress: 127.0.0.1',
      `  httpPort: ${httpPort}`,
      `  httpsPort: ${https}`,
      `  acmeWebroot: ${root}`,
      '',
    ].join('\n'),
  );
  execFileSync(
    process.execPath,
    [
      bin,
      'setup',
      '--answers',
      path.join(root, 'answers.yaml'),
      '--server-version',
      version ?? '0.4.1',
      '--yes',
      '--root',
      root,
    ],
    { stdio: 'ignore' },
  );
  secretRef.value = readFileSync(
    path.join(root, 'etc/nextcloud-spreed-signaling/secrets/backend-cloud'),
    'utf8',
  ).trim();
  start(binary, ['--config', path.join(root, 'etc/nextcloud-spreed-signaling/server.conf')]);
  await waitPort(listen);
  const prefix = path.join(root, 'nginx');
  mkdirSync(path.join(prefix, 'logs'), { recursive: true });
  chmodSync(prefix, 0o755);
  const main = path.join(prefix, 'nginx.conf');
  writeFileSync(
    main,
    `worker_processes 1;\npid ${prefix}/nginx.pid;\nerror_log ${prefix}/logs/error.log;\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n  client_body_temp_path ${prefix}/cb; proxy_temp_path ${prefix}/px; fastcgi_temp_path ${prefix}/fc; uwsgi_temp_path ${prefix}/uw; scgi_temp_path ${prefix}/sc;\n  include ${root}/etc/nginx/conf.d/spreed-signaling-upstream.conf;\n  include ${root}/etc/nginx/sites-available/spreed-signaling.conf;\n}\n`,
  );
  start('nginx', ['-p', prefix + '/', '-c', main, '-e', 'stderr', '-g', 'daemon off;']);
  await waitPort(https);
  const r = await timeCheck([
    '--root',
    root,
    '--url',
    `https://127.0.0.1:${https}/standalone-signaling`,
    '--ca',
    cert,
    '--nginx-conf',
    main,
    '--timeout',
    String(timeoutS),
  ]);
  nc.close();
  return { ...r, version: version ?? '0.4.1' };
}

async function neverAnswering() {
  const sockets = new Set();
  const hole = net.createServer((s) => (sockets.add(s), s.on('error', () => {})));
  await new Promise((r) => hole.listen(0, '127.0.0.1', r));
  const port = hole.address().port;
  const root = path.join(tmp, 'hole');
  mkdirSync(path.join(root, 'etc/nextcloud-spreed-signaling'), { recursive: true });
  writeFileSync(
    path.join(root, 'etc/nextcloud-spreed-signaling/server.conf'),
    `[http]\nlisten = 127.0.0.1:${port}\n[sessions]\nhashkey = ${'a1'.repeat(32)}\nblockkey = ${'b2'.repeat(16)}\n[clients]\ninternalsecret = ${'c3'.repeat(32)}\n[backend]\nbackends = cloud\n[cloud]\nurl = http://127.0.0.1:${port}\nsecret = ${'d4'.repeat(32)}\n[nats]\nurl = nats://127.0.0.1:${port}\n[mcu]\ntype = janus\nurl = ws://127.0.0.1:${port}\n`,
  );
  // occ that never answers either (the stand-in's "hang" knob).
  const occState = path.join(tmp, 'occ-hang.json');
  writeFileSync(occState, JSON.stringify({ hang: true }));
  const occ = `${process.execPath} ${path.join(repo, 'test/fakes/occ.mjs')}`;
  const args = [
    '--root',
    root,
    '--url',
    `https://127.0.0.1:${port}/standalone-signaling`,
    '--timeout',
    String(timeoutS),
  ];
  if (existsSync(path.join(repo, 'test/fakes/occ.mjs'))) args.push('--occ', occ);
  const r = await timeCheck(args, { FAKE_OCC_STATE: occState });
  for (const s of sockets) s.destroy();
  hole.close();
  return r;
}

try {
  console.log(
    `spreed-setup check, ${runs} runs each, --timeout ${timeoutS} s (wall time of the whole CLI process, ms)`,
  );
  const ok = await healthy();
  console.log(
    `healthy setup (server ${ok.version})      median ${ok.median.toFixed(0).padStart(6)}  min ${ok.min.toFixed(0).padStart(6)}  max ${ok.max.toFixed(0).padStart(6)}  [${statusCounts(ok.report)}; checks themselves ${ok.report.ms} ms]`,
  );
  for (const c of ok.report.checks.filter((c) => c.status === 'fail'))
    console.log(`  (healthy run failed ${c.id}: ${c.detail})`);
  const hole = await neverAnswering();
  const n = hole.report.checks.length;
  const sum = n * timeoutS * 1000;
  console.log(
    `never-answering endpoints          median ${hole.median.toFixed(0).padStart(6)}  min ${hole.min.toFixed(0).padStart(6)}  max ${hole.max.toFixed(0).padStart(6)}  [${statusCounts(hole.report)}]`,
  );
  console.log(
    `  per-check timeout ${timeoutS * 1000} ms; sum of the ${n} checks' timeouts ${sum} ms; run limit ${timeoutS * 1500} ms; median/timeout ${(hole.median / (timeoutS * 1000)).toFixed(2)}x, median/sum ${(hole.median / sum).toFixed(3)}x`,
  );
} finally {
  for (const c of children) {
    try {
      c.kill(c.spawnargs[0] === 'nginx' ? 'SIGQUIT' : 'SIGINT');
    } catch {}
  }
  await sleep(500);
  rmSync(tmp, { recursive: true, force: true });
}
