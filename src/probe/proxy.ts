// Whether a signaling proxy accepts this server's token (janus-facts §7): a websocket to the
// proxy's /proxy and the hello the server sends, with an RS256 token (iss = token id, iat = now)
// signed with the server's private key. The key stays in memory; no message holds it.
import { createPrivateKey, createSign } from 'node:crypto';
import { DEFAULT_TIMEOUT_MS } from './http.js';
import type { ProbeErrorCode, ProbeResult } from './result.js';
import { wsRequest } from './wsRequest.js';
import { randomToken } from './signing.js';

export type ProxyHelloCode = ProbeErrorCode | 'token_rejected' | 'bad_key';
export type ProxyHelloResult = ProbeResult<{ sessionId: string; country?: string }, ProxyHelloCode>;

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** The token the server's proxy client signs (sfu/proxy/proxy.go): RS256, iss and iat. */
export function proxyToken(tokenId: string, privateKeyPem: string, now = Date.now()): string {
  const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify({ iss: tokenId, iat: Math.floor(now / 1000) }));
  const sig = createSign('RSA-SHA256').update(`${head}.${body}`).sign(createPrivateKey(privateKeyPem));
  return `${head}.${body}.${b64url(sig)}`;
}

/** The proxy's websocket for a base URL as the server joins it: "proxy" relative to the base, http->ws. */
export function proxyWsUrl(base: string): string {
  return new URL('proxy', base).toString().replace(/^http/, 'ws');
}

export function proxyHello(
  baseUrl: string,
  opts: { tokenId: string; privateKeyPem: string; timeoutMs?: number },
): Promise<ProxyHelloResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let token: string;
  try {
    token = proxyToken(opts.tokenId, opts.privateKeyPem);
  } catch {
    return Promise.resolve({ ok: false, code: 'bad_key', message: 'the token key is not a usable RSA private key' });
  }
  return wsRequest<ProxyHelloResult>({
    url: proxyWsUrl(baseUrl),
    timeoutMs,
    peer: 'the proxy',
    request: { id: randomToken(8), type: 'hello', hello: { version: '1.0', token } },
    answer: (msg) => {
      const hello = msg.hello as { sessionid?: unknown; server?: { country?: unknown } } | undefined;
      if (msg.type === 'hello' && typeof hello?.sessionid === 'string') {
        const country = typeof hello.server?.country === 'string' ? hello.server.country : undefined;
        return { ok: true, sessionId: hello.sessionid, ...(country ? { country } : {}) };
      }
      const error = msg.error as { code?: unknown; message?: unknown } | undefined;
      if (msg.type === 'error') {
        const code = String(error?.code ?? '?');
        const text = `${code}${typeof error?.message === 'string' ? `: ${error.message}` : ''}`;
        return {
          ok: false,
          code: /token|auth/.test(code) ? 'token_rejected' : 'unexpected_message',
          message: text.slice(0, 200),
        };
      }
      if (msg.type !== 'hello')
        return { ok: false, code: 'unexpected_message', message: `answered "${String(msg.type)}"` };
      return undefined;
    },
  });
}
