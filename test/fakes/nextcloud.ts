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
 * - OCS answers XML unless asked for JSON: a `format` parameter, else the first Accept entry that is
 *   `application/json` (AppFramework Http/Dispatcher.php executeController,
 *   Controller::getResponderByHTTPHeader; OCS/BaseResponse.php renderResult, XMLWriter indented by
 *   one space). Errors that escape the controller (ocs/v1.php catch, OCS/ApiHelper::respond) read
 *   only the `format` parameter: XML even with Accept: application/json.
 * - A signed auth, room or ping request without its object (or without auth.params.ticket /
 *   room.roomid) hits a PHP TypeError in SignalingController::backendAuth/backendRoom/backendPing
 *   (typed parameters): the Dispatcher turns it into an exception, ocs/v1.php answers HTTP 500
 *   "Internal Server Error" (OCS status 996). A ping without `entries` only logs a warning.
 * - Brute-force protection (BruteForceMiddleware, Security/Bruteforce/Throttler.php): the endpoint
 *   carries #[BruteForceProtection(action: 'talkSignalingSecret')]. Before the controller, every
 *   request from the subnet sleeps 0.1 s · 2^n (n = failures in 12 h, ceil to ms, max 25 s; n > 10
 *   -> 25 s), or gets 429 "Reached maximum delay" when the delay is at maximum and more than 10
 *   failures fall within 30 min. A failure registers one more attempt and sleeps again with the new
 *   count (throwing past the maximum: that escapes as a 500). Successes never reset the count.
 *   From Nextcloud 28 the answer carries `X-Nextcloud-Bruteforce-Throttled: <slept>ms`.
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
  /** Brute-force protection (auth.bruteforce.protection.enabled; default true). */
  bruteForceProtection?: boolean;
  /** Factor on every brute-force sleep (0: record but do not sleep, like `…protection.testing`). */
  delayScale?: number;
  /** Clock for the attempts' timestamps, in ms (default Date.now). */
  now?: () => number;
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
  /** Changes the factor on brute-force sleeps from now on. */
  setDelayScale(scale: number): void;
  /** The delay (ms, unscaled) the next request from `ip` (default 127.0.0.1) sleeps before the controller. */
  throttleDelayMs(ip?: string): number;
  /** `occ security:bruteforce:reset <ip>`: forgets the attempts of that address's subnet. */
  resetBruteForce(ip: string): void;
  close(): Promise<void>;
}

const BACKEND_PATH = '/ocs/v2.php/apps/spreed/api/v3/signaling/backend';
const CAPABILITIES_PATH = '/ocs/v2.php/cloud/capabilities';

