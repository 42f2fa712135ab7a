// Registration in Talk, read through occ: Talk lists the public URL, holds the backend's secret,
// is not in internal signaling mode, and calls itself by a URL a backend covers.
import { backendUrlCovers } from '../backendUrl.js';
import type { CheckIO } from '../io.js';
import { occComplaint, parseSignalingList } from '../occ.js';
import { talkServerUrlKey } from '../../model/urls.js';
import type { CheckDef } from '../runner.js';
import type { GroupContext } from './context.js';
import { fail, pass, skip } from './outcome.js';

export type RegistrationIO = Pick<CheckIO, 'occ'>;

export function registrationChecks(g: GroupContext<RegistrationIO>): CheckDef[] {
  const { inputs, setup, io, publicUrl } = g;
  const defs: CheckDef[] = [];
  defs.push({
    id: 'registration',
    title: 'Registration in Talk',
    timeoutFix: 'occ did not finish in time: run it by hand to see why (database, locks)',
    async run(ctx) {
      if (!inputs.occ || inputs.occ.length === 0)
        return skip('not checked: pass --occ "sudo -u www-data php /var/www/nextcloud/occ" to read Talk\'s settings');
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
      const verify = parsed.servers.find((s) => talkServerUrlKey(s.server) === ours)?.verify;
      return pass(
        `Talk lists ${publicUrl}${verify === false ? ' (certificate not verified)' : ''}; signaling mode ${mode.exitCode === 0 && mode.stdout.trim() ? mode.stdout.trim() : 'default'}`,
      );
    },
  });
  return defs;
}
