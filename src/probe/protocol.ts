/**
 * Wire-level probes of a nextcloud-spreed-signaling server (and its NATS).
 *
 * Protocol reference: docs/signaling-facts.md sections 4 and 5.
 * - No console output; every network wait is bounded by `timeoutMs` (default 5000 ms).
 * - Secrets are never part of a returned or thrown message.
 */
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import WebSocket from 'ws';

export const DEFAULT_TIMEOUT_MS = 5000;
/** Path of the signed probe request; the room id is arbitrary and nothing is changed on the server. */
export const PROBE_ROOM_PATH = '/api/v1/room/spreed-setup-probe';
/** A body of a request type the server does not know: answered 400 only after authentication passed. */
export const PROBE_BODY = '{"type":"setup-probe"}';

/** Largest response body we keep (welcome and error bodies are tiny). */
const MAX_BODY_BYTES = 1024 * 1024;

export interface TlsOptions {
  /** Extra trust anchor(s), PEM. When set, replaces the default CA list for this request. */
  ca?: string | Buffer;
  /** Accept any certificate (self-signed, wrong name). */
  insecure?: boolean;
  timeoutMs?: number;
}

export type ProbeErrorCode = 'connect_failed' | 'tls_failed' | 'timeout' | 'invalid_url' | 'response_too_large';

/** Thrown by the HTTP probes when no HTTP answer was obtained. */
export class ProbeError extends Error {
  readonly code: ProbeErrorCode;
  constructor(code: ProbeErrorCode, message: string) {
    super(message);
    this.name = 'ProbeError';
    this.code = code;
  }
}

// ---------------------------------------------------------------------------------------------
// Crypto helpers
// ---------------------------------------------------------------------------------------------

/** Random string for Spreed-Signaling-Random / internal hello: 64 lowercase hex chars. */
export function randomToken(bytes = 32): string {
  return randomBytes(Math.max(16, bytes)).toString('hex');
}

/** Internal-client hello token: lowercase hex HMAC-SHA256(key = internalsecret, message = random). */
export function internalToken(secret: string, random: string): string {
  return createHmac('sha256', secret).update(random).digest('hex');
}

/** Backend request checksum: lowercase hex HMAC-SHA256(key = backend secret, message = random + body). */
export function signBody(secret: string, random: string, body: string | Buffer): string {
  const h = createHmac('sha256', secret);
  h.update(random);
  h.update(body);
  return h.digest('hex');
}

/** The two headers that sign a request body, in either direction (facts sheet section 5). */
export function signingHeaders(secret: string, body: string): Record<string, string> {
  const random = randomToken(32);
  return { 'Spreed-Signaling-Random': random, 'Spreed-Signaling-Checksum': signBody(secret, random, body) };
}

// ---------------------------------------------------------------------------------------------
// Internal helpers
// ---------------------------------------------------------------------------------------------

/** Remove every occurrence of the given secrets from a message. */
function redact(message: string, secrets: ReadonlyArray<string | undefined>): string {
  let out = message;
  for (const s of secrets) {
    if (s && s.length > 0) out = out.split(s).join('***');
  }
  return out;
}

const TLS_ERROR_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

