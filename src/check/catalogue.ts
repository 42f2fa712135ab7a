// The catalogue of checks: each proves one link of the High Performance Backend and, when the link
// is broken, names the cause (facts sheet section 8) with a one-line fix. Probes live in
// src/probe/; the runner schedules these definitions in parallel.
import dns from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { getValue, splitList } from '../goconf/parse.js';
import { nextcloudUrlProblem } from '../model/deployment.js';
import { compareVersions, formatVersion, parseVersion, type Version } from '../model/versions.js';
import { BLOCKKEY, HASHKEY, PUBLIC_PLACEHOLDERS } from '../secrets/secrets.js';
import { versionFromFeatures } from '../detect/version.js';
import { findServerPid, nginxParticipants, parseNginxLimits, parseNofile, serverParticipants } from './capacity.js';
import { execaOcc, normalizeTalkServerUrl, occComplaint, parseSignalingList, type OccExec } from './occ.js';
import { httpRequest, ProbeError, type TlsOptions } from '../probe/http.js';
import { janusInfo } from '../probe/janus.js';
import { natsInfo } from '../probe/nats.js';
import { fetchCapabilities, probeNextcloudSecret } from '../probe/nextcloud.js';
import { fetchWelcome, internalHello, signedRoomRequest, websocketUpgrade } from '../probe/signaling.js';
import { tlsCertificate } from '../probe/tls.js';
import type { CheckDef, CheckContext, Outcome } from './runner.js';
import type { CheckSetup } from './setup.js';
import { judgeFeatures, UPDATE_FIX } from './talk.js';
import { backendUrlCovers } from './backendUrl.js';

export interface CheckInputs {
  setup: CheckSetup;
  /** Public base URL (https://HOST/standalone-signaling): --url, else from the state file. */
  publicUrl?: string;
  /** Trust for the public URL: --ca (PEM) or --insecure. */
  tls: { ca?: Buffer; insecure: boolean };
  /** occ command words (--occ), when given. */
  occ?: string[];
  occExec?: OccExec;
  /** nginx.conf to read worker limits from (already resolved under --root). */
  nginxConf?: string;
  /** Participants below this count give a capacity warning. */
  minParticipants?: number;
}

const CLOCK_SKEW_LIMIT_S = 45;
const CERT_WARN_DAYS = 14;

const pass = (detail: string, data?: Record<string, unknown>): Outcome => ({ status: 'pass', detail, ...(data ? { data } : {}) });
const warn = (detail: string, fix: string, data?: Record<string, unknown>): Outcome => ({ status: 'warn', detail, fix, ...(data ? { data } : {}) });
const fail = (detail: string, fix: string, data?: Record<string, unknown>): Outcome => ({ status: 'fail', detail, fix, ...(data ? { data } : {}) });
const skip = (detail: string): Outcome => ({ status: 'skip', detail });

/** Where to reach a listen address from this host (0.0.0.0 / :: / empty -> loopback). */
function localAddress(listen: string): string {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '');
  const port = listen.slice(i + 1);
  const reach = host === '' || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : net.isIPv6(host) ? `[${host}]` : host;
  return `${reach}:${port}`;
}

