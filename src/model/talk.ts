// What Nextcloud Talk demands of a signaling server, by Talk release: Talk reads the
// X-Spreed-Signaling-Features header and shows UPDATE_REQUIRED when a required feature is missing,
// UPDATE_OPTIONAL with the list when an optional one is (nextcloud/spreed lib/Signaling/Manager.php
// checkServerCompatibility; facts sheet "What Talk demands, by Talk version"). The check judges a
// running server by it; install asks it which release to get.
import { compareVersions, FEATURE_SINCE, formatVersion, parseVersion, type Version } from './versions.js';

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

/**
 * The oldest server release with every feature a Talk release requires (undefined: the newest
 * Talk's): "2.0.0" for current Talk, from FEATURE_SINCE, so the number is never written twice.
 */
export function serverReleaseTalkNeeds(talk?: Version): string {
  let best: Version = [0, 0, 0];
  for (const f of talkDemands(talk).required) {
    const since = parseVersion(FEATURE_SINCE[f] ?? undefined);
    if (since && compareVersions(since, best) > 0) best = since;
  }
  return formatVersion(best);
}