function classifyError(err: unknown): 'connect_failed' | 'tls_failed' {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (TLS_ERROR_CODES.has(code) || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS'))) {
    return 'tls_failed';
  }
  return 'connect_failed';
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

function joinUrl(baseUrl: string, path: string): string {
  return baseUrl.replace(/\/+$/, '') + path;
}

function flattenHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

/** Parse `X-Spreed-Signaling-Features: a, b, c` into a trimmed list without empty entries. */
export function parseFeatures(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One bounded HTTP(S) request; rejects with ProbeError when no HTTP answer arrives. */
export function httpRequest(
  urlString: string,
  init: { method: string; headers?: Record<string, string>; body?: string; secrets?: string[] } & TlsOptions,
): Promise<RawResponse> {
  const timeoutMs = init.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const secrets = init.secrets ?? [];
  let url: URL;
  try {
    url = new URL(urlString);
  } catch {
    return Promise.reject(new ProbeError('invalid_url', 'invalid URL'));
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(new ProbeError('invalid_url', `unsupported URL scheme ${url.protocol}`));
  }
  const isHttps = url.protocol === 'https:';
  const bodyBuf = init.body !== undefined ? Buffer.from(init.body, 'utf8') : undefined;
  const headers: Record<string, string | number> = { Connection: 'close', ...(init.headers ?? {}) };
  if (bodyBuf) headers['Content-Length'] = bodyBuf.length;

  const options: https.RequestOptions = {
    method: init.method,
    protocol: url.protocol,
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port || (isHttps ? 443 : 80),
    path: url.pathname + url.search,
    headers,
    agent: false,
  };
  if (isHttps) {
    if (init.ca !== undefined) options.ca = init.ca;
    options.rejectUnauthorized = !init.insecure;
  }

  return new Promise<RawResponse>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const req = (isHttps ? https : http).request(options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) {
          finish(() => reject(new ProbeError('response_too_large', `response body larger than ${MAX_BODY_BYTES} bytes`)));
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      res.on('end', () =>
        finish(() =>
          resolve({
            status: res.statusCode ?? 0,
            headers: flattenHeaders(res.headers),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        ),
      );
      res.on('error', (err) =>
        finish(() => reject(new ProbeError(classifyError(err), redact(errorText(err), secrets)))),
      );
    });
    const timer = setTimeout(() => {
      finish(() => reject(new ProbeError('timeout', `no answer from ${url.host} within ${timeoutMs} ms`)));
      req.destroy();
    }, timeoutMs);
    req.on('error', (err) =>
      finish(() => reject(new ProbeError(classifyError(err), redact(errorText(err), secrets)))),
    );
    if (bodyBuf) req.end(bodyBuf);
    else req.end();
  });
}

// ---------------------------------------------------------------------------------------------
// GET /api/v1/welcome
// ---------------------------------------------------------------------------------------------

export interface WelcomeResult {
  status: number;
  /** Response headers, names lowercased, repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
  /** Parsed body when it is JSON. */
  json?: unknown;
  /** Trimmed entries of X-Spreed-Signaling-Features (empty when absent). */
  features: string[];
  /** `Server` header, e.g. `nextcloud-spreed-signaling/2.0.2-2+b2.debian`. */
  serverHeader?: string;
  /** `Date` header as sent. */
  date?: string;
}

/**
 * GET `${baseUrl}/api/v1/welcome`. `baseUrl` is the server root (`http://127.0.0.1:8080`) or the
 * proxied prefix (`https://host/standalone-signaling`). Rejects with ProbeError when there is no
 * HTTP answer; any HTTP status resolves.
 */
export async function fetchWelcome(baseUrl: string, opts: TlsOptions = {}): Promise<WelcomeResult> {
  const res = await httpRequest(joinUrl(baseUrl, '/api/v1/welcome'), {
    method: 'GET',
    headers: { Accept: 'application/json' },
    ...opts,
  });
  const out: WelcomeResult = {
    status: res.status,
    headers: res.headers,
    body: res.body,
    features: parseFeatures(res.headers['x-spreed-signaling-features']),
  };
  try {
    out.json = JSON.parse(res.body) as unknown;
  } catch {
    /* not JSON */
  }
  if (res.headers['server'] !== undefined) out.serverHeader = res.headers['server'];
  if (res.headers['date'] !== undefined) out.date = res.headers['date'];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Websocket internal-client hello
// ---------------------------------------------------------------------------------------------

export interface InternalHelloOptions extends TlsOptions {
  /** `[clients] internalsecret` of the server. */
  secret: string;
  /** Nextcloud base URL; must match a configured backend url (scheme included). */
  backend: string;
}

export type InternalHelloResult =
  | { ok: true; sessionId: string; welcome?: unknown }
  | { ok: false; code: string; message?: string };

/**
 * Connect to the websocket (`ws(s)://host/spreed` or `.../standalone-signaling/spreed`), send an
 * internal-client hello (version 1.0) right after open, without waiting for the welcome message
 * (servers >= 1.0.0 send one, 0.4.1 does not). On success says bye and closes.
 *
 * Failure codes: the server's own error code (`invalid_token`, `invalid_backend`,
 * `invalid_client_type`, ...), or `connect_failed`, `tls_failed`, `upgrade_failed:<status>`,
 * `timeout`, `closed` (closed before answering), `invalid_url`, `unexpected_message`.
 */
export function internalHello(wsUrl: string, opts: InternalHelloOptions): Promise<InternalHelloResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const secrets = [opts.secret];
  const random = randomToken(32);
  const token = internalToken(opts.secret, random);

  let parsed: URL;
  try {
    parsed = new URL(wsUrl);
  } catch {
    return Promise.resolve({ ok: false, code: 'invalid_url', message: 'invalid websocket URL' });
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    return Promise.resolve({ ok: false, code: 'invalid_url', message: `unsupported URL scheme ${parsed.protocol}` });
  }

  return new Promise<InternalHelloResult>((resolve) => {
    let settled = false;
    let welcome: unknown;
    const wsOpts: WebSocket.ClientOptions = {
      handshakeTimeout: timeoutMs,
      perMessageDeflate: false,
      maxPayload: MAX_BODY_BYTES,
    };
    if (parsed.protocol === 'wss:') {
      if (opts.ca !== undefined) wsOpts.ca = opts.ca;
      wsOpts.rejectUnauthorized = !opts.insecure;
    }
    let ws: WebSocket;
    try {
      ws = new WebSocket(wsUrl, wsOpts);
    } catch (err) {
      resolve({ ok: false, code: 'invalid_url', message: redact(errorText(err), secrets) });
      return;
    }

    const timer = setTimeout(() => {
      finish({ ok: false, code: 'timeout', message: `no hello answer within ${timeoutMs} ms` }, true);
    }, timeoutMs);

    /** Settle once; close the socket (bounded) before resolving so no socket outlives the call. */
    function finish(result: InternalHelloResult, hard = false): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (hard || ws.readyState === WebSocket.CONNECTING) {
        ws.terminate();
        resolve(result);
        return;
      }
      if (ws.readyState === WebSocket.CLOSED) {
        resolve(result);
        return;
      }
      const killer = setTimeout(() => ws.terminate(), 1000);
      ws.once('close', () => {
        clearTimeout(killer);
        resolve(result);
      });
      try {
        if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      } catch {
        ws.terminate();
      }
    }

    ws.on('unexpected-response', (req, res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      req.destroy();
      finish({ ok: false, code: `upgrade_failed:${status}`, message: `HTTP ${status} instead of 101 Switching Protocols` }, true);
    });

    ws.on('error', (err) => {
      const kind = classifyError(err);
      finish({ ok: false, code: kind, message: redact(errorText(err), secrets) }, true);
    });

    ws.on('open', () => {
      const hello = {
        id: '1',
        type: 'hello',
        hello: {
          version: '1.0',
          auth: { type: 'internal', params: { random, token, backend: opts.backend } },
        },
      };
      ws.send(JSON.stringify(hello));
    });

    ws.on('message', (data: WebSocket.RawData) => {
      if (settled) return;
      let msg: { type?: unknown; id?: unknown; hello?: { sessionid?: unknown }; error?: { code?: unknown; message?: unknown } };
      try {
        msg = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8')) as typeof msg;
      } catch {
        finish({ ok: false, code: 'unexpected_message', message: 'non-JSON message from server' });
        return;
      }
      if (msg.type === 'welcome') {
        welcome = msg;
        return;
      }
      if (msg.type === 'error') {
        const code = typeof msg.error?.code === 'string' ? msg.error.code : 'error';
        const message = typeof msg.error?.message === 'string' ? redact(msg.error.message, secrets) : undefined;
        finish(message !== undefined ? { ok: false, code, message } : { ok: false, code });
        return;
      }
      if (msg.type === 'hello') {
        const sessionId = msg.hello?.sessionid;
        if (typeof sessionId !== 'string' || sessionId.length === 0) {
          finish({ ok: false, code: 'unexpected_message', message: 'hello answer without session id' });
          return;
        }
        try {
          ws.send(JSON.stringify({ id: '2', type: 'bye', bye: {} }));
        } catch {
          /* closing anyway */
        }
        finish(welcome !== undefined ? { ok: true, sessionId, welcome } : { ok: true, sessionId });
        return;
      }
      // Other message types (e.g. room events) are ignored until the hello answer arrives.
    });

    ws.on('close', (code) => {
      finish({ ok: false, code: 'closed', message: `connection closed (${code}) before the hello was answered` });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Signed backend request (Nextcloud -> server)
// ---------------------------------------------------------------------------------------------

export interface SignedRoomRequestOptions extends TlsOptions {
  /** Nextcloud base URL sent as Spreed-Signaling-Backend. */
  backend: string;
  /** Backend shared secret. */
  secret: string;
  /** Raw body; default `{"type":"setup-probe"}`. */
  body?: string;
}

/**
 * POST `${baseUrl}/api/v1/room/spreed-setup-probe` signed like Nextcloud does. With the default body:
 * 400 `Unsupported request type` = URL and secret accepted (nothing changed);
 * 403 `Authentication check failed` = wrong secret or backend URL not configured.
 * Rejects with ProbeError when there is no HTTP answer.
 */
export async function signedRoomRequest(
  baseUrl: string,
  opts: SignedRoomRequestOptions,
): Promise<{ status: number; body: string }> {
  const body = opts.body ?? PROBE_BODY;
  const res = await httpRequest(joinUrl(baseUrl, PROBE_ROOM_PATH), {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      'Spreed-Signaling-Backend': opts.backend,
      ...signingHeaders(opts.secret, body),
    },
    body,
    secrets: [opts.secret],
    ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
    ...(opts.insecure !== undefined ? { insecure: opts.insecure } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
  return { status: res.status, body: redact(res.body, [opts.secret]) };
}

// ---------------------------------------------------------------------------------------------
// NATS
// ---------------------------------------------------------------------------------------------

/** Largest INFO line accepted. */
const MAX_NATS_LINE = 64 * 1024;

/**
 * TCP-connect to the host:port of a single NATS URL (`nats://host:port`, `tls://host:port` or
 * `host:port`; default port 4222) and read the first line, which must be `INFO {json}`.
 * In-process NATS (`nats://loopback`, `:loopback:`) has no port and answers ok:false.
 * Credentials in the URL are never echoed.
 */
export function natsInfo(
  url: string,
  opts: { timeoutMs?: number } = {},
): Promise<{ ok: true; info: unknown } | { ok: false; error: string }> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const trimmed = url.trim();
  if (trimmed.includes(',')) return Promise.resolve({ ok: false, error: 'expected a single NATS URL, got a list' });
  if (trimmed === ':loopback:' || /^nats:\/\/loopback\/?$/i.test(trimmed)) {
    return Promise.resolve({ ok: false, error: 'in-process NATS (loopback) has no TCP port to probe' });
  }
  let host: string;
  let port: number;
  try {
    const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `nats://${trimmed}`);
    if (!['nats:', 'tls:', 'tcp:'].includes(u.protocol)) {
      return Promise.resolve({ ok: false, error: `unsupported NATS URL scheme ${u.protocol}` });
    }
    host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    port = u.port ? Number(u.port) : 4222;
    if (!host || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error('bad');
  } catch {
    return Promise.resolve({ ok: false, error: 'invalid NATS URL' });
  }
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;

  return new Promise((resolve) => {
    let settled = false;
    let buf = '';
    const sock = net.connect({ host, port });
    const finish = (r: { ok: true; info: unknown } | { ok: false; error: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(
      () => finish({ ok: false, error: `timeout: no INFO line from ${where} within ${timeoutMs} ms` }),
      timeoutMs,
    );
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) {
        if (buf.length > MAX_NATS_LINE) finish({ ok: false, error: `first line from ${where} too long` });
        return;
      }
      const line = buf.slice(0, nl).replace(/\r$/, '');
      const m = /^INFO\s+(\{.*\})\s*$/.exec(line);
      if (!m || m[1] === undefined) {
        finish({ ok: false, error: `${where} did not answer like NATS (first line does not start with INFO)` });
        return;
      }
      try {
        finish({ ok: true, info: JSON.parse(m[1]) as unknown });
      } catch {
        finish({ ok: false, error: `${where} sent an INFO line with invalid JSON` });
      }
    });
    sock.on('error', (err) => finish({ ok: false, error: `connect to ${where} failed: ${errorText(err)}` }));
    sock.on('close', () => finish({ ok: false, error: `${where} closed the connection before sending INFO` }));
  });
}

// ---------------------------------------------------------------------------------------------
// Websocket upgrade (no hello), TLS certificate, Janus
// ---------------------------------------------------------------------------------------------

export type UpgradeResult =
  | { ok: true }
  | { ok: false; code: 'upgrade_failed'; status: number; body: string }
  | { ok: false; code: 'connect_failed' | 'tls_failed' | 'timeout' | 'invalid_url'; message: string };

/**
 * Opens a websocket (HTTP/1.1 upgrade) and closes it at once: 101 proves the proxy passes the
 * Upgrade/Connection headers. Any other status is returned with the start of its body.
 */
export function websocketUpgrade(wsUrl: string, opts: TlsOptions & { protocol?: string } = {}): Promise<UpgradeResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve) => {
    let settled = false;
    const wsOpts: WebSocket.ClientOptions = { handshakeTimeout: timeoutMs, perMessageDeflate: false, maxPayload: MAX_BODY_BYTES };
    if (wsUrl.startsWith('wss:')) {
      if (opts.ca !== undefined) wsOpts.ca = opts.ca;
      wsOpts.rejectUnauthorized = !opts.insecure;
    }
    let ws: WebSocket;
    try {
      ws = opts.protocol ? new WebSocket(wsUrl, opts.protocol, wsOpts) : new WebSocket(wsUrl, wsOpts);
    } catch (err) {
      resolve({ ok: false, code: 'invalid_url', message: errorText(err) });
      return;
    }
    const finish = (r: UpgradeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.terminate();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, code: 'timeout', message: `no upgrade answer within ${timeoutMs} ms` }), timeoutMs);
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 512) body += c;
      });
      const done = () => finish({ ok: false, code: 'upgrade_failed', status: res.statusCode ?? 0, body: body.trim().slice(0, 200) });
      res.on('end', done);
      res.on('error', done);
      setTimeout(done, 500).unref();
      req.on('error', () => undefined);
    });
    ws.on('open', () => finish({ ok: true }));
    ws.on('error', (err) => {
      const kind = classifyError(err);
      const msg = errorText(err);
      finish({ ok: false, code: /timed out|timeout/i.test(msg) && kind === 'connect_failed' ? 'timeout' : kind, message: msg });
    });
  });
}

