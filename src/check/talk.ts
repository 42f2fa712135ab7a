// What Nextcloud Talk demands of a signaling server, by Nextcloud version: Talk reads the
// X-Spreed-Signaling-Features header and shows UPDATE_REQUIRED when a required feature is missing
// (nextcloud/spreed lib/Signaling/Manager.php isCompatibleSignalingServer; facts sheet section 3).

/** Nextcloud 30 and later (Talk 20+): federation became required. */
export const REQUIRED_NC30 = ['audio-video-permissions', 'incall-all', 'hello-v2', 'switchto', 'federation'] as const;
/** Before Nextcloud 30 (Talk 19 and older, as in Manager.php of that time). */
export const REQUIRED_BEFORE_NC30 = ['audio-video-permissions', 'incall-all', 'hello-v2', 'switchto'] as const;
/** Missing ones only give UPDATE_OPTIONAL. */
export const OPTIONAL_FEATURES = ['dialout', 'join-features', 'chat-relay'] as const;

export interface FeatureVerdict {
  /** Nextcloud major version judged against, undefined when it could not be known. */
  nextcloudMajor?: number;
  missingRequired: string[];
  missingOptional: string[];
}

/** Judges the server's features for a Nextcloud major version (unknown -> the current demands). */
export function judgeFeatures(features: readonly string[], nextcloudMajor: number | undefined): FeatureVerdict {
  const required: readonly string[] =
    nextcloudMajor !== undefined && nextcloudMajor < 30 ? REQUIRED_BEFORE_NC30 : REQUIRED_NC30;
  const have = new Set(features);
  return {
    ...(nextcloudMajor !== undefined ? { nextcloudMajor } : {}),
    missingRequired: required.filter((f) => !have.has(f)),
    missingOptional: OPTIONAL_FEATURES.filter((f) => !have.has(f)),
  };
}

/** How to get a server Talk accepts (2.0 or newer), one line. */
export const UPDATE_FIX =
  'install nextcloud-spreed-signaling 2.0 or newer (Debian 13 has 1.2.4 only: use the upstream release or Docker image strukturag/nextcloud-spreed-signaling), then run spreed-setup setup again';
