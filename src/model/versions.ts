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
  /** `[stats] allowed_ips` accepts CIDR ranges (1.1.3+); before, exact IPs only. */
  statsCidr: boolean;
  /** The server greets with a `welcome` message on the websocket (1.0.0+). */
  welcomeMessage: boolean;
  /** Features current Talk (Nextcloud 30+) requires: hello-v2, federation… (2.0.0+). */
  talkCompatible: boolean;
  /** `[federation]` section (2.0.0+). */
  federation: boolean;
  /** A backend without its own secret uses `[backend] secret` (1.2.0+). */
  backendSecretFallback: boolean;
  /** `[grpc]` and `[etcd]` sections (1.0.0+; etcd keys lived in `[mcu]` before). */
  grpcEtcdSections: boolean;
  /** `GET /api/v1/serverinfo` (2.0.3+). */
  serverInfo: boolean;
  /** An empty `[sessions] hashkey` stops the server (2.1.0+; a warning before). */
  emptyHashkeyFatal: boolean;
  /** `/spreed` takes Janus's websocket event handler (subprotocol `janus-events`) for media metrics (2.1.0+). */
  janusEvents: boolean;
}

/** The releases the model knows, oldest first (facts sheet, "server.conf keys by version"). */
export const RELEASES = [
  '0.4.1',
  '0.5.0',
  '1.0.0',
  '1.1.3',
  '1.2.0',
  '1.3.0',
  '2.0.0',
  '2.0.2',
  '2.0.3',
  '2.0.4',
  '2.1.0',
  '2.1.1',
] as const;

/** Oldest version current Talk accepts: the safe assumption when nothing is detected. */
export const BASELINE_VERSION = '2.0.0';
/** Releases the tests run for real (2.1.1 is modelled: its module is not served here). */
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
  statsCidr: '1.1.3',
  welcomeMessage: '1.0.0',
  talkCompatible: '2.0.0',
  federation: '2.0.0',
  /** A backend section without `secret` uses `[backend] secret`. */
  backendSecretFallback: '1.2.0',
  grpcEtcdSections: '1.0.0',
  serverInfo: '2.0.3',
  emptyHashkeyFatal: '2.1.0',
  janusEvents: '2.1.0',
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
    grpcEtcdSections: since('grpcEtcdSections'),
    serverInfo: since('serverInfo'),
    emptyHashkeyFatal: since('emptyHashkeyFatal'),
    janusEvents: since('janusEvents'),
  };
}

/**
 * The release that first lists each feature in the X-Spreed-Signaling-Features header (facts
 * sheet: `api_signaling.go` at each tag); null: in no released server yet. Talk's demands name
 * these releases, and a running server's header tells its version by them.
 */
