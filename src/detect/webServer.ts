// Which web server fronts this machine: the one whose process listens on 80/443 (from /proc,
// through HostFacts), else the ones installed (their programs, or Traefik's static config, as
// Traefik often runs from a container). The default --web-server is the owner, else the one
// installed (nginx first when there are several, as before detection existed).
import type { HostFacts } from '../io/host.js';
import { WEB_SERVER_LABEL, WEB_SERVERS, type WebServer } from '../model/defaults.js';

/** How each web server shows: its process names and the paths that say it is installed. */
const SIGNS: Record<WebServer, { comm: string[]; paths: string[] }> = {
  nginx: { comm: ['nginx'], paths: ['/usr/sbin/nginx'] },
  apache: { comm: ['apache2', 'httpd'], paths: ['/usr/sbin/apache2'] },
  caddy: { comm: ['caddy'], paths: ['/usr/bin/caddy'] },
  haproxy: { comm: ['haproxy'], paths: ['/usr/sbin/haproxy'] },
  traefik: {
    comm: ['traefik'],
    paths: [
      '/usr/local/bin/traefik',
      '/usr/bin/traefik',
      '/etc/traefik/traefik.yml',
      '/etc/traefik/traefik.yaml',
      '/etc/traefik/traefik.toml',
    ],
  },
};

export { WEB_SERVER_LABEL };

export interface FrontEndFacts {
  /** The web server listening on 80 or 443, when one of ours does. */
  owner?: WebServer;
  /** The other programs on 80/443 (a container proxy, an unknown server). */
  others: string[];
  installed: WebServer[];
}

export function detectFrontEnd(host: HostFacts): FrontEndFacts {
  const programs = host.listeningPrograms([443, 80]);
  const owner = WEB_SERVERS.find((w) => SIGNS[w].comm.some((c) => programs.includes(c)));
  const known = new Set(WEB_SERVERS.flatMap((w) => SIGNS[w].comm));
  const installed = WEB_SERVERS.filter((w) => w === owner || SIGNS[w].paths.some((p) => host.exists(p)));
  return { ...(owner ? { owner } : {}), others: programs.filter((p) => !known.has(p)), installed };
}

/** The front end to default to, or undefined when nothing is found. */
export function defaultFrontEnd(f: FrontEndFacts): WebServer | undefined {
  return f.owner ?? (f.installed.includes('nginx') ? 'nginx' : f.installed[0]);
}

/** One line saying what was found, for the plan's notices and the wizard. */
export function describeFrontEnd(f: FrontEndFacts): string {
  if (f.owner)
    return `${WEB_SERVER_LABEL[f.owner]} listens on port 80/443${f.installed.length > 1 ? ` (installed: ${f.installed.map((w) => WEB_SERVER_LABEL[w]).join(', ')})` : ''}`;
  const others = f.others.length ? `; ports 80/443 are held by ${f.others.join(', ')}` : '';
  if (f.installed.length === 0) return `no web server found (nginx, Apache, Caddy, HAProxy, Traefik)${others}`;
  return `installed: ${f.installed.map((w) => WEB_SERVER_LABEL[w]).join(', ')}, none listening on port 80/443${others}`;
}
