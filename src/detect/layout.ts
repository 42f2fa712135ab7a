// Finds where things go: how the signaling server is installed (Debian package, upstream's unit,
// or a custom path) and how nginx lays out its configuration. Nothing found -> Debian layout.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

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
}

/** Every path we write goes through here, so --root can stage a whole install in a scratch dir. */
export class Target {
  constructor(readonly root: string | undefined) {}
  path(p: string): string {
    return this.root ? path.join(this.root, p) : p;
  }
  exists(p: string): boolean {
    return existsSync(this.path(p));
  }
}

const DEBIAN = { configPath: '/etc/nextcloud-spreed-signaling/server.conf', user: '_signaling', unit: 'nextcloud-spreed-signaling', binary: '/usr/bin/nextcloud-spreed-signaling-server' };
const UPSTREAM = { configPath: '/etc/signaling/server.conf', user: 'signaling', unit: 'signaling', binary: '/usr/bin/signaling' };

export function which(name: string, dirs = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/sbin', '/bin']): string | undefined {
  for (const d of dirs) {
    const p = path.join(d, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function detectNginxLayout(target: Target): NginxLayout {
  const debian = target.exists('/etc/nginx/sites-available') || existsSync('/etc/nginx/sites-available') || !existsSync('/etc/nginx/conf.d');
  const binary = which('nginx');
  const common = { upstreamPath: '/etc/nginx/conf.d/spreed-signaling-upstream.conf', snippetPath: '/etc/nginx/snippets/spreed-signaling.conf', ...(binary ? { binary } : {}) };
  return debian
    ? { kind: 'debian', sitePath: '/etc/nginx/sites-available/spreed-signaling.conf', enabledLink: '/etc/nginx/sites-enabled/spreed-signaling.conf', ...common }
    : { kind: 'confd', sitePath: '/etc/nginx/conf.d/spreed-signaling.conf', ...common };
}

/** configOverride: --config PATH (a custom layout, service names taken from whichever is installed). */
export function detectLayout(target: Target, configOverride?: string): Layout {
  const nginx = detectNginxLayout(target);
  const upstreamInstalled = target.exists(UPSTREAM.configPath) || (!existsSync(DEBIAN.binary) && existsSync(UPSTREAM.binary));
  const base = upstreamInstalled && !target.exists(DEBIAN.configPath) ? { kind: 'upstream' as const, ...UPSTREAM } : { kind: 'debian' as const, ...DEBIAN };
  const configPath = configOverride ? path.resolve(configOverride) : base.configPath;
  const binary = existsSync(base.binary) ? base.binary : which('nextcloud-spreed-signaling-server') ?? which('signaling');
  return {
    kind: configOverride ? 'custom' : base.kind,
    configPath,
    secretsDir: path.join(path.dirname(configPath), 'secrets'),
    serviceUser: base.user,
    serviceGroup: base.user,
    unit: base.unit,
    ...(binary ? { binary } : {}),
    nginx,
  };
}

/** Whether a group exists on this machine (not under --root: ownership is the real system's). */
export function groupId(name: string): number | undefined {
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const [n, , gid] = line.split(':');
      if (n === name && gid !== undefined) return Number(gid);
    }
  } catch {
    /* no /etc/group */
  }
  return undefined;
}
