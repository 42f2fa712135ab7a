/**
 * The harness's own test: the test helpers and the probes in src/probe/ against the REAL servers
 * (signaling 0.4.1, 1.2.4, 2.0.2; nats-server; nginx with TLS; janus).
 * Config files here are hand-written on purpose (the product's renderer is tested elsewhere).
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsInfo } from '../src/probe/nats.js';
import { fetchWelcome, internalHello, signedRoomRequest } from '../src/probe/signaling.js';
import { internalToken } from '../src/probe/signing.js';
import { SIGNALING_VERSIONS, signalingBinary, skipUnless, type SignalingVersion } from './harness/components.js';
import { freePort, portAnswers } from './harness/ports.js';
import { tempDir } from './harness/tmp.js';
import {
  cleanupAll,
  descendantPids,
  isAlive,
  startCoturn,
  selfSignedCert,
  startJanus,
  startNats,
  startNginx,
  startSignaling,
  writeNginxMain,
  type StartedSignaling,
} from './harness/processes.js';

const BACKEND = 'https://cloud.example.test';
const BACKEND_SECRET = 'b0a1c2d3e4f5061728394a5b6c7d8e9fb0a1c2d3e4f5061728394a5b6c7d8e9f';
const INTERNAL_SECRET = '1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a7988';
const HASHKEY = 'a'.repeat(32) + 'b'.repeat(32); // 64 chars
const BLOCKKEY = '0123456789abcdef0123456789abcdef'; // 32 chars = AES-256 key

// Created in beforeAll, not at import: a collection error (missing component in CI) must not leak it.
let tmpRoot = '';
const started: number[] = [];

beforeAll(() => {
  tmpRoot = tempDir('spreed-harness-');
  chmodSync(tmpRoot, 0o755); // nginx workers (nobody) must traverse it
});

afterAll(async () => {
  await cleanupAll();
  for (const pid of started) expect(isAlive(pid), `pid ${pid} still alive after cleanup`).toBe(false);
});

function loopbackNats(version: SignalingVersion): string {
  return version === '0.4.1' ? ':loopback:' : 'nats://loopback';
}

/** Minimal hand-written server.conf; `url =` (not `urls =`) works on all three versions. */
function serverConf(port: number, natsUrl: string, extra = ''): string {
  return `[http]
listen = 127.0.0.1:${port}

[app]
debug = false

[sessions]
hashkey = ${HASHKEY}
blockkey = ${BLOCKKEY}

[clients]
internalsecret = ${INTERNAL_SECRET}

[backend]
backends = nc1
allowall = false
timeout = 10

[nc1]
url = ${BACKEND}
secret = ${BACKEND_SECRET}

[nats]
url = ${natsUrl}

[mcu]
${extra}
`;
}

async function launch(version: SignalingVersion, natsUrl: string, extra = ''): Promise<StartedSignaling> {
  const port = await freePort();
  const dir = tempDir(`sig-${version}-`, tmpRoot);
  const conf = path.join(dir, 'server.conf');
  writeFileSync(conf, serverConf(port, natsUrl, extra));
  const sig = await startSignaling(signalingBinary(version), conf, port, {
    timeoutMs: 15_000,
    name: `signaling ${version}`,
  });
  started.push(sig.pid);
  return sig;
}

