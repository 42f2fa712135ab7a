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

/**
 * Why a value cannot be the public host name, or undefined: what to drop when a URL, a port or a
 * path came with it, so flags, answers files and the wizard say the same.
 */
export function hostnameProblem(input: string): string | undefined {
  const s = input.trim();
  if (s === '') return 'is empty: type the host name browsers use to reach this server, e.g. hpb.example.org';
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s);
  if (scheme)
    return `is a URL: drop the "${scheme[1]}://" and give the host name only, e.g. ${rest(s.slice(scheme[0].length))}`;
  const slash = s.indexOf('/');
  if (slash > 0)
    return `has a path: drop the "${s.slice(slash)}" (the path is fixed: /standalone-signaling), e.g. ${s.slice(0, slash)}`;
  const port = /^([^:[\]]+):(\d*)$/.exec(s);
  if (port)
    return `has a port: drop the ":${port[2]}" (nginx serves HTTPS on port 443; another port is nginx.httpsPort in an answers file), e.g. ${port[1]}`;
  if (!isValidHostname(s.replace(/\.$/, '').toLowerCase()))
    return 'is not a valid host name (letters, digits, dots and dashes)';
  return undefined;
}

/** What is left of a URL without its scheme: the host, for "e.g." hints. */
function rest(afterScheme: string): string {
  return afterScheme.split(/[/:?#]/)[0] || 'hpb.example.org';
}

/** Why an IP address cannot be the public host name of an nginx site without its own certificate. */
export const IP_HOSTNAME_PROBLEM =
  "is an IP address: Let's Encrypt issues no certificates for IP addresses (so there is no default certificate path); use a DNS name that points at this server, or give your own certificate with --tls-cert PATH --tls-key PATH";

/**
 * Why HOST:PORT (a listen address) is not usable, or undefined: no colon, a port that is no
 * number or out of range, or a bad host, each said as such.
 */
export function hostPortProblem(s: string): string | undefined {
  const colon = s.lastIndexOf(':');
  if (colon < 0 || (s.startsWith('[') && !s.slice(0, colon).endsWith(']')))
    return 'must be HOST:PORT, e.g. 127.0.0.1:8080';
  const host = s.slice(0, colon);
  const port = s.slice(colon + 1);
  if (!/^\d+$/.test(port)) return 'the port is not a number (HOST:PORT, e.g. 127.0.0.1:8080)';
  if (Number(port) < 1 || Number(port) > 65535)
    return `port ${port.length <= 6 ? `${port} ` : ''}out of range (1-65535)`;
  if (host === '') return undefined;
  if (host.startsWith('[') ? isIP(host.slice(1, -1)) === 6 : isValidHostname(host) && !host.includes(':'))
    return undefined;
  return 'the host is not a valid host name or IP address (an IPv6 address goes in brackets: [::1]:8080)';
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

/** The schemes apt fetches an archive over (apt-transport-* aside). */
const APT_SCHEMES = ['http:', 'https:', 'file:', 'mirror:', 'mirror+http:', 'mirror+https:', 'mirror+file:'];

/**
 * Why a text cannot be an apt archive URI in a deb822 `URIs:` field, or undefined: one absolute
 * URL of a scheme apt knows, nothing that would break the field (whitespace, a line break, `#`).
 */
export function aptMirrorProblem(uri: string): string | undefined {
  if (/[\s#]/.test(uri)) return 'an apt URI contains no spaces, line breaks or "#"';
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return 'not an absolute URL (e.g. file:/srv/mirror/debian, or the http(s) URI of your Debian mirror)';
  }
  if (!APT_SCHEMES.includes(u.protocol)) return `apt does not fetch over ${u.protocol.replace(/:$/, '')}`;
  if (u.username || u.password) return 'credentials belong in /etc/apt/auth.conf.d, not in the URI';
  return undefined;
}

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

/** http://HOST:PORT for a listen address, as a client on this host asks it (a wildcard host on loopback). */
export function listenBase(listen: string): string {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(listen.trim());
  const host = m?.[1] ?? m?.[2] ?? '127.0.0.1';
  const port = m?.[3] ?? '8080';
  const h =
    host === '' || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}`;
}

/** Upstream's source repository, and the build context of its Janus image at a release (docker/janus). */
export const UPSTREAM_REPO = 'https://github.com/strukturag/nextcloud-spreed-signaling';
export const janusBuildContext = (release: string): string => `${UPSTREAM_REPO}.git#v${release}:docker/janus`;
