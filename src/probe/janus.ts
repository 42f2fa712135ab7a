// Whether Janus answers on its websocket API, and which version it is.
import WebSocket from 'ws';
import { DEFAULT_TIMEOUT_MS, MAX_BODY_BYTES } from './http.js';
import { classifyError, errorText, type ProbeResult } from './result.js';
import { randomToken } from './signing.js';

export type JanusInfoResult = ProbeResult<{ info: Record<string, unknown> }>;

/** Janus websocket API: `info` over the `janus-protocol` subprotocol answers `server_info`. */
export function janusInfo(url: string, opts: { timeoutMs?: number } = {}): Promise<JanusInfoResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve) => {
    let settled = false;
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, 'janus-protocol', {
        handshakeTimeout: timeoutMs,
        perMessageDeflate: false,
        maxPayload: MAX_BODY_BYTES,
      });
    } catch (err) {
      resolve({ ok: false, code: 'invalid_url', message: errorText(err) });
      return;
    }
    const finish = (r: JanusInfoResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.terminate();
      resolve(r);
    };
    const timer = setTimeout(
      () => finish({ ok: false, code: 'timeout', message: `no answer from Janus within ${timeoutMs} ms` }),
      timeoutMs,
    );
    ws.on('unexpected-response', (_req, res) =>
      finish({
        ok: false,
        code: 'upgrade_failed',
        message: `HTTP ${res.statusCode ?? 0} instead of a websocket`,
        status: res.statusCode ?? 0,
      }),
    );
    ws.on('error', (err) => finish({ ok: false, code: classifyError(err), message: errorText(err) }));
    ws.on('open', () => ws.send(JSON.stringify({ janus: 'info', transaction: randomToken(8) })));
    ws.on('message', (data: WebSocket.RawData) => {
      try {
        const msg = JSON.parse(String(data)) as Record<string, unknown>;
        if (msg.janus === 'server_info') finish({ ok: true, info: msg });
        else
          finish({
            ok: false,
            code: 'unexpected_message',
            message: `answered "${String(msg.janus)}" instead of server_info`,
          });
      } catch {
        finish({ ok: false, code: 'unexpected_message', message: 'non-JSON answer' });
      }
    });
    ws.on('close', () => finish({ ok: false, code: 'closed', message: 'closed before answering' }));
  });
}