function wsUrlOf(publicUrl: string): string {
  return publicUrl.replace(/^http/, 'ws').replace(/\/+$/, '') + '/spreed';
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** Describes a probe that got no HTTP answer. */
function noAnswer(err: unknown, where: string): { detail: string; kind: string } {
  if (err instanceof ProbeError) {
    if (err.code === 'connect_failed' && /ECONNREFUSED/.test(err.message)) return { detail: `nothing listening at ${where} (connection refused)`, kind: 'refused' };
    if (err.code === 'connect_failed' && /ENOTFOUND|EAI_AGAIN/.test(err.message)) return { detail: `${where}: host name does not resolve`, kind: 'dns' };
    if (err.code === 'timeout') return { detail: `${where} accepts connections but never answers`, kind: 'timeout' };
    if (err.code === 'tls_failed') return { detail: `TLS to ${where} failed: ${err.message}`, kind: 'tls' };
    return { detail: `${where}: ${err.message}`, kind: err.code };
  }
  return { detail: `${where}: ${(err as Error)?.message ?? String(err)}`, kind: 'error' };
}

/** Go's net/http 404 body: the request reached the signaling server, on a path it does not serve. */
const isGo404 = (body: string) => /^404 page not found/.test(body.trim());
const isNginxPage = (body: string) => /<center>nginx/i.test(body);

export function buildCatalogue(inputs: CheckInputs): CheckDef[] {
  const { setup } = inputs;
  const unit = setup.layout.unit;
  const restartFix = `restart the signaling server so it reads server.conf again: systemctl restart ${unit}`;
  const tlsOpts = (ctx: CheckContext): TlsOptions => ({
    ...(inputs.tls.ca !== undefined ? { ca: inputs.tls.ca } : {}),
    insecure: inputs.tls.insecure,
    timeoutMs: ctx.left(),
  });
  const skipVerify = setup.doc ? getValue(setup.doc, 'backend', 'skipverify') === 'true' : false;
  const publicUrl = inputs.publicUrl?.replace(/\/+$/, '');
  const siteFile = setup.layout.nginx.sitePath;
  const defs: CheckDef[] = [];

  /** Version of the installed server: the running one, else what setup rendered for. */
  const serverVersion = async (ctx: CheckContext): Promise<{ version?: Version; source: string }> => {
    const local = await ctx.outcome('server');
    const v = local?.data?.version as Version | undefined;
    if (v) return { version: v, source: 'the running server' };
    const rendered = parseVersion(setup.renderedFor);
    if (rendered) return { version: rendered, source: 'server.conf header' };
    return { source: 'unknown' };
  };

  // 1. Config ---------------------------------------------------------------------------------
  defs.push({
    id: 'config',
    title: 'Config',
    async run(ctx) {
      if (!setup.doc) return fail(`${setup.configPath} ${setup.parseError ?? 'does not parse'}`, 'correct that line (the server cannot start with it), or run spreed-setup setup');
      const doc = setup.doc;
      const problems: { detail: string; fix: string }[] = [];
      const warnings: { detail: string; fix: string }[] = [];
      for (const p of setup.reading?.problems ?? []) problems.push({ detail: p, fix: 'correct it in server.conf, or run spreed-setup setup' });
      for (const [name, section, key] of [['hashkey', 'sessions', 'hashkey'], ['blockkey', 'sessions', 'blockkey'], ['internalsecret', 'clients', 'internalsecret']] as const) {
        const v = setup.secrets.get(name);
        if (v === undefined || v.trim() === '') {
          problems.push({
            detail: name === 'internalsecret' ? '[clients] internalsecret is empty: internal clients get invalid_client_type' : `[${section}] ${key} is missing`,
            fix: `spreed-setup setup --rotate ${name} --yes (generates it), then ${restartFix.split(': ')[1]}`,
          });
          continue;
        }
        if (PUBLIC_PLACEHOLDERS.has(v.trim())) {
          problems.push({ detail: `[${section}] ${key} still holds the upstream template's public placeholder`, fix: `spreed-setup setup --rotate ${name} --yes (a private random value), then restart the server` });
          continue;
        }
        const spec = name === 'hashkey' ? HASHKEY : name === 'blockkey' ? BLOCKKEY : undefined;
        const lengthProblem = spec?.check(v);
        if (lengthProblem) {
          (name === 'blockkey' ? problems : warnings).push({ detail: `[${section}] ${key} ${lengthProblem}`, fix: `spreed-setup setup --rotate ${name} --yes` });
        }
      }
      const { version, source } = await serverVersion(ctx);
      const at = (x: string) => version !== undefined && compareVersions(version, parseVersion(x)!) >= 0;
      const vText = version ? `${formatVersion(version)} (${source})` : undefined;
      const ids = splitList(getValue(doc, 'backend', 'backends')).map((s) => s.toLowerCase());
      const common = getValue(doc, 'backend', 'secret');
      if (ids.length === 0 && getValue(doc, 'backend', 'allowall') !== 'true') {
        problems.push({ detail: '[backend] backends names no backend: every client gets invalid_backend', fix: 'spreed-setup setup --nextcloud https://cloud.example.org --yes' });
      }
      for (const id of ids) {
        const urls = getValue(doc, id, 'urls');
        const url = getValue(doc, id, 'url');
        const secret = getValue(doc, id, 'secret');
        if (!doc.sections.has(id) || (!urls && !url)) {
          problems.push({ detail: `backend "${id}" has no section or no url: the server logs "Backend ${id} is missing or incomplete, skipping"`, fix: `add [${id}] with url = <Nextcloud base URL> and secret, or run spreed-setup setup` });
          continue;
        }
        if (urls && !url && version && !at('2.0.4')) {
          problems.push({ detail: `[${id}] urls is read only from 2.0.4; server ${vText} ignores it, so the backend is incomplete`, fix: `write url = ${splitList(urls)[0]} instead (spreed-setup setup renders it for the installed version)` });
        }
        if (!secret && (!common || (version && !at('1.2.0')))) {
          problems.push({ detail: `[${id}] has no secret${common ? ` (the common [backend] secret is used only from 1.2.0; server ${vText})` : ''}`, fix: `add secret = … to [${id}] (spreed-setup setup generates one)` });
        }
        for (const u of splitList(urls ?? url)) {
          const bad = nextcloudUrlProblem(u);
          if (bad) problems.push({ detail: `[${id}] url ${u} ${bad}`, fix: `set [${id}] url to Nextcloud's base URL (as in its overwrite.cli.url)` });
          const host = /^[a-z]+:\/\/([^/:?#]+)/i.exec(u)?.[1];
          if (host && host !== host.toLowerCase()) {
            warnings.push({ detail: `[${id}] url ${u}: the server compares host names case-sensitively, and Nextcloud sends "${host.toLowerCase()}"`, fix: `write the host in lower case: ${u.replace(host, host.toLowerCase())}` });
          }
        }
      }
      const natsUrl = getValue(doc, 'nats', 'url');
      if (natsUrl !== undefined && version) {
        const list = splitList(natsUrl);
        if (!at('1.0.0') && list.some((u) => /^nats:\/\/loopback\/?$/i.test(u))) {
          problems.push({ detail: `[nats] url = ${natsUrl}: server ${vText} resolves "loopback" as a host name and hangs`, fix: 'write url = :loopback: for 0.4.1 (or install 2.0 or newer)' });
        } else if (at('1.0.0') && list.includes(':loopback:')) {
          warnings.push({ detail: `[nats] url = :loopback: is 0.4.1's spelling; server ${vText} uses nats://loopback`, fix: 'write url = nats://loopback' });
        }
      }
      for (const w of setup.reading?.notices ?? []) if (/allowall/.test(w)) warnings.push({ detail: w, fix: 'set [backend] allowall = false outside development' });
      if (problems.length) {
        const more = problems.length + warnings.length > 1 ? ` (+${problems.length + warnings.length - 1} more: ${[...problems, ...warnings].slice(1).map((p) => p.detail).join('; ')})` : '';
        return fail(problems[0]!.detail + more, problems[0]!.fix);
      }
      if (warnings.length) return warn(warnings.map((w) => w.detail).join('; '), warnings[0]!.fix);
      return pass(`${setup.configPath} parses as the server reads it; keys valid; ${ids.length} backend(s) complete${vText ? ` for ${vText}` : ''}`);
    },
  });

  // 2. Local server ---------------------------------------------------------------------------
  const localBase = setup.listen ? `http://${localAddress(setup.listen)}` : undefined;
  defs.push({
    id: 'server',
    title: 'Local server',
    timeoutFix: `the server accepts connections on ${setup.listen ?? '[http] listen'} but does not answer: ${restartFix}`,
    async run(ctx) {
      if (!localBase) return fail('server.conf has no [http] listen address: nginx has nothing to forward to', 'add [http] listen = 127.0.0.1:8080, or run spreed-setup setup');
      let w;
      try {
        w = await fetchWelcome(localBase, { timeoutMs: ctx.left() });
      } catch (err) {
        const n = noAnswer(err, localBase);
        return fail(
          `signaling server not running: ${n.detail}`,
          n.kind === 'refused'
            ? `start it: systemctl start ${unit} (journalctl -u ${unit} says why it stopped; it opens its port only after NATS and Janus answer)`
            : restartFix,
        );
      }
      const json = w.json as { 'nextcloud-spreed-signaling'?: unknown; version?: unknown } | undefined;
      if (w.status !== 200 || json?.['nextcloud-spreed-signaling'] !== 'Welcome') {
        return fail(`${localBase} answers HTTP ${w.status} but not as the signaling server: another program holds [http] listen ${setup.listen}`, `stop that program or choose another [http] listen port (and the nginx upstream with it)`);
      }
      const reported = typeof json.version === 'string' ? json.version : 'unknown';
      const version = parseVersion(reported) ?? parseVersion(versionFromFeatures(w.features))!;
      const versionText = parseVersion(reported) ? reported : `"${reported}" (features say ${formatVersion(version)} or newer)`;
      const data = { features: w.features, version, reported, date: w.date };
      if (w.date) {
        const skew = Math.round((Date.parse(w.date) - Date.now()) / 1000);
        if (Math.abs(skew) > CLOCK_SKEW_LIMIT_S) {
          return fail(`server's clock is ${skew} s off this host's (Date header)`, 'synchronise the clocks: timedatectl set-ntp true', data);
        }
      }
      return pass(`welcome on ${setup.listen}; version ${versionText}; features: ${w.features.join(', ') || 'none'}`, data);
    },
  });

  // Version verdict: what Talk on the Nextcloud it serves would say.
  defs.push({
    id: 'server.talk',
    title: 'Version for Talk',
    needs: ['server'],
    async run(ctx) {
      const local = (await ctx.outcome('server'))!;
      const features = (local.data?.features as string[]) ?? [];
      const reported = String(local.data?.reported ?? 'unknown');
      const ncs = await Promise.all(setup.backends.map((b) => ctx.outcome(`backend.${b.id}.nextcloud`)));
      const majors = ncs.map((o) => o?.data?.major).filter((m): m is number => typeof m === 'number');
      const major = majors.length ? Math.max(...majors) : undefined;
      const verdict = judgeFeatures(features, major);
      const serverDate = local.data?.date as string | undefined;
      for (const o of ncs) {
        const ncDate = o?.data?.date as string | undefined;
        if (serverDate && ncDate) {
          const skew = Math.round((Date.parse(ncDate) - Date.parse(serverDate)) / 1000);
          if (Math.abs(skew) > CLOCK_SKEW_LIMIT_S) {
            return fail(`Nextcloud's clock and the signaling server's differ by ${skew} s (Talk flags more than ${CLOCK_SKEW_LIMIT_S} s; hello v2 tokens fail)`, 'synchronise both clocks: timedatectl set-ntp true on each host');
          }
        }
      }
      if (verdict.missingRequired.length) {
        const lacks = verdict.missingRequired.join(', ');
        if (major !== undefined) {
          return fail(`UPDATE_REQUIRED: Talk on Nextcloud ${major} needs ${lacks}, which server ${reported} lacks`, UPDATE_FIX);
        }
        return warn(`Nextcloud's version is unknown (its capabilities were not read); Talk on Nextcloud 30 or newer would show UPDATE_REQUIRED: server ${reported} lacks ${lacks}`, UPDATE_FIX);
      }
      const opt = verdict.missingOptional.length ? `; optional features missing: ${verdict.missingOptional.join(', ')}` : '';
      return pass(`${major !== undefined ? `Talk on Nextcloud ${major}` : "Current Talk (Nextcloud's version unknown)"} accepts server ${reported}: all required features present${opt}`);
    },
  });

  // 3. NATS and Janus ------------------------------------------------------------------------
  defs.push({
    id: 'nats',
    title: 'NATS',
    timeoutFix: 'something answers on the NATS port but never sends INFO: is it NATS? restart nats-server',
    async run(ctx) {
      const nats = setup.nats;
      if (!nats) return skip('skipped: server.conf not readable');
      if (nats.mode === 'loopback') return skip('in-process NATS (loopback): nothing to probe');
      const urls = nats.mode === 'local' ? [nats.url ?? 'nats://127.0.0.1:4222'] : nats.urls;
      const results = await Promise.all(urls.map((u) => natsInfo(u, { timeoutMs: ctx.left() })));
      const bad = results.map((r, i) => ({ r, u: urls[i]! })).filter((x) => !x.r.ok);
      if (bad.length) {
        const first = bad[0]!;
        const msg = (first.r as { message: string }).message;
        const refused = /ECONNREFUSED/.test(msg);
        return fail(
          `NATS ${refused ? 'not running' : 'not answering'} at ${first.u}: ${msg}${bad.length < urls.length ? ` (${urls.length - bad.length} of ${urls.length} answer)` : ''}`,
          `start it: systemctl start nats-server (the signaling server does not open its port until NATS answers), or use in-process NATS: spreed-setup setup --nats loopback`,
        );
      }
      return pass(`INFO from ${urls.join(', ')}`);
    },
  });

  defs.push({
    id: 'janus',
    title: 'Janus',
    timeoutFix: 'Janus accepts connections but never answers: restart janus',
    async run(ctx) {
      const mcu = setup.mcu;
      if (!mcu || mcu.type === 'none') return skip('no MCU configured: calls run peer-to-peer');
      if (mcu.type === 'proxy') return skip('MCU proxy mode: the proxies are not probed');
      const url = mcu.url ?? 'ws://127.0.0.1:8188';
      const info = await janusInfo(url, { timeoutMs: ctx.left() });
      if (!info.ok) {
        const refused = /ECONNREFUSED/.test(info.message);
        return fail(
          `Janus ${refused ? 'not running' : 'not answering'} at ${url}: ${info.message}`,
          `start it: systemctl start janus, with the websockets transport on that port (janus.transport.websockets.jcfg: ws = true, ws_port); [mcu] url must match`,
        );
      }
      const local = await ctx.outcome('server');
      const features = local?.status === 'pass' || local?.status === 'warn' ? ((local.data?.features as string[]) ?? []) : undefined;
      const version = typeof info.info.version_string === 'string' ? info.info.version_string : '?';
      if (features && !features.includes('mcu')) {
        return fail(`Janus ${version} answers at ${url}, but the server's features lack "mcu": it runs without Janus`, `${restartFix} (after Janus is up)`);
      }
      return pass(`Janus ${version} answers at ${url}${features ? '; the server reports "mcu"' : ''}`);
    },
  });

  // 4. Public URL through the proxy ----------------------------------------------------------
  defs.push({
    id: 'public.dns',
    title: 'Public name',
    async run(ctx) {
      if (!publicUrl) return fail('no public URL known (no state file from spreed-setup setup)', 'pass --url https://HOST/standalone-signaling');
      let u: URL;
      try {
        u = new URL(publicUrl);
      } catch {
        return fail(`--url ${publicUrl} is not a URL`, 'pass --url https://HOST/standalone-signaling');
      }
      const host = u.hostname.replace(/^\[|\]$/g, '');
      if (net.isIP(host)) return pass(`${host} is an IP address`);
      try {
        const addrs = await Promise.race([
          dns.lookup(host, { all: true }),
          new Promise<never>((_, rej) => setTimeout(() => rej(Object.assign(new Error('lookup timed out'), { code: 'ETIMEOUT' })), ctx.left()).unref()),
        ]);
        return pass(`${host} resolves to ${addrs.map((a) => a.address).join(', ')}`);
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'error';
        return fail(`${host} does not resolve (${code})`, `add a DNS A/AAAA record for ${host} pointing at this server`);
      }
    },
  });

  defs.push({
    id: 'public.tls',
    title: 'Certificate',
    needs: ['public.dns'],
    timeoutFix: 'the HTTPS port accepts connections but never completes a TLS handshake: is nginx (with ssl) listening there?',
    async run(ctx) {
      const u = new URL(publicUrl!);
      if (u.protocol !== 'https:') return warn(`${publicUrl} is plain HTTP: browsers need wss:// for Talk`, 'serve it over HTTPS (the nginx site spreed-setup writes does)');
      const r = await tlsCertificate(publicUrl!, tlsOpts(ctx));
      if (!r.ok) {
        if (/ECONNREFUSED/.test(r.message)) return fail(`nothing listening at ${u.host} (connection refused)`, `start nginx (systemctl start nginx) and open port ${u.port || 443} in the firewall`);
        return fail(`TLS handshake with ${u.host} failed: ${r.message}`, 'check that nginx serves HTTPS (listen … ssl) on that port');
      }
      const c = r.cert;
      const now = Date.now();
      const grade = inputs.tls.insecure ? warn : fail;
      const subject = c.subject ? ` (CN=${c.subject}${c.issuer && c.issuer !== c.subject ? `, issued by ${c.issuer}` : ''})` : '';
      if (c.validTo && c.validTo.getTime() < now) {
        return grade(`certificate expired on ${c.validTo.toISOString().slice(0, 10)}${subject}`, `renew it (certbot renew), then systemctl reload nginx`);
      }
      if (c.validFrom && c.validFrom.getTime() > now) return grade(`certificate not valid before ${c.validFrom.toISOString()}${subject}`, "check this host's clock (timedatectl)");
      if (c.hostnameError) return grade(`certificate not valid for ${u.hostname}: ${c.hostnameError}`, `get a certificate that names ${u.hostname}: certbot certonly --webroot -w /var/www/html -d ${u.hostname}`);
      if (!c.authorized) {
        if (c.selfSigned) {
          return grade(`self-signed certificate${subject}: browsers and Nextcloud refuse it`, `get one from a public CA: certbot certonly --webroot -w /var/www/html -d ${u.hostname} (or pass --ca FILE if you run your own CA)`);
        }
        if (c.error === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || c.error === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY') {
          return grade(`certificate chain incomplete or from an unknown CA (${c.error})${subject}`, 'point ssl_certificate at fullchain.pem (not cert.pem), or pass --ca FILE for a private CA');
        }
        return grade(`certificate not trusted (${c.error ?? 'unknown reason'})${subject}`, 'install a certificate from a public CA (certbot), or pass --ca FILE');
      }
      const days = c.validTo ? Math.floor((c.validTo.getTime() - now) / 86_400_000) : undefined;
      if (days !== undefined && days < CERT_WARN_DAYS) {
        return warn(`certificate expires in ${days} day(s) (${c.validTo!.toISOString().slice(0, 10)})${subject}`, 'renew it: certbot renew (and check its timer: systemctl list-timers)');
      }
      return pass(`valid for ${u.hostname}${days !== undefined ? `, ${days} days left` : ''}${subject}`);
    },
  });

  const proxyDown = `start the signaling server (systemctl start ${unit}) and check that the nginx upstream matches [http] listen ${setup.listen ?? ''}`.trim();
  defs.push({
    id: 'public.welcome',
    title: 'Welcome via proxy',
    needs: ['public.tls'],
    timeoutFix: 'nginx accepts but never answers: check its error log and proxy timeouts',
    async run(ctx) {
      const where = `${publicUrl}/api/v1/welcome`;
      let w;
      try {
        w = await fetchWelcome(publicUrl!, tlsOpts(ctx));
      } catch (err) {
        const n = noAnswer(err, hostOf(publicUrl!));
        return fail(n.detail, n.kind === 'refused' ? 'start nginx (systemctl start nginx) and open the HTTPS port in the firewall' : 'check nginx and the firewall');
      }
      const json = w.json as { 'nextcloud-spreed-signaling'?: unknown } | undefined;
      if (w.status === 200 && json?.['nextcloud-spreed-signaling'] === 'Welcome') return pass(`${where} answers through the proxy`);
      if (w.status === 404 && isGo404(w.body)) {
        return fail(`404 from the signaling server for ${where}: the proxy forwards the wrong path (proxy_pass without the trailing slash keeps the prefix)`, `in ${siteFile}: location ${new URL(publicUrl!).pathname}/ { proxy_pass http://UPSTREAM/; } (both trailing slashes), then systemctl reload nginx`);
      }
      if (w.status === 404) {
        return fail(`404 from nginx for ${where}: no location for ${new URL(publicUrl!).pathname}/ in the server block that answers`, `include the spreed-signaling site or snippet in the server block for ${new URL(publicUrl!).hostname}, then systemctl reload nginx`);
      }
      if (w.status === 502 || w.status === 504 || w.status === 503) {
        return fail(`HTTP ${w.status} from the proxy: the signaling server behind it is down or listens elsewhere`, proxyDown);
      }
      return fail(`HTTP ${w.status} for ${where}${isNginxPage(w.body) ? ' (nginx page)' : ''}, not the server's welcome`, `check the location ${new URL(publicUrl!).pathname}/ in ${siteFile}`);
    },
  });

  defs.push({
    id: 'public.route',
    title: 'Websocket route',
    needs: ['public.tls'],
    async run(ctx) {
      const where = `${publicUrl}/spreed`;
      let r;
      try {
        r = await httpRequest(where, { method: 'GET', headers: {}, ...tlsOpts(ctx) });
      } catch (err) {
        const n = noAnswer(err, hostOf(publicUrl!));
        return fail(n.detail, 'check nginx and the firewall');
      }
      if (r.status === 400 && r.headers['sec-websocket-version']) return pass(`${where} reaches the server (400 with Sec-Websocket-Version, as without an upgrade)`);
      if (r.status === 404 && isGo404(r.body)) {
        return fail(`404 from the signaling server for ${where}: the /spreed location forwards the wrong path`, `in ${siteFile}: location ${new URL(publicUrl!).pathname}/spreed { proxy_pass http://UPSTREAM/spreed; }, then systemctl reload nginx`);
      }
      if (r.status === 404) return fail(`404 from nginx for ${where}: no location for ${new URL(publicUrl!).pathname}/spreed`, `add the /spreed location (spreed-setup setup writes it) and reload nginx`);
      if (r.status === 502 || r.status === 503 || r.status === 504) return fail(`HTTP ${r.status} from the proxy for ${where}: the signaling server behind it is down`, proxyDown);
      return fail(`HTTP ${r.status} for ${where}, expected 400 from the signaling server`, `check the location ${new URL(publicUrl!).pathname}/spreed in ${siteFile}`);
    },
  });

  const upgradeFix = `in ${siteFile}, location …/spreed: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "Upgrade"; then systemctl reload nginx`;
  defs.push({
    id: 'public.upgrade',
    title: 'Websocket upgrade',
    needs: ['public.route'],
    async run(ctx) {
      const ws = wsUrlOf(publicUrl!);
      const r = await websocketUpgrade(ws, tlsOpts(ctx));
      if (r.ok) return pass(`${ws}: 101 Switching Protocols`);
      if (r.code === 'upgrade_failed') {
        if (r.status === 400) return fail(`${ws}: 400 instead of 101: the proxy drops the Upgrade/Connection headers`, upgradeFix);
        if (r.status === 404) return fail(`${ws}: 404 on the upgrade: wrong proxy path for /spreed`, `in ${siteFile}: location ${new URL(publicUrl!).pathname}/spreed { proxy_pass http://UPSTREAM/spreed; }`);
        if (r.status === 502 || r.status === 504) return fail(`${ws}: ${r.status}: the signaling server behind the proxy is down`, proxyDown);
        return fail(`${ws}: HTTP ${r.status} instead of 101`, upgradeFix);
      }
      return fail(`${ws}: ${r.message}`, 'check nginx and the firewall');
    },
  });

  // 5. Internal-client hello over the public websocket ---------------------------------------
  defs.push({
    id: 'hello',
    title: 'Internal hello',
    needs: ['public.upgrade'],
    timeoutFix: 'no answer to the hello: right after failed attempts the server throttles this host (too_many_requests); wait a minute and run again',
    async run(ctx) {
      const secret = setup.secrets.get('internalsecret');
      if (!secret) return skip('skipped: no [clients] internalsecret to sign with');
      if (setup.backends.length === 0) return skip('skipped: no backend URL to name in the hello');
      const ws = wsUrlOf(publicUrl!);
      const okFor: string[] = [];
      // One backend after the other, stopping at the first refusal: the server throttles failures.
      for (const b of setup.backends) {
        const url = b.urls[0]!;
        const h = await internalHello(ws, { secret, backend: url, ...tlsOpts(ctx) });
        if (h.ok) {
          okFor.push(url);
          continue;
        }
        switch (h.code) {
          case 'invalid_token':
            return fail(`invalid_token: the running server's [clients] internalsecret is not server.conf's`, `${restartFix}; if that does not help, another config file is in use (systemctl cat ${unit})`);
          case 'invalid_backend':
            return fail(
              `invalid_backend: the running server has no backend for ${url} (scheme, host case, port and path must match its url exactly)`,
              `make [${b.id}] url exactly Nextcloud's base URL (lower-case host, same scheme), then ${restartFix.split(': ')[1]}`,
            );
          case 'invalid_client_type':
            return fail('invalid_client_type: the running server refuses internal clients ([clients] internalsecret empty when it started)', restartFix);
          case 'too_many_requests':
            return fail('too_many_requests: the server throttles this host after failed attempts', 'wait a minute, fix the earlier failure, and run again');
          case 'timeout':
            return fail(`no answer to the hello within the time limit`, 'the server may be throttling this host after failed attempts: wait a minute and run again');
          default:
            if (h.code.startsWith('upgrade_failed:')) return fail(`websocket upgrade refused (${h.code.split(':')[1]})`, upgradeFix);
            return fail(`hello refused: ${h.code}${h.message ? ` (${h.message})` : ''}`, restartFix);
        }
      }
      return pass(`session established for ${okFor.join(', ')}: websocket path, internal secret and backend URL accepted`);
    },
  });

  // 6. Per backend ---------------------------------------------------------------------------
  for (const b of setup.backends) {
    const secret = setup.secrets.get(`backend-${b.id}`);
    const first = b.urls[0]!;
    defs.push({
      id: `backend.${b.id}.nextcloud`,
      title: `Nextcloud ${b.id}`,
      timeoutFix: `Nextcloud at ${first} accepts connections but does not answer in time: check it is up, and the firewall`,
      async run(ctx) {
        let r;
        try {
          r = await fetchCapabilities(first, { insecure: skipVerify, timeoutMs: ctx.left() });
        } catch (err) {
          const n = noAnswer(err, first);
          if (n.kind === 'tls') {
            return fail(`x509: this host does not trust ${first}'s certificate (${(err as Error).message})`, 'install its CA on this host (update-ca-certificates), or set [backend] skipverify = true for a self-signed Nextcloud');
          }
          return fail(`Nextcloud not reachable from this host: ${n.detail}`, `make ${hostOf(first)} reachable from here (firewall; with hairpin NAT an /etc/hosts entry for its internal address)`);
        }
        if (r.status >= 300 && r.status < 400) return fail(`${first} redirects (HTTP ${r.status}): the server does not follow redirects`, `set [${b.id}] url to Nextcloud's final base URL (its overwrite.cli.url)`);
        if (r.status === 404) return fail(`no Nextcloud capabilities at ${first} (404): not Nextcloud's base URL`, `set [${b.id}] url to Nextcloud's base URL (its overwrite.cli.url)`);
        if (r.status !== 200) return fail(`${first} answers HTTP ${r.status} for its capabilities`, 'check Nextcloud (maintenance mode? occ maintenance:mode --off)');
        if (!r.version) return fail(`${first} does not answer like Nextcloud (no version in its capabilities)`, `set [${b.id}] url to Nextcloud's base URL`);
        const data = { major: r.version.major, date: r.date };
        if (!r.spreed) return fail(`Nextcloud ${r.version.string} at ${first} has no Talk capabilities: Talk is not installed or not enabled`, 'occ app:install spreed (or occ app:enable spreed)', data);
        return pass(`Nextcloud ${r.version.string}, Talk ${r.spreed.version ?? '?'} reachable from this host`, data);
      },
    });

    defs.push({
      id: `backend.${b.id}.secret`,
      title: `Talk's secret ${b.id}`,
      needs: [`backend.${b.id}.nextcloud`],
      async run(ctx) {
        if (!secret) return fail(`no secret for backend ${b.id} in server.conf or secrets/backend-${b.id}`, `spreed-setup setup --rotate backend-${b.id} --yes, then spreed-setup register`);
        // Exactly one signed probe per backend and run: Nextcloud counts a mismatch as brute force.
        let r;
        try {
          r = await probeNextcloudSecret(first, { secret, insecure: skipVerify, timeoutMs: ctx.left() });
        } catch (err) {
          return fail(`probe to Talk's backend endpoint failed: ${noAnswer(err, first).detail}`, 'check Nextcloud and the firewall');
        }
        if (r.code === 'unknown_type') return pass(`Talk at ${first} accepts requests signed with backend-${b.id}'s secret`);
        if (r.code === 'invalid_request') {
          return fail(`invalid_request: Talk's signaling secret differs from [${b.id}] secret (Nextcloud counted one failed attempt from this host)`, `set Talk's secret to this backend's: spreed-setup register (or Talk's admin page, High-performance backend, Shared secret = content of secrets/backend-${b.id})`);
        }
        if (r.status === 429) return fail(`Nextcloud throttles this host (HTTP 429) after failed attempts`, 'wait, or on Nextcloud: occ security:bruteforce:reset <this host IP>');
        if (r.status === 404) return fail(`Talk's backend endpoint is missing at ${first} (404): Talk too old or not enabled`, 'occ app:enable spreed, and update Talk');
        return fail(`unexpected answer from Talk's backend endpoint: HTTP ${r.status}${r.code ? ` ${r.code}` : ''}`, 'check Nextcloud');
      },
    });

    defs.push({
      id: `backend.${b.id}.server`,
      title: `Server accepts ${b.id}`,
      needs: ['server'],
      async run(ctx) {
        if (!secret) return fail(`no secret for backend ${b.id}`, `spreed-setup setup --rotate backend-${b.id} --yes`);
        // One signed room request per URL, stopping at the first refusal (failures are throttled).
        for (const url of b.urls) {
          let r;
          try {
            r = await signedRoomRequest(localBase!, { backend: url, secret, timeoutMs: ctx.left() });
          } catch (err) {
            return fail(`signed room request failed: ${noAnswer(err, localBase!).detail}`, restartFix);
          }
          if (r.status === 403) {
            return fail(
              `403 Authentication check failed: the running server refuses requests for ${url} signed with [${b.id}] secret (it has another secret or URL loaded)`,
              `${restartFix}; the url must be exactly Nextcloud's base URL (overwrite.cli.url), the secret the same as Talk's`,
            );
          }
          if (r.status !== 400) return fail(`signed room request for ${url}: HTTP ${r.status}, expected 400 (accepted, nothing changed)`, restartFix);
        }
        return pass(`signed requests from ${b.urls.join(', ')} accepted (400 Unsupported request type: nothing changed)`);
      },
    });
  }

  // 7. Registration in Talk (occ) ------------------------------------------------------------
  defs.push({
    id: 'registration',
    title: 'Registration in Talk',
    timeoutFix: 'occ did not finish in time: run it by hand to see why (database, locks)',
    async run(ctx) {
      if (!inputs.occ || inputs.occ.length === 0) return skip('not checked: pass --occ "sudo -u www-data php /var/www/nextcloud/occ" to read Talk\'s settings');
      if (!publicUrl) return skip('skipped: no public URL to look for');
      const exec = inputs.occExec ?? execaOcc;
      const occ = inputs.occ;
      // Read-only and independent: all three at once (each occ start costs PHP's boot time).
      const [list, mode, cli] = await Promise.all([
        exec([...occ, 'talk:signaling:list', '--output=json', '--no-warnings'], ctx.left()),
        exec([...occ, 'config:app:get', 'spreed', 'signaling_mode', '--no-warnings'], ctx.left()),
        exec([...occ, 'config:system:get', 'overwrite.cli.url', '--no-warnings'], ctx.left()),
      ]);
      const occFix = 'run occ as the owner of config/config.php, e.g. --occ "sudo -u www-data php /var/www/nextcloud/occ"';
      if (list.notFound) return fail(`occ command not found: ${occ[0]}`, occFix);
      if (list.timedOut) return fail('occ talk:signaling:list did not finish in time', 'run it by hand to see why');
      if (list.exitCode !== 0) return fail(`occ talk:signaling:list failed: ${occComplaint(list)}`, occFix);
      const parsed = parseSignalingList(list.stdout);
      if (!parsed) return fail('occ talk:signaling:list printed no JSON', 'is Talk (spreed) enabled? occ app:enable spreed');
      const ours = normalizeTalkServerUrl(publicUrl);
      const listed = parsed.servers.map((s) => s.server);
      if (!parsed.servers.some((s) => normalizeTalkServerUrl(s.server) === ours)) {
        return fail(`Talk does not list ${publicUrl} (it lists: ${listed.length ? listed.join(', ') : 'nothing'})`, 'spreed-setup register');
      }
      const secrets = setup.backends.map((b) => setup.secrets.get(`backend-${b.id}`)).filter((s): s is string => !!s);
      if (parsed.secret !== undefined && secrets.length && !secrets.includes(parsed.secret)) {
        return fail("Talk's signaling secret (from occ) differs from the backend secret in server.conf", 'spreed-setup register (Talk keeps one secret for all servers)');
      }
      if (mode.exitCode === 0 && mode.stdout.trim() === 'internal') {
        return fail('signaling_mode = internal: Talk ignores every external signaling server', 'occ config:app:delete spreed signaling_mode --no-warnings');
      }
      // Nextcloud's own idea of its URL (cron and occ use it): the server must find a backend for it.
      const ncUrl = cli.exitCode === 0 ? cli.stdout.trim() : '';
      if (/^https?:\/\//i.test(ncUrl)) {
        const urls = setup.backends.flatMap((b) => b.urls);
        if (urls.length && !urls.some((u) => backendUrlCovers(u, ncUrl))) {
          return fail(
            `Nextcloud's overwrite.cli.url ${ncUrl} matches no backend url (${urls.join(', ')}): the server answers its requests with 403 (scheme, host case, port and path count)`,
            `add ${ncUrl.replace(/\/+$/, '')} to the backend's url(s) in server.conf (spreed-setup setup --nextcloud ${ncUrl.replace(/\/+$/, '')} --yes), then restart the server`,
          );
        }
      }
      const verify = parsed.servers.find((s) => normalizeTalkServerUrl(s.server) === ours)?.verify;
      return pass(`Talk lists ${publicUrl}${verify === false ? ' (certificate not verified)' : ''}; signaling mode ${mode.exitCode === 0 && mode.stdout.trim() ? mode.stdout.trim() : 'default'}`);
    },
  });

  // 8. Capacity ------------------------------------------------------------------------------
  defs.push({
    id: 'capacity',
    title: 'Capacity',
    async run() {
      const min = inputs.minParticipants ?? 500;
      const parts: string[] = [];
      const fixes: string[] = [];
      let n = Number.POSITIVE_INFINITY;
      const nginxConf = inputs.nginxConf ?? setup.target.path('/etc/nginx/nginx.conf');
      let nginxN: number | undefined;
      try {
        const limits = parseNginxLimits(readFileSync(nginxConf, 'utf8'));
        nginxN = nginxParticipants(limits);
        n = Math.min(n, nginxN);
        parts.push(`nginx ${limits.workerProcesses} × ${limits.workerConnections} connections → ${nginxN}`);
        if (nginxN < min) fixes.push(`in ${nginxConf}: events { worker_connections 4096; } and worker_rlimit_nofile 8192; then systemctl reload nginx`);
      } catch {
        parts.push(`nginx limits unknown (cannot read ${nginxConf})`);
      }
      // Under --root only a server started with that very file counts.
      const pid = findServerPid(setup.target.path(setup.configPath), { exactOnly: setup.target.root !== undefined });
      let serverN: number | undefined;
      if (pid !== undefined) {
        try {
          const nofile = parseNofile(readFileSync(`/proc/${pid}/limits`, 'utf8'));
          if (nofile !== undefined) {
            serverN = serverParticipants(nofile);
            n = Math.min(n, serverN);
            parts.push(`server open files ${nofile === Number.MAX_SAFE_INTEGER ? 'unlimited' : nofile} → ${serverN}`);
            if (serverN < min) fixes.push(`systemctl edit ${unit}: [Service] LimitNOFILE=65536, then restart it`);
          }
        } catch {
          /* not ours to read */
        }
      }
      if (serverN === undefined) parts.push('server open-files limit unknown (process not found)');
      if (nginxN === undefined && serverN === undefined) return warn(parts.join('; '), 'run check on the signaling host as root to read the limits');
      const detail = `about ${n} concurrent participants (${parts.join('; ')})`;
      if (n < min) return warn(detail, fixes[0] ?? 'raise the limits');
      if (nginxN === undefined || serverN === undefined) return warn(detail, 'run check on the signaling host as root to read both limits (or pass --nginx-conf PATH)');
      return pass(detail);
    },
  });

  return defs;
}
