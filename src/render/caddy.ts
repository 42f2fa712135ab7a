// Renders the Caddy 2 side (frontends-facts.md §4): handle_path for the prefix with
// reverse_proxy (websocket upgrades pass by themselves; header_up inside reverse_proxy), in a
// site block for the hostname or alone, to import inside an existing site block.
import type { Deployment } from '../model/deployment.js';
import { listenBase } from '../model/urls.js';
import { renderTemplate } from './templates.js';

export interface CaddyFiles {
  site?: string;
  snippet?: string;
}

export function renderCaddy(d: Deployment): CaddyFiles {
  const handle = renderTemplate('caddy-handle.caddy.mustache', {
    hostname: d.hostname,
    basePath: d.basePath,
    upstream: listenBase(d.listen),
  });
  if (d.nginx.mode === 'none') return {};
  if (d.nginx.mode === 'snippet') return { snippet: handle };
  const n = d.nginx;
  // Without --tls-cert/--tls-key, Caddy gets and renews the certificate itself (automatic HTTPS).
  const tls = n.certificate && n.key ? { certificate: n.certificate, key: n.key } : undefined;
  const site = renderTemplate('caddy-site.caddy.mustache', {
    address: `${d.hostname}${n.httpsPort === 443 ? '' : `:${n.httpsPort}`}`,
    bind: n.bindAddress?.replace(/^\[|\]$/g, ''),
    tls,
    handleBlock: handle
      .trimEnd()
      .split('\n')
      .map((l) => (l.length ? `\t${l}` : ''))
      .join('\n'),
  });
  return { site };
}

/** The Caddyfile with an import of `file` added at its end (every other byte kept), or undefined when it has one. */
export function withImport(caddyfile: string, file: string): string | undefined {
  const line = `import ${file}`;
  if (caddyfile.split('\n').some((l) => l.trim() === line)) return undefined;
  return `${caddyfile}${caddyfile === '' || caddyfile.endsWith('\n') ? '' : '\n'}\n# Nextcloud Talk High Performance Backend (spreed-setup)\n${line}\n`;
}
