/**
 * A stand-in for Nextcloud with Talk, on 127.0.0.1, reproducing what the signaling server and
 * `spreed-setup check` meet (facts sheet section 5), modelled on the real code:
 * - nextcloud/spreed lib/Controller/SignalingController.php: backend() answers HTTP 200 with an
 *   OCS envelope; validateBackendRequest() needs Spreed-Signaling-Random (>= 32 chars) and a
 *   non-empty Spreed-Signaling-Checksum equal (case-insensitively) to
 *   hex(HMAC-SHA256(secret, random . body)); otherwise `invalid_request` "The request could not be
 *   authenticated." (and a brute-force attempt is counted); a valid request of an unknown type
 *   answers `unknown_type` "The given type {json} is not supported.".
 * - nextcloud/server SecurityMiddleware: a #[PublicPage] OCS route without CSRF token needs
 *   `OCS-APIRequest: true`, else 412 {"message":"CSRF check failed"}.
 * - core OCSController getCapabilities(): {version: {major, minor, micro, string, edition,
 *   extendedSupport}, capabilities: {…, spreed: {features, config, version}}} (public capabilities).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface FakeNextcloudOptions {
  /** Nextcloud version; null: capabilities without a version section (version unknown). */
  version?: { major: number; minor: number; micro: number } | null;
  /** Talk installed and enabled (capabilities.spreed present, backend endpoint routed). */
  talk?: boolean;
  /** Talk's version in its capabilities (`spreed.version`); default Talk N.1.0 for Nextcloud N+10. */
  talkVersion?: string;
  /** Talk's signaling secret (talk:signaling:add's secret). */
  secret: string;
  /** HTTPS with this certificate; plain HTTP otherwise. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Seconds added to the Date header (clock skew). */
  clockOffsetSeconds?: number;
  /** Host to bind (default 127.0.0.1). */
  host?: string;
}

export interface BackendRequestRecord {
  authenticated: boolean;
  type?: string;
  code?: string;
}

export interface FakeNextcloud {
  /** Base URL, e.g. http://127.0.0.1:PORT (use it as the backend URL). */
  url: string;
  port: number;
  /** Every request to the signaling backend endpoint, in order. */
  backendRequests: BackendRequestRecord[];
  /** Failed authentications (what Nextcloud's brute-force protection counts). */
  bruteForceAttempts: number;
  capabilityRequests: number;
  setSecret(secret: string): void;
  close(): Promise<void>;
}

const BACKEND_PATH = '/ocs/v2.php/apps/spreed/api/v3/signaling/backend';
const CAPABILITIES_PATH = '/ocs/v2.php/cloud/capabilities';

/** PHP's json_encode escapes slashes. */
const phpJson = (v: unknown) => JSON.stringify(v).replace(/\//g, '\\/');

function ocs(data: unknown, statuscode = 200): string {
  return phpJson({ ocs: { meta: { status: 'ok', statuscode, message: 'OK' }, data } });
}

export async function startFakeNextcloud(opts: FakeNextcloudOptions): Promise<FakeNextcloud> {
  let secret = opts.secret;
  const state = { backendRequests: [] as BackendRequestRecord[], bruteForceAttempts: 0, capabilityRequests: 0 };
  const version = opts.version === undefined ? { major: 30, minor: 0, micro: 5 } : opts.version;
  const talk = opts.talk ?? true;

  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://x');
      const date = new Date(Date.now() + (opts.clockOffsetSeconds ?? 0) * 1000).toUTCString();
      const send = (status: number, text: string, type = 'application/json; charset=utf-8') => {
        res.writeHead(status, { 'Content-Type': type, Date: date, 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
      };
      const isOcs = url.pathname.startsWith('/ocs/');
      const knownRoute = url.pathname === CAPABILITIES_PATH || (talk && url.pathname === BACKEND_PATH);
      if (!knownRoute) {
        send(
          404,
          isOcs ? ocs([], 998).replace('"ok"', '"failure"') : '<html><body>Page not found</body></html>',
          isOcs ? 'application/json; charset=utf-8' : 'text/html',
        );
        return;
      }
      // CSRF: public OCS routes without a request token need OCS-APIRequest: true.
      if (req.headers['ocs-apirequest'] !== 'true') {
        send(412, phpJson({ message: 'CSRF check failed' }));
        return;
      }
      if (url.pathname === CAPABILITIES_PATH && req.method === 'GET') {
        state.capabilityRequests++;
        const capabilities: Record<string, unknown> = {
          core: { pollinterval: 60, 'webdav-root': 'remote.php/webdav' },
        };
        if (talk) {
          capabilities.spreed = {
            features: ['audio', 'video', 'chat-v2', 'federation-v1'],
            config: { signaling: { 'session-ping-limit': 200 } },
            // Talk's app version (lib/Capabilities.php: appManager->getAppVersion('spreed')); Talk N
            // runs on Nextcloud N+10.
            version: opts.talkVersion ?? `${version ? version.major - 10 : 20}.1.0`,
          };
        }
        const data: Record<string, unknown> = { capabilities };
        if (version)
          data.version = {
            ...version,
            string: `${version.major}.${version.minor}.${version.micro}`,
            edition: '',
            extendedSupport: false,
          };
        send(200, ocs(data));
        return;
      }
      if (url.pathname === BACKEND_PATH && req.method === 'POST') {
        const random = req.headers['spreed-signaling-random'];
        const checksum = req.headers['spreed-signaling-checksum'];
        let authenticated = false;
        if (typeof random === 'string' && random.length >= 32 && typeof checksum === 'string' && checksum !== '') {
          const hash = createHmac('sha256', secret).update(random).update(body).digest('hex');
          const given = Buffer.from(checksum.toLowerCase());
          authenticated = given.length === hash.length && timingSafeEqual(given, Buffer.from(hash));
        }
        if (!authenticated) {
          state.bruteForceAttempts++;
          state.backendRequests.push({ authenticated: false, code: 'invalid_request' });
          send(
            200,
            ocs({
              type: 'error',
              error: { code: 'invalid_request', message: 'The request could not be authenticated.' },
            }),
          );
          return;
        }
        let message: { type?: unknown } | null = null;
        try {
          message = JSON.parse(body.toString('utf8')) as { type?: unknown };
        } catch {
          message = null;
        }
        const type = typeof message?.type === 'string' ? message.type : '';
        let answer: unknown;
        if (type === 'auth')
          answer = {
            type: 'error',
            error: { code: 'invalid_ticket', message: 'The given ticket is not valid for this user.' },
          };
        else if (type === 'room')
          answer = { type: 'error', error: { code: 'no_such_room', message: 'The user is not invited to this room.' } };
        else if (type === 'ping') answer = { type: 'room', room: { version: '1.0' } };
        else
          answer = {
            type: 'error',
            error: { code: 'unknown_type', message: `The given type ${phpJson(message)} is not supported.` },
          };
        state.backendRequests.push({
          authenticated: true,
          type,
          ...((answer as { error?: { code: string } }).error
            ? { code: (answer as { error: { code: string } }).error.code }
            : {}),
        });
        send(200, ocs(answer));
        return;
      }
      send(405, phpJson({ message: 'Method not allowed' }));
    });
  };

  const server = opts.tls
    ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handler)
    : http.createServer(handler);
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${opts.tls ? 'https' : 'http'}://${host}:${port}`,
    port,
    get backendRequests() {
      return state.backendRequests;
    },
    get bruteForceAttempts() {
      return state.bruteForceAttempts;
    },
    get capabilityRequests() {
      return state.capabilityRequests;
    },
    setSecret(s: string) {
      secret = s;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
