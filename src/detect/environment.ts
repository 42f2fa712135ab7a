// What else is on this machine, for the wizard's intro and its defaults: a nats-server on 4222,
// a Janus answering on 8188, a Nextcloud with occ, Let's Encrypt certificates, the FQDN.
// Every probe is bounded and touches only this host.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { execa } from 'execa';
import { parse as parseIni } from 'ini';
import type { Target } from '../io/target.js';
import { DEFAULT_JANUS_URL, DEFAULT_LOCAL_NATS } from '../model/defaults.js';

export interface Environment {
  fqdn: string;
  natsLocal?: string; // nats://127.0.0.1:4222 when a nats-server answers INFO there
  janusLocal?: string; // ws://127.0.0.1:8188 when Janus answers its info request there
  occPath?: string; // a Nextcloud occ on this host
  letsEncryptHosts: string[];
  nginxServerNames: string[];
  /** The distribution, from os-release (e.g. "Debian GNU/Linux 12 (bookworm)"). */
  system?: string;
}

export async function detectEnvironment(target: Target): Promise<Environment> {
  const [{ natsInfo }, { janusInfo }] = await Promise.all([import('../probe/nats.js'), import('../probe/janus.js')]);
  const [fqdn, nats, janus] = await Promise.all([
    machineFqdn(),
    natsInfo(DEFAULT_LOCAL_NATS, { timeoutMs: 800 }).then((r) => r.ok),
    janusInfo(DEFAULT_JANUS_URL, { timeoutMs: 800 }).then((r) => r.ok),
  ]);
  const env: Environment = {
    fqdn,
    letsEncryptHosts: letsEncryptHosts(target),
    nginxServerNames: nginxServerNames(target),
  };
  const system = osRelease(target).PRETTY_NAME;
  if (system) env.system = system;
  if (nats) env.natsLocal = DEFAULT_LOCAL_NATS;
  if (janus) env.janusLocal = DEFAULT_JANUS_URL;
  const occ = [
    '/var/www/nextcloud/occ',
    '/var/www/html/occ',
    '/srv/nextcloud/occ',
    '/usr/share/nginx/nextcloud/occ',
    '/snap/bin/nextcloud.occ',
    '/run/current-system/sw/bin/nextcloud-occ',
  ].find((p) => existsSync(p));
  if (occ) env.occPath = occ;
  return env;
}

async function machineFqdn(): Promise<string> {
  const r = await execa('hostname', ['-f'], { reject: false, timeout: 2000 });
  const name = String(r.stdout ?? '').trim();
  return r.exitCode === 0 && name ? name.toLowerCase() : os.hostname().toLowerCase();
}

export function letsEncryptHosts(target: Target): string[] {
  try {
    return readdirSync(target.path('/etc/letsencrypt/live')).filter((n) =>
      existsSync(target.path(`/etc/letsencrypt/live/${n}/fullchain.pem`)),
    );
  } catch {
    return [];
  }
}

/** server_name values of enabled nginx sites (a default for the hostname question). */
export function nginxServerNames(target: Target): string[] {
  const names = new Set<string>();
  for (const dir of ['/etc/nginx/sites-enabled', '/etc/nginx/conf.d']) {
    let files: string[] = [];
    try {
      files = readdirSync(target.path(dir));
    } catch {
      continue;
    }
    for (const f of files) {
      try {
        const text = readFileSync(target.path(`${dir}/${f}`), 'utf8');
        for (const m of text.matchAll(/^\s*server_name\s+([^;]+);/gm)) {
          for (const n of m[1]!.split(/\s+/)) if (/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(n)) names.add(n.toLowerCase());
        }
      } catch {
        /* unreadable: skip */
      }
    }
  }
  return [...names];
}

/**
 * /etc/os-release (or /usr/lib/os-release) as key -> value: a shell-style KEY=value file that
 * the ini parser reads as it is (quotes removed; no sections).
 */
export function osRelease(target: Target): Record<string, string> {
  for (const p of ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      const data = parseIni(readFileSync(target.path(p), 'utf8')) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(data).filter((e): e is [string, string] => typeof e[1] === 'string'));
    } catch {
      /* try the next */
    }
  }
  return {};
}
