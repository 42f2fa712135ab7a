// Pure decisions for `register`: from what Talk has and what we have, the smallest set of occ
// changes that leaves exactly one entry for our URL with a secret both sides share. Talk keeps
// ONE secret for all its signaling servers, so another server with another secret is a real
// choice, never made silently.
import { sameTalkServer as sameServer } from '../model/urls.js';
import type { TalkSignaling, TurnServer } from './talk.js';
import type { Deployment } from '../model/deployment.js';

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

/** One of Talk's TURN entries, without its secret (what talk:turn:add and :delete take). */
export interface TurnEntry {
  schemes: 'turn' | 'turns' | 'turn,turns';
  server: string;
  protocols: 'udp' | 'tcp' | 'udp,tcp';
}

/**
 * The TURN entries Talk should list for the installed TURN setup: `turn` over UDP and TCP on the
 * plain port, and with TLS `turns` over TCP on the TLS port (browsers speak TLS over TCP only).
 */
export function turnEntriesFor(d: Pick<Deployment, 'hostname' | 'turnServer'>): TurnEntry[] {
  const t = d.turnServer;
  if (t.mode === 'local') {
    const out: TurnEntry[] = [{ schemes: 'turn', server: `${d.hostname}:${t.port}`, protocols: 'udp,tcp' }];
    if (t.tlsPort !== undefined) out.push({ schemes: 'turns', server: `${d.hostname}:${t.tlsPort}`, protocols: 'tcp' });
    return out;
  }
  if (t.mode === 'external')
    return t.servers.map((server) => ({ schemes: t.tls ? 'turn,turns' : 'turn', server, protocols: 'udp,tcp' }));
  return [];
}

/** The STUN servers Talk should list: the TURN servers answer STUN Binding on their plain port. */
export function stunServersFor(d: Pick<Deployment, 'hostname' | 'turnServer'>): string[] {
  const t = d.turnServer;
  return t.mode === 'local' ? [`${d.hostname}:${t.port}`] : t.mode === 'external' ? [...t.servers] : [];
}

export type TurnAction = { entry: TurnEntry; action: 'add' | 'present' | 'replace' };

/** For each of our entries: add it, keep it, or replace it (same entry, another secret: a rotation). */
export function decideTurnEntries(existing: TurnServer[], wants: TurnEntry[], secret: string): TurnAction[] {
  return wants.map((entry) => {
    const d = decideTurn(existing, { ...entry, secret });
    return { entry, action: d === 'other-secret' ? 'replace' : d };
  });
}
