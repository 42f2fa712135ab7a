// What Nextcloud Talk demands of a signaling server, by Talk release: Talk reads the
// X-Spreed-Signaling-Features header and shows UPDATE_REQUIRED when a required feature is missing,
// UPDATE_OPTIONAL with the list when an optional one is (nextcloud/spreed lib/Signaling/Manager.php
// checkServerCompatibility; facts sheet "What Talk demands, by Talk version").
import { compareVersions, FEATURE_SINCE, formatVersion, parseVersion, type Version } from '../model/versions.js';

const REQUIRED_BEFORE_TALK20 = ['audio-video-permissions', 'incall-all', 'hello-v2', 'switchto'] as const;
const REQUIRED = [...REQUIRED_BEFORE_TALK20, 'federation'] as const;

export interface TalkDemands {
  /** First Talk release with these demands; they hold until the next row's. */
  from: string;
  required: readonly string[];
  optional: readonly string[];
}

/** Talk's demands by release, oldest first (Talk 22.0.3 alone asked for chat-relay in 22). */
export const TALK_DEMANDS: readonly TalkDemands[] = [
  { from: '0.0.0', required: REQUIRED_BEFORE_TALK20, optional: ['dialout'] },
  { from: '20.0.0', required: REQUIRED, optional: ['dialout'] },
  { from: '21.0.0', required: REQUIRED, optional: ['dialout', 'join-features'] },
  { from: '22.0.3', required: REQUIRED, optional: ['dialout', 'join-features', 'chat-relay'] },
  { from: '22.0.4', required: REQUIRED, optional: ['dialout', 'join-features'] },
  { from: '23.0.0', required: REQUIRED, optional: ['dialout', 'join-features', 'chat-relay'] },
  { from: '24.0.3', required: REQUIRED, optional: ['dialout', 'join-features', 'chat-relay', 'changed-users'] },
];

/** Talk N runs on Nextcloud N+10 (Talk 20 = Nextcloud 30). */
export const talkMajorFor = (nextcloudMajor: number): number => nextcloudMajor - 10;

/** The demands of a Talk release; undefined: the newest Talk's. */
export function talkDemands(talk: Version | undefined): TalkDemands {
  let row = TALK_DEMANDS[TALK_DEMANDS.length - 1]!;
  if (talk === undefined) return row;
  for (const r of TALK_DEMANDS) if (compareVersions(talk, parseVersion(r.from)!) >= 0) row = r;
  return row;
}

/** The server release that first has a feature: "2.1.0", or "none yet". */
export function serverReleaseFor(feature: string): string {
  return FEATURE_SINCE[feature] ?? 'none yet';
}

export type TalkVerdict = 'UPDATE_REQUIRED' | 'UPDATE_OPTIONAL' | 'OK';

export interface FeatureVerdict {
  /** Nextcloud major version judged against, undefined when it could not be known. */
  nextcloudMajor?: number;
  /** Talk's release (x.y.z) from its capabilities; without it Talk N.0.0 for Nextcloud N+10 is judged. */
  talk?: string;
  verdict: TalkVerdict;
  missingRequired: string[];
  missingOptional: string[];
}

/**
 * Judges the server's features as a Talk release would (its version from Talk's capabilities;
 * without it Talk N.0.0 for Nextcloud N+10; with neither, the newest Talk's demands).
 */
export function judgeFeatures(
  features: readonly string[],
  nextcloudMajor: number | undefined,
  talkVersion?: string,
): FeatureVerdict {
  const talk = parseVersion(talkVersion);
  const demands = talkDemands(
    talk ?? (nextcloudMajor !== undefined ? [talkMajorFor(nextcloudMajor), 0, 0] : undefined),
  );
  const have = new Set(features);
  const missingRequired = demands.required.filter((f) => !have.has(f));
  const missingOptional = demands.optional.filter((f) => !have.has(f));
  return {
    ...(nextcloudMajor !== undefined ? { nextcloudMajor } : {}),
    ...(talk !== undefined ? { talk: formatVersion(talk) } : {}),
    verdict: missingRequired.length ? 'UPDATE_REQUIRED' : missingOptional.length ? 'UPDATE_OPTIONAL' : 'OK',
    missingRequired,
    missingOptional,
  };
}

/** "chat-relay (server 2.1.0), changed-users (none yet)": each feature with the release that adds it. */
export function describeMissing(features: readonly string[]): string {
  return features
    .map((f) => {
      const since = serverReleaseFor(f);
      return `${f} (${FEATURE_SINCE[f] ? `server ${since}` : since})`;
    })
    .join(', ');
}

/** How to get a server Talk accepts (2.0 or newer), one line. */
export const UPDATE_FIX =
  'install nextcloud-spreed-signaling 2.0 or newer (Debian 13 has 1.2.4 only: use the upstream release or Docker image strukturag/nextcloud-spreed-signaling), then run spreed-setup setup again';

/** What to do about UPDATE_OPTIONAL: the release that clears it, or that none does yet. */
export function optionalFix(missing: readonly string[]): string {
  const released = missing.map((f) => FEATURE_SINCE[f]).filter((v): v is string => !!v);
  const unreleased = missing.filter((f) => !FEATURE_SINCE[f]);
  const newest = released
    .map((v) => parseVersion(v)!)
    .sort(compareVersions)
    .pop();
  const parts: string[] = [];
  if (newest)
    parts.push(
      `update nextcloud-spreed-signaling to ${formatVersion(newest)} or newer (upstream release or Docker image strukturag/nextcloud-spreed-signaling), then run spreed-setup setup again`,
    );
  if (unreleased.length)
    parts.push(`no server release has ${unreleased.join(', ')} yet: Talk keeps warning until one does`);
  return `optional, nothing breaks (Talk just does without it): ${parts.join('; ')}`;
}