export interface CertificateInfo {
  /** Chain verified against the trust store (or --ca) and valid for the host. */
  authorized: boolean;
  /** OpenSSL/Node reason when not authorized, e.g. DEPTH_ZERO_SELF_SIGNED_CERT, CERT_HAS_EXPIRED. */
  error?: string;
  /** Host-name mismatch, checked separately so it is named even with --insecure. */
  hostnameError?: string;
  validFrom?: Date;
  validTo?: Date;
  subject?: string;
  issuer?: string;
  selfSigned: boolean;
}

/** TLS handshake with https://HOST:PORT/: the certificate, whether it verifies, and its dates. */
export function tlsCertificate(url: string, opts: TlsOptions = {}): Promise<{ ok: true; cert: CertificateInfo } | { ok: false; code: 'connect_failed' | 'tls_failed' | 'timeout' | 'invalid_url'; message: string }> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return Promise.resolve({ ok: false, code: 'invalid_url', message: 'invalid URL' });
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(u.port || 443);
  return new Promise((resolve) => {
    let settled = false;
    const sock = tls.connect({
      host,
      port,
      ...(net.isIP(host) ? {} : { servername: host }),
      ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    const finish = (r: Awaited<ReturnType<typeof tlsCertificate>>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, code: 'timeout', message: `no TLS handshake with ${u.host} within ${timeoutMs} ms` }), timeoutMs);
    sock.once('secureConnect', () => {
      const peer = sock.getPeerCertificate(true);
      if (!peer || Object.keys(peer).length === 0) {
        finish({ ok: false, code: 'tls_failed', message: 'the server sent no certificate' });
        return;
      }
      const idErr = tls.checkServerIdentity(host, peer);
      const authErr = sock.authorizationError ? String((sock.authorizationError as unknown as { code?: string }).code ?? sock.authorizationError) : undefined;
      const subject = peer.subject?.CN;
      const issuer = peer.issuer?.CN;
      const cert: CertificateInfo = {
        authorized: sock.authorized && idErr === undefined,
        selfSigned: authErr === 'DEPTH_ZERO_SELF_SIGNED_CERT' || authErr === 'SELF_SIGNED_CERT_IN_CHAIN' || (peer.fingerprint256 !== undefined && peer.issuerCertificate?.fingerprint256 === peer.fingerprint256 && !sock.authorized),
        ...(authErr ? { error: authErr } : {}),
        ...(idErr ? { hostnameError: idErr.message } : {}),
        ...(peer.valid_from ? { validFrom: new Date(peer.valid_from) } : {}),
        ...(peer.valid_to ? { validTo: new Date(peer.valid_to) } : {}),
        ...(typeof subject === 'string' ? { subject } : {}),
        ...(typeof issuer === 'string' ? { issuer } : {}),
      };
      finish({ ok: true, cert });
    });
    sock.once('error', (err) => {
      const msg = errorText(err);
      finish({ ok: false, code: classifyError(err), message: msg });
    });
  });
}

