// Whether a host name resolves here, bounded: the system resolver has its own, longer timeouts.
import dns from 'node:dns/promises';
import { DEFAULT_TIMEOUT_MS } from './http.js';
import type { ProbeResult } from './result.js';

/** The resolver's code on failure: ENOTFOUND, EAI_AGAIN, …, or ETIMEOUT when our limit struck first. */
export type ResolveResult = ProbeResult<{ addresses: string[] }, string>;

/** All addresses of `host` (A and AAAA, as getaddrinfo answers). */
export async function resolveHost(host: string, opts: { timeoutMs?: number } = {}): Promise<ResolveResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  try {
    const addrs = await Promise.race([
      dns.lookup(host, { all: true }),
      new Promise<never>((_, rej) =>
        setTimeout(() => rej(Object.assign(new Error('lookup timed out'), { code: 'ETIMEOUT' })), timeoutMs).unref(),
      ),
    ]);
    return { ok: true, addresses: addrs.map((a) => a.address) };
  } catch (err) {
    return {
      ok: false,
      code: (err as { code?: string }).code ?? 'error',
      message: (err as Error)?.message ?? String(err),
    };
  }
}
