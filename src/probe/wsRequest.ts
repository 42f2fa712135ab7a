// One JSON request over a websocket and its answer, bounded by a timeout: what the Janus and the
// signaling-proxy probes share (connecting, an HTTP answer instead of an upgrade, errors, a close
// before the answer, a non-JSON answer, settling once).
import WebSocket from 'ws';
import { MAX_BODY_BYTES } from './http.js';
import { classifyError, errorText, type ProbeErrorCode, type ProbeFailure } from './result.js';

export interface WsRequest<R> {
  url: string;
  /** The websocket subprotocol, when the peer needs one. */
  protocol?: string;
  timeoutMs: number;
  /** Who answers, for the timeout message ("no answer from Janus within …"). */
  peer: string;
  /** Sent once the socket is open. */
  request: unknown;
  /** The probe's verdict on one JSON message; undefined: keep waiting. */
  answer: (msg: Record<string, unknown>) => R | undefined;
}

export function wsRequest<R extends { ok: boolean }>(o: WsRequest<R>): Promise<R | ProbeFailure<ProbeErrorCode>> {
  return new Promise((resolve) => {
    let settled = false;
    let ws: WebSocket;
    try {
      const options = { handshakeTimeout: o.timeoutMs, perMessageDeflate: false, maxPayload: MAX_BODY_BYTES };
      ws = o.protocol ? new WebSocket(o.url, o.protocol, options) : new WebSocket(o.url, options);
    } catch (err) {
      resolve({ ok: false, code: 'invalid_url', message: errorText(err) });
      return;
    }
    const finish = (r: R | ProbeFailure<ProbeErrorCode>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.terminate();
      resolve(r);
    };
    const timer = setTimeout(
      () => finish({ ok: false, code: 'timeout', message: `no answer from ${o.peer} within ${o.timeoutMs} ms` }),
      o.timeoutMs,
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
    ws.on('open', () => ws.send(JSON.stringify(o.request)));
    ws.on('message', (data: WebSocket.RawData) => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(String(data)) as Record<string, unknown>;
      } catch {
        finish({ ok: false, code: 'unexpected_message', message: 'non-JSON answer' });
        return;
      }
      const verdict = o.answer(msg);
      if (verdict) finish(verdict);
    });
    ws.on('close', () => finish({ ok: false, code: 'closed', message: 'closed before answering' }));
  });
}
