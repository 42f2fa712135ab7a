// Finds where things go: how the signaling server is installed (Debian package, upstream's unit,
// or a custom path) and how nginx lays out its configuration. Nothing found -> Debian layout.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ApacheLayout, CaddyLayout, HaproxyLayout, Layout, NginxLayout, TraefikLayout } from '../model/layout.js';
import { type Target, which } from '../io/target.js';

/** The state file `setup` leaves next to server.conf (detect/installed.ts reads and renders it). */
export const STATE_FILE = 'spreed-setup.yaml';

export function statePath(layout: Pick<Layout, 'configPath'>): string {
  return path.join(path.dirname(layout.configPath), STATE_FILE);
}

const DEBIAN = {
  configPath: '/etc/nextcloud-spreed-signaling/server.conf',
  user: '_signaling',
  unit: 'nextcloud-spreed-signaling',
  binary: '/usr/bin/nextcloud-spreed-signaling-server',
};
const UPSTREAM = {
  configPath: '/etc/signaling/server.conf',
  user: 'signaling',
  unit: 'signaling',
  binary: '/usr/bin/signaling',
};

export function detectNginxLayout(target: Target): NginxLayout {
  // Under --root the staged tree's layout; otherwise the host's.
  const debian = target.root
    ? target.exists('/etc/nginx/sites-available') || !target.exists('/etc/nginx/conf.d')
    : existsSync('/etc/nginx/sites-available') || !existsSync('/etc/nginx/conf.d');
  const binary = which('nginx');
  const common = {
    upstreamPath: '/etc/nginx/conf.d/spreed-signaling-upstream.conf',
    snippetPath: '/etc/nginx/snippets/spreed-signaling.conf',
    mainConfPath: '/etc/nginx/nginx.conf',
    unit: 'nginx',
    ...(binary ? { binary } : {}),
  };
  return debian
    ? {
        kind: 'debian',
        sitePath: '/etc/nginx/sites-available/spreed-signaling.conf',
        enabledLink: '/etc/nginx/sites-enabled/spreed-signaling.conf',
        ...common,
      }
    : { kind: 'confd', sitePath: '/etc/nginx/conf.d/spreed-signaling.conf', ...common };
}

/** Debian's Apache 2.4 layout (the binary is detected). */
export const DEBIAN_APACHE: ApacheLayout = {
  sitePath: '/etc/apache2/sites-available/spreed-signaling.conf',
  enabledLink: '/etc/apache2/sites-enabled/spreed-signaling.conf',
  snippetPath: '/etc/apache2/spreed-signaling-include.conf',
  modsAvailable: '/etc/apache2/mods-available',
  modsEnabled: '/etc/apache2/mods-enabled',
  unit: 'apache2',
};

/** Debian's Caddy 2 layout (the binary is detected). */
export const DEBIAN_CADDY: CaddyLayout = {
  caddyfile: '/etc/caddy/Caddyfile',
  sitePath: '/etc/caddy/spreed-signaling.caddy',
  snippetPath: '/etc/caddy/spreed-signaling-handle.caddy',
  unit: 'caddy',
};

export function detectCaddyLayout(): CaddyLayout {
  const binary = which('caddy');
  return { ...DEBIAN_CADDY, ...(binary ? { binary } : {}) };
}

/** Debian's HAProxy layout (the binary is detected). */
export const DEBIAN_HAPROXY: HaproxyLayout = {
  configPath: '/etc/haproxy/haproxy.cfg',
  certPath: '/etc/haproxy/certs/spreed-signaling.pem',
  unit: 'haproxy',
};

export function detectHaproxyLayout(): HaproxyLayout {
  const binary = which('haproxy');
  return { ...DEBIAN_HAPROXY, ...(binary ? { binary } : {}) };
}

/** Traefik (not packaged in Debian): its file provider's directory, as its docs and most installs use. */
export const TRAEFIK: TraefikLayout = {
  dynamicPath: '/etc/traefik/dynamic/spreed-signaling.yml',
  unit: 'traefik',
};

export function detectTraefikLayout(): TraefikLayout {
  const binary = which('traefik');
  return { ...TRAEFIK, ...(binary ? { binary } : {}) };
}

export function detectApacheLayout(): ApacheLayout {
  const binary = which('apache2');
  return { ...DEBIAN_APACHE, ...(binary ? { binary } : {}) };
}

/** configOverride: --config PATH (a custom layout, service names taken from whichever is installed). */
export function detectLayout(target: Target, configOverride?: string): Layout {
  const nginx = detectNginxLayout(target);
  // Under --root only the staged tree says what is installed.
  const installed = (p: string) => (target.root ? target.exists(p) : existsSync(p));
  const upstreamInstalled =
    target.exists(UPSTREAM.configPath) || (!installed(DEBIAN.binary) && installed(UPSTREAM.binary));
  const base =
    upstreamInstalled && !target.exists(DEBIAN.configPath)
      ? { kind: 'upstream' as const, ...UPSTREAM }
      : { kind: 'debian' as const, ...DEBIAN };
  const configPath = configOverride ? path.resolve(configOverride) : base.configPath;
  const binary = installed(base.binary)
    ? base.binary
    : target.root
      ? undefined
      : (which('nextcloud-spreed-signaling-server') ?? which('signaling'));
  return {
    kind: configOverride ? 'custom' : base.kind,
    configPath,
    secretsDir: path.join(path.dirname(configPath), 'secrets'),
    serviceUser: base.user,
    serviceGroup: base.user,
    unit: base.unit,
    ...(binary ? { binary } : {}),
    nginx,
    apache: detectApacheLayout(),
    caddy: detectCaddyLayout(),
    haproxy: detectHaproxyLayout(),
    traefik: detectTraefikLayout(),
  };
}
