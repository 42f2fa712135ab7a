// A small STUN/TURN client for the check (RFC 5389/8489 messages, RFC 5766/8656 Allocate and
// CreatePermission, long-term credentials with TURN REST passwords, turn-facts §1 and §7). It
// speaks only to the TURN server it is given: a CreatePermission names a peer but sends it nothing.
// No package: the npm STUN clients speak Binding only, none does Allocate with long-term credentials.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';

export const MAGIC_COOKIE = 0x2112a442;

export const METHOD = { binding: 0x001, allocate: 0x003, refresh: 0x004, createPermission: 0x008 } as const;
export const ATTR = {
  mappedAddress: 0x0001,
  username: 0x0006,
  messageIntegrity: 0x0008,
  errorCode: 0x0009,
  lifetime: 0x000d,
  xorPeerAddress: 0x0012,
  realm: 0x0014,
  nonce: 0x0015,
  xorRelayedAddress: 0x0016,
  requestedTransport: 0x0019,
  xorMappedAddress: 0x0020,
  software: 0x8022,
  fingerprint: 0x8028,
} as const;

export type StunTransport = 'udp' | 'tcp' | 'tls';

export interface StunAttr {
  type: number;
  value: Buffer;
}

export interface StunMessage {
  method: number;
  /** 0 request, 1 indication, 2 success, 3 error. */
  cls: number;
  tid: Buffer;
  attrs: StunAttr[];
}

const typeOf = (method: number, cls: number): number =>
  (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | ((cls & 1) << 4) | ((cls & 2) << 7);

const crcTable = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function attrBytes(a: StunAttr): Buffer {
  const pad = (4 - (a.value.length % 4)) % 4;
  const b = Buffer.alloc(4 + a.value.length + pad);
  b.writeUInt16BE(a.type, 0);
  b.writeUInt16BE(a.value.length, 2);
  a.value.copy(b, 4);
  return b;
}

/** The long-term credential key: MD5(username ":" realm ":" password) (RFC 5389 §15.4). */
export function longTermKey(username: string, realm: string, password: string): Buffer {
  return createHash('md5').update(`${username}:${realm}:${password}`).digest();
}

/** TURN REST credentials (draft-uberti-behave-turn-rest-00, coturn's use-auth-secret). */
export function restCredentials(
  secret: string,
  opts: { user?: string; ttlSeconds?: number; now?: number } = {},
): { username: string; password: string } {
  const expiry = Math.floor((opts.now ?? Date.now()) / 1000) + (opts.ttlSeconds ?? 300);
  const username = `${expiry}:${opts.user ?? 'spreed-setup-check'}`;
  return { username, password: createHmac('sha1', secret).update(username).digest('base64') };
}

/** Encodes a message; with `key`, MESSAGE-INTEGRITY then FINGERPRINT close it. */
export function encode(m: Omit<StunMessage, 'cls'> & { cls?: number }, key?: Buffer): Buffer {
  const body = Buffer.concat(m.attrs.map(attrBytes));
  const header = Buffer.alloc(20);
  header.writeUInt16BE(typeOf(m.method, m.cls ?? 0), 0);
  header.writeUInt32BE(MAGIC_COOKIE, 4);
  m.tid.copy(header, 8);
  let msg = Buffer.concat([header, body]);
  if (key) {
    msg.writeUInt16BE(msg.length - 20 + 24, 2);
    const mac = createHmac('sha1', key).update(msg).digest();
    msg = Buffer.concat([msg, attrBytes({ type: ATTR.messageIntegrity, value: mac })]);
  }
  msg.writeUInt16BE(msg.length - 20 + 8, 2);
  const fp = Buffer.alloc(4);
  fp.writeUInt32BE((crc32(msg) ^ 0x5354554e) >>> 0);
  return Buffer.concat([msg, attrBytes({ type: ATTR.fingerprint, value: fp })]);
}

export function decode(buf: Buffer): StunMessage | undefined {
  if (buf.length < 20 || (buf[0]! & 0xc0) !== 0 || buf.readUInt32BE(4) !== MAGIC_COOKIE) return undefined;
  const type = buf.readUInt16BE(0);
  const len = buf.readUInt16BE(2);
  if (buf.length < 20 + len) return undefined;
  const method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
  const cls = ((type & 0x0010) >> 4) | ((type & 0x0100) >> 7);
  const attrs: StunAttr[] = [];
  for (let i = 20; i + 4 <= 20 + len; ) {
    const t = buf.readUInt16BE(i);
    const l = buf.readUInt16BE(i + 2);
    attrs.push({ type: t, value: buf.subarray(i + 4, i + 4 + l) });
    i += 4 + l + ((4 - (l % 4)) % 4);
  }
  return { method, cls, tid: buf.subarray(8, 20), attrs };
}

/** XOR-MAPPED/-RELAYED/-PEER-ADDRESS value for an address (RFC 5389 §15.2). */
export function xorAddress(ip: string, port: number, tid: Buffer): Buffer {
  const v6 = net.isIPv6(ip);
  const b = Buffer.alloc(v6 ? 20 : 8);
  b[1] = v6 ? 2 : 1;
  b.writeUInt16BE(port ^ (MAGIC_COOKIE >>> 16), 2);
  const cookie = Buffer.alloc(4);
  cookie.writeUInt32BE(MAGIC_COOKIE);
  const mask = v6 ? Buffer.concat([cookie, tid]) : cookie;
  const raw = v6 ? ipv6Bytes(ip) : Buffer.from(ip.split('.').map(Number));
  for (let i = 0; i < raw.length; i++) b[4 + i] = raw[i]! ^ mask[i]!;
  return b;
}

function ipv6Bytes(ip: string): Buffer {
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g || '0', 16), i * 2));
  return b;
}

