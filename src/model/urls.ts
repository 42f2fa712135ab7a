// Every rule about URLs and host names in one place: valid host names, Nextcloud base URLs and
// their normalisation, the public signaling URL, and Talk's way of comparing server URLs.
import { isIP } from 'node:net';
const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

export function isValidHostname(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  if (isIpAddress(host)) return true;
  const labels = host.split('.');
  // All digits and dots is a malformed address (999.999.999.999), never a name.
  if (/^\d+$/.test(labels[labels.length - 1]!)) return false;
  return labels.every((label) => HOST_LABEL.test(label));
}

/** A real IPv4 or IPv6 address (brackets allowed around IPv6), as node's parser accepts it. */
export function isIpAddress(host: string): boolean {
  return isIP(host.replace(/^\[(.*)\]$/, '$1')) !== 0;
}

/** Why a Nextcloud base URL would not work as a backend URL, or undefined when fine. */
export function nextcloudUrlProblem(url: string): string | undefined {
  // Before the URL parser, which drops tabs and line breaks and percent-encodes other controls.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(url))
    return 'contains a control character (a line break, tab, escape or the like)';
  if (/\s/.test(url)) return 'contains spaces';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'is not a URL (expected e.g. https://cloud.example.org)';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    return 'must use http:// or https:// (the server only talks HTTP to Nextcloud)';
  if (!isValidHostname(u.hostname.replace(/^\[|\]$/g, ''))) return 'has an invalid host name';
  if (u.username || u.password) return 'must not contain a user name or password';
  if (u.port === '0') return 'has port 0; give the port Nextcloud listens on (1-65535), or none';
  // The server's config parser would replace these with other values (another key's, or the environment's).
  if (/%\(|\$\(/.test(url))
    return 'contains "%(" or "$(", which the server\'s config parser would replace with other values';
  if (u.search || u.hash || /[?#]/.test(url)) return "has a query or fragment; give Nextcloud's base URL only";
  if (/\/ocs(\/|$)/i.test(u.pathname))
    return "points at an /ocs/ endpoint; give Nextcloud's base URL (e.g. https://cloud.example.org)";
  if (/\/index\.php(\/|$)/i.test(u.pathname)) return "contains index.php; give Nextcloud's base URL without it";
  if (/\/(apps|remote\.php|status\.php|login)(\/|$)/i.test(u.pathname))
    return 'points inside Nextcloud; give its base URL';
  if (/\s/.test(url)) return 'contains spaces';
  return undefined;
}

export interface Normalized<T> {
  value: T;
  notices: string[];
}

/** Trims, lower-cases the host (the server compares hosts case-sensitively), drops default ports and a trailing slash. */
export function normalizeNextcloudUrl(input: string): Normalized<string> {
  const notices: string[] = [];
  const raw = input.trim();
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { value: raw, notices };
  }
  // Credentials are refused by nextcloudUrlProblem, never dropped silently here.
  if (u.username || u.password) return { value: raw, notices };
  const hostInInput = /^[a-z]+:\/\/([^/:?#]+)/i.exec(raw)?.[1];
  if (hostInInput && hostInInput !== hostInInput.toLowerCase()) {
    notices.push(
      `Nextcloud host "${hostInInput}" lower-cased to "${u.hostname}" (the server compares host names case-sensitively)`,
    );
  }
  const path = u.pathname.replace(/\/+$/, '');
  const value = `${u.protocol}//${u.host}${path}${u.search}${u.hash}`;
  return { value, notices };
}

export function normalizeHostname(input: string): Normalized<string> {
  const trimmed = input.trim().replace(/\.$/, '');
  const lower = trimmed.toLowerCase();
  return { value: lower, notices: lower !== trimmed ? [`hostname "${trimmed}" lower-cased to "${lower}"`] : [] };
}

/** The URL Talk's admin page wants: https://HOST/standalone-signaling */
export function publicSignalingUrl(d: { hostname: string; basePath: string; nginx: { httpsPort: number } }): string {
  const port = d.nginx.httpsPort !== 443 ? `:${d.nginx.httpsPort}` : '';
  return `https://${d.hostname}${port}${d.basePath}`;
}

/**
 * Talk's key for a signaling server URL (Manager::checkServerCompatibility): the whole URL
 * lower-cased, no trailing slash, wss -> https, ws -> http. Two URLs are one server to Talk when
 * their keys are equal.
 */
export function talkServerUrlKey(url: string): string {
  let u = url.trim().toLowerCase().replace(/\/+$/, '');
  if (u.startsWith('wss://')) u = 'https://' + u.slice(6);
  else if (u.startsWith('ws://')) u = 'http://' + u.slice(5);
  return u;
}

/**
 * Why a base path would fail for Talk, or undefined: Talk lower-cases the whole server URL before
 * it calls it, while nginx locations and the server's paths are case-sensitive.
 */
export function basePathProblem(basePath: string): string | undefined {
  if (basePath === basePath.toLowerCase()) return undefined;
  return `has upper-case letters: Talk lower-cases the server URL before it calls it, so ${basePath} would answer 404 for Talk; use ${basePath.toLowerCase()}`;
}

/** The URL Talk would call instead, when a server URL's path has upper-case letters; else undefined. */
export function talkLowerCasedPath(url: string): string | undefined {
  let path: string;
  try {
    path = new URL(url.trim()).pathname;
  } catch {
    return undefined;
  }
  return /[A-Z]/.test(path) ? talkServerUrlKey(url) : undefined;
}

export const sameTalkServer = (a: string, b: string): boolean => talkServerUrlKey(a) === talkServerUrlKey(b);

/**
 * Why an external TURN server given as HOST:PORT would not work, or undefined. Talk's
 * talk:turn:add strips only http(s)://, so a `turn:` prefix would be stored as part of the host,
 * and Janus cannot parse a host with a path.
 */
export function turnHostPortProblem(s: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^(turns?|stuns?):/i.test(s))
    return 'has a scheme; give HOST:PORT only (e.g. turn.example.org:3478)';
  if (/[/?#]/.test(s)) return 'has a path or query; give HOST:PORT only (Janus cannot parse a host with a path)';
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):(\d{1,5})$/.exec(s);
  if (!m) return 'must be HOST:PORT, e.g. turn.example.org:3478';
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return `has port ${m[2]}; a port is 1-65535`;
  const host = m[1]!;
  if (!(host.startsWith('[') ? isIP(host.slice(1, -1)) === 6 : isValidHostname(host.toLowerCase())))
    return 'has an invalid host name or IP address';
  return undefined;
}
