// Whether Janus answers on its websocket API, and which version it is.
import { DEFAULT_TIMEOUT_MS } from './http.js';
import type { ProbeResult } from './result.js';
import { wsRequest } from './wsRequest.js';
import { randomToken } from './signing.js';

export type JanusInfoResult = ProbeResult<{ info: Record<string, unknown> }>;

/** Janus websocket API: `info` over the `janus-protocol` subprotocol answers `server_info`. */
export function janusInfo(url: string, opts: { timeoutMs?: number } = {}): Promise<JanusInfoResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return wsRequest<JanusInfoResult>({
    url,
    protocol: 'janus-protocol',
    timeoutMs,
    peer: 'Janus',
    request: { janus: 'info', transaction: randomToken(8) },
    answer: (msg) =>
      msg.janus === 'server_info'
        ? { ok: true, info: msg }
        : {
            ok: false,
            code: 'unexpected_message',
            message: `answered "${String(msg.janus)}" instead of server_info`,
          },
  });
}