export function readXorAddress(v: Buffer, tid: Buffer): { ip: string; port: number } | undefined {
  if (v.length < 8) return undefined;
  const port = v.readUInt16BE(2) ^ (MAGIC_COOKIE >>> 16);
  const cookie = Buffer.alloc(4);
  cookie.writeUInt32BE(MAGIC_COOKIE);
  if (v[1] === 1) return { ip: [0, 1, 2, 3].map((i) => v[4 + i]! ^ cookie[i]!).join('.'), port };
  if (v[1] === 2 && v.length >= 20) {
    const mask = Buffer.concat([cookie, tid]);
    const parts: string[] = [];
    for (let i = 0; i < 16; i += 2)
      parts.push((((v[4 + i]! ^ mask[i]!) << 8) | (v[5 + i]! ^ mask[i + 1]!)).toString(16));
    return { ip: parts.join(':').replace(/(^|:)0(:0)+(:|$)/, '::'), port };
  }
  return undefined;
}

const attr = (m: StunMessage, type: number) => m.attrs.find((a) => a.type === type)?.value;

export function errorOf(m: StunMessage): { code: number; reason: string } | undefined {
  const v = attr(m, ATTR.errorCode);
  if (!v || v.length < 4) return undefined;
  return { code: (v[2]! & 0x7) * 100 + v[3]!, reason: v.subarray(4).toString('utf8') };
}

/** One connection to a STUN/TURN server that sends requests and waits for their answers. */
export interface StunConnection {
  request(msg: Buffer, tid: Buffer, timeoutMs: number): Promise<StunMessage>;
  close(): void;
}

export class StunTimeout extends Error {}

