// The local server: does it answer its welcome on [http] listen, which version and features does
// it report, is its clock right, and would Talk on the Nextcloud it serves accept it.
import { formatVersion, parseVersion } from '../../model/versions.js';
import { versionFromFeatures } from '../../model/versions.js';
import type { CheckIO } from '../io.js';
import type { CheckDef } from '../runner.js';
import { describeMissing, type FeatureVerdict, judgeFeatures, optionalFix, UPDATE_FIX } from '../talk.js';
import type { GroupContext } from './context.js';
import { fail, noAnswer, pass, warn } from './outcome.js';

const CLOCK_SKEW_LIMIT_S = 45;

export type ServerIO = Pick<CheckIO, 'welcome'>;

export function serverChecks(g: GroupContext<ServerIO>): CheckDef[] {
  const { setup, io, unit, restartFix, localBase } = g;
  const defs: CheckDef[] = [];
  defs.push({
    id: 'server',
    title: 'Local server',
    timeoutFix: `the server accepts connections on ${setup.listen ?? '[http] listen'} but does not answer: ${restartFix}`,
    async run(ctx) {
      if (!localBase)
        return fail(
          'server.conf has no [http] listen address: nginx has nothing to forward to',
          'add [http] listen = 127.0.0.1:8080, or run spreed-setup setup',
        );
      const w = await io.welcome(localBase, { timeoutMs: ctx.left() });
      if (!w.ok) {
        const n = noAnswer(w, localBase);
        return fail(
          `signaling server not running: ${n.detail}`,
          n.kind === 'refused'
            ? `start it: systemctl start ${unit} (journalctl -u ${unit} says why it stopped; it opens its port only after NATS and Janus answer)`
            : restartFix,
        );
      }
      const json = w.json as { 'nextcloud-spreed-signaling'?: unknown; version?: unknown } | undefined;
      if (w.status !== 200 || json?.['nextcloud-spreed-signaling'] !== 'Welcome') {
        return fail(
          `${localBase} answers HTTP ${w.status} but not as the signaling server: another program holds [http] listen ${setup.listen}`,
          `stop that program or choose another [http] listen port (and the nginx upstream with it)`,
        );
      }
      const reported = typeof json.version === 'string' ? json.version : 'unknown';
      const version = parseVersion(reported) ?? parseVersion(versionFromFeatures(w.features))!;
      const versionText = parseVersion(reported)
        ? reported
        : `"${reported}" (features say ${formatVersion(version)} or newer)`;
      const data = { features: w.features, version, reported, date: w.date };
      if (w.date) {
        const skew = Math.round((Date.parse(w.date) - Date.now()) / 1000);
        if (Math.abs(skew) > CLOCK_SKEW_LIMIT_S) {
          return fail(
            `server's clock is ${skew} s off this host's (Date header)`,
            'synchronise the clocks: timedatectl set-ntp true',
            data,
          );
        }
      }
      return pass(
        `welcome on ${setup.listen}; version ${versionText}; features: ${w.features.join(', ') || 'none'}`,
        data,
      );
    },
  });

  // Version verdict: what Talk on each Nextcloud it serves would say, in Talk's order (required
  // features, then the clocks, then optional features).
  defs.push({
    id: 'server.talk',
    title: 'Version for Talk',
    needs: ['server'],
    async run(ctx) {
      const local = (await ctx.outcome('server'))!;
      const features = (local.data?.features as string[]) ?? [];
      const reported = String(local.data?.reported ?? 'unknown');
      const ncs = await Promise.all(setup.backends.map((b) => ctx.outcome(`backend.${b.id}.nextcloud`)));
      const known = ncs
        .map((o) => ({ major: o?.data?.major, talk: o?.data?.talk }))
        .filter((n): n is { major: number; talk: string | undefined } => typeof n.major === 'number')
        .map((n) => judgeFeatures(features, n.major, typeof n.talk === 'string' ? n.talk : undefined));
      const required = known.find((v) => v.verdict === 'UPDATE_REQUIRED');
      if (required) {
        return fail(
          `UPDATE_REQUIRED: ${talkOn(required)} needs ${required.missingRequired.join(', ')}, which server ${reported} lacks`,
          UPDATE_FIX,
          { ...required },
        );
      }
      if (!known.length) {
        const newest = judgeFeatures(features, undefined);
        if (newest.missingRequired.length)
          return warn(
            `Nextcloud's version is unknown (its capabilities were not read); Talk on Nextcloud 30 or newer would show UPDATE_REQUIRED: server ${reported} lacks ${newest.missingRequired.join(', ')}`,
            UPDATE_FIX,
          );
      }
      const serverDate = local.data?.date as string | undefined;
      for (const o of ncs) {
        const ncDate = o?.data?.date as string | undefined;
        if (serverDate && ncDate) {
          const skew = Math.round((Date.parse(ncDate) - Date.parse(serverDate)) / 1000);
          if (Math.abs(skew) > CLOCK_SKEW_LIMIT_S) {
            return fail(
              `Nextcloud's clock and the signaling server's differ by ${skew} s (Talk flags more than ${CLOCK_SKEW_LIMIT_S} s; hello v2 tokens fail)`,
              'synchronise both clocks: timedatectl set-ntp true on each host',
            );
          }
        }
      }
      const optional = known.find((v) => v.verdict === 'UPDATE_OPTIONAL');
      if (optional) {
        return warn(
          `UPDATE_OPTIONAL: ${talkOn(optional)} accepts server ${reported} but warns that it lacks ${describeMissing(optional.missingOptional)}`,
          optionalFix(optional.missingOptional),
          { ...optional },
        );
      }
      if (known.length) {
        return pass(
          `${[...new Set(known.map(talkOn))].join(', ')} accepts server ${reported}: all required features present`,
          { ...known[0]! },
        );
      }
      const newest = judgeFeatures(features, undefined);
      const opt = newest.missingOptional.length
        ? `; optional features missing: ${describeMissing(newest.missingOptional)}`
        : '';
      return pass(
        `Current Talk (Nextcloud's version unknown) accepts server ${reported}: all required features present${opt}`,
      );
    },
  });
  return defs;
}

/** "Talk 24.0.3 on Nextcloud 34", or "Talk on Nextcloud 30" when only Nextcloud's version is known. */
function talkOn(v: FeatureVerdict): string {
  return `Talk${v.talk ? ` ${v.talk}` : ''} on Nextcloud ${v.nextcloudMajor}`;
}