/** Raw GET without upgrade headers. */
function rawGet(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.setTimeout(3000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

describe('internalToken (facts sheet test vector)', () => {
  it('matches', () => {
    expect(internalToken('the-shared-secret-for-internal-clients', '0123456789abcdef0123456789abcdef')).toBe(
      '3169f650a52079a9efe77cc6f9af23f56cb9b53258348ae83b3e69849c78b805',
    );
  });
});

for (const version of SIGNALING_VERSIONS) {
  const d = skipUnless({ signaling: [version] });
  describe.skipIf(d.skip)(`signaling ${version} with in-process NATS${d.suffix}`, () => {
    let sig: StartedSignaling;
    beforeAll(async () => {
      sig = await launch(version, loopbackNats(version));
    });
    afterAll(async () => {
      await sig?.stop();
      // SIGINT is a clean stop on every version
      expect(sig?.exit).toEqual({ code: 0, signal: null });
    });

    it('welcome answers 200 with the features header', async () => {
      const w = await fetchWelcome(sig.baseUrl, { timeoutMs: 2000 });
      expect(w.status).toBe(200);
      expect(w.json).toMatchObject({ 'nextcloud-spreed-signaling': 'Welcome' });
      expect(w.features.length).toBeGreaterThan(0);
      expect(w.features.every((f) => f === f.trim() && f.length > 0)).toBe(true);
      expect(w.serverHeader).toMatch(/^nextcloud-spreed-signaling\//);
      expect(w.date).toBeTruthy();
      if (version === '2.0.2' || version === '2.1.1') {
        for (const f of ['audio-video-permissions', 'incall-all', 'hello-v2', 'switchto', 'federation'])
          expect(w.features).toContain(f);
      } else {
        expect(w.features).not.toContain('federation');
      }
      console.info(`[${version}] Server: ${w.serverHeader}; body ${w.body.trim()}; features: ${w.features.join(', ')}`);
    });

    it('GET /spreed without upgrade headers answers 400', async () => {
      const r = await rawGet(`${sig.baseUrl}/spreed`);
      expect(r.status).toBe(400);
      expect(r.headers['sec-websocket-version']).toBe('13');
    });

    it('internal hello succeeds', async () => {
      const r = await internalHello(sig.wsUrl, { secret: INTERNAL_SECRET, backend: `${BACKEND}/`, timeoutMs: 3000 });
      expect(r).toMatchObject({ ok: true });
      if (r.ok) {
        expect(r.sessionId.length).toBeGreaterThan(0);
        if (version === '0.4.1') expect(r.welcome).toBeUndefined();
        else expect(r.welcome).toMatchObject({ type: 'welcome' });
      }
    });

    it('internal hello with a wrong secret fails with invalid_token', async () => {
      const wrong = 'f'.repeat(64);
      const r = await internalHello(sig.wsUrl, { secret: wrong, backend: `${BACKEND}/`, timeoutMs: 3000 });
      expect(r).toMatchObject({ ok: false, code: 'invalid_token' });
      expect(JSON.stringify(r)).not.toContain(wrong);
    });

    it('internal hello with an unknown backend fails with invalid_backend', async () => {
      const r = await internalHello(sig.wsUrl, {
        secret: INTERNAL_SECRET,
        backend: 'https://other.example.test/',
        timeoutMs: 3000,
      });
      expect(r).toMatchObject({ ok: false, code: 'invalid_backend' });
    });

    it('signed room request: right secret -> 400, wrong secret -> 403, unknown backend -> 403', async () => {
      const ok = await signedRoomRequest(sig.baseUrl, { backend: BACKEND, secret: BACKEND_SECRET, timeoutMs: 3000 });
      expect(ok.status).toBe(400);
      const bad = await signedRoomRequest(sig.baseUrl, { backend: BACKEND, secret: 'e'.repeat(64), timeoutMs: 3000 });
      expect(bad.status).toBe(403);
      const other = await signedRoomRequest(sig.baseUrl, {
        backend: 'https://other.example.test',
        secret: BACKEND_SECRET,
        timeoutMs: 3000,
      });
      expect(other.status).toBe(403);
      console.info(
        `[${version}] room probe ok: ${ok.status} ${ok.body.trim()} | wrong secret: ${bad.status} ${bad.body.trim()} | unknown backend: ${other.status} ${other.body.trim()}`,
      );
    });

    it('connection failures map to ok:false codes', async () => {
      const port = await freePort();
      const refused = await internalHello(`ws://127.0.0.1:${port}/spreed`, {
        secret: INTERNAL_SECRET,
        backend: BACKEND,
        timeoutMs: 2000,
      });
      expect(refused).toMatchObject({ ok: false, code: 'connect_failed' });
      const notFound = await internalHello(`${sig.baseUrl.replace('http', 'ws')}/nope`, {
        secret: INTERNAL_SECRET,
        backend: BACKEND,
        timeoutMs: 2000,
      });
      expect(notFound).toMatchObject({ ok: false, code: 'upgrade_failed:404' });
    });
  });
}

const tlsReq = skipUnless({ signaling: ['2.0.2'], components: ['nginx', 'openssl'] });
describe.skipIf(tlsReq.skip)(`signaling 2.0.2 behind nginx over HTTPS${tlsReq.suffix}`, () => {
  let sig: StartedSignaling;
  let base: string;
  let ca: Buffer;
  beforeAll(async () => {
    sig = await launch('2.0.2', 'nats://loopback');
    const dir = tempDir('nginx-', tmpRoot);
    const { cert, key } = await selfSignedCert(path.join(dir, 'tls'));
    ca = readFileSync(cert);
    const port = await freePort();
    const sigPort = new URL(sig.baseUrl).port;
    const site = path.join(dir, 'signaling.conf');
    writeFileSync(
      site,
      `upstream signaling {
    server 127.0.0.1:${sigPort};
}
server {
    listen 127.0.0.1:${port} ssl;
    server_name localhost;
    ssl_certificate ${cert};
    ssl_certificate_key ${key};

    location /standalone-signaling/ {
        proxy_pass http://signaling/;
        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }

    location /standalone-signaling/spreed {
        proxy_pass http://signaling/spreed;
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection "Upgrade";
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
}
`,
    );
    const conf = writeNginxMain(dir, [site]);
    const ngx = await startNginx(dir, conf, port);
    started.push(ngx.pid);
    const workers = descendantPids(ngx.pid);
    expect(workers.length).toBeGreaterThan(0); // the worker must go away with the master too
    started.push(...workers);
    base = `https://127.0.0.1:${port}/standalone-signaling`;
  });
  afterAll(async () => {
    await cleanupAll();
  });

  it('welcome over HTTPS with the self-signed cert as ca', async () => {
    const w = await fetchWelcome(base, { ca, timeoutMs: 3000 });
    expect(w.status).toBe(200);
    expect(w.features).toContain('hello-v2');
  });

  it('rejects the self-signed cert without ca (tls_failed), accepts it with insecure', async () => {
    await expect(fetchWelcome(base, { timeoutMs: 3000 })).rejects.toMatchObject({ code: 'tls_failed' });
    const w = await fetchWelcome(base, { insecure: true, timeoutMs: 3000 });
    expect(w.status).toBe(200);
    const h = await internalHello(`${base.replace('https', 'wss')}/spreed`, {
      secret: INTERNAL_SECRET,
      backend: BACKEND,
      timeoutMs: 3000,
    });
    expect(h).toMatchObject({ ok: false, code: 'tls_failed' });
  });

  it('internal hello over wss through the proxy', async () => {
    const r = await internalHello(`${base.replace('https', 'wss')}/spreed`, {
      ca,
      secret: INTERNAL_SECRET,
      backend: BACKEND,
      timeoutMs: 3000,
    });
    expect(r).toMatchObject({ ok: true });
  });

  it('signed room request through the proxy: 400 / 403', async () => {
    expect(
      (await signedRoomRequest(base, { ca, backend: BACKEND, secret: BACKEND_SECRET, timeoutMs: 3000 })).status,
    ).toBe(400);
    expect(
      (await signedRoomRequest(base, { ca, backend: BACKEND, secret: 'd'.repeat(64), timeoutMs: 3000 })).status,
    ).toBe(403);
  });

  it('a path mistake shows as 404 / upgrade_failed:404', async () => {
    const w = await fetchWelcome(`https://127.0.0.1:${new URL(base).port}/wrong-prefix`, { ca, timeoutMs: 3000 });
    expect(w.status).toBe(404);
    const r = await internalHello(`wss://127.0.0.1:${new URL(base).port}/wrong-prefix/spreed`, {
      ca,
      secret: INTERNAL_SECRET,
      backend: BACKEND,
      timeoutMs: 3000,
    });
    expect(r).toMatchObject({ ok: false, code: 'upgrade_failed:404' });
  });
});

const natsReq = skipUnless({ signaling: ['1.2.4'], components: ['nats-server'] });
describe.skipIf(natsReq.skip)(`signaling 1.2.4 with an external nats-server${natsReq.suffix}`, () => {
  let sig: StartedSignaling;
  let natsUrl: string;
  beforeAll(async () => {
    const port = await freePort();
    const nats = await startNats(port, { dir: tempDir('nats-', tmpRoot) });
    started.push(nats.pid);
    natsUrl = nats.url;
    sig = await launch('1.2.4', natsUrl);
  });
  afterAll(async () => {
    await cleanupAll();
  });

  it('natsInfo reads the INFO line', async () => {
    const r = await natsInfo(natsUrl, { timeoutMs: 2000 });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.info).toMatchObject({ port: Number(new URL(natsUrl).port) });
  });

  it('natsInfo reports a dead port and loopback', async () => {
    const dead = await natsInfo(`nats://127.0.0.1:${await freePort()}`, { timeoutMs: 2000 });
    expect(dead.ok).toBe(false);
    expect((await natsInfo('nats://loopback')).ok).toBe(false);
  });

  it('the server works over external NATS', async () => {
    expect((await fetchWelcome(sig.baseUrl, { timeoutMs: 2000 })).status).toBe(200);
    expect(
      await internalHello(sig.wsUrl, { secret: INTERNAL_SECRET, backend: BACKEND, timeoutMs: 3000 }),
    ).toMatchObject({ ok: true });
    expect(
      (await signedRoomRequest(sig.baseUrl, { backend: BACKEND, secret: BACKEND_SECRET, timeoutMs: 3000 })).status,
    ).toBe(400);
  });
});

const deadNatsReq = skipUnless({ signaling: ['2.0.2'] });
describe.skipIf(deadNatsReq.skip)(`signaling 2.0.2 with an unreachable NATS${deadNatsReq.suffix}`, () => {
  it('never opens its HTTP listener (startSignaling fails with the log tail)', async () => {
    const natsPort = await freePort();
    const port = await freePort();
    const dir = tempDir('sig-deadnats-', tmpRoot);
    const conf = path.join(dir, 'server.conf');
    writeFileSync(conf, serverConf(port, `nats://127.0.0.1:${natsPort}`));
    await expect(startSignaling(signalingBinary('2.0.2'), conf, port, { timeoutMs: 2500 })).rejects.toThrow(
      /not answering 200[\s\S]*log tail/,
    );
    expect(await portAnswers(port)).toBe(false);
  });
});

const janusReq = skipUnless({ signaling: ['2.0.2'], components: ['janus'] });
describe.skipIf(janusReq.skip)(
  `janus (videoroom + websockets only) and signaling 2.0.2 with [mcu] janus${janusReq.suffix}`,
  () => {
    let janusUrl: string;
    beforeAll(async () => {
      const port = await freePort();
      const janus = await startJanus(tempDir('janus-', tmpRoot), port);
      started.push(janus.pid);
      janusUrl = janus.url;
    });
    afterAll(async () => {
      await cleanupAll();
    });

    it('answers server_info over the janus-protocol websocket', async () => {
      const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const ws = new WebSocket(janusUrl, 'janus-protocol', { handshakeTimeout: 3000 });
        const t = setTimeout(() => {
          ws.terminate();
          reject(new Error('timeout'));
        }, 4000);
        ws.on('open', () => ws.send(JSON.stringify({ janus: 'info', transaction: 'x' })));
        ws.on('message', (d) => {
          clearTimeout(t);
          ws.terminate();
          resolve(JSON.parse(String(d)) as Record<string, unknown>);
        });
        ws.on('error', (e) => {
          clearTimeout(t);
          reject(e);
        });
      });
      expect(info.janus).toBe('server_info');
      const plugins = Object.keys((info.plugins ?? {}) as object);
      const transports = Object.keys((info.transports ?? {}) as object);
      expect(plugins).toEqual(['janus.plugin.videoroom']);
      expect(transports).toEqual(['janus.transport.websockets']);
    });

    it('signaling with [mcu] type = janus gains the mcu feature', async () => {
      const sig = await launch('2.0.2', 'nats://loopback', `type = janus\nurl = ${janusUrl}`);
      try {
        const w = await fetchWelcome(sig.baseUrl, { timeoutMs: 2000 });
        expect(w.status).toBe(200);
        expect(w.features).toContain('mcu');
      } finally {
        await sig.stop();
      }
    });
  },
);

const turnReq = skipUnless({ components: ['turnserver'] });
describe.skipIf(turnReq.skip)(`coturn${turnReq.suffix}`, () => {
  afterAll(async () => {
    await cleanupAll();
  });
  it('answers a STUN binding request over UDP with 0x0101', async () => {
    const port = await freePort();
    const turn = await startCoturn(tempDir('turn-', tmpRoot), port, 'c0ffee'.repeat(8));
    started.push(turn.pid);
    const sock = dgram.createSocket('udp4');
    try {
      const type = await new Promise<number>((resolve, reject) => {
        const req = Buffer.alloc(20);
        req.writeUInt16BE(0x0001, 0); // Binding Request
        req.writeUInt16BE(0, 2);
        req.writeUInt32BE(0x2112a442, 4); // magic cookie
        randomBytes(12).copy(req, 8);
        const t = setTimeout(() => reject(new Error(`no STUN answer\n${turn.tail()}`)), 3000);
        sock.on('message', (m) => {
          clearTimeout(t);
          resolve(m.readUInt16BE(0));
        });
        sock.send(req, port, '127.0.0.1');
      });
      expect(type).toBe(0x0101);
    } finally {
      sock.close();
    }
  });
});
