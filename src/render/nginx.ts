// Renders the nginx side: the upstream (http context), the two locations upstream recommends,
// and either a complete HTTPS site for the hostname or a snippet to include in an existing one.
import type { Deployment } from '../model/deployment.js';
import type { NginxLayout } from '../model/layout.js';
import { renderTemplate } from './templates.js';

export const UPSTREAM_NAME = 'spreed_signaling';

export interface NginxRenderOptions {
  layout: NginxLayout;
  /** `http2 on;` needs nginx 1.25.1; older ones take `http2` on the listen line. */
  nginxVersion?: string;
  /** Override certificate paths (used to validate a site before the certificate exists). */
  certificate?: string;
  key?: string;
}

export interface NginxFiles {
  upstream: string;
  /** The complete site (mode "site") … */
  site?: string;
  /** … or the locations to include in an existing server block (mode "snippet"). */
  snippet?: string;
}

/** How to get the certificate: the webroot challenge, or standalone where the front end serves no files. */
export function certbotCommand(d: { hostname: string; nginx: { server: string; acmeWebroot: string } }): string {
  return d.nginx.server === 'haproxy' || d.nginx.server === 'traefik'
    ? `certbot certonly --standalone -d ${d.hostname} (with port 80 free for it)`
    : `certbot certonly --webroot -w ${d.nginx.acmeWebroot} -d ${d.hostname}`;
}

export function defaultCertificatePaths(hostname: string): { certificate: string; key: string } {
  return {
    certificate: `/etc/letsencrypt/live/${hostname}/fullchain.pem`,
    key: `/etc/letsencrypt/live/${hostname}/privkey.pem`,
  };
}

function supportsHttp2Directive(version: string | undefined): boolean {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return false;
  const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return a > 1 || (a === 1 && (b > 25 || (b === 25 && c >= 1)));
}

/** The servers of the upstream block: every cluster node given, else this host's one server. */
export function upstreamServersOf(d: Pick<Deployment, 'listen' | 'nginx'>): string[] {
  const servers = d.nginx.upstreams ?? [d.listen];
  for (const s of servers)
    if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(s))
      throw new Error(`an upstream server must be HOST:PORT, not ${JSON.stringify(s)}`);
  return servers;
}

export function renderNginx(d: Deployment, opts: NginxRenderOptions): NginxFiles {
  const upstream = renderTemplate('nginx-upstream.conf.mustache', {
    upstream: UPSTREAM_NAME,
    servers: upstreamServersOf(d),
    several: (d.nginx.upstreams?.length ?? 1) > 1,
  });
  const locations = renderTemplate('nginx-locations.conf.mustache', {
    upstream: UPSTREAM_NAME,
    hostname: d.hostname,
    basePath: d.basePath,
  });
  if (d.nginx.mode === 'snippet') return { upstream, snippet: locations };
  if (d.nginx.mode === 'none') return { upstream };

  const certs = defaultCertificatePaths(d.hostname);
  const n = d.nginx;
  const http2Directive = supportsHttp2Directive(opts.nginxVersion);
  const addrs = (port: number) => (n.bindAddress ? [`${n.bindAddress}:${port}`] : [`${port}`, `[::]:${port}`]);
  const site = renderTemplate('nginx-site.conf.mustache', {
    hostname: d.hostname,
    upstream: UPSTREAM_NAME,
    upstreamPath: opts.layout.upstreamPath,
    httpListen: addrs(n.httpPort),
    httpsListen: addrs(n.httpsPort).map((a) => `${a} ssl${http2Directive ? '' : ' http2'}`),
    http2Directive,
    httpsPortSuffix: n.httpsPort === 443 ? '' : `:${n.httpsPort}`,
    acmeWebroot: n.acmeWebroot,
    certificate: opts.certificate ?? n.certificate ?? certs.certificate,
    key: opts.key ?? n.key ?? certs.key,
    locationsBlock: locations
      .trimEnd()
      .split('\n')
      .map((l) => (l.length ? `    ${l}` : ''))
      .join('\n'),
  });
  return { upstream, site };
}
