// Whether a NATS server answers: it greets every client with one `INFO {json}` line
// (facts sheet section 4). Bounded by `timeoutMs`; credentials in the URL are never echoed.
import net from 'node:net';
import { DEFAULT_TIMEOUT_MS } from './http.js';
import { classifyError, errorText, type ProbeResult } from './result.js';

/** Largest INFO line accepted. */
const MAX_NATS_LINE = 64 * 1024;

export type NatsInfoResult = ProbeResult<{ info: unknown }>;

/**
 * TCP-connect to the host:port of a single NATS URL (`nats://host:port`, `tls://host:port` or
 * `host:port`; default port 4222) and read the first line, which must be `INFO {json}`.
 * In-process NATS (`nats://loopback`, `:loopback:`) has no port and answers `in_process`.
 */
export function natsInfo(url: string, opts: { timeoutMs?: number } = {}): Promise<NatsInfoResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const trimmed = url.trim();
  if (trimmed.includes(','))
    return Promise.resolve({ ok: false, code: 'invalid_url', message: 'expected a single NATS URL, got a list' });
  if (trimmed === ':loopback:' || /^nats:\/\/loopback\/?$/i.test(trimmed)) {
    return Promise.resolve({
      ok: false,
      code: 'in_process',
      message: 'in-process NATS (loopback) has no TCP port to probe',
    });
  }
  let host: string;
  let port: number;
  try {
    const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `nats://${trimmed}`);
    if (!['nats:', 'tls:', 'tcp:'].includes(u.protocol)) {
      return Promise.resolve({ ok: false, code: 'invalid_url', message: `unsupported NATS URL scheme ${u.protocol}` });
    }
    host = u.hostname.replace(/^\[(.*)\]$/, '$1');
    port = u.port ? Number(u.port) : 4222;
    if (!host || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error('bad');
  } catch {
    return Promise.resolve({ ok: false, code: 'invalid_url', message: 'invalid NATS URL' });
  }
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;

  return new Promise((resolve) => {
    let settled = false;
    let buf = '';
    const sock = net.connect({ host, port });
    const finish = (r: NatsInfoResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(
      () =>
        finish({ ok: false, code: 'timeout', message: `timeout: no INFO line from ${where} within ${timeoutMs} ms` }),
      timeoutMs,
    );
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) {
        if (buf.length > MAX_NATS_LINE)
          finish({ ok: false, code: 'unexpected_message', message: `first line from ${where} too long` });
        return;
      }
      const line = buf.slice(0, nl).replace(/\r$/, '');
      const m = /^INFO\s+(\{.*\})\s*$/.exec(line);
      if (!m || m[1] === undefined) {
        finish({
          ok: false,
          code: 'unexpected_message',
          message: `${where} did not answer like NATS (first line does not start with INFO)`,
        });
        return;
      }
      try {
        finish({ ok: true, info: JSON.parse(m[1]) as unknown });
      } catch {
        finish({ ok: false, code: 'unexpected_message', message: `${where} sent an INFO line with invalid JSON` });
      }
    });
    sock.on('error', (err) =>
      finish({ ok: false, code: classifyError(err), message: `connect to ${where} failed: ${errorText(err)}` }),
    );
    sock.on('close', () =>
      finish({ ok: false, code: 'closed', message: `${where} closed the connection before sending INFO` }),
    );
  });
}
