// Probes of the signaling server itself: its welcome, an internal-client hello over the websocket,
// a backend request signed like Nextcloud's, and a bare websocket upgrade through the proxy.
// Protocol reference: docs/signaling-facts.md sections 4 and 5.
import WebSocket from 'ws';
import { DEFAULT_TIMEOUT_MS, httpRequest, joinUrl, MAX_BODY_BYTES, parseFeatures, type TlsOptions } from './http.js';
import { classifyError, errorText, type ProbeFailure, type ProbeResult } from './result.js';
import { internalToken, PROBE_BODY, randomToken, signingHeaders } from './signing.js';
import { maskSecrets } from '../secrets/secrets.js';

/** Path of the signed probe request; the room id is arbitrary and nothing is changed on the server. */
export const PROBE_ROOM_PATH = '/api/v1/room/spreed-setup-probe';

// ---------------------------------------------------------------------------------------------
// GET /api/v1/welcome
// ---------------------------------------------------------------------------------------------

export interface WelcomeAnswer {
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
export async function fetchWelcome(baseUrl: string, opts: TlsOptions = {}): Promise<WelcomeAnswer> {
  const res = await httpRequest(joinUrl(baseUrl, '/api/v1/welcome'), {
    method: 'GET',
    headers: { Accept: 'application/json' },
    ...opts,
  });
  const out: WelcomeAnswer = {
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
  if (res.headers.server !== undefined) out.serverHeader = res.headers.server;
  if (res.headers.date !== undefined) out.date = res.headers.date;
  return out;
}

/** The websocket client options every probe here uses: bounded handshake and messages, the trust for wss. */
function wsClientOptions(wsUrl: string, opts: TlsOptions, timeoutMs: number): WebSocket.ClientOptions {
  const wsOpts: WebSocket.ClientOptions = {
    handshakeTimeout: timeoutMs,
    perMessageDeflate: false,
    maxPayload: MAX_BODY_BYTES,
  };
  if (wsUrl.startsWith('wss:')) {
    if (opts.ca !== undefined) wsOpts.ca = opts.ca;
    wsOpts.rejectUnauthorized = !opts.insecure;
  }
  return wsOpts;
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

/** A ProbeErrorCode, `upgrade_failed:<status>`, or the server's own error code (`invalid_token`, `invalid_backend`, …). */
export type HelloErrorCode = string;

/** On a server error, `message` is the server's own (empty when it sent none). */
export type InternalHelloResult = ProbeResult<{ sessionId: string; welcome?: unknown }, HelloErrorCode>;

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
    const wsOpts = wsClientOptions(parsed.href, opts, timeoutMs);
    let ws: WebSocket;
    try {
      ws = new WebSocket(wsUrl, wsOpts);
    } catch (err) {
      resolve({ ok: false, code: 'invalid_url', message: maskSecrets(errorText(err), secrets) });
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
      finish(
        {
          ok: false,
          code: `upgrade_failed:${status}`,
          message: `HTTP ${status} instead of 101 Switching Protocols`,
          status,
        },
        true,
      );
    });

    ws.on('error', (err) => {
      const kind = classifyError(err);
      finish({ ok: false, code: kind, message: maskSecrets(errorText(err), secrets) }, true);
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
      let msg: {
        type?: unknown;
        id?: unknown;
        hello?: { sessionid?: unknown };
        error?: { code?: unknown; message?: unknown };
      };
      try {
        msg = JSON.parse(
          Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8'),
        ) as typeof msg;
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
        const message = typeof msg.error?.message === 'string' ? maskSecrets(msg.error.message, secrets) : '';
        finish({ ok: false, code, message });
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

export interface RoomAnswer {
  status: number;
  /** The answer's body, secret redacted. */
  body: string;
}

/**
 * POST `${baseUrl}/api/v1/room/spreed-setup-probe` signed like Nextcloud does. With the default body:
 * 400 `Unsupported request type` = URL and secret accepted (nothing changed);
 * 403 `Authentication check failed` = wrong secret or backend URL not configured.
 * Rejects with ProbeError when there is no HTTP answer.
 */
export async function signedRoomRequest(baseUrl: string, opts: SignedRoomRequestOptions): Promise<RoomAnswer> {
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
  return { status: res.status, body: maskSecrets(res.body, [opts.secret]) };
}

// ---------------------------------------------------------------------------------------------
// Websocket upgrade (no hello)
// ---------------------------------------------------------------------------------------------

/** `upgrade_failed` carries the status and the start of the body; otherwise no HTTP answer came. */
export type UpgradeResult = ProbeResult;

/**
 * Opens a websocket (HTTP/1.1 upgrade) and closes it at once: 101 proves the proxy passes the
 * Upgrade/Connection headers. Any other status is returned with the start of its body.
 */
export function websocketUpgrade(wsUrl: string, opts: TlsOptions & { protocol?: string } = {}): Promise<UpgradeResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve) => {
    let settled = false;
    const wsOpts = wsClientOptions(wsUrl, opts, timeoutMs);
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
    const timer = setTimeout(
      () => finish({ ok: false, code: 'timeout', message: `no upgrade answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < 512) body += c;
      });
      const status = res.statusCode ?? 0;
      const done = () =>
        finish({
          ok: false,
          code: 'upgrade_failed',
          message: `HTTP ${status} instead of 101 Switching Protocols`,
          status,
          body: body.trim().slice(0, 200),
          ...(typeof res.headers.server === 'string' ? { server: res.headers.server } : {}),
        });
      res.on('end', done);
      res.on('error', done);
      setTimeout(done, 500).unref();
      req.on('error', () => undefined);
    });
    ws.on('open', () => finish({ ok: true }));
    ws.on('error', (err) => {
      const kind = classifyError(err);
      const msg = errorText(err);
      finish({
        ok: false,
        code: /timed out|timeout/i.test(msg) && kind === 'connect_failed' ? 'timeout' : kind,
        message: msg,
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Cross-node delivery (cluster-facts §4, §6)
// ---------------------------------------------------------------------------------------------

export interface CrossNodeOptions extends TlsOptions {
  /** `[clients] internalsecret` (the same on every node of a cluster). */
  secret: string;
  /** A configured backend's Nextcloud URL. */
  backend: string;
  /** How long to wait for the `control` message once the `message` has arrived (default 1500 ms). */
  controlGraceMs?: number;
}

/** Which end failed: the session on the sending node or the one on the receiving node. */
export type CrossNodeSide = 'sender' | 'recipient';

export type CrossNodeResult =
  | {
      ok: true;
      /** The `message` to the recipient's session arrived (routed over NATS). */
      message: boolean;
      /** The `control` message arrived too (the sender's node could decode the recipient's session id). */
      control: boolean;
      /** Milliseconds until the message arrived (or the wait ended). */
      ms: number;
    }
  | (ProbeFailure<HelloErrorCode> & { side: CrossNodeSide });

interface OpenSession {
  sessionId: string;
  send(msg: unknown): void;
  onMessage(fn: (msg: Record<string, unknown>) => void): void;
  close(): Promise<void>;
}

/** An internal-client session held open (hello v1.0 with the internal secret), for cross-node probes. */
function openInternalSession(
  wsUrl: string,
  opts: InternalHelloOptions,
  timeoutMs: number,
): Promise<ProbeResult<{ session: OpenSession }, HelloErrorCode>> {
  const secrets = [opts.secret];
  const random = randomToken(32);
  const token = internalToken(opts.secret, random);
  return new Promise((resolve) => {
    let settled = false;
    const listeners: ((m: Record<string, unknown>) => void)[] = [];
    const wsOpts = wsClientOptions(wsUrl, opts, timeoutMs);
    let ws: WebSocket;
    try {
      ws = new WebSocket(wsUrl, wsOpts);
    } catch (err) {
      resolve({ ok: false, code: 'invalid_url', message: maskSecrets(errorText(err), secrets) });
      return;
    }
    const close = (): Promise<void> =>
      new Promise<void>((done) => {
        if (ws.readyState === WebSocket.CLOSED) return done();
        const killer = setTimeout(() => {
          ws.terminate();
          done();
        }, 1000);
        ws.once('close', () => {
          clearTimeout(killer);
          done();
        });
        try {
          if (ws.readyState === WebSocket.OPEN) {
            ws.send(JSON.stringify({ id: 'bye', type: 'bye', bye: {} }));
            ws.close(1000);
          } else ws.terminate();
        } catch {
          ws.terminate();
        }
      });
    const fail = (code: HelloErrorCode, message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.terminate();
      resolve({ ok: false, code, message });
    };
    const timer = setTimeout(() => fail('timeout', `no hello answer within ${timeoutMs} ms`), timeoutMs);
    ws.on('unexpected-response', (req, res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      req.destroy();
      fail(`upgrade_failed:${status}`, `HTTP ${status} instead of 101 Switching Protocols`);
    });
    ws.on('error', (err) => fail(classifyError(err), maskSecrets(errorText(err), secrets)));
    ws.on('close', (code) => fail('closed', `connection closed (${code}) before the hello was answered`));
    ws.on('open', () => {
      ws.send(
        JSON.stringify({
          id: '1',
          type: 'hello',
          hello: { version: '1.0', auth: { type: 'internal', params: { random, token, backend: opts.backend } } },
        }),
      );
    });
    ws.on('message', (data: WebSocket.RawData) => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : String(data)) as Record<string, unknown>;
      } catch {
        return;
      }
      if (settled) {
        for (const l of listeners) l(msg);
        return;
      }
      if (msg.type === 'error') {
        const e = msg.error as { code?: unknown; message?: unknown } | undefined;
        fail(
          typeof e?.code === 'string' ? e.code : 'error',
          typeof e?.message === 'string' ? maskSecrets(e.message, secrets) : '',
        );
        return;
      }
      const sessionId = (msg.hello as { sessionid?: unknown } | undefined)?.sessionid;
      if (msg.type === 'hello' && typeof sessionId === 'string' && sessionId) {
        settled = true;
        clearTimeout(timer);
        resolve({
          ok: true,
          session: {
            sessionId,
            send: (m) => {
              if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m));
            },
            onMessage: (fn) => listeners.push(fn),
            close,
          },
        });
      }
    });
  });
}

/**
 * An internal-client session on the sending node sends rounds of a `control` and then a `message`
 * to an internal-client session on the receiving node, until the message arrives or time runs out
 * (a fresh subscription takes a moment to reach every NATS server). `message` is routed by the
 * recipient's session id as a string and proves NATS between the nodes; `control` is dropped by
 * the sending node unless it can decode the recipient's session id with its own [sessions] keys
 * (hub.go processControlMsg), so it proves the nodes share hashkey and blockkey. Both sessions
 * are closed (bye) before this resolves. Nothing joins a room and nothing reaches Nextcloud.
 */
export async function crossNodeMessage(
  fromWsUrl: string,
  toWsUrl: string,
  opts: CrossNodeOptions,
): Promise<CrossNodeResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const t0 = Date.now();
  const left = () => Math.max(1, timeoutMs - (Date.now() - t0));
  const [to, from] = await Promise.all([
    openInternalSession(toWsUrl, opts, timeoutMs),
    openInternalSession(fromWsUrl, opts, timeoutMs),
  ]);
  if (!to.ok || !from.ok) {
    if (to.ok) await to.session.close();
    if (from.ok) await from.session.close();
    const failed = !from.ok ? from : to;
    if (failed.ok) throw new Error('unreachable');
    return { ...failed, side: !from.ok ? 'sender' : 'recipient' };
  }
  const nonce = randomToken(16);
  const recipient = { type: 'session', sessionid: to.session.sessionId };
  let message = false;
  let control = false;
  let messageMs = 0;
  let wake: (() => void) | undefined;
  to.session.onMessage((m) => {
    const body = (m.type === 'message' ? m.message : m.type === 'control' ? m.control : undefined) as
      | { data?: { nonce?: unknown } }
      | undefined;
    if (body?.data?.nonce !== nonce) return;
    if (m.type === 'message' && !message) {
      message = true;
      messageMs = Date.now() - t0;
    }
    if (m.type === 'control') control = true;
    wake?.();
  });
  const pause = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      wake = () => {
        clearTimeout(t);
        r();
      };
    });
  const round = (n: number) => {
    const data = { type: 'spreed-setup-check', nonce, round: n };
    from.session.send({ id: `c${n}`, type: 'control', control: { recipient, data } });
    from.session.send({ id: `m${n}`, type: 'message', message: { recipient, data } });
  };
  try {
    for (let n = 1; !message && left() > 1; n++) {
      round(n);
      await pause(Math.min(200 + n * 50, left()));
    }
    if (message && !control) {
      // Interest has reached every NATS server now: one more control, then a bounded grace.
      from.session.send({
        id: 'c-last',
        type: 'control',
        control: { recipient, data: { type: 'spreed-setup-check', nonce, round: 0 } },
      });
      const grace = Date.now() + Math.min(opts.controlGraceMs ?? 1500, left());
      while (!control && Date.now() < grace) await pause(grace - Date.now());
    }
  } finally {
    await Promise.all([from.session.close(), to.session.close()]);
  }
  return { ok: true, message, control, ms: message ? messageMs : Date.now() - t0 };
}
