// What else is on this machine, for the wizard's intro and its defaults: a nats-server on 4222,
// a Janus answering on 8188, a Nextcloud with occ, Let's Encrypt certificates, the FQDN.
// Every probe is bounded and touches only this host.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { execa } from 'execa';
import type { Target } from '../io/target.js';

export interface Environment {
  fqdn: string;
  natsLocal?: string; // nats://127.0.0.1:4222 when a nats-server answers INFO there
  janusLocal?: string; // ws://127.0.0.1:8188 when Janus answers its info request there
  occPath?: string; // a Nextcloud occ on this host
  letsEncryptHosts: string[];
  nginxServerNames: string[];
}

export async function detectEnvironment(target: Target): Promise<Environment> {
  const [{ natsInfo }, { janusInfo }] = await Promise.all([import('../probe/nats.js'), import('../probe/janus.js')]);
  const [fqdn, nats, janus] = await Promise.all([
    machineFqdn(),
    natsInfo('nats://127.0.0.1:4222', { timeoutMs: 800 }).then((r) => r.ok),
    janusInfo('ws://127.0.0.1:8188', { timeoutMs: 800 }).then((r) => r.ok),
  ]);
  const env: Environment = { fqdn, letsEncryptHosts: letsEncryptHosts(target), nginxServerNames: nginxServerNames(target) };
  if (nats) env.natsLocal = 'nats://127.0.0.1:4222';
  if (janus) env.janusLocal = 'ws://127.0.0.1:8188';
  const occ = ['/var/www/nextcloud/occ', '/var/www/html/occ', '/srv/nextcloud/occ', '/usr/share/nginx/nextcloud/occ', '/snap/bin/nextcloud.occ', '/run/current-system/sw/bin/nextcloud-occ'].find((p) => existsSync(p));
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
    return readdirSync(target.path('/etc/letsencrypt/live')).filter((n) => existsSync(target.path(`/etc/letsencrypt/live/${n}/fullchain.pem`)));
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
