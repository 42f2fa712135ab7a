// The public URL group (public.dns, public.tls, public.welcome, public.route, public.upgrade,
// hello) against fake DNS, TLS, HTTP and websocket probes.
import { describe, expect, it } from 'vitest';
import { publicChecks } from '../../../src/check/groups/public.js';
import type { CheckIO } from '../../../src/check/io.js';
import type { CheckInputs } from '../../../src/check/groups/context.js';
import type { CertificateInfo } from '../../../src/probe/tls.js';
import type { InternalHelloResult, WelcomeAnswer } from '../../../src/probe/signaling.js';
import {
  checkInputs,
  context,
  INTERNAL_SECRET,
  NEXTCLOUD,
  PUBLIC_URL,
  refused,
  RESTART_FIX,
  runOne,
  shown,
  SITE,
  UNIT,
} from './fixture.js';

const WS = 'wss://hpb.example.org/standalone-signaling/spreed';
const DAY = 86_400_000;
const UPGRADE_FIX = `in ${SITE}, location …/spreed: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "Upgrade"; then systemctl reload nginx`;
const PROXY_DOWN = `start the signaling server (systemctl start ${UNIT}) and check that the nginx upstream matches [http] listen 127.0.0.1:8080`;

function checks(io: Partial<CheckIO>, inputs: Partial<CheckInputs> = {}, setup = {}) {
  const defs = publicChecks(context(checkInputs(inputs, setup), io));
  return (id: string) => runOne(defs, id);
}

