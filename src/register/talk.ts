// Reads what occ prints (Nextcloud's and Talk's JSON output) into plain values. Pure: the
// secret in talk:signaling:list's output stays in the returned object and is compared in memory.

export interface SignalingServer {
  server: string;
  verify: boolean;
}

export interface TalkSignaling {
  servers: SignalingServer[];
  /** Talk's one secret for every signaling server ('' when never set). */
  secret: string;
}

export interface NextcloudStatus {
  installed: boolean;
  maintenance: boolean;
  needsDbUpgrade: boolean;
  versionstring: string;
}

export interface TurnServer {
  schemes: string;
  server: string;
  secret: string;
  protocols: string;
}

export class OccOutputError extends Error {}

/** The JSON document in occ's stdout (the last line that starts one; warnings may come first). */
export function jsonFromOcc(stdout: string, what: string): unknown {
  const line = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{') || l.startsWith('['))
    .pop();
  if (line === undefined) throw new OccOutputError(`${what}: occ printed no JSON`);
  try {
    return JSON.parse(line);
  } catch {
    throw new OccOutputError(`${what}: occ printed something that is not JSON`);
  }
}

/** `talk:signaling:list --output=json`: `[]` before first use, else {"servers":[…],"secret":"…"}. */
export function parseSignalingList(stdout: string): TalkSignaling {
  const data = jsonFromOcc(stdout, 'talk:signaling:list');
  if (Array.isArray(data)) return { servers: [], secret: '' };
  if (!data || typeof data !== 'object') throw new OccOutputError('talk:signaling:list: unexpected output');
  const d = data as { servers?: unknown; secret?: unknown };
  const servers: SignalingServer[] = [];
  if (Array.isArray(d.servers)) {
    for (const s of d.servers) {
      if (s && typeof s === 'object' && typeof (s as SignalingServer).server === 'string') {
        servers.push({ server: (s as SignalingServer).server, verify: Boolean((s as SignalingServer).verify) });
      }
    }
  }
  return { servers, secret: typeof d.secret === 'string' ? d.secret : '' };
}

/** `status --output=json` (maintenance/needsDbUpgrade appear from Nextcloud 25 on). */
export function parseStatus(stdout: string): NextcloudStatus {
  const d = jsonFromOcc(stdout, 'status') as Record<string, unknown>;
  if (!d || typeof d !== 'object' || Array.isArray(d)) throw new OccOutputError('status: unexpected output');
  return {
    installed: d.installed === true,
    maintenance: d.maintenance === true,
    needsDbUpgrade: d.needsDbUpgrade === true,
    versionstring: typeof d.versionstring === 'string' ? d.versionstring : String(d.version ?? 'unknown'),
  };
}

/** `app:list --output=json`: {"enabled":{"spreed":"20.1.3",…},"disabled":{"spreed":null,…}} */
export function talkAppState(stdout: string): { state: 'enabled' | 'disabled' | 'missing'; version?: string } {
  const d = jsonFromOcc(stdout, 'app:list') as {
    enabled?: Record<string, unknown>;
    disabled?: Record<string, unknown>;
  };
  const enabled = d && typeof d.enabled === 'object' && !Array.isArray(d.enabled) ? d.enabled : {};
  const disabled = d && typeof d.disabled === 'object' && !Array.isArray(d.disabled) ? d.disabled : {};
  if (enabled && 'spreed' in enabled)
    return { state: 'enabled', ...(typeof enabled.spreed === 'string' ? { version: enabled.spreed } : {}) };
  if (disabled && 'spreed' in disabled) return { state: 'disabled' };
  return { state: 'missing' };
}

/** Symfony's answer when a command is not registered (Talk missing or disabled, maintenance, upgrade). */
export function isUndefinedCommand(stderr: string, stdout = ''): boolean {
  return /There are no commands defined in the "[^"]*" namespace|Command "[^"]*" is not defined/.test(stderr + stdout);
}

export function parseTurnList(stdout: string): TurnServer[] {
  const d = jsonFromOcc(stdout, 'talk:turn:list');
  if (!Array.isArray(d)) return [];
  return d
    .filter((s) => s && typeof s === 'object')
    .map((s) => ({
      // Talk before 17 stored no schemes: those entries are plain turn:.
      schemes: typeof s.schemes === 'string' ? s.schemes : 'turn',
      server: String(s.server ?? ''),
      secret: String(s.secret ?? ''),
      protocols: String(s.protocols ?? ''),
    }));
}

export function parseStunList(stdout: string): string[] {
  const d = jsonFromOcc(stdout, 'talk:stun:list');
  if (Array.isArray(d)) return d.map(String);
  if (d && typeof d === 'object') return Object.values(d).map(String);
  return [];
}
