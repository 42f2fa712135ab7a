// The public URL, link by link as a browser meets it: the name, the certificate, the welcome and
// the websocket route through nginx, the upgrade, and an internal-client hello over it.
import net from 'node:net';
import type { CheckIO } from '../io.js';
import type { CheckDef } from '../runner.js';
import { hostOf, type GroupContext } from './context.js';
import { fromEnvironmentText } from '../../goconf/parse.js';
import { fail, noAnswer, pass, skip, warn } from './outcome.js';
import { frontEndFrom, proxyFixes } from '../frontEnd.js';
import type { WebServer } from '../../model/defaults.js';
import { DEFAULT_LISTEN, WEB_SERVER_LABEL } from '../../model/defaults.js';
import { webServerOf } from '../../model/layout.js';
import { listenBase } from '../../model/urls.js';

const CERT_WARN_DAYS = 14;

export type PublicIO = Pick<
  CheckIO,
  'resolveDns' | 'tlsCertificate' | 'welcome' | 'request' | 'websocketUpgrade' | 'internalHello'
>;

function wsUrlOf(publicUrl: string): string {
  return publicUrl.replace(/^http/, 'ws').replace(/\/+$/, '') + '/spreed';
}

/** Go's net/http 404 body: the request reached the signaling server, on a path it does not serve. */
const isGo404 = (body: string) => /^404 page not found/.test(body.trim());
const isNginxPage = (body: string) => /<center>nginx/i.test(body);

