// The certificate the public URL presents: whether it verifies, for which name, and until when.
// Verification is judged here, not enforced, so a check can name what is wrong with it.
import net from 'node:net';
import tls from 'node:tls';
import { DEFAULT_TIMEOUT_MS, type TlsOptions } from './http.js';
import { classifyError, errorText, type ProbeResult } from './result.js';

export interface CertificateInfo {
  /** Chain verified against the trust store (or --ca) and valid for the host. */
  authorized: boolean;
  /** OpenSSL/Node reason when not authorized, e.g. DEPTH_ZERO_SELF_SIGNED_CERT, CERT_HAS_EXPIRED. */
  error?: string;
  /** Host-name mismatch, checked separately so it is named even with --insecure. */
  hostnameError?: string;
  validFrom?: Date;
  validTo?: Date;
  subject?: string;
  issuer?: string;
  selfSigned: boolean;
}

export type TlsCertificateResult = ProbeResult<{ cert: CertificateInfo }>;

/** TLS handshake with https://HOST:PORT/: the certificate, whether it verifies, and its dates. */
export function tlsCertificate(url: string, opts: TlsOptions = {}): Promise<TlsCertificateResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return Promise.resolve({ ok: false, code: 'invalid_url', message: 'invalid URL' });
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(u.port || 443);
  return new Promise((resolve) => {
    let settled = false;
    const sock = tls.connect({
      host,
      port,
      ...(net.isIP(host) ? {} : { servername: host }),
      ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    const finish = (r: TlsCertificateResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(
      () => finish({ ok: false, code: 'timeout', message: `no TLS handshake with ${u.host} within ${timeoutMs} ms` }),
      timeoutMs,
    );
    sock.once('secureConnect', () => {
      const peer = sock.getPeerCertificate(true);
      if (!peer || Object.keys(peer).length === 0) {
        finish({ ok: false, code: 'tls_failed', message: 'the server sent no certificate' });
        return;
      }
      const idErr = tls.checkServerIdentity(host, peer);
      const authErr = sock.authorizationError
        ? String((sock.authorizationError as unknown as { code?: string }).code ?? sock.authorizationError)
        : undefined;
      const subject = peer.subject?.CN;
      const issuer = peer.issuer?.CN;
      const cert: CertificateInfo = {
        authorized: sock.authorized && idErr === undefined,
        selfSigned:
          authErr === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
          authErr === 'SELF_SIGNED_CERT_IN_CHAIN' ||
          (peer.fingerprint256 !== undefined &&
            peer.issuerCertificate?.fingerprint256 === peer.fingerprint256 &&
            !sock.authorized),
        ...(authErr ? { error: authErr } : {}),
        ...(idErr ? { hostnameError: idErr.message } : {}),
        ...(peer.valid_from ? { validFrom: new Date(peer.valid_from) } : {}),
        ...(peer.valid_to ? { validTo: new Date(peer.valid_to) } : {}),
        ...(typeof subject === 'string' ? { subject } : {}),
        ...(typeof issuer === 'string' ? { issuer } : {}),
      };
      finish({ ok: true, cert });
    });
    sock.once('error', (err) => {
      const msg = errorText(err);
      finish({ ok: false, code: classifyError(err), message: msg });
    });
  });
}