/** Janus websocket API: `info` over the `janus-protocol` subprotocol answers `server_info`. */
export function janusInfo(url: string, opts: { timeoutMs?: number } = {}): Promise<{ ok: true; info: Record<string, unknown> } | { ok: false; code: string; message: string }> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve) => {
    let settled = false;
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, 'janus-protocol', { handshakeTimeout: timeoutMs, perMessageDeflate: false, maxPayload: MAX_BODY_BYTES });
    } catch (err) {
      resolve({ ok: false, code: 'invalid_url', message: errorText(err) });
      return;
    }
    const finish = (r: { ok: true; info: Record<string, unknown> } | { ok: false; code: string; message: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.terminate();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, code: 'timeout', message: `no answer from Janus within ${timeoutMs} ms` }), timeoutMs);
    ws.on('unexpected-response', (_req, res) => finish({ ok: false, code: 'upgrade_failed', message: `HTTP ${res.statusCode ?? 0} instead of a websocket` }));
    ws.on('error', (err) => finish({ ok: false, code: classifyError(err), message: errorText(err) }));
    ws.on('open', () => ws.send(JSON.stringify({ janus: 'info', transaction: randomToken(8) })));
    ws.on('message', (data: WebSocket.RawData) => {
      try {
        const msg = JSON.parse(String(data)) as Record<string, unknown>;
        if (msg.janus === 'server_info') finish({ ok: true, info: msg });
        else finish({ ok: false, code: 'unexpected_message', message: `answered "${String(msg.janus)}" instead of server_info` });
      } catch {
        finish({ ok: false, code: 'unexpected_message', message: 'non-JSON answer' });
      }
    });
    ws.on('close', () => finish({ ok: false, code: 'closed', message: 'closed before answering' }));
  });
}