export function publicChecks(g: GroupContext<PublicIO>): CheckDef[] {
  const { inputs, setup, io, unit, restartFix, publicUrl, siteFile, tlsOpts } = g;
  const defs: CheckDef[] = [];
  // The front end that answers (its Server header), else the one setup wrote for; nginx's own
  // faults keep their nginx wording, the others are named with their server.
  const recorded = setup.nginx?.server;
  // The one setup wrote for names the server to start and to look at (nginx when unknown).
  const webName = WEB_SERVER_LABEL[recorded ?? 'nginx'];
  const webUnit = webServerOf(setup.layout, recorded ?? 'nginx').unit;
  let seen: WebServer | undefined;
  const frontEnd = (server: string | undefined): WebServer | undefined => {
    const f = frontEndFrom(server !== undefined ? { server } : undefined, seen ?? recorded);
    if (server !== undefined && f) seen = f;
    return f;
  };
  const other = (server: string | undefined) => {
    const f = frontEnd(server);
    return f && f !== 'nginx'
      ? proxyFixes(f, setup.layout, {
          basePath: publicUrl ? new URL(publicUrl).pathname.replace(/\/+$/, '') : '',
          ...(setup.nginx?.mode ? { mode: setup.nginx.mode } : {}),
          upstream: listenBase(setup.listen ?? DEFAULT_LISTEN),
        })
      : undefined;
  };
  defs.push({
    id: 'public.dns',
    title: 'Public name',
    async run(ctx) {
      if (!publicUrl)
        return fail(
          'no public URL known (no state file from spreed-setup setup)',
          'pass --url https://HOST/standalone-signaling',
        );
      let u: URL;
      try {
        u = new URL(publicUrl);
      } catch {
        return fail(`--url ${publicUrl} is not a URL`, 'pass --url https://HOST/standalone-signaling');
      }
      const host = u.hostname.replace(/^\[|\]$/g, '');
      if (net.isIP(host)) return pass(`${host} is an IP address`);
      const r = await io.resolveDns(host, { timeoutMs: ctx.left() });
      if (r.ok) return pass(`${host} resolves to ${r.addresses.join(', ')}`);
      return fail(
        `${host} does not resolve (${r.code})`,
        `add a DNS A/AAAA record for ${host} pointing at this server`,
      );
    },
  });

  defs.push({
    id: 'public.tls',
    title: 'Certificate',
    needs: ['public.dns'],
    timeoutFix: `the HTTPS port accepts connections but never completes a TLS handshake: is ${webName} (with ssl) listening there?`,
    async run(ctx) {
      const u = new URL(publicUrl!);
      if (u.protocol !== 'https:')
        return warn(
          `${publicUrl} is plain HTTP: browsers need wss:// for Talk`,
          `serve it over HTTPS (the ${webName} site spreed-setup writes does)`,
        );
      const r = await io.tlsCertificate(publicUrl!, tlsOpts(ctx));
      if (!r.ok) {
        if (/ECONNREFUSED/.test(r.message))
          return fail(
            `nothing listening at ${u.host} (connection refused)`,
            `start ${webName} (systemctl start ${webUnit}) and open port ${u.port || 443} in the firewall`,
          );
        return fail(
          `TLS handshake with ${u.host} failed: ${r.message}`,
          recorded && recorded !== 'nginx'
            ? `check that ${webName} serves HTTPS on that port`
            : 'check that nginx serves HTTPS (listen … ssl) on that port',
        );
      }
      const c = r.cert;
      const now = Date.now();
      const grade = inputs.tls.insecure ? warn : fail;
      const subject = c.subject
        ? ` (CN=${c.subject}${c.issuer && c.issuer !== c.subject ? `, issued by ${c.issuer}` : ''})`
        : '';
      if (c.validTo && c.validTo.getTime() < now) {
        return grade(
          `certificate expired on ${c.validTo.toISOString().slice(0, 10)}${subject}`,
          `renew it (certbot renew), then systemctl reload nginx`,
        );
      }
      if (c.validFrom && c.validFrom.getTime() > now)
        return grade(
          `certificate not valid before ${c.validFrom.toISOString()}${subject}`,
          "check this host's clock (timedatectl)",
        );
      if (c.hostnameError)
        return grade(
          `certificate not valid for ${u.hostname}: ${c.hostnameError}`,
          `get a certificate that names ${u.hostname}: certbot certonly --webroot -w /var/www/html -d ${u.hostname}`,
        );
      if (!c.authorized) {
        if (c.selfSigned) {
          return grade(
            `self-signed certificate${subject}: browsers and Nextcloud refuse it`,
            `get one from a public CA: certbot certonly --webroot -w /var/www/html -d ${u.hostname} (or pass --ca FILE if you run your own CA)`,
          );
        }
        if (c.error === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || c.error === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY') {
          return grade(
            `certificate chain incomplete or from an unknown CA (${c.error})${subject}`,
            'point ssl_certificate at fullchain.pem (not cert.pem), or pass --ca FILE for a private CA',
          );
        }
        return grade(
          `certificate not trusted (${c.error ?? 'unknown reason'})${subject}`,
          'install a certificate from a public CA (certbot), or pass --ca FILE',
        );
      }
      const days = c.validTo ? Math.floor((c.validTo.getTime() - now) / 86_400_000) : undefined;
      if (days !== undefined && days < CERT_WARN_DAYS) {
        return warn(
          `certificate expires in ${days} day(s) (${c.validTo!.toISOString().slice(0, 10)})${subject}`,
          'renew it: certbot renew (and check its timer: systemctl list-timers)',
        );
      }
      return pass(`valid for ${u.hostname}${days !== undefined ? `, ${days} days left` : ''}${subject}`);
    },
  });

  const proxyDown =
    `start the signaling server (systemctl start ${unit}) and check that the ${webName} upstream matches [http] listen ${setup.listen ?? ''}`.trim();
  defs.push({
    id: 'public.welcome',
    title: 'Welcome via proxy',
    needs: ['public.tls'],
    timeoutFix: `${webName} accepts but never answers: check its error log and proxy timeouts`,
    async run(ctx) {
      const where = `${publicUrl}/api/v1/welcome`;
      const w = await io.welcome(publicUrl!, tlsOpts(ctx));
      if (!w.ok) {
        const n = noAnswer(w, hostOf(publicUrl!));
        return fail(
          n.detail,
          n.kind === 'refused'
            ? `start ${webName} (systemctl start ${webUnit}) and open the HTTPS port in the firewall`
            : `check ${webName} and the firewall`,
        );
      }
      const json = w.json as { 'nextcloud-spreed-signaling'?: unknown } | undefined;
      if (w.status === 200 && json?.['nextcloud-spreed-signaling'] === 'Welcome')
        return pass(`${where} answers through the proxy`);
      const fe = w.status === 404 ? other(w.headers.server) : undefined;
      if (fe && isGo404(w.body))
        return fail(
          `${fe.prefix}${fe.notStripped.cause}: 404 from the signaling server for ${where}`,
          fe.notStripped.fix,
        );
      if (fe)
        return fail(
          `${fe.prefix}404 for ${where}: nothing there proxies ${new URL(publicUrl!).pathname}/ to the signaling server`,
          fe.noWebsocketLocation.fix,
        );
      if (w.status === 404 && isGo404(w.body)) {
        return fail(
          `404 from the signaling server for ${where}: the proxy forwards the wrong path (proxy_pass without the trailing slash keeps the prefix)`,
          `in ${siteFile}: location ${new URL(publicUrl!).pathname}/ { proxy_pass http://UPSTREAM/; } (both trailing slashes), then systemctl reload nginx`,
        );
      }
      if (w.status === 404) {
        return fail(
          `404 from nginx for ${where}: no location for ${new URL(publicUrl!).pathname}/ in the server block that answers`,
          `include the spreed-signaling site or snippet in the server block for ${new URL(publicUrl!).hostname}, then systemctl reload nginx`,
        );
      }
      if (w.status === 502 || w.status === 504 || w.status === 503) {
        return fail(
          `HTTP ${w.status} from the proxy: the signaling server behind it is down or listens elsewhere`,
          proxyDown,
        );
      }
      return fail(
        `HTTP ${w.status} for ${where}${isNginxPage(w.body) ? ' (nginx page)' : ''}, not the server's welcome`,
        `check the location ${new URL(publicUrl!).pathname}/ in ${siteFile}`,
      );
    },
  });

  defs.push({
    id: 'public.route',
    title: 'Websocket route',
    needs: ['public.tls'],
    async run(ctx) {
      const where = `${publicUrl}/spreed`;
      const r = await io.request(where, { method: 'GET', headers: {}, ...tlsOpts(ctx) });
      if (!r.ok) {
        const n = noAnswer(r, hostOf(publicUrl!));
        return fail(n.detail, `check ${webName} and the firewall`);
      }
      if (r.status === 400 && r.headers['sec-websocket-version'])
        return pass(`${where} reaches the server (400 with Sec-Websocket-Version, as without an upgrade)`);
      const fe = r.status === 404 ? other(r.headers.server) : undefined;
      if (fe && isGo404(r.body))
        return fail(
          `${fe.prefix}${fe.notStripped.cause}: 404 from the signaling server for ${where}`,
          fe.notStripped.fix,
        );
      if (fe) return fail(`${fe.prefix}${fe.noWebsocketLocation.cause}: 404 for ${where}`, fe.noWebsocketLocation.fix);
      if (r.status === 404 && isGo404(r.body)) {
        return fail(
          `404 from the signaling server for ${where}: the /spreed location forwards the wrong path`,
          `in ${siteFile}: location ${new URL(publicUrl!).pathname}/spreed { proxy_pass http://UPSTREAM/spreed; }, then systemctl reload nginx`,
        );
      }
      if (r.status === 404)
        return fail(
          `404 from nginx for ${where}: no location for ${new URL(publicUrl!).pathname}/spreed`,
          `add the /spreed location (spreed-setup setup writes it) and reload nginx`,
        );
      if (r.status === 502 || r.status === 503 || r.status === 504)
        return fail(`HTTP ${r.status} from the proxy for ${where}: the signaling server behind it is down`, proxyDown);
      return fail(
        `HTTP ${r.status} for ${where}, expected 400 from the signaling server`,
        `check the location ${new URL(publicUrl!).pathname}/spreed in ${siteFile}`,
      );
    },
  });

  const upgradeFix = `in ${siteFile}, location …/spreed: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "Upgrade"; then systemctl reload nginx`;
  defs.push({
    id: 'public.upgrade',
    title: 'Websocket upgrade',
    needs: ['public.route'],
    async run(ctx) {
      const ws = wsUrlOf(publicUrl!);
      const r = await io.websocketUpgrade(ws, tlsOpts(ctx));
      if (r.ok) return pass(`${ws}: 101 Switching Protocols`);
      if (r.code === 'upgrade_failed') {
        const fe = r.status === 400 || r.status === 404 ? other(r.server) : undefined;
        if (fe && r.status === 400)
          return fail(`${fe.prefix}${fe.noUpgrade.cause} (${ws}: 400 instead of 101)`, fe.noUpgrade.fix);
        if (fe)
          return fail(
            `${fe.prefix}${fe.noWebsocketLocation.cause} (${ws}: 404 on the upgrade)`,
            fe.noWebsocketLocation.fix,
          );
        if (r.status === 400)
          return fail(`${ws}: 400 instead of 101: the proxy drops the Upgrade/Connection headers`, upgradeFix);
        if (r.status === 404)
          return fail(
            `${ws}: 404 on the upgrade: wrong proxy path for /spreed`,
            `in ${siteFile}: location ${new URL(publicUrl!).pathname}/spreed { proxy_pass http://UPSTREAM/spreed; }`,
          );
        if (r.status === 502 || r.status === 504)
          return fail(`${ws}: ${r.status}: the signaling server behind the proxy is down`, proxyDown);
        return fail(`${ws}: HTTP ${r.status} instead of 101`, upgradeFix);
      }
      return fail(`${ws}: ${r.message}`, `check ${webName} and the firewall`);
    },
  });

  // Internal-client hello over the public websocket.
  defs.push({
    id: 'hello',
    title: 'Internal hello',
    needs: ['public.upgrade'],
    timeoutFix:
      'no answer to the hello: right after failed attempts the server throttles this host (too_many_requests); wait a minute and run again',
    async run(ctx) {
      const secret = setup.secrets.get('internalsecret');
      const env = setup.secretsFromEnv.get('internalsecret');
      if (env)
        return skip(
          `skipped: [clients] internalsecret is ${fromEnvironmentText(env.names)}, which this check cannot see`,
        );
      if (!secret) return skip('skipped: no [clients] internalsecret to sign with');
      if (setup.backends.length === 0) return skip('skipped: no backend URL to name in the hello');
      const ws = wsUrlOf(publicUrl!);
      const okFor: string[] = [];
      // One backend after the other, stopping at the first refusal: the server throttles failures.
      for (const b of setup.backends) {
        const url = b.urls[0]!;
        const h = await io.internalHello(ws, { secret, backend: url, ...tlsOpts(ctx) });
        if (h.ok) {
          okFor.push(url);
          continue;
        }
        switch (h.code) {
          case 'invalid_token':
            return fail(
              `invalid_token: the running server's [clients] internalsecret is not server.conf's`,
              `${restartFix}; if that does not help, another config file is in use (systemctl cat ${unit})`,
            );
          case 'invalid_backend':
            return fail(
              `invalid_backend: the running server has no backend for ${url} (scheme, host case, port and path must match its url exactly)`,
              `make [${b.id}] url exactly Nextcloud's base URL (lower-case host, same scheme), then ${restartFix.split(': ')[1]}`,
            );
          case 'invalid_client_type':
            return fail(
              'invalid_client_type: the running server refuses internal clients ([clients] internalsecret empty when it started)',
              restartFix,
            );
          case 'too_many_requests':
            return fail(
              'too_many_requests: the server throttles this host after failed attempts',
              'wait a minute, fix the earlier failure, and run again',
            );
          case 'timeout':
            return fail(
              `no answer to the hello within the time limit`,
              'the server may be throttling this host after failed attempts: wait a minute and run again',
            );
          default:
            if (h.code.startsWith('upgrade_failed:')) {
              const fe = other(undefined);
              return fail(
                `${fe?.prefix ?? ''}websocket upgrade refused (${h.code.split(':')[1]})`,
                fe?.noUpgrade.fix ?? upgradeFix,
              );
            }
            return fail(`hello refused: ${h.code}${h.message ? ` (${h.message})` : ''}`, restartFix);
        }
      }
      return pass(
        `session established for ${okFor.join(', ')}: websocket path, internal secret and backend URL accepted`,
      );
    },
  });
  return defs;
}