export const FEATURE_SINCE: Readonly<Record<string, string | null>> = {
  'audio-video-permissions': '0.4.1',
  'incall-all': '0.5.0',
  'update-sdp': '0.5.0',
  'transient-data': '0.5.0',
  welcome: '1.0.0',
  'hello-v2': '1.0.0',
  switchto: '1.1.0',
  dialout: '1.2.0',
  federation: '2.0.0',
  'join-features': '2.0.2',
  'recipient-call': '2.0.2',
  'offer-codecs': '2.0.2',
  serverinfo: '2.0.3',
  'chat-relay': '2.1.0',
  'transient-sessiondata': '2.1.0',
  /** Talk 24.0.3+ asks for it; strukturag/nextcloud-spreed-signaling has it in no release. */
  'changed-users': null,
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
 * server.conf keys (or whole sections, key "*") that only some releases read, with the first one
 * that does: a key written for an older server would be silently ignored. `*backend*` stands for
 * every backend section. Keys every release reads are not listed.
 */
export const KEY_SINCE: ReadonlyArray<{ section: string; key: string; since: string }> = [
  { section: 'app', key: 'trustedproxies', since: TRAIT_SINCE.trustedProxies },
  { section: 'mcu', key: 'dnsdiscovery', since: '0.5.0' },
  { section: 'mcu', key: 'allowedcandidates', since: '2.0.4' },
  { section: 'mcu', key: 'blockedcandidates', since: '2.0.4' },
  { section: 'backend', key: 'backendtype', since: '1.0.0' },
  { section: 'backend', key: 'backendprefix', since: '1.0.0' },
  { section: '*backend*', key: 'urls', since: TRAIT_SINCE.backendUrls },
  { section: 'grpc', key: '*', since: TRAIT_SINCE.grpcEtcdSections },
  { section: 'etcd', key: '*', since: TRAIT_SINCE.grpcEtcdSections },
  { section: 'federation', key: '*', since: TRAIT_SINCE.federation },
];

/** The first release that reads `[section] key`, when that release is newer than `version`. */
export function keyIgnoredBy(
  version: string,
  section: string,
  key: string,
  backendIds: ReadonlySet<string>,
): string | undefined {
  const v = parseVersion(version);
  if (!v) return undefined;
  const s = section.toLowerCase();
  const k = key.toLowerCase();
  for (const e of KEY_SINCE) {
    const sectionMatches = e.section === s || (e.section === '*backend*' && backendIds.has(s));
    if (sectionMatches && (e.key === '*' || e.key === k) && compareVersions(v, parseVersion(e.since)!) < 0)
      return e.since;
  }
  return undefined;
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
  { section: '*backend*', key: 'urls', since: TRAIT_SINCE.backendUrls },
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

/**
 * Debian's packaging of the server (facts sheet "Debian package layout"): the binary packages of
 * its one source, which alone may come from the newer suite, and the suite that has a release
 * current Talk accepts (Debian 12 has 0.4.1, 13 and bookworm-backports 1.2.4, unstable 2.x).
 */
export const DEBIAN_PACKAGE = {
  name: 'nextcloud-spreed-signaling',
  binaries: [
    'nextcloud-spreed-signaling',
    'nextcloud-spreed-signaling-common',
    'nextcloud-spreed-signaling-proxy',
    'nextcloud-spreed-signaling-client',
  ],
  /** The codename apt pins by (`n=`); its Release file says Suite: unstable. */
  newerSuite: 'sid',
  /** The distribution's archive keyring, shipped by debian-archive-keyring. */
  keyring: '/usr/share/keyrings/debian-archive-keyring.gpg',
  /** The service user and group the package creates. */
  user: '_signaling',
} as const;

/** Upstream's container image (tags X.Y.Z), its config path inside, and the release we run. */
export const CONTAINER_IMAGE = {
  name: 'strukturag/nextcloud-spreed-signaling',
  tag: RELEASES[RELEASES.length - 1]!,
  configDir: '/config',
  /** The signaling proxy's image: the same name, this suffix on the tag (2.1.1-proxy). */
  proxyTagSuffix: '-proxy',
  /** The user the images run the server and the proxy as (spreedbackend, uid and gid 850 from 2.1.1). */
  uid: 850,
} as const;

/** nats-server's image, as upstream's docker-compose.yml runs it (core NATS, no JetStream). */
export const NATS_IMAGE = { name: 'nats', tag: '2.10' } as const;

/**
 * Janus has no published image: upstream builds one from docker/janus at the release's tag (Janus
 * 1.3.0 at v2.1.1, installed under /usr/local). The engines name the image built from it.
 */
export const JANUS_IMAGE = {
  name: 'spreed-janus',
  tag: '1.3.0',
  /** The release whose docker/janus builds it. */
  fromRelease: '2.1.1',
  configDir: '/usr/local/etc/janus',
} as const;

/**
 * Whether a server answers GET /api/v1/serverinfo: by its `serverinfo` feature (a build without a
 * version, such as `go install`'s "unreleased", has it too), else by its release.
 */
export const reportsServerInfo = (features: readonly string[], version: string | undefined): boolean =>
  features.includes('serverinfo') || traitsFor(version).serverInfo;
