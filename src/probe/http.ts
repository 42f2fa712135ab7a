// One bounded HTTP(S) request, the transport of the welcome, room, capabilities and Talk probes.
// Protocol reference: docs/signaling-facts.md sections 4 and 5. No console output; every wait is
// bounded by `timeoutMs` (default 5000 ms); secrets are never part of a returned or thrown message.
import http from 'node:http';
import https from 'node:https';
import { classifyError, errorText, type ProbeResult, type TransportErrorCode } from './result.js';
import { maskSecrets } from '../secrets/secrets.js';

export const DEFAULT_TIMEOUT_MS = 5000;

/** Largest response body (or websocket message) we keep: welcome and error bodies are tiny. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface TlsOptions {
  /** Extra trust anchor(s), PEM. When set, replaces the default CA list for this request. */
  ca?: string | Buffer;
  /** Accept any certificate (self-signed, wrong name). */
  insecure?: boolean;
  timeoutMs?: number;
}

/** Thrown by the HTTP probes when no HTTP answer was obtained. */
export class ProbeError extends Error {
  readonly code: TransportErrorCode;
  /** This end's address of a connection that was made (what the peer saw), when there was one. */
  localAddress?: string;
  constructor(code: TransportErrorCode, message: string, localAddress?: string) {
    super(message);
    this.name = 'ProbeError';
    this.code = code;
    if (localAddress !== undefined) this.localAddress = localAddress;
  }
}

/**
 * An HTTP probe's answer as a ProbeResult: a ProbeError becomes its failure, any other rejection
 * (a request Node refuses to send) `request_failed` with its message.
 */
export async function asProbeResult<T extends object>(answer: Promise<T>): Promise<ProbeResult<T>> {
  try {
    return { ok: true, ...(await answer) };
  } catch (err) {
    if (err instanceof ProbeError)
      return {
        ok: false,
        code: err.code,
        message: err.message,
        ...(err.localAddress !== undefined ? { localAddress: err.localAddress } : {}),
      };
    return { ok: false, code: 'request_failed', message: (err as Error)?.message ?? String(err) };
  }
}

export function joinUrl(baseUrl: string, path: string): string {
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
  /** This end's address of the connection (what the server saw, unless NAT or a proxy sits between). */
  localAddress?: string;
}

export type HttpRequestInit = {
  method: string;
  headers?: Record<string, string>;
  body?: string;
  secrets?: string[];
} & TlsOptions;

/** One bounded HTTP(S) request; rejects with ProbeError when no HTTP answer arrives. */
export function httpRequest(urlString: string, init: HttpRequestInit): Promise<RawResponse> {
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
    let localAddress: string | undefined;
    const local = () => (localAddress !== undefined ? { localAddress } : {});
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
          finish(() =>
            reject(new ProbeError('response_too_large', `response body larger than ${MAX_BODY_BYTES} bytes`)),
          );
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
            ...local(),
          }),
        ),
      );
      res.on('error', (err) =>
        finish(() => reject(new ProbeError(classifyError(err), maskSecrets(errorText(err), secrets)))),
      );
    });
    const timer = setTimeout(() => {
      finish(() =>
        reject(new ProbeError('timeout', `no answer from ${url.host} within ${timeoutMs} ms`, localAddress)),
      );
      req.destroy();
    }, timeoutMs);
    req.on('error', (err) =>
      finish(() => reject(new ProbeError(classifyError(err), maskSecrets(errorText(err), secrets)))),
    );
    req.on('socket', (socket) => {
      const note = () => {
        localAddress = socket.localAddress?.replace(/^::ffff:(?=\d+\.)/i, '');
      };
      socket.once(isHttps ? 'secureConnect' : 'connect', note);
      if (!socket.connecting) note();
    });
    if (bodyBuf) req.end(bodyBuf);
    else req.end();
  });
}