// ---------------------------------------------------------------------------------------------
// Nextcloud side (server -> Nextcloud), facts sheet section 5
// ---------------------------------------------------------------------------------------------

/** Talk's backend endpoint, relative to Nextcloud's base URL. */
export const TALK_BACKEND_PATH = '/ocs/v2.php/apps/spreed/api/v3/signaling/backend';
export const CAPABILITIES_PATH = '/ocs/v2.php/cloud/capabilities';

export interface CapabilitiesResult {
  status: number;
  /** Nextcloud version from the OCS answer, when present. */
  version?: { major: number; minor: number; micro: number; string: string };
  /** Talk's capabilities (`capabilities.spreed`), when Talk is installed and enabled. */
  spreed?: { features?: string[]; version?: string; config?: Record<string, unknown> };
  date?: string;
  body: string;
}

/** Unsigned GET of Nextcloud's capabilities, as the signaling server would reach it. */
export async function fetchCapabilities(nextcloudUrl: string, opts: TlsOptions = {}): Promise<CapabilitiesResult> {
  const res = await httpRequest(joinUrl(nextcloudUrl, CAPABILITIES_PATH), {
    method: 'GET',
    headers: { 'OCS-APIRequest': 'true', Accept: 'application/json' },
    ...opts,
  });
  const out: CapabilitiesResult = { status: res.status, body: res.body.slice(0, 2000) };
  if (res.headers['date'] !== undefined) out.date = res.headers['date'];
  try {
    const json = JSON.parse(res.body) as { ocs?: { data?: { version?: CapabilitiesResult['version']; capabilities?: { spreed?: CapabilitiesResult['spreed'] } } } };
    const data = json.ocs?.data;
    if (data?.version && typeof data.version.major === 'number') out.version = data.version;
    if (data?.capabilities?.spreed && typeof data.capabilities.spreed === 'object') out.spreed = data.capabilities.spreed;
  } catch {
    /* not JSON: the caller reports the status */
  }
  return out;
}

