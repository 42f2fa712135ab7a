// The one shape every probe answers with: what it found, or why it found nothing, as a value a
// check can turn into a detail and a fix. Failure messages never hold a secret.

/** No answer in the protocol at all: the request did not get through. */
export type TransportErrorCode = 'invalid_url' | 'connect_failed' | 'tls_failed' | 'timeout' | 'response_too_large';

export type ProbeErrorCode =
  | TransportErrorCode
  /** The request could not be sent as given (e.g. a character HTTP headers do not allow). */
  | 'request_failed'
  /** An HTTP answer came instead of a websocket (`status` and `body` say which). */
  | 'upgrade_failed'
  /** The peer closed the connection before answering. */
  | 'closed'
  /** Something answered, but not in the protocol asked for. */
  | 'unexpected_message'
  /** Nothing to connect to: the service runs inside the server (in-process NATS). */
  | 'in_process';

export interface ProbeFailure<C extends string = ProbeErrorCode> {
  ok: false;
  code: C;
  /** One line for a check's detail. */
  message: string;
  /** HTTP status, when an HTTP answer came instead of the protocol asked for. */
  status?: number;
  /** Start of that answer's body. */
  body?: string;
  /** That answer's Server header (which proxy answered). */
  server?: string;
  /** This end's address of a connection that was made, when the failure came after connecting. */
  localAddress?: string;
}

/** What the probe found, next to `ok: true` (flat, so `r.ok && r.info` reads naturally). */
export type ProbeSuccess<T extends object> = { ok: true } & T;

export type ProbeResult<T extends object = Record<never, never>, C extends string = ProbeErrorCode> =
  | ProbeSuccess<T>
  | ProbeFailure<C>;

const TLS_ERROR_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** A socket error as a code: a certificate or TLS protocol error, else a failed connection. */
export function classifyError(err: unknown): 'connect_failed' | 'tls_failed' {
  const code = (err as { code?: unknown } | null)?.code;
  if (
    typeof code === 'string' &&
    (TLS_ERROR_CODES.has(code) || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS'))
  ) {
    return 'tls_failed';
  }
  return 'connect_failed';
}

/** An error as one line, with Node's code (ECONNREFUSED, …) in front when the message lacks it. */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
