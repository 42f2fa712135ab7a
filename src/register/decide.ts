// Pure decisions for `register`: from what Talk has and what we have, the smallest set of occ
// changes that leaves exactly one entry for our URL with a secret both sides share. Talk keeps
// ONE secret for all its signaling servers, so another server with another secret is a real
// choice, never made silently.
import { sameTalkServer as sameServer } from '../model/urls.js';
import type { TalkSignaling, TurnServer } from './talk.js';

export const SECRET_CHOICES = ['reuse-nextcloud', 'replace-all', 'stop'] as const;
export type SecretChoice = (typeof SECRET_CHOICES)[number];

export interface RegistrationPlan {
  /** Write Talk's secret into our backend (secret file + server.conf) before anything else. */
  adoptTalkSecret: boolean;
  /** Exact strings to remove first (talk:signaling:delete removes every entry equal to it). */
  deletes: string[];
  /** Run talk:signaling:add once, with our secret ('ours') or Talk's current one ('talk'). */
  add?: 'ours' | 'talk';
  /** Other servers that stop working because Talk's one secret changes. */
  breaks: string[];
  /** One line for the user. */
  summary: string;
}

export type Decision = { kind: 'plan'; plan: RegistrationPlan } | { kind: 'needs-choice'; others: string[] };

export function decideRegistration(
  talk: TalkSignaling,
  want: { url: string; secret: string; verify: boolean; choice?: SecretChoice },
): Decision {
  const mine = talk.servers.filter((s) => sameServer(s.server, want.url));
  const others = [...new Set(talk.servers.filter((s) => !sameServer(s.server, want.url)).map((s) => s.server))];
  const exactlyOnce = mine.length === 1 && mine[0]!.server === want.url && mine[0]!.verify === want.verify;
  const deletes = exactlyOnce ? [] : [...new Set(mine.map((s) => s.server))];
  const why =
    mine.length > 1
      ? `listed ${mine.length} times`
      : mine.length === 1 && mine[0]!.server !== want.url
        ? `listed as ${mine[0]!.server}`
        : mine.length === 1
          ? `listed with certificate verification ${mine[0]!.verify ? 'on' : 'off'}`
          : '';
  const allMine = [...new Set(mine.map((s) => s.server))];
  const plan = (p: Omit<RegistrationPlan, 'adoptTalkSecret' | 'breaks'> & Partial<RegistrationPlan>): Decision => ({
    kind: 'plan',
    plan: { adoptTalkSecret: false, breaks: [], ...p },
  });

  if (talk.secret !== '' && talk.secret === want.secret) {
    if (exactlyOnce)
      return plan({ deletes: [], summary: "already registered in Talk with this backend's secret: nothing to do" });
    return plan({
      deletes,
      add: 'ours',
      summary: mine.length
        ? `registered but ${why}: replacing it with one entry`
        : 'registering with the secret Talk already uses (the same as ours)',
    });
  }
  // The secrets differ (or Talk has none yet): adding sets Talk's one secret to ours.
  if (others.length === 0) {
    return plan({
      deletes: allMine,
      add: 'ours',
      summary: mine.length
        ? 'registered with another secret that no other server uses: replacing it with ours'
        : "registering with this backend's secret",
    });
  }
  switch (want.choice) {
    case 'reuse-nextcloud':
      return plan({
        adoptTalkSecret: true,
        deletes,
        ...(exactlyOnce ? {} : { add: 'talk' as const }),
        summary: `this backend takes over the secret Talk already uses for ${others.join(', ')}`,
      });
    case 'replace-all':
      return plan({
        deletes: allMine,
        add: 'ours',
        breaks: others,
        summary: "Talk's one secret is replaced by ours, for every server",
      });
    default:
      return { kind: 'needs-choice', others };
  }
}

/** TURN for browsers: which entry to add, or why not (present already, or present with another secret). */
export function decideTurn(
  existing: TurnServer[],
  want: { schemes: string; server: string; protocols: string; secret: string },
): 'add' | 'present' | 'other-secret' {
  const same = existing.filter(
    (t) => t.server === want.server && t.schemes === want.schemes && t.protocols === want.protocols,
  );
  if (same.length === 0) return 'add';
  return same.some((t) => t.secret === want.secret) ? 'present' : 'other-secret';
}

export function decideStun(existing: string[], server: string): 'add' | 'present' {
  return existing.includes(server) ? 'present' : 'add';
}
