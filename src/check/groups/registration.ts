// Registration in Talk, read through occ: Talk lists the public URL, holds the backend's secret,
// is not in internal signaling mode, and calls itself by a URL a backend covers; and what Talk's
// setup check warns about (several servers, conversation_cluster) or Talk's lower-casing breaks.
import { backendUrlCovers } from '../backendUrl.js';
import type { CheckIO } from '../io.js';
import { occComplaint, parseSignalingList } from '../occ.js';
import { talkLowerCasedPath, talkServerUrlKey } from '../../model/urls.js';
import type { CheckDef } from '../runner.js';
import type { GroupContext } from './context.js';
import { fail, pass, skip, warn } from './outcome.js';

const LOWER_CASE_FIX =
  'use a lower-case path: basePath in the answers file (e.g. /standalone-signaling), spreed-setup setup, then spreed-setup register';

export type RegistrationIO = Pick<CheckIO, 'occ'>;

export function registrationChecks(g: GroupContext<RegistrationIO>): CheckDef[] {
  const { inputs, setup, io, publicUrl } = g;
  const defs: CheckDef[] = [];
  defs.push({
    id: 'registration',
    title: 'Registration in Talk',
    timeoutFix: 'occ did not finish in time: run it by hand to see why (database, locks)',
    async run(ctx) {
      if (!inputs.occ || inputs.occ.length === 0) {
        const lowered = publicUrl ? talkLowerCasedPath(publicUrl) : undefined;
        if (lowered)
          return warn(
            `${publicUrl}'s path has upper-case letters: Talk lower-cases it and calls ${lowered}, which nginx does not serve (Talk's settings not read: no --occ)`,
            LOWER_CASE_FIX,
          );
        return skip('not checked: pass --occ "sudo -u www-data php /var/www/nextcloud/occ" to read Talk\'s settings');
      }
      if (!publicUrl) return skip('skipped: no public URL to look for');
      const exec = inputs.occExec ?? io.occ;
      const occ = inputs.occ;
      // Read-only and independent: all three at once (each occ start costs PHP's boot time).
      const [list, mode, cli] = await Promise.all([
        exec([...occ, 'talk:signaling:list', '--output=json', '--no-warnings'], ctx.left()),
        exec([...occ, 'config:app:get', 'spreed', 'signaling_mode', '--no-warnings'], ctx.left()),
        exec([...occ, 'config:system:get', 'overwrite.cli.url', '--no-warnings'], ctx.left()),
      ]);
      const occFix =
        'run occ as the owner of config/config.php, e.g. --occ "sudo -u www-data php /var/www/nextcloud/occ"';
      if (list.notFound) return fail(`occ command not found: ${occ[0]}`, occFix);
      if (list.timedOut) return fail('occ talk:signaling:list did not finish in time', 'run it by hand to see why');
      if (list.exitCode !== 0) return fail(`occ talk:signaling:list failed: ${occComplaint(list)}`, occFix);
      const parsed = parseSignalingList(list.stdout);
      if (!parsed)
        return fail('occ talk:signaling:list printed no JSON', 'is Talk (spreed) enabled? occ app:enable spreed');
      const ours = talkServerUrlKey(publicUrl);
      const listed = parsed.servers.map((s) => s.server);
      if (!parsed.servers.some((s) => talkServerUrlKey(s.server) === ours)) {
        return fail(
          `Talk does not list ${publicUrl} (it lists: ${listed.length ? listed.join(', ') : 'nothing'})`,
          'spreed-setup register',
        );
      }
      const secrets = setup.backends.map((b) => setup.secrets.get(`backend-${b.id}`)).filter((s): s is string => !!s);
      if (parsed.secret !== undefined && secrets.length && !secrets.includes(parsed.secret)) {
        return fail(
          "Talk's signaling secret (from occ) differs from the backend secret in server.conf",
          'spreed-setup register (Talk keeps one secret for all servers)',
        );
      }
      if (mode.exitCode === 0 && mode.stdout.trim() === 'internal') {
        return fail(
          'signaling_mode = internal: Talk ignores every external signaling server',
          'occ config:app:delete spreed signaling_mode --no-warnings',
        );
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
      const entry = parsed.servers.find((s) => talkServerUrlKey(s.server) === ours)!;
      const signalingMode = mode.exitCode === 0 ? mode.stdout.trim() : '';
      const listedText = `Talk lists ${publicUrl}${entry.verify === false ? ' (certificate not verified)' : ''}; signaling mode ${signalingMode || 'default'}`;
      // What Talk's own setup check (lib/SetupCheck/HighPerformanceBackend.php) warns about, in its order.
      const warnings: { detail: string; fix: string }[] = [];
      if (signalingMode === 'conversation_cluster') {
        warnings.push({
          detail:
            "signaling_mode = conversation_cluster is deprecated (Talk's setup check warns; the server supports real clustering)",
          fix: 'cluster the servers behind one load-balanced URL, register only that, then: occ config:app:delete spreed signaling_mode --no-warnings',
        });
      }
      if (parsed.servers.length > 1) {
        const others = listed.filter((u) => talkServerUrlKey(u) !== ours);
        const first =
          talkServerUrlKey(listed[0]!) === ours ? '' : `; its setup check tests only the first, ${listed[0]}`;
        // talk:signaling:delete removes every entry with exactly that string; register adds ours once.
        const steps = [...new Set(others)].map((u) => `occ talk:signaling:delete ${u}`);
        if (listed.length - others.length > 1)
          steps.push(`occ talk:signaling:delete ${entry.server} (every copy), then spreed-setup register`);
        warnings.push({
          detail: `Talk lists ${listed.length} signaling servers (${listed.join(', ')}): defining several is deprecated${first}`,
          fix: `keep one URL (a cluster is one load-balanced URL): ${steps.join('; ')}`,
        });
      }
      // Talk lower-cases the URL before it calls it; nginx and the server match paths case-sensitively.
      const lowered = [entry.server, publicUrl].map(talkLowerCasedPath).find((u) => u !== undefined);
      if (lowered) {
        warnings.push({
          detail: `the URL's path has upper-case letters: Talk lower-cases it and calls ${lowered}, which nginx does not serve`,
          fix: LOWER_CASE_FIX,
        });
      }
      if (warnings.length)
        return warn(
          `${listedText}, but ${warnings.map((w) => w.detail).join('; ')}`,
          warnings.map((w) => w.fix).join('; '),
        );
      return pass(listedText);
    },
  });
  return defs;
}