export async function connectStun(opts: {
  host: string;
  port: number;
  transport: StunTransport;
  timeoutMs: number;
  /** TLS: the name to verify (default host), trust. */
  servername?: string;
  ca?: Buffer;
  insecure?: boolean;
}): Promise<StunConnection> {
  const waiting = new Map<string, (m: StunMessage) => void>();
  const deliver = (buf: Buffer) => {
    const m = decode(buf);
    if (!m) return;
    waiting.get(m.tid.toString('hex'))?.(m);
  };
  if (opts.transport === 'udp') {
    const sock = dgram.createSocket(net.isIPv6(opts.host) ? 'udp6' : 'udp4');
    sock.on('message', deliver);
    sock.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.connect(opts.port, opts.host, () => resolve());
    });
    return {
      request: (msg, tid, timeoutMs) =>
        new Promise((resolve, reject) => {
          const key = tid.toString('hex');
          let tries = 0;
          const send = () => sock.send(msg);
          // Retransmit at most a few times (RFC 5389 §7.2.1), within the time left.
          const retry = setInterval(() => {
            if (++tries < 4) send();
          }, 500);
          const timer = setTimeout(() => {
            clearInterval(retry);
            waiting.delete(key);
            reject(new StunTimeout('no answer'));
          }, timeoutMs);
          waiting.set(key, (m) => {
            clearInterval(retry);
            clearTimeout(timer);
            waiting.delete(key);
            resolve(m);
          });
          send();
        }),
      close: () => {
        try {
          sock.close();
        } catch {
          /* closed */
        }
      },
    };
  }
  const sock: net.Socket = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      s.destroy();
      reject(new StunTimeout('connect timed out'));
    }, opts.timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve(s);
    };
    const s =
      opts.transport === 'tls'
        ? tls.connect({
            host: opts.host,
            port: opts.port,
            servername: opts.servername ?? (net.isIP(opts.host) ? undefined : opts.host),
            ...(opts.ca ? { ca: opts.ca } : {}),
            rejectUnauthorized: !opts.insecure,
          } as tls.ConnectionOptions)
        : net.connect({ host: opts.host, port: opts.port });
    s.once(opts.transport === 'tls' ? 'secureConnect' : 'connect', done);
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
  let pending = Buffer.alloc(0);
  sock.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    // Messages back to back, delimited by their length (RFC 5389 §7.2.2).
    while (pending.length >= 20) {
      const total = 20 + pending.readUInt16BE(2);
      if (pending.length < total) break;
      deliver(pending.subarray(0, total));
      pending = pending.subarray(total);
    }
  });
  sock.on('error', () => {});
  return {
    request: (msg, tid, timeoutMs) =>
      new Promise((resolve, reject) => {
        const key = tid.toString('hex');
        const timer = setTimeout(() => {
          waiting.delete(key);
          reject(new StunTimeout('no answer'));
        }, timeoutMs);
        waiting.set(key, (m) => {
          clearTimeout(timer);
          waiting.delete(key);
          resolve(m);
        });
        sock.write(msg);
      }),
    close: () => sock.destroy(),
  };
}

export type BindingResult =
  | { ok: true; mapped?: { ip: string; port: number } }
  | { ok: false; code: 'timeout' | 'connect_failed' | 'unexpected_message'; message: string };

const failure = (err: unknown): { code: 'timeout' | 'connect_failed'; message: string } =>
  err instanceof StunTimeout
    ? { code: 'timeout', message: err.message }
    : { code: 'connect_failed', message: (err as NodeJS.ErrnoException).code ?? (err as Error).message };

/** A STUN Binding request: answered with 0x0101 and XOR-MAPPED-ADDRESS. */
export async function stunBinding(opts: {
  host: string;
  port: number;
  transport: StunTransport;
  timeoutMs: number;
  insecure?: boolean;
}): Promise<BindingResult> {
  let c: StunConnection | undefined;
  try {
    c = await connectStun(opts);
    const tid = randomBytes(12);
    const m = await c.request(encode({ method: METHOD.binding, tid, attrs: [] }), tid, opts.timeoutMs);
    if (m.method !== METHOD.binding || m.cls !== 2)
      return { ok: false, code: 'unexpected_message', message: `answer of class ${m.cls}` };
    const x = attr(m, ATTR.xorMappedAddress);
    const mapped = x ? readXorAddress(x, m.tid) : undefined;
    return mapped ? { ok: true, mapped } : { ok: true };
  } catch (err) {
    return { ok: false, ...failure(err) };
  } finally {
    c?.close();
  }
}

export interface AllocateOutcome {
  /** The first, unauthenticated Allocate: 401 with realm and nonce is the healthy answer. */
  challenge: { status: number | 'success'; realm?: string; nonce?: string };
  /** The Allocate with credentials. */
  allocate?: { status: number | 'success'; reason?: string; relayed?: { ip: string; port: number } };
  /** CreatePermission per peer: 'success' or the error code (403 for a refused peer). */
  permissions: Array<{ peer: string; status: number | 'success'; reason?: string }>;
}

