/**
 * Pure and fake-server tests of the probes in src/probe/ (no real components needed).
 * The real servers are exercised in test/harness.test.ts.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { ProbeError, parseFeatures } from '../src/probe/http.js';
import { natsInfo } from '../src/probe/nats.js';
import { fetchWelcome, internalHello, signedRoomRequest } from '../src/probe/signaling.js';
import { PROBE_BODY, internalToken, randomToken, signBody } from '../src/probe/signing.js';
import { freePort } from './harness/ports.js';

const SECRET = 'the-shared-secret-for-internal-clients';
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

function hmac(key: string, msg: string): string {
  return createHmac('sha256', key).update(msg).digest('hex');
}

describe('crypto helpers', () => {
  it('internalToken matches the facts-sheet test vector', () => {
    expect(internalToken(SECRET, '0123456789abcdef0123456789abcdef')).toBe(
      '3169f650a52079a9efe77cc6f9af23f56cb9b53258348ae83b3e69849c78b805',
    );
  });
  it('signBody = hex HMAC-SHA256(secret, random + body)', () => {
    const r = '0123456789abcdef0123456789abcdef';
    expect(signBody('s3cret', r, PROBE_BODY)).toBe(hmac('s3cret', r + PROBE_BODY));
    expect(signBody('s3cret', r, Buffer.from(PROBE_BODY))).toBe(hmac('s3cret', r + PROBE_BODY));
  });
  it('randomToken is >= 32 lowercase hex chars and random', () => {
    const a = randomToken();
    expect(a).toMatch(/^[0-9a-f]{32,}$/);
    expect(randomToken(1)).toMatch(/^[0-9a-f]{32,}$/);
    expect(randomToken()).not.toBe(a);
  });
  it('parseFeatures trims and drops empties', () => {
    expect(parseFeatures(' a, b ,c,, ')).toEqual(['a', 'b', 'c']);
    expect(parseFeatures(undefined)).toEqual([]);
    expect(parseFeatures('')).toEqual([]);
  });
});

async function wsServer(
  onConn: (ws: WebSocket, received: unknown[]) => void,
): Promise<{ url: string; received: unknown[] }> {
  const received: unknown[] = [];
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  wss.on('connection', (ws) => {
    ws.on('message', (d) => received.push(JSON.parse(String(d))));
    onConn(ws, received);
  });
  closers.push(
    () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  );
  const port = (wss.address() as net.AddressInfo).port;
  return { url: `ws://127.0.0.1:${port}/spreed`, received };
}

type Hello = {
  id: string;
  type: string;
  hello: { version: string; auth: { type: string; params: { random: string; token: string; backend: string } } };
};

function answerHello(ws: WebSocket, reply: (h: Hello) => unknown): void {
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as Hello;
    if (m.type === 'hello') ws.send(JSON.stringify(reply(m)));
  });
}

describe('internalHello against fake servers', () => {
  it('sends a correct internal hello at once (no welcome: 0.4.1 style) and says bye', async () => {
    const srv = await wsServer((ws) =>
      answerHello(ws, () => ({ id: '1', type: 'hello', hello: { sessionid: 'S1', version: '1.0' } })),
    );
    const r = await internalHello(srv.url, { secret: SECRET, backend: 'https://cloud.example.test/', timeoutMs: 2000 });
    expect(r).toEqual({ ok: true, sessionId: 'S1' });
    const hello = srv.received[0] as Hello;
    expect(hello).toMatchObject({
      id: '1',
      type: 'hello',
      hello: { version: '1.0', auth: { type: 'internal', params: { backend: 'https://cloud.example.test/' } } },
    });
    expect(hello.hello.auth.params.random).toMatch(/^[0-9a-f]{32,}$/);
    expect(hello.hello.auth.params.token).toBe(hmac(SECRET, hello.hello.auth.params.random));
    // bye is sent before closing; allow the server a moment to read it
    for (let i = 0; i < 20 && srv.received.length < 2; i++) await new Promise((res) => setTimeout(res, 10));
    expect(srv.received[1]).toEqual({ id: '2', type: 'bye', bye: {} });
  });

  it('keeps the welcome message of servers that send one first', async () => {
    const srv = await wsServer((ws) => {
      ws.send(JSON.stringify({ type: 'welcome', welcome: { version: 'x', features: ['welcome'] } }));
      answerHello(ws, () => ({ id: '1', type: 'hello', hello: { sessionid: 'S2' } }));
    });
    const r = await internalHello(srv.url, { secret: SECRET, backend: 'https://c/', timeoutMs: 2000 });
    expect(r).toEqual({
      ok: true,
      sessionId: 'S2',
      welcome: { type: 'welcome', welcome: { version: 'x', features: ['welcome'] } },
    });
  });

  it('returns the server error code, with the secret redacted from the message', async () => {
    const srv = await wsServer((ws) =>
      answerHello(ws, () => ({
        id: '1',
        type: 'error',
        error: { code: 'invalid_token', message: `bad ${SECRET} token` },
      })),
    );
    const r = await internalHello(srv.url, { secret: SECRET, backend: 'https://c/', timeoutMs: 2000 });
    expect(r).toMatchObject({ ok: false, code: 'invalid_token' });
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });

  it('times out on a silent server, and reports a close before the answer', async () => {
    const silent = await wsServer(() => undefined);
    expect(await internalHello(silent.url, { secret: SECRET, backend: 'https://c/', timeoutMs: 300 })).toMatchObject({
      ok: false,
      code: 'timeout',
    });
    const closing = await wsServer((ws) => ws.close(1011));
    expect(await internalHello(closing.url, { secret: SECRET, backend: 'https://c/', timeoutMs: 2000 })).toMatchObject({
      ok: false,
      code: 'closed',
    });
  });

  it('maps refused connections, HTTP answers and bad URLs', async () => {
    const port = await freePort();
    expect(
      await internalHello(`ws://127.0.0.1:${port}/spreed`, { secret: SECRET, backend: 'https://c/', timeoutMs: 1000 }),
    ).toMatchObject({ ok: false, code: 'connect_failed' });
    const srv = http.createServer((_req, res) => {
      res.writeHead(502);
      res.end('bad gateway');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => srv.close(() => r())));
    const p = (srv.address() as net.AddressInfo).port;
    expect(
      await internalHello(`ws://127.0.0.1:${p}/spreed`, { secret: SECRET, backend: 'https://c/', timeoutMs: 1000 }),
    ).toMatchObject({ ok: false, code: 'upgrade_failed:502' });
    expect(await internalHello('https://x/spreed', { secret: SECRET, backend: 'https://c/' })).toMatchObject({
      ok: false,
      code: 'invalid_url',
    });
  });
});

async function httpServer(handler: http.RequestListener): Promise<string> {
  const srv = http.createServer(handler);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  closers.push(
    () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  );
  return `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`;
}

describe('HTTP probes against fake servers', () => {
  it('fetchWelcome parses headers, features and JSON', async () => {
    const base = await httpServer((req, res) => {
      expect(req.url).toBe('/prefix/api/v1/welcome');
      res.writeHead(200, {
        Server: 'nextcloud-spreed-signaling/9.9',
        'X-Spreed-Signaling-Features': 'a, b,c ',
        'Content-Type': 'application/json',
      });
      res.end('{"nextcloud-spreed-signaling":"Welcome","version":"9.9"}');
    });
    const w = await fetchWelcome(`${base}/prefix/`, { timeoutMs: 1000 });
    expect(w).toMatchObject({
      status: 200,
      features: ['a', 'b', 'c'],
      serverHeader: 'nextcloud-spreed-signaling/9.9',
      json: { version: '9.9' },
    });
    expect(w.headers['x-spreed-signaling-features']).toBe('a, b,c'); // HTTP drops trailing whitespace
    expect(w.date).toBeTruthy();
  });

  it('fetchWelcome: timeout and connection refused are ProbeErrors', async () => {
    const base = await httpServer(() => undefined); // never answers
    await expect(fetchWelcome(base, { timeoutMs: 200 })).rejects.toMatchObject({ name: 'ProbeError', code: 'timeout' });
    const port = await freePort();
    const err = await fetchWelcome(`http://127.0.0.1:${port}`, { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProbeError);
    expect(err).toMatchObject({ code: 'connect_failed' });
  });

  it('signedRoomRequest signs the exact body bytes', async () => {
    let seen: { headers: http.IncomingHttpHeaders; body: string; url?: string; method?: string } | undefined;
    const base = await httpServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        seen = { headers: req.headers, body, url: req.url, method: req.method };
        res.writeHead(400);
        res.end('Unsupported request type: setup-probe');
      });
    });
    const r = await signedRoomRequest(base, { backend: 'https://cloud.example.test', secret: 'k3y', timeoutMs: 1000 });
    expect(r).toEqual({ status: 400, body: 'Unsupported request type: setup-probe' });
    expect(seen).toBeDefined();
    expect(seen!.method).toBe('POST');
    expect(seen!.url).toBe('/api/v1/room/spreed-setup-probe');
    expect(seen!.body).toBe('{"type":"setup-probe"}');
    expect(seen!.headers['content-type']).toBe('application/json');
    expect(seen!.headers['spreed-signaling-backend']).toBe('https://cloud.example.test');
    const random = String(seen!.headers['spreed-signaling-random']);
    expect(random.length).toBeGreaterThanOrEqual(32);
    expect(seen!.headers['spreed-signaling-checksum']).toBe(hmac('k3y', random + seen!.body));

    const custom = '{"type":"x","é":1}';
    await signedRoomRequest(base, { backend: 'https://c', secret: 'k3y', body: custom, timeoutMs: 1000 });
    expect(seen!.body).toBe(custom);
    expect(seen!.headers['spreed-signaling-checksum']).toBe(
      hmac('k3y', String(seen!.headers['spreed-signaling-random']) + custom),
    );
  });
});

async function tcpServer(onConn: (s: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    onConn(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  closers.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  );
  return (srv.address() as net.AddressInfo).port;
}

describe('natsInfo against fake servers', () => {
  it('reads an INFO line split over chunks', async () => {
    const port = await tcpServer((s) => {
      s.write('INFO {"server_id":"X","ver');
      setTimeout(() => s.write('sion":"2.9.10"}\r\nPING\r\n'), 20);
    });
    expect(await natsInfo(`nats://127.0.0.1:${port}`, { timeoutMs: 1000 })).toEqual({
      ok: true,
      info: { server_id: 'X', version: '2.9.10' },
    });
    expect((await natsInfo(`127.0.0.1:${port}`, { timeoutMs: 1000 })).ok).toBe(true);
  });
  it('rejects non-NATS answers, silence, lists and loopback; never echoes credentials', async () => {
    const http1 = await tcpServer((s) => s.write('HTTP/1.1 400 Bad Request\r\n\r\n'));
    expect(await natsInfo(`nats://127.0.0.1:${http1}`, { timeoutMs: 1000 })).toMatchObject({ ok: false });
    const silent = await tcpServer(() => undefined);
    const r = await natsInfo(`nats://user:pa55word@127.0.0.1:${silent}`, { timeoutMs: 200 });
    expect(r).toMatchObject({ ok: false });
    expect(JSON.stringify(r)).toMatch(/timeout/);
    expect(JSON.stringify(r)).not.toContain('pa55word');
    expect(await natsInfo('nats://a:1,nats://b:2')).toMatchObject({ ok: false });
    expect(await natsInfo(':loopback:')).toMatchObject({ ok: false });
    expect(await natsInfo('nats://loopback')).toMatchObject({ ok: false });
    expect(await natsInfo('http://127.0.0.1:4222')).toMatchObject({ ok: false });
  });
});
