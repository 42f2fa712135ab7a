// Where a deployment's files live on a host: the signaling server's paths and service names, and
// nginx's layout. Detection fills it (detect/layout.ts); renderers and the plan only read it.

import type { WebServer } from './defaults.js';

export interface NginxLayout {
  kind: 'debian' | 'confd';
  /** nginx binary, when installed on this machine. */
  binary?: string;
  /** Where the complete site is written. */
  sitePath: string;
  /** Debian: sites-enabled link to sitePath. */
  enabledLink?: string;
  /** conf.d file holding the upstream block (http context on both layouts). */
  upstreamPath: string;
  /** Locations for an existing server block (never under conf.d: that is http context). */
  snippetPath: string;
  /** The main config (worker settings): Debian's /etc/nginx/nginx.conf. */
  mainConfPath: string;
  /** nginx's systemd unit. */
  unit: string;
}

/** Apache 2.4 the Debian way: sites-available/-enabled, mods-available/-enabled (a2enmod). */
export interface ApacheLayout {
  /** apache2 binary, when installed on this machine. */
  binary?: string;
  /** The complete TLS virtual host. */
  sitePath: string;
  /** sites-enabled link to sitePath (what a2ensite makes). */
  enabledLink: string;
  /** The include for an existing virtual host. */
  snippetPath: string;
  modsAvailable: string;
  modsEnabled: string;
  unit: string;
}

/** Caddy 2 (Debian: /etc/caddy/Caddyfile, which our site file is imported from). */
export interface CaddyLayout {
  binary?: string;
  caddyfile: string;
  /** The site block for the hostname (imported by the Caddyfile). */
  sitePath: string;
  /** The handle_path block to import inside an existing site block. */
  snippetPath: string;
  unit: string;
}

/** HAProxy 2.6 the Debian way: one haproxy.cfg (no include), our sections in a managed block. */
export interface HaproxyLayout {
  binary?: string;
  configPath: string;
  /**
   * The `crt` HAProxy loads: a link to the certificate, and beside it `<crt>.key`, a link to the
   * key (HAProxy 2.2+ loads that file when the PEM holds no key; ssl-load-extra-files).
   */
  certPath: string;
  unit: string;
}

/** Traefik v2/v3's file provider: one dynamic configuration file in its watched directory. */
export interface TraefikLayout {
  binary?: string;
  dynamicPath: string;
  unit: string;
}

/** A web server's unit and, when installed, its binary (Traefik's file is never validated here). */
export function webServerOf(
  layout: Pick<Layout, 'nginx' | 'apache' | 'caddy' | 'haproxy' | 'traefik'>,
  server: WebServer,
): { unit: string; binary?: string; validated: boolean } {
  const l = layout[server];
  return { unit: l.unit, ...(l.binary ? { binary: l.binary } : {}), validated: server !== 'traefik' && !!l.binary };
}

export interface Layout {
  kind: 'debian' | 'upstream' | 'custom';
  configPath: string;
  secretsDir: string;
  serviceUser: string;
  serviceGroup: string;
  unit: string;
  /** The server binary when installed. */
  binary?: string;
  nginx: NginxLayout;
  apache: ApacheLayout;
  caddy: CaddyLayout;
  haproxy: HaproxyLayout;
  traefik: TraefikLayout;
}