export type AllocateResult =
  | ({ ok: true } & AllocateOutcome)
  | { ok: false; code: 'timeout' | 'connect_failed' | 'unexpected_message'; message: string };

/**
 * Allocate without credentials (expect 401), then with REST credentials from `secret`; with an
 * allocation, a CreatePermission for each peer; then releases the allocation (Refresh, lifetime 0).
 */
export async function turnAllocate(opts: {
  host: string;
  port: number;
  transport: StunTransport;
  timeoutMs: number;
  secret: string;
  peers?: string[];
  insecure?: boolean;
}): Promise<AllocateResult> {
  let c: StunConnection | undefined;
  try {
    c = await connectStun(opts);
    const conn = c;
    const transport: StunAttr = { type: ATTR.requestedTransport, value: Buffer.from([17, 0, 0, 0]) };
    let tid = randomBytes(12);
    const first = await conn.request(encode({ method: METHOD.allocate, tid, attrs: [transport] }), tid, opts.timeoutMs);
    if (first.method !== METHOD.allocate || (first.cls !== 2 && first.cls !== 3))
      return { ok: false, code: 'unexpected_message', message: `answer of method ${first.method}` };
    const realm = attr(first, ATTR.realm)?.toString('utf8');
    let nonce = attr(first, ATTR.nonce)?.toString('utf8');
    const out: AllocateOutcome = {
      challenge: {
        status: first.cls === 2 ? 'success' : (errorOf(first)?.code ?? 0),
        ...(realm !== undefined ? { realm } : {}),
        ...(nonce !== undefined ? { nonce } : {}),
      },
      permissions: [],
    };
    if (first.cls === 2 || realm === undefined || nonce === undefined) return { ok: true, ...out };
    const cred = restCredentials(opts.secret);
    const key = longTermKey(cred.username, realm, cred.password);
    const auth = (): StunAttr[] => [
      { type: ATTR.username, value: Buffer.from(cred.username) },
      { type: ATTR.realm, value: Buffer.from(realm) },
      { type: ATTR.nonce, value: Buffer.from(nonce!) },
    ];
    /** A signed request; a stale nonce (438) is retried once with the new one. */
    const signed = async (method: number, attrs: (t: Buffer) => StunAttr[]): Promise<StunMessage> => {
      for (let i = 0; ; i++) {
        tid = randomBytes(12);
        const m = await conn.request(
          encode({ method, tid, attrs: [...attrs(tid), ...auth()] }, key),
          tid,
          opts.timeoutMs,
        );
        const e = m.cls === 3 ? errorOf(m) : undefined;
        const fresh = attr(m, ATTR.nonce)?.toString('utf8');
        if (e?.code === 438 && fresh && i === 0) {
          nonce = fresh;
          continue;
        }
        return m;
      }
    };
    const alloc = await signed(METHOD.allocate, () => [transport]);
    if (alloc.cls !== 2) {
      const e = errorOf(alloc);
      out.allocate = { status: e?.code ?? 0, ...(e?.reason ? { reason: e.reason } : {}) };
      return { ok: true, ...out };
    }
    const rel = attr(alloc, ATTR.xorRelayedAddress);
    const relayed = rel ? readXorAddress(rel, alloc.tid) : undefined;
    out.allocate = { status: 'success', ...(relayed ? { relayed } : {}) };
    for (const peer of opts.peers ?? []) {
      const m = await signed(METHOD.createPermission, (t) => [
        { type: ATTR.xorPeerAddress, value: xorAddress(peer, 0, t) },
      ]);
      const e = m.cls === 3 ? errorOf(m) : undefined;
      out.permissions.push({ peer, status: e ? e.code : 'success', ...(e?.reason ? { reason: e.reason } : {}) });
    }
    await signed(METHOD.refresh, () => [{ type: ATTR.lifetime, value: Buffer.from([0, 0, 0, 0]) }]).catch(
      () => undefined,
    );
    return { ok: true, ...out };
  } catch (err) {
    return { ok: false, ...failure(err) };
  } finally {
    c?.close();
  }
}
