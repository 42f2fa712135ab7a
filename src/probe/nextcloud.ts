// Nextcloud as the signaling server reaches it (facts sheet section 5): its capabilities, and one
// signed request that tells whether Talk holds the same backend secret.
import { httpRequest, joinUrl, type TlsOptions } from './http.js';
import { PROBE_BODY, signingHeaders } from './signing.js';
import { maskSecrets } from '../secrets/secrets.js';

/** Talk's backend endpoint, relative to Nextcloud's base URL. */
export const TALK_BACKEND_PATH = '/ocs/v2.php/apps/spreed/api/v3/signaling/backend';
export const CAPABILITIES_PATH = '/ocs/v2.php/cloud/capabilities';

export interface CapabilitiesAnswer {
  status: number;
  /** Nextcloud version from the OCS answer, when present. */
  version?: { major: number; minor: number; micro: number; string: string };
  /** Talk's capabilities (`capabilities.spreed`), when Talk is installed and enabled. */
  spreed?: { features?: string[]; version?: string; config?: Record<string, unknown> };
  date?: string;
  body: string;
}

/** Unsigned GET of Nextcloud's capabilities, as the signaling server would reach it. */
export async function fetchCapabilities(nextcloudUrl: string, opts: TlsOptions = {}): Promise<CapabilitiesAnswer> {
  const res = await httpRequest(joinUrl(nextcloudUrl, CAPABILITIES_PATH), {
    method: 'GET',
    headers: { 'OCS-APIRequest': 'true', Accept: 'application/json' },
    ...opts,
  });
  const out: CapabilitiesAnswer = { status: res.status, body: res.body.slice(0, 2000) };
  if (res.headers.date !== undefined) out.date = res.headers.date;
  try {
    const json = JSON.parse(res.body) as {
      ocs?: {
        data?: { version?: CapabilitiesAnswer['version']; capabilities?: { spreed?: CapabilitiesAnswer['spreed'] } };
      };
    };
    const data = json.ocs?.data;
    if (data?.version && typeof data.version.major === 'number') out.version = data.version;
    if (data?.capabilities?.spreed && typeof data.capabilities.spreed === 'object')
      out.spreed = data.capabilities.spreed;
  } catch {
    /* not JSON: the caller reports the status */
  }
  return out;
}

export interface TalkSecretAnswer {
  status: number;
  /** Talk's OCS error code: `unknown_type` (secret matches) or `invalid_request` (it does not). */
  code?: string;
  /** Talk's error message, secret redacted. */
  message?: string;
  body: string;
  /** How long the answer took (ms). */
  ms?: number;
  /**
   * What Nextcloud's brute-force protection made this request sleep (ms), from its
   * `X-Nextcloud-Bruteforce-Throttled` header (Nextcloud 28+; BruteForceMiddleware::afterController).
   */
  throttledMs?: number;
  /** This host's address as Nextcloud saw it (the connection's local end). */
  localAddress?: string;
}

/**
 * One signed POST of `{"type":"setup-probe"}` to Talk's backend endpoint. `unknown_type` = Talk's
 * signaling secret matches; `invalid_request` = it does not (and Nextcloud counts a brute-force
 * attempt against this host: send at most one per run). The endpoint is brute-force protected:
 * after failures Nextcloud sleeps before answering any request from this address, or answers 429.
 */
export async function probeNextcloudSecret(
  nextcloudUrl: string,
  opts: TlsOptions & { secret: string },
): Promise<TalkSecretAnswer> {
  const started = Date.now();
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
  const out: TalkSecretAnswer = {
    status: res.status,
    body: maskSecrets(res.body, [opts.secret]).slice(0, 2000),
    ms: Date.now() - started,
  };
  const throttled = /^(\d+)ms$/.exec(res.headers['x-nextcloud-bruteforce-throttled'] ?? '');
  if (throttled) out.throttledMs = Number(throttled[1]);
  if (res.localAddress !== undefined) out.localAddress = res.localAddress;
  try {
    const json = JSON.parse(res.body) as { ocs?: { data?: { error?: { code?: unknown; message?: unknown } } } };
    const err = json.ocs?.data?.error;
    if (typeof err?.code === 'string') out.code = err.code;
    if (typeof err?.message === 'string') out.message = maskSecrets(err.message, [opts.secret]);
  } catch {
    /* not JSON */
  }
  return out;
}