/**
 * One signed POST of `{"type":"setup-probe"}` to Talk's backend endpoint. `unknown_type` = Talk's
 * signaling secret matches; `invalid_request` = it does not (and Nextcloud counts a brute-force
 * attempt against this host: send at most one per run).
 */
export async function probeNextcloudSecret(
  nextcloudUrl: string,
  opts: TlsOptions & { secret: string },
): Promise<{ status: number; code?: string; message?: string; body: string }> {
  const res = await httpRequest(joinUrl(nextcloudUrl, TALK_BACKEND_PATH), {
    method: 'POST',
    headers: {
      'OCS-APIRequest': 'true',
      Accept: 'application/json',
      'Content-Type': 'application/json',
      ...signingHeaders(opts.secret, PROBE_BODY),
    },
    body: PROBE_BODY,
    secrets: [opts.secret],
    ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
    ...(opts.insecure !== undefined ? { insecure: opts.insecure } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
  const out: { status: number; code?: string; message?: string; body: string } = { status: res.status, body: redact(res.body, [opts.secret]).slice(0, 2000) };
  try {
    const json = JSON.parse(res.body) as { ocs?: { data?: { error?: { code?: unknown; message?: unknown } } } };
    const err = json.ocs?.data?.error;
    if (typeof err?.code === 'string') out.code = err.code;
    if (typeof err?.message === 'string') out.message = redact(err.message, [opts.secret]);
  } catch {
    /* not JSON */
  }
  return out;
}
