// The four outcomes a check ends with, and how a probe that got no answer reads in a detail.
import type { ProbeFailure } from '../../probe/result.js';
import type { Outcome } from '../runner.js';

export const pass = (detail: string, data?: Record<string, unknown>): Outcome => ({
  status: 'pass',
  detail,
  ...(data ? { data } : {}),
});
export const warn = (detail: string, fix: string, data?: Record<string, unknown>): Outcome => ({
  status: 'warn',
  detail,
  fix,
  ...(data ? { data } : {}),
});
export const fail = (detail: string, fix: string, data?: Record<string, unknown>): Outcome => ({
  status: 'fail',
  detail,
  fix,
  ...(data ? { data } : {}),
});
export const skip = (detail: string): Outcome => ({ status: 'skip', detail });
/** Something worth knowing that is neither a pass nor a problem (what an older release cannot tell). */
export const info = (detail: string): Outcome => ({ status: 'info', detail });

/** Describes a probe that got no HTTP answer; `kind` picks the fix. */
export function noAnswer(f: ProbeFailure<string>, where: string): { detail: string; kind: string } {
  if (f.code === 'connect_failed' && /ECONNREFUSED/.test(f.message))
    return { detail: `nothing listening at ${where} (connection refused)`, kind: 'refused' };
  if (f.code === 'connect_failed' && /ENOTFOUND|EAI_AGAIN/.test(f.message))
    return { detail: `${where}: host name does not resolve`, kind: 'dns' };
  if (f.code === 'timeout') return { detail: `${where} accepts connections but never answers`, kind: 'timeout' };
  if (f.code === 'tls_failed') return { detail: `TLS to ${where} failed: ${f.message}`, kind: 'tls' };
  return { detail: `${where}: ${f.message}`, kind: f.code };
}
