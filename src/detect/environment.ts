// What else is on this machine, for the wizard's intro and its defaults: a nats-server on 4222,
// a Janus answering on 8188, a Nextcloud with occ, Let's Encrypt certificates, the FQDN.
// Every probe is bounded and touches only this host.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { runQuiet } from '../io/command.js';
import type { Target } from '../io/target.js';
import { systemHost } from '../io/host.js';
import { detectFrontEnd, type FrontEndFacts } from './webServer.js';
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
  /** This host's own addresses (not loopback), from its interfaces: a public one is what TURN announces. */
  addresses?: string[];
  /** Which web server owns 80/443 and which are installed (absent: not detected). */
  frontEnd?: FrontEndFacts;
}

export async function detectEnvironment(target: Target): Promise<Environment> {
  // A probe (and its client) loads only when something listens there.
  const answers = async (url: string, probe: () => Promise<{ ok: boolean }>) =>
    (await accepts(url, 800)) && (await probe()).ok;
  const [fqdn, nats, janus, release] = await Promise.all([
    machineFqdn(),
    answers(DEFAULT_LOCAL_NATS, async () =>
      (await import('../probe/nats.js')).natsInfo(DEFAULT_LOCAL_NATS, { timeoutMs: 800 }),
    ),
    answers(DEFAULT_JANUS_URL, async () =>
      (await import('../probe/janus.js')).janusInfo(DEFAULT_JANUS_URL, { timeoutMs: 800 }),
    ),
    osRelease(target),
  ]);
  const env: Environment = {
    fqdn,
    letsEncryptHosts: letsEncryptHosts(target),
    nginxServerNames: nginxServerNames(target),
    frontEnd: detectFrontEnd(systemHost(target)),
  };
  env.addresses = Object.values(os.networkInterfaces())
    .flat()
    .filter((a): a is os.NetworkInterfaceInfo => !!a && !a.internal)
    .map((a) => a.address);
  const system = release.PRETTY_NAME;
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

/** Whether a TCP connection to the URL's host and port is accepted within timeoutMs. */
function accepts(url: string, timeoutMs: number): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function machineFqdn(): Promise<string> {
  const r = await runQuiet('hostname', ['-f'], 2000);
  const name = r.stdout.trim();
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
 * the ini parser (loaded on first use) reads as it is (quotes removed; no sections).
 */
export async function osRelease(target: Target): Promise<Record<string, string>> {
  const { parse: parseIni } = await import('ini');
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
