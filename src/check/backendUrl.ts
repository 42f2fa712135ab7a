// How the signaling server matches a Nextcloud URL against its backends' url(s) (facts sheet
// section 2): the scheme must match, the host is compared case-sensitively, :443/:80 are dropped,
// and the configured path is a prefix of the request's.

function parts(url: string): { scheme: string; host: string; path: string } | undefined {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/i.exec(url.trim());
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  let host = m[2]!;
  if ((scheme === 'https' && host.endsWith(':443')) || (scheme === 'http' && host.endsWith(':80')))
    host = host.replace(/:\d+$/, '');
  return { scheme, host, path: m[3]!.replace(/\/+$/, '') };
}

/** Whether a request naming `url` (e.g. Nextcloud's overwrite.cli.url) finds the backend configured as `configured`. */
export function backendUrlCovers(configured: string, url: string): boolean {
  const c = parts(configured);
  const u = parts(url);
  if (!c || !u) return false;
  return c.scheme === u.scheme && c.host === u.host && (u.path === c.path || u.path.startsWith(c.path + '/'));
}
