// What each signaling-server version reads, so renderers and checks never write something the
// installed version ignores or misreads (facts sheet sections 1-3).

export type Version = readonly [number, number, number];

export interface ServerTraits {
  /** x.y.z as rendered for; "unknown" versions get the baseline below. */
  version: string;
  /** false when the version could not be detected and the baseline is assumed. */
  known: boolean;
  /** In-process NATS: `:loopback:` in 0.4.1, `nats://loopback` from 1.0.0. */
  natsLoopbackUrl: string;
  /** `urls = a, b` in backend sections (2.0.4+); older versions read only `url`. */
  backendUrls: boolean;
  /** `[app] trustedproxies` (1.3.0+). */
  trustedProxies: boolean;
  /** `[stats] allowed_ips` accepts CIDR ranges (1.0.0+); 0.4.1 compares exact IPs. */
  statsCidr: boolean;
  /** The server greets with a `welcome` message on the websocket (1.0.0+). */
  welcomeMessage: boolean;
  /** Features current Talk (Nextcloud 30+) requires: hello-v2, federation… (2.0.0+). */
  talkCompatible: boolean;
  /** `[federation]` section (2.0.0+). */
  federation: boolean;
  /** A backend without its own secret uses `[backend] secret` (1.2.0+). */
  backendSecretFallback: boolean;
}

/** Oldest version current Talk accepts: the safe assumption when nothing is detected. */
export const BASELINE_VERSION = '2.0.0';
export const TESTED_VERSIONS = ['0.4.1', '1.2.4', '2.0.2'] as const;

/** Parses "2.0.2", "0.4.1+dfsg1-4+b4", "1:2.0.2-2+b2", "v1.2.4". Undefined when no x.y.z. */
export function parseVersion(text: string | undefined): Version | undefined {
  if (!text) return undefined;
  const m = /^(?:\d+:)?v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (!m) return undefined;
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

export function compareVersions(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export function formatVersion(v: Version): string {
  return v.join('.');
}

/** The first release of each trait: the one table renderers, checks and messages ask. */
export const TRAIT_SINCE = {
  /** `nats://loopback` (0.4.1 spells it `:loopback:`). */
  natsLoopbackSpelling: '1.0.0',
  backendUrls: '2.0.4',
  trustedProxies: '1.3.0',
  statsCidr: '1.0.0',
  welcomeMessage: '1.0.0',
  talkCompatible: '2.0.0',
  federation: '2.0.0',
  /** A backend section without `secret` uses `[backend] secret`. */
  backendSecretFallback: '1.2.0',
} as const;

export function traitsFor(versionText: string | undefined): ServerTraits {
  const parsed = parseVersion(versionText);
  const v = parsed ?? (parseVersion(BASELINE_VERSION) as Version);
  const since = (trait: keyof typeof TRAIT_SINCE) => compareVersions(v, parseVersion(TRAIT_SINCE[trait])!) >= 0;
  return {
    version: formatVersion(v),
    known: parsed !== undefined,
    natsLoopbackUrl: since('natsLoopbackSpelling') ? 'nats://loopback' : ':loopback:',
    backendUrls: since('backendUrls'),
    trustedProxies: since('trustedProxies'),
    statsCidr: since('statsCidr'),
    welcomeMessage: since('welcomeMessage'),
    talkCompatible: since('talkCompatible'),
    federation: since('federation'),
    backendSecretFallback: since('backendSecretFallback'),
  };
}

/**
 * The release that first lists each feature in the X-Spreed-Signaling-Features header (facts
 * sheet: `api_signaling.go` at each tag). Only the ones that tell releases apart are needed.
 */
export const FEATURE_SINCE: Readonly<Record<string, string>> = {
  'audio-video-permissions': '0.4.1',
  welcome: '1.0.0',
  'hello-v2': '1.0.0',
  federation: '2.0.0',
};

/**
 * The oldest version that has these features (the header of a running server): enough to pick
 * what to render when nothing else tells the version.
 */
export function versionFromFeatures(features: string[]): string {
  let best: Version = parseVersion('0.4.1')!;
  for (const f of features) {
    const since = FEATURE_SINCE[f] ? parseVersion(FEATURE_SINCE[f]) : undefined;
    if (since && compareVersions(since, best) > 0) best = since;
  }
  return formatVersion(best);
}

/**
 * The keys whose `$(VAR)` references the server replaces from its environment, and the first
 * release that does (upstream `GetStringOptionWithEnv` callers at each tag). `*backend*` stands for
 * every backend's own section, key `*` for every key of the section. Every other key, and every key
 * in older releases, takes `$(VAR)` literally.
 */
export const ENV_EXPANSION: readonly { section: string; key: string; since: string }[] = [
  { section: 'http', key: 'listen', since: '1.3.0' },
  { section: 'https', key: 'listen', since: '1.3.0' },
  { section: 'nats', key: 'url', since: '1.3.0' },
  { section: 'mcu', key: 'url', since: '1.3.0' },
  { section: 'geoip-overrides', key: '*', since: '1.3.0' },
  { section: 'continent-overrides', key: '*', since: '1.3.0' },
  { section: 'grpc', key: 'listen', since: '1.3.2' },
  { section: 'sessions', key: 'hashkey', since: '2.0.3' },
  { section: 'sessions', key: 'blockkey', since: '2.0.3' },
  { section: 'clients', key: 'internalsecret', since: '2.0.3' },
  { section: 'backend', key: 'secret', since: '2.0.3' },
  { section: '*backend*', key: 'secret', since: '2.0.3' },
  { section: '*backend*', key: 'url', since: '2.0.3' },
  { section: '*backend*', key: 'urls', since: '2.0.4' },
  { section: 'turn', key: 'apikey', since: '2.0.3' },
  { section: 'turn', key: 'secret', since: '2.0.3' },
];

/** The first release that expands `$(VAR)` in this key, or undefined when none does. */
export function envExpansionSince(section: string, key: string): string | undefined {
  const s = section.toLowerCase();
  const k = key.toLowerCase();
  return ENV_EXPANSION.find((r) => r.section === s && (r.key === k || r.key === '*'))?.since;
}

/**
 * Whether this server version expands `$(VAR)` in the key. An unknown version (undefined or not
 * x.y.z) may be any release, so it counts as expanding wherever some release does.
 */
export function expandsEnv(version: string | undefined, section: string, key: string): boolean {
  const since = envExpansionSince(section, key);
  if (since === undefined) return false;
  const v = parseVersion(version);
  return v === undefined || compareVersions(v, parseVersion(since)!) >= 0;
}