/** PHP's json_encode escapes slashes. */
const phpJson = (v: unknown) => JSON.stringify(v).replace(/\//g, '\\/');

type OcsFormat = 'json' | 'xml';
type OcsMeta = { status: string; statuscode: number; message: string };

/** One OCS v2 envelope, as BaseResponse::renderResult writes it (json_encode or XMLWriter). */
function ocsBody(format: OcsFormat, data: unknown, meta: OcsMeta = { status: 'ok', statuscode: 200, message: 'OK' }) {
  const envelope = { ocs: { meta, data } };
  return format === 'json' ? phpJson(envelope) : xmlDocument(envelope);
}

const xmlEscape = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** BaseResponse::toXML through an indenting XMLWriter: numeric keys become <element>, true "1", false "". */
function xmlDocument(value: Record<string, unknown>): string {
  const lines: string[] = ['<?xml version="1.0"?>'];
  const write = (v: Record<string, unknown> | unknown[], depth: number) => {
    const pad = ' '.repeat(depth);
    for (const [k, item] of Object.entries(v)) {
      const name = /^\d+$/.test(k) ? 'element' : k;
      if (item !== null && typeof item === 'object') {
        if (Object.keys(item).length === 0) lines.push(`${pad}<${name}/>`);
        else {
          lines.push(`${pad}<${name}>`);
          write(item as Record<string, unknown>, depth + 1);
          lines.push(`${pad}</${name}>`);
        }
      } else if (item === null || item === undefined) lines.push(`${pad}<${name}/>`);
      else {
        const text = item === true ? '1' : item === false ? '' : String(item);
        lines.push(`${pad}<${name}>${xmlEscape(text)}</${name}>`);
      }
    }
  };
  write(value, 0);
  return `${lines.join('\n')}\n`;
}

/** Dispatcher: the `format` parameter, else Controller::getResponderByHTTPHeader over Accept, else XML. */
function requestedFormat(url: URL, accept: string | undefined): OcsFormat {
  const param = url.searchParams.get('format');
  if (param !== null) return param === 'json' ? 'json' : 'xml';
  for (const entry of (accept ?? '').split(',')) {
    const responder = entry.trim().toLowerCase().replace('application/', '');
    if (responder === 'json' || responder === 'xml') return responder;
  }
  return 'xml';
}

/** ocs/v1.php and ApiHelper::respond: only the `format` parameter counts there. */
const errorFormat = (url: URL): OcsFormat => (url.searchParams.get('format') === 'json' ? 'json' : 'xml');

const contentType = (format: OcsFormat) =>
  format === 'json' ? 'application/json; charset=utf-8' : 'application/xml; charset=utf-8';

const MAX_DELAY_MS = 25_000;
const MAX_ATTEMPTS = 10;
const HOUR_MS = 3_600_000;

/** Security/Normalizer/IpAddress: IPv4 (also IPv4-mapped) the address itself, IPv6 its /56. */
function subnetOf(address: string): string {
  const v4 = /^(?:::ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (v4) return `${v4[1]}/32`;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  const hex = groups.map((g) => g.padStart(4, '0')).join('');
  return `${hex.slice(0, 14)}/56`;
}

/** Throttler::getDelay: 0.1 s · 2^n, ceil to ms, at most 25 s; more than max-attempts: 25 s. */
function delayFor(attempts: number): number {
  if (attempts === 0) return 0;
  if (attempts > MAX_ATTEMPTS) return MAX_DELAY_MS;
  const seconds = 0.1 * 2 ** attempts;
  return seconds > 25 ? MAX_DELAY_MS : Math.ceil(seconds * 1000);
}

export async function startFakeNextcloud(opts: FakeNextcloudOptions): Promise<FakeNextcloud> {
  let secret = opts.secret;
  const state = { backendRequests: [] as BackendRequestRecord[], bruteForceAttempts: 0, capabilityRequests: 0 };
  const version = opts.version === undefined ? { major: 30, minor: 0, micro: 5 } : opts.version;
  const talk = opts.talk ?? true;
  const now = opts.now ?? Date.now;
  const protection = opts.bruteForceProtection ?? true;
  let delayScale = opts.delayScale ?? 1;
  /** bruteforce_attempts: the failures' timestamps per subnet (action talkSignalingSecret). */
  const attempts = new Map<string, number[]>();
  const attemptsWithin = (subnet: string, ms: number) =>
    (attempts.get(subnet) ?? []).filter((t) => t > now() - ms).length;
  const delayOf = (subnet: string) => (protection ? delayFor(attemptsWithin(subnet, 12 * HOUR_MS)) : 0);
  /** Throttler::sleepDelayOrThrowOnMax: null = MaxDelayReached. */
  const maxReached = (subnet: string) =>
    delayOf(subnet) === MAX_DELAY_MS && attemptsWithin(subnet, HOUR_MS / 2) > MAX_ATTEMPTS;
  const timers = new Set<NodeJS.Timeout>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms * delayScale);
      timers.add(t);
    });
  // The X-Nextcloud-Bruteforce-Throttled header came with Nextcloud 28 (server PR #39870).
  const throttleHeader = version === null || version.major >= 28;

  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    // Async: the brute-force sleeps hold the answer back, as PHP's usleep holds the request.
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://x');
      const date = () => new Date(Date.now() + (opts.clockOffsetSeconds ?? 0) * 1000).toUTCString();
      const extra: Record<string, string> = {};
      const send = (status: number, text: string, type = 'application/json; charset=utf-8') => {
        if (res.destroyed) return;
        res.writeHead(status, {
          ...extra,
          'Content-Type': type,
          Date: date(),
          'Content-Length': Buffer.byteLength(text),
        });
        res.end(text);
      };
      const format = requestedFormat(url, req.headers.accept);
      /** An exception that escapes the controller: ocs/v1.php, OCS status 996 -> HTTP 500. */
      const internalError = () => {
        const f = errorFormat(url);
        send(
          500,
          ocsBody(f, [], { status: 'failure', statuscode: 996, message: 'Internal Server Error\n' }),
          f === 'json' ? 'application/json; charset=utf-8' : 'text/xml; charset=UTF-8',
        );
      };
      const isOcs = url.pathname.startsWith('/ocs/');
      const knownRoute = url.pathname === CAPABILITIES_PATH || (talk && url.pathname === BACKEND_PATH);
      if (!knownRoute) {
        const f = errorFormat(url);
        const text =
          'Invalid query, please check the syntax. API specifications are here: http://www.freedesktop.org/wiki/Specifications/open-collaboration-services.\n';
        if (isOcs) send(404, ocsBody(f, [], { status: 'failure', statuscode: 998, message: text }), contentType(f));
        else send(404, '<html><body>Page not found</body></html>', 'text/html');
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
        send(200, ocsBody(format, data), contentType(format));
        return;
      }
      if (url.pathname === BACKEND_PATH && req.method === 'POST') {
        const subnet = subnetOf(req.socket.remoteAddress ?? '');
        // BruteForceMiddleware::beforeController
        if (maxReached(subnet)) {
          send(
            429,
            ocsBody(format, [], { status: 'failure', statuscode: 429, message: 'Reached maximum delay' }),
            contentType(format),
          );
          return;
        }
        let slept = delayOf(subnet);
        await sleep(slept);
        const random = req.headers['spreed-signaling-random'];
        const checksum = req.headers['spreed-signaling-checksum'];
        let authenticated = false;
        if (typeof random === 'string' && random.length >= 32 && typeof checksum === 'string' && checksum !== '') {
          const hash = createHmac('sha256', secret).update(random).update(body).digest('hex');
          const given = Buffer.from(checksum.toLowerCase());
          authenticated = given.length === hash.length && timingSafeEqual(given, Buffer.from(hash));
        }
        const throttled = () => {
          if (throttleHeader && slept > 0) extra['X-Nextcloud-Bruteforce-Throttled'] = `${slept}ms`;
        };
        if (!authenticated) {
          state.bruteForceAttempts++;
          state.backendRequests.push({ authenticated: false, code: 'invalid_request' });
          // BruteForceMiddleware::afterController: register, then sleep again with the new count.
          if (protection) attempts.set(subnet, [...(attempts.get(subnet) ?? []), now()]);
          if (maxReached(subnet)) {
            // The OCSException thrown there is outside the Dispatcher's try: ocs/v1.php's 500.
            internalError();
            return;
          }
          const after = delayOf(subnet);
          await sleep(after);
          slept += after;
          throttled();
          send(
            200,
            ocsBody(format, {
              type: 'error',
              error: { code: 'invalid_request', message: 'The request could not be authenticated.' },
            }),
            contentType(format),
          );
          return;
        }
        let message: Record<string, unknown> | null = null;
        try {
          message = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        } catch {
          message = null;
        }
        const type = typeof message?.type === 'string' ? message.type : '';
        const object = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
        // The typed parameters of backendAuth(array), backendRoom(array), backendPing(array) and the
        // string ones below them (validateSignalingTicket's ticket, getRoomByToken's token).
        const auth = message?.auth;
        const room = message?.room;
        const typeError =
          (type === 'auth' && !(object(auth) && object(auth.params) && typeof auth.params.ticket === 'string')) ||
          (type === 'room' && !(object(room) && typeof room.roomid === 'string')) ||
          (type === 'ping' && !object(message?.ping));
        if (typeError) {
          state.backendRequests.push({ authenticated: true, type, code: 'internal_error' });
          internalError();
          return;
        }
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
        throttled();
        send(200, ocsBody(format, answer), contentType(format));
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
    setDelayScale(scale: number) {
      delayScale = scale;
    },
    throttleDelayMs: (ip = '127.0.0.1') => delayOf(subnetOf(ip)),
    resetBruteForce(ip: string) {
      attempts.delete(subnetOf(ip));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