describe('public.dns', () => {
  it('passes with the addresses the name resolves to', async () => {
    const asked: string[] = [];
    const run = checks({
      resolveDns: async (host) => (asked.push(host), { ok: true, addresses: ['192.0.2.10', '2001:db8::10'] }),
    });
    expect(shown(await run('public.dns'))).toEqual({
      status: 'pass',
      detail: 'hpb.example.org resolves to 192.0.2.10, 2001:db8::10',
    });
    expect(asked).toEqual(['hpb.example.org']);
  });

  it('passes an IP address without asking DNS', async () => {
    const run = checks({}, { publicUrl: 'https://192.0.2.10/standalone-signaling' });
    expect(shown(await run('public.dns'))).toEqual({ status: 'pass', detail: '192.0.2.10 is an IP address' });
  });

  it("fails naming the resolver's code", async () => {
    const run = checks({
      resolveDns: async () => ({ ok: false, code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND hpb.example.org' }),
    });
    expect(shown(await run('public.dns'))).toEqual({
      status: 'fail',
      detail: 'hpb.example.org does not resolve (ENOTFOUND)',
      fix: 'add a DNS A/AAAA record for hpb.example.org pointing at this server',
    });
  });

  it('fails without a public URL', async () => {
    const run = checks({}, { publicUrl: undefined });
    expect(shown(await run('public.dns'))).toEqual({
      status: 'fail',
      detail: 'no public URL known (no state file from spreed-setup setup)',
      fix: 'pass --url https://HOST/standalone-signaling',
    });
  });
});

describe('public.tls', () => {
  const cert = (over: Partial<CertificateInfo> = {}): CertificateInfo => ({
    authorized: true,
    selfSigned: false,
    validFrom: new Date(Date.now() - 10 * DAY),
    validTo: new Date(Date.now() + 60.5 * DAY),
    subject: 'hpb.example.org',
    issuer: 'R11',
    ...over,
  });
  const tlsWith = (c: CertificateInfo, inputs: Partial<CheckInputs> = {}) =>
    checks({ tlsCertificate: async () => ({ ok: true, cert: c }) }, inputs);

  it('passes a valid certificate with its days left', async () => {
    expect(shown(await tlsWith(cert())('public.tls'))).toEqual({
      status: 'pass',
      detail: 'valid for hpb.example.org, 60 days left (CN=hpb.example.org, issued by R11)',
    });
  });

  it('warns when it expires within 14 days', async () => {
    const validTo = new Date(Date.now() + 3.5 * DAY);
    expect(shown(await tlsWith(cert({ validTo }))('public.tls'))).toEqual({
      status: 'warn',
      detail: `certificate expires in 3 day(s) (${validTo.toISOString().slice(0, 10)}) (CN=hpb.example.org, issued by R11)`,
      fix: 'renew it: certbot renew (and check its timer: systemctl list-timers)',
    });
  });

  it('fails an expired certificate, and only warns about it with --insecure', async () => {
    const c = cert({ authorized: false, error: 'CERT_HAS_EXPIRED', validTo: new Date('2020-02-01T00:00:00Z') });
    const expected = {
      detail: 'certificate expired on 2020-02-01 (CN=hpb.example.org, issued by R11)',
      fix: 'renew it (certbot renew), then systemctl reload nginx',
    };
    expect(shown(await tlsWith(c)('public.tls'))).toEqual({ status: 'fail', ...expected });
    expect(shown(await tlsWith(c, { tls: { insecure: true } })('public.tls'))).toEqual({ status: 'warn', ...expected });
  });

  it('fails a self-signed certificate', async () => {
    const c = cert({
      authorized: false,
      selfSigned: true,
      error: 'DEPTH_ZERO_SELF_SIGNED_CERT',
      issuer: 'hpb.example.org',
    });
    expect(shown(await tlsWith(c)('public.tls'))).toEqual({
      status: 'fail',
      detail: 'self-signed certificate (CN=hpb.example.org): browsers and Nextcloud refuse it',
      fix: 'get one from a public CA: certbot certonly --webroot -w /var/www/html -d hpb.example.org (or pass --ca FILE if you run your own CA)',
    });
  });

  it('fails an incomplete chain with the fullchain fix', async () => {
    const c = cert({ authorized: false, error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(shown(await tlsWith(c)('public.tls'))).toEqual({
      status: 'fail',
      detail:
        'certificate chain incomplete or from an unknown CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE) (CN=hpb.example.org, issued by R11)',
      fix: 'point ssl_certificate at fullchain.pem (not cert.pem), or pass --ca FILE for a private CA',
    });
  });

  it('fails when nothing listens on the HTTPS port', async () => {
    const run = checks({ tlsCertificate: async () => refused('192.0.2.10:443') });
    expect(shown(await run('public.tls'))).toEqual({
      status: 'fail',
      detail: 'nothing listening at hpb.example.org (connection refused)',
      fix: 'start nginx (systemctl start nginx) and open port 443 in the firewall',
    });
  });

  it('warns about plain HTTP without a handshake', async () => {
    const run = checks({}, { publicUrl: 'http://hpb.example.org/standalone-signaling' });
    expect(shown(await run('public.tls'))).toEqual({
      status: 'warn',
      detail: 'http://hpb.example.org/standalone-signaling is plain HTTP: browsers need wss:// for Talk',
      fix: 'serve it over HTTPS (the nginx site spreed-setup writes does)',
    });
  });

  it('hands --ca and --insecure to the probe', async () => {
    const seen: unknown[] = [];
    const ca = Buffer.from('PEM');
    const run = checks(
      { tlsCertificate: async (url, opts) => (seen.push({ url, opts }), { ok: true, cert: cert() }) },
      { tls: { ca, insecure: true } },
    );
    await run('public.tls');
    expect(seen).toEqual([{ url: PUBLIC_URL, opts: { ca, insecure: true, timeoutMs: 1000 } }]);
  });
});

describe('public.welcome', () => {
  const answer = (status: number, body: string, json?: unknown): WelcomeAnswer => ({
    status,
    headers: {},
    body,
    ...(json !== undefined ? { json } : {}),
    features: [],
  });
  const welcomeWith = (w: WelcomeAnswer) => checks({ welcome: async () => ({ ok: true, ...w }) });

  it('passes when the welcome comes through the proxy', async () => {
    expect(
      shown(await welcomeWith(answer(200, '{}', { 'nextcloud-spreed-signaling': 'Welcome' }))('public.welcome')),
    ).toEqual({ status: 'pass', detail: `${PUBLIC_URL}/api/v1/welcome answers through the proxy` });
  });

  it("fails on the server's own 404: the proxy keeps the prefix", async () => {
    expect(shown(await welcomeWith(answer(404, '404 page not found\n'))('public.welcome'))).toEqual({
      status: 'fail',
      detail: `404 from the signaling server for ${PUBLIC_URL}/api/v1/welcome: the proxy forwards the wrong path (proxy_pass without the trailing slash keeps the prefix)`,
      fix: `in ${SITE}: location /standalone-signaling/ { proxy_pass http://UPSTREAM/; } (both trailing slashes), then systemctl reload nginx`,
    });
  });

  it("fails on nginx's 404: no location in the server block", async () => {
    expect(shown(await welcomeWith(answer(404, '<html><center>nginx</center></html>'))('public.welcome'))).toEqual({
      status: 'fail',
      detail: `404 from nginx for ${PUBLIC_URL}/api/v1/welcome: no location for /standalone-signaling/ in the server block that answers`,
      fix: 'include the spreed-signaling site or snippet in the server block for hpb.example.org, then systemctl reload nginx',
    });
  });

  it('fails on 502 with the proxy-down fix', async () => {
    expect(shown(await welcomeWith(answer(502, 'bad gateway'))('public.welcome'))).toEqual({
      status: 'fail',
      detail: 'HTTP 502 from the proxy: the signaling server behind it is down or listens elsewhere',
      fix: PROXY_DOWN,
    });
  });

  it('fails when nginx is not listening', async () => {
    const run = checks({ welcome: async () => refused('192.0.2.10:443') });
    expect(shown(await run('public.welcome'))).toEqual({
      status: 'fail',
      detail: 'nothing listening at hpb.example.org (connection refused)',
      fix: 'start nginx (systemctl start nginx) and open the HTTPS port in the firewall',
    });
  });
});

describe('public.route', () => {
  const routeWith = (status: number, body = '', headers: Record<string, string> = {}) =>
    checks({ request: async () => ({ ok: true, status, headers, body }) });

  it("passes on the server's 400 with Sec-Websocket-Version", async () => {
    expect(shown(await routeWith(400, 'Bad Request', { 'sec-websocket-version': '13' })('public.route'))).toEqual({
      status: 'pass',
      detail: `${PUBLIC_URL}/spreed reaches the server (400 with Sec-Websocket-Version, as without an upgrade)`,
    });
  });

  it("fails on the server's 404 for /spreed", async () => {
    expect(shown(await routeWith(404, '404 page not found')('public.route'))).toEqual({
      status: 'fail',
      detail: `404 from the signaling server for ${PUBLIC_URL}/spreed: the /spreed location forwards the wrong path`,
      fix: `in ${SITE}: location /standalone-signaling/spreed { proxy_pass http://UPSTREAM/spreed; }, then systemctl reload nginx`,
    });
  });

  it('fails on 504 with the proxy-down fix', async () => {
    expect(shown(await routeWith(504)('public.route'))).toEqual({
      status: 'fail',
      detail: `HTTP 504 from the proxy for ${PUBLIC_URL}/spreed: the signaling server behind it is down`,
      fix: PROXY_DOWN,
    });
  });

  it('fails on a hung proxy', async () => {
    const run = checks({
      request: async () => ({ ok: false, code: 'timeout', message: 'no answer from hpb.example.org within 1000 ms' }),
    });
    expect(shown(await run('public.route'))).toEqual({
      status: 'fail',
      detail: 'hpb.example.org accepts connections but never answers',
      fix: 'check nginx and the firewall',
    });
  });
});

describe('public.upgrade', () => {
  it('passes on 101 at the websocket URL', async () => {
    const asked: string[] = [];
    const run = checks({ websocketUpgrade: async (url) => (asked.push(url), { ok: true }) });
    expect(shown(await run('public.upgrade'))).toEqual({ status: 'pass', detail: `${WS}: 101 Switching Protocols` });
    expect(asked).toEqual([WS]);
  });

  it('fails on 400: the proxy drops the Upgrade headers', async () => {
    const run = checks({
      websocketUpgrade: async () => ({
        ok: false,
        code: 'upgrade_failed',
        message: 'HTTP 400 instead of 101 Switching Protocols',
        status: 400,
        body: '',
      }),
    });
    expect(shown(await run('public.upgrade'))).toEqual({
      status: 'fail',
      detail: `${WS}: 400 instead of 101: the proxy drops the Upgrade/Connection headers`,
      fix: UPGRADE_FIX,
    });
  });

  it('fails with the transport message when no HTTP answer came', async () => {
    const run = checks({
      websocketUpgrade: async () => ({
        ok: false,
        code: 'tls_failed',
        message: 'DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate',
      }),
    });
    expect(shown(await run('public.upgrade'))).toEqual({
      status: 'fail',
      detail: `${WS}: DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate`,
      fix: 'check nginx and the firewall',
    });
  });
});

describe('hello', () => {
  const helloWith = (answer: InternalHelloResult, setup = {}) => {
    const asked: { url: string; secret: string; backend: string }[] = [];
    const run = checks(
      { internalHello: async (url, opts) => (asked.push({ url, secret: opts.secret, backend: opts.backend }), answer) },
      {},
      setup,
    );
    return { run: () => run('hello'), asked };
  };

  it('passes with a session for every backend, signed with the internal secret', async () => {
    const h = helloWith({ ok: true, sessionId: 'S1' });
    expect(shown(await h.run())).toEqual({
      status: 'pass',
      detail: `session established for ${NEXTCLOUD}: websocket path, internal secret and backend URL accepted`,
    });
    expect(h.asked).toEqual([{ url: WS, secret: INTERNAL_SECRET, backend: NEXTCLOUD }]);
  });

  it('fails on invalid_token: the running server has another secret', async () => {
    expect(
      shown(await helloWith({ ok: false, code: 'invalid_token', message: 'The passed token is invalid.' }).run()),
    ).toEqual({
      status: 'fail',
      detail: "invalid_token: the running server's [clients] internalsecret is not server.conf's",
      fix: `${RESTART_FIX}; if that does not help, another config file is in use (systemctl cat ${UNIT})`,
    });
  });

  it('fails on invalid_backend naming the backend URL', async () => {
    expect(
      shown(
        await helloWith({ ok: false, code: 'invalid_backend', message: 'The backend URL is not supported.' }).run(),
      ),
    ).toEqual({
      status: 'fail',
      detail: `invalid_backend: the running server has no backend for ${NEXTCLOUD} (scheme, host case, port and path must match its url exactly)`,
      fix: `make [cloud] url exactly Nextcloud's base URL (lower-case host, same scheme), then systemctl restart ${UNIT}`,
    });
  });

  it('fails on a refused upgrade with the upgrade fix', async () => {
    expect(
      shown(
        await helloWith({
          ok: false,
          code: 'upgrade_failed:404',
          message: 'HTTP 404 instead of 101 Switching Protocols',
          status: 404,
        }).run(),
      ),
    ).toEqual({ status: 'fail', detail: 'websocket upgrade refused (404)', fix: UPGRADE_FIX });
  });

  it("names other server errors with the server's message, if any", async () => {
    expect(shown(await helloWith({ ok: false, code: 'room_join_failed', message: 'no' }).run())).toEqual({
      status: 'fail',
      detail: 'hello refused: room_join_failed (no)',
      fix: RESTART_FIX,
    });
    expect(shown(await helloWith({ ok: false, code: 'room_join_failed', message: '' }).run())).toEqual({
      status: 'fail',
      detail: 'hello refused: room_join_failed',
      fix: RESTART_FIX,
    });
  });

  it('skips without an internal secret, without connecting', async () => {
    const h = helloWith({ ok: true, sessionId: 'S1' }, { secrets: new Map() });
    expect(shown(await h.run())).toEqual({
      status: 'skip',
      detail: 'skipped: no [clients] internalsecret to sign with',
    });
    expect(h.asked).toEqual([]);
  });
});
