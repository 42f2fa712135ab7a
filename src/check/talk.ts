// Judging a server's features as Talk would (Talk's demands themselves live in model/talk.ts).
import { compareVersions, FEATURE_SINCE, formatVersion, parseVersion } from '../model/versions.js';
import { serverReleaseTalkNeeds, talkDemands, talkMajorFor } from '../model/talk.js';

export { TALK_DEMANDS, type TalkDemands, talkDemands, talkMajorFor } from '../model/talk.js';

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

/** How to get a server Talk accepts, one line. */
export const UPDATE_FIX = `install nextcloud-spreed-signaling ${serverReleaseTalkNeeds().replace(/\.0$/, '')} or newer: spreed-setup install offers the ways (Debian's newer package through a pinned source, or the container image), then run spreed-setup setup again`;

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
