// How many people the setup can carry at once: every proxied websocket holds two nginx connections
// and one open file in the signaling server (facts sheet section 7). Pure parsing here; reading
// /proc and nginx.conf happens in the catalogue.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

export interface NginxLimits {
  workerProcesses: number;
  workerConnections: number;
  /** worker_rlimit_nofile when set: caps each worker's connections too. */
  rlimitNofile?: number;
}

/** Reads `worker_processes` and `events { worker_connections }` from nginx.conf text (nginx defaults: 1, 512). */
export function parseNginxLimits(text: string, cpus = os.cpus().length || 1): NginxLimits {
  const clean = text.replace(/#[^\n]*/g, '');
  const wp = /(?:^|[;{}\s])worker_processes\s+(auto|\d+)\s*;/.exec(clean)?.[1];
  const wc = /(?:^|[;{}\s])worker_connections\s+(\d+)\s*;/.exec(clean)?.[1];
  const rl = /(?:^|[;{}\s])worker_rlimit_nofile\s+(\d+)\s*;/.exec(clean)?.[1];
  return {
    workerProcesses: wp === undefined ? 1 : wp === 'auto' ? cpus : Number(wp),
    workerConnections: wc === undefined ? 512 : Number(wc),
    ...(rl !== undefined ? { rlimitNofile: Number(rl) } : {}),
  };
}

/** Participants nginx can proxy: two connections per websocket, in every worker. */
export function nginxParticipants(l: NginxLimits): number {
  const perWorker = l.rlimitNofile !== undefined ? Math.min(l.workerConnections, l.rlimitNofile) : l.workerConnections;
  return Math.floor((l.workerProcesses * perWorker) / 2);
}

/** Participants the server's open-files limit allows (one websocket each, minus a reserve for its own files and connections). */
export function serverParticipants(nofile: number): number {
  return Math.max(0, nofile - 64);
}

/** Soft "Max open files" from /proc/PID/limits text. */
export function parseNofile(limitsText: string): number | undefined {
  const m = /^Max open files\s+(\d+|unlimited)\s+/m.exec(limitsText);
  if (!m) return undefined;
  return m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
}

/**
 * The pid of a running signaling server started with this config file (or, without a match on the
 * config, the only signaling server running). Undefined when none is found.
 */
export function findServerPid(configFile: string, opts: { exactOnly?: boolean } = {}): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return undefined;
  }
  const candidates: { pid: number; matchesConfig: boolean }[] = [];
  for (const e of entries) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').filter(Boolean);
    } catch {
      continue;
    }
    const bin = argv[0] ?? '';
    if (!/(^|\/)(nextcloud-spreed-signaling-server|signaling)$/.test(bin)) continue;
    const i = argv.indexOf('--config');
    const conf = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--config='))?.slice('--config='.length);
    candidates.push({ pid: Number(e), matchesConfig: conf === configFile });
  }
  const exact = candidates.find((c) => c.matchesConfig);
  if (exact) return exact.pid;
  return !opts.exactOnly && candidates.length === 1 ? candidates[0]!.pid : undefined;
}
