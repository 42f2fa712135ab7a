// Renders the Apache 2.4 side (frontends-facts.md §3): the locations (one ProxyPass with
// upgrade=websocket, the prefix stripped) and either a complete TLS virtual host for the hostname
// or an include for an existing one; and the modules they need.
import type { Deployment } from '../model/deployment.js';
import { listenBase } from '../model/urls.js';
import { defaultCertificatePaths } from './nginx.js';
import { renderTemplate } from './templates.js';

/** What the include needs (mod_proxy_http carries the websocket with upgrade=websocket). */
export const APACHE_PROXY_MODULES = ['proxy', 'proxy_http', 'headers'] as const;
/** What the complete virtual host needs besides: TLS, and the plain-HTTP redirect. */
export const APACHE_SITE_MODULES = ['ssl', 'alias'] as const;

export interface ApacheFiles {
  site?: string;
  snippet?: string;
  /** Modules to enable (a2enmod names), before their dependencies. */
  modules: string[];
}

export function renderApache(d: Deployment): ApacheFiles {
  const locations = renderTemplate('apache-locations.conf.mustache', {
    hostname: d.hostname,
    basePath: d.basePath,
    upstream: listenBase(d.listen),
  });
  if (d.nginx.mode === 'none') return { modules: [] };
  if (d.nginx.mode === 'snippet') return { snippet: locations, modules: [...APACHE_PROXY_MODULES] };
  const n = d.nginx;
  const certs = defaultCertificatePaths(d.hostname);
  const addr = (port: number) => (n.bindAddress ? `${n.bindAddress}:${port}` : `*:${port}`);
  // Debian's ports.conf already listens on 80 and 443 (every address); other ports are ours to add.
  const listens = [
    ...(n.httpPort !== 80 || n.bindAddress ? [addr(n.httpPort).replace(/^\*:/, '')] : []),
    ...(n.httpsPort !== 443 || n.bindAddress ? [addr(n.httpsPort).replace(/^\*:/, '')] : []),
  ];
  const modules = [...APACHE_PROXY_MODULES, ...APACHE_SITE_MODULES];
  const site = renderTemplate('apache-site.conf.mustache', {
    hostname: d.hostname,
    modules: modules.join(', '),
    listens,
    httpAddress: addr(n.httpPort),
    httpsAddress: addr(n.httpsPort),
    httpsPortSuffix: n.httpsPort === 443 ? '' : `:${n.httpsPort}`,
    acmeWebroot: n.acmeWebroot,
    certificate: n.certificate ?? certs.certificate,
    key: n.key ?? certs.key,
    locationsBlock: locations
      .trimEnd()
      .split('\n')
      .map((l) => (l.length ? `    ${l}` : ''))
      .join('\n'),
  });
  return { site, modules };
}
