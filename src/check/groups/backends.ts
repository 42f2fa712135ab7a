// Per backend, both directions: Nextcloud reachable from here and running Talk, Talk holding the
// backend's secret, and the running server accepting requests signed with it.
import type { CheckIO } from '../io.js';
import type { CheckDef } from '../runner.js';
import { hostOf, type GroupContext } from './context.js';
import { fromEnvironmentText } from '../../goconf/parse.js';
import { fail, noAnswer, pass, skip, warn } from './outcome.js';

/** An answer slower than this from Talk's tiny backend endpoint is Nextcloud's brute-force delay. */
const SLOW_ANSWER_MS = 1500;

/**
 * Nextcloud's brute-force protection, named with its fix. `ip`: this host's address as Nextcloud
 * saw the connection (behind NAT or a proxy outside trusted_proxies Nextcloud sees another one).
 */
function throttlingFix(ip: string | undefined): string {
  const addr = ip ?? '<this host IP>';
  return `on the Nextcloud host: occ security:bruteforce:reset ${addr} (${addr} is this host as Nextcloud sees it; occ security:bruteforce:attempts ${addr} talkSignalingSecret shows the count), then find what signs with a wrong secret (an old server.conf, another server)`;
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

export type BackendsIO = Pick<CheckIO, 'capabilities' | 'talkSecret' | 'roomRequest'>;

export function backendChecks(g: GroupContext<BackendsIO>): CheckDef[] {
  const { setup, io, restartFix, localBase, skipVerify } = g;
  const defs: CheckDef[] = [];
  for (const b of setup.backends) {
    const secret = setup.secrets.get(`backend-${b.id}`);
    const env = setup.secretsFromEnv.get(`backend-${b.id}`);
    /** The secret is in the server's environment, which this check cannot see: nothing to sign with. */
    const envSkip = env
      ? skip(`skipped: [${env.section}] secret is ${fromEnvironmentText(env.names)}, which this check cannot see`)
      : undefined;
    const first = b.urls[0]!;
    defs.push({
      id: `backend.${b.id}.nextcloud`,
      title: `Nextcloud ${b.id}`,
      timeoutFix: `Nextcloud at ${first} accepts connections but does not answer in time: check it is up, and the firewall`,
      async run(ctx) {
        const r = await io.capabilities(first, { insecure: skipVerify, timeoutMs: ctx.left() });
        if (!r.ok) {
          const n = noAnswer(r, first);
          if (n.kind === 'tls') {
            return fail(
              `x509: this host does not trust ${first}'s certificate (${r.message})`,
              'install its CA on this host (update-ca-certificates), or set [backend] skipverify = true for a self-signed Nextcloud',
            );
          }
          return fail(
            `Nextcloud not reachable from this host: ${n.detail}`,
            `make ${hostOf(first)} reachable from here (firewall; with hairpin NAT an /etc/hosts entry for its internal address)`,
          );
        }
        if (r.status >= 300 && r.status < 400)
          return fail(
            `${first} redirects (HTTP ${r.status}): the server does not follow redirects`,
            `set [${b.id}] url to Nextcloud's final base URL (its overwrite.cli.url)`,
          );
        if (r.status === 404)
          return fail(
            `no Nextcloud capabilities at ${first} (404): not Nextcloud's base URL`,
            `set [${b.id}] url to Nextcloud's base URL (its overwrite.cli.url)`,
          );
        if (r.status !== 200)
          return fail(
            `${first} answers HTTP ${r.status} for its capabilities`,
            'check Nextcloud (maintenance mode? occ maintenance:mode --off)',
          );
        if (!r.version)
          return fail(
            `${first} does not answer like Nextcloud (no version in its capabilities)`,
            `set [${b.id}] url to Nextcloud's base URL`,
          );
        const data = { major: r.version.major, date: r.date };
        if (!r.spreed)
          return fail(
            `Nextcloud ${r.version.string} at ${first} has no Talk capabilities: Talk is not installed or not enabled`,
            'occ app:install spreed (or occ app:enable spreed)',
            data,
          );
        // Talk's version (its capabilities' `version`, the app's) decides what it demands of the server.
        const talk = typeof r.spreed.version === 'string' ? { talk: r.spreed.version } : {};
        return pass(`Nextcloud ${r.version.string}, Talk ${r.spreed.version ?? '?'} reachable from this host`, {
          ...data,
          ...talk,
        });
      },
    });

    defs.push({
      id: `backend.${b.id}.secret`,
      title: `Talk's secret ${b.id}`,
      needs: [`backend.${b.id}.nextcloud`],
      async run(ctx) {
        if (envSkip) return envSkip;
        if (!secret)
          return fail(
            `no secret for backend ${b.id} in server.conf or secrets/backend-${b.id}`,
            `spreed-setup setup --rotate backend-${b.id} --yes, then spreed-setup register`,
          );
        // Exactly one signed probe per backend and run: Nextcloud counts a mismatch as brute force.
        const r = await io.talkSecret(first, { secret, insecure: skipVerify, timeoutMs: ctx.left() });
        if (!r.ok) {
          // Nextcloud answered its capabilities just now (this check needs that one): an endpoint that
          // took the connection (its local address is known) and then held the request until the
          // timeout is Nextcloud's brute-force sleep, not the network.
          if (r.code === 'timeout' && r.localAddress !== undefined)
            return fail(
              `Nextcloud throttles this host: Talk's backend endpoint at ${first} held the signed probe beyond the timeout while Nextcloud answered its capabilities at once. Its brute-force protection delays every request from this address after failed attempts (0.1 s · 2^failures, up to 25 s), the signaling server's own requests too`,
              throttlingFix(r.localAddress),
            );
          return fail(
            `probe to Talk's backend endpoint failed: ${noAnswer(r, first).detail}`,
            'check Nextcloud and the firewall',
          );
        }
        const delayMs = r.throttledMs ?? (r.ms !== undefined && r.ms >= SLOW_ANSWER_MS ? r.ms : undefined);
        const throttling =
          delayMs !== undefined && delayMs > 0
            ? `Nextcloud throttles this host: its brute-force protection ${r.throttledMs !== undefined ? 'held' : 'probably held'} the probe ${seconds(delayMs)} after failed attempts, and delays every request from this address (the signaling server's own too)`
            : undefined;
        if (r.code === 'unknown_type') {
          const ok = `Talk at ${first} accepts requests signed with backend-${b.id}'s secret`;
          return throttling ? warn(`${ok}, but ${throttling}`, throttlingFix(r.localAddress)) : pass(ok);
        }
        if (r.code === 'invalid_request') {
          return fail(
            `invalid_request: Talk's signaling secret differs from [${b.id}] secret (Nextcloud counted one failed attempt from this host)${throttling ? `; ${throttling}` : ''}`,
            `set Talk's secret to this backend's: spreed-setup register (or Talk's admin page, High-performance backend, Shared secret = content of secrets/backend-${b.id})${throttling ? `; then ${throttlingFix(r.localAddress)}` : ''}`,
          );
        }
        if (r.status === 429)
          return fail(
            `Nextcloud throttles this host (HTTP 429) after failed attempts`,
            `wait, or on Nextcloud: occ security:bruteforce:reset ${r.localAddress ?? '<this host IP>'}${r.localAddress ? " (this host as Nextcloud sees it): more than 10 failures within 30 min make it refuse every request from this address, the signaling server's own too" : ''}`,
          );
        if (r.status === 404)
          return fail(
            `Talk's backend endpoint is missing at ${first} (404): Talk too old or not enabled`,
            'occ app:enable spreed, and update Talk',
          );
        return fail(
          `unexpected answer from Talk's backend endpoint: HTTP ${r.status}${r.code ? ` ${r.code}` : ''}`,
          'check Nextcloud',
        );
      },
    });

    defs.push({
      id: `backend.${b.id}.server`,
      title: `Server accepts ${b.id}`,
      needs: ['server'],
      async run(ctx) {
        if (envSkip) return envSkip;
        if (!secret) return fail(`no secret for backend ${b.id}`, `spreed-setup setup --rotate backend-${b.id} --yes`);
        // One signed room request per URL, stopping at the first refusal (failures are throttled).
        for (const url of b.urls) {
          const r = await io.roomRequest(localBase!, { backend: url, secret, timeoutMs: ctx.left() });
          if (!r.ok) return fail(`signed room request failed: ${noAnswer(r, localBase!).detail}`, restartFix);
          if (r.status === 403) {
            return fail(
              `403 Authentication check failed: the running server refuses requests for ${url} signed with [${b.id}] secret (it has another secret or URL loaded)`,
              `${restartFix}; the url must be exactly Nextcloud's base URL (overwrite.cli.url), the secret the same as Talk's`,
            );
          }
          if (r.status !== 400)
            return fail(
              `signed room request for ${url}: HTTP ${r.status}, expected 400 (accepted, nothing changed)`,
              restartFix,
            );
        }
        return pass(
          `signed requests from ${b.urls.join(', ')} accepted (400 Unsupported request type: nothing changed)`,
        );
      },
    });
  }
  return defs;
}
