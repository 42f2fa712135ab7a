// How many concurrent sessions a setup carries, and what to set for a target count. Each proxied
// websocket holds two nginx worker connections (client and upstream) and one open file in the
// signaling server (signaling-facts.md section 7). `setup` sizes from here, `check` computes the
// ceiling from here: one arithmetic for both.

/** nginx worker connections one session holds: the client's and the one to the upstream. */
export const NGINX_CONNECTIONS_PER_SESSION = 2;
/** Open files the signaling server keeps for itself (listeners, NATS, backend and Janus connections, logs). */
export const SERVER_FD_RESERVE = 64;
/** Workers do not share connections evenly: each is sized for this much more than its share. */
const WORKER_HEADROOM = 1.25;
/** Limits are rounded up to a multiple of this (a round number reads as chosen, not computed). */
const STEP = 1024;

/** The machine's own caps on open files. */
export interface MachineLimits {
  /** CPUs: nginx's `worker_processes auto`. */
  cpus: number;
  /** The highest open-files limit one process may get (see machineLimitsFrom). */
  perProcess: number;
  /** fs.file-max: open files of the whole system, when known. */
  system?: number;
}

/** nginx's worker settings as far as they bound connections. */
export interface NginxLimits {
  workerProcesses: number;
  workerConnections: number;
  /** worker_rlimit_nofile when set: caps each worker's open files, so its connections too. */
  rlimitNofile?: number;
  /** The workers' own open-files limit when known (from /proc), used when worker_rlimit_nofile is unset. */
  processNofile?: number;
}

/** Sessions nginx can proxy: two connections per websocket, in every worker. */
export function nginxSessions(l: NginxLimits): number {
  const files = l.rlimitNofile ?? l.processNofile;
  const perWorker = files !== undefined ? Math.min(l.workerConnections, files) : l.workerConnections;
  return Math.floor((l.workerProcesses * perWorker) / NGINX_CONNECTIONS_PER_SESSION);
}

/** Sessions the signaling server's open-files limit allows (one websocket each, minus its reserve). */
export function serverSessions(nofile: number): number {
  return Math.max(0, nofile - SERVER_FD_RESERVE);
}

const roundUp = (n: number) => Math.ceil(n / STEP) * STEP;

export interface Sizing {
  /** events { worker_connections } for each worker. */
  workerConnections: number;
  /** worker_rlimit_nofile (main context). */
  workerRlimitNofile: number;
  /** LimitNOFILE= for nginx's service. */
  nginxNofile: number;
  /** LimitNOFILE= for the signaling server's service. */
  serverNofile: number;
  /** Where a machine cap keeps a value below what the target needs, one line each. */
  shortfalls: string[];
}

/**
 * What to set for `sessions` concurrent sessions with `workers` nginx workers, within the
 * machine's caps. worker_rlimit_nofile is twice worker_connections (an nginx that also serves
 * files opens one per request) where the cap allows, and never below worker_connections.
 */
export function sizeFor(sessions: number, workers: number, machine: MachineLimits): Sizing {
  const cap = machine.perProcess;
  const shortfalls: string[] = [];
  const wantConnections = roundUp(
    Math.ceil((sessions * NGINX_CONNECTIONS_PER_SESSION * WORKER_HEADROOM) / Math.max(1, workers)),
  );
  const workerConnections = Math.min(wantConnections, cap);
  const workerRlimitNofile = Math.min(2 * workerConnections, cap);
  const serverWant = roundUp(Math.ceil(sessions * WORKER_HEADROOM) + SERVER_FD_RESERVE);
  const serverNofile = Math.min(serverWant, cap);
  const nginxCeiling = nginxSessions({ workerProcesses: workers, workerConnections, rlimitNofile: workerRlimitNofile });
  if (nginxCeiling < sessions)
    shortfalls.push(
      `nginx: ${workers} worker(s) × ${workerConnections} connections carry about ${nginxCeiling} sessions, below ${sessions}: this machine caps a process at ${cap} open files (fs.nr_open, or the container's limit); raise it, or add workers`,
    );
  if (serverSessions(serverNofile) < sessions)
    shortfalls.push(
      `signaling server: ${serverNofile} open files carry about ${serverSessions(serverNofile)} sessions, below ${sessions}: this machine caps a process at ${cap} open files`,
    );
  const total = workers * workerRlimitNofile + serverNofile;
  if (machine.system !== undefined && total > machine.system)
    shortfalls.push(
      `the whole system allows ${machine.system} open files (fs.file-max), fewer than nginx and the server may use together (${total}): raise fs.file-max`,
    );
  return { workerConnections, workerRlimitNofile, nginxNofile: workerRlimitNofile, serverNofile, shortfalls };
}

/** Soft and hard "Max open files" from /proc/PID/limits text ("unlimited" as MAX_SAFE_INTEGER). */
export function parseProcNofile(limitsText: string): { soft: number; hard: number } | undefined {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)\s+/m.exec(limitsText);
  if (!m) return undefined;
  const n = (s: string) => (s === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(s));
  return { soft: n(m[1]!), hard: n(m[2]!) };
}

/** CAP_SYS_RESOURCE: what lets a process raise its hard limits. */
const CAP_SYS_RESOURCE = 24n;

/**
 * The machine's caps, from files read through `readFile`: fs.nr_open, PID 1's hard limit (what
 * systemd's services can get), fs.file-max; and, where no process may hold CAP_SYS_RESOURCE (a
 * container's bounding set without it), this process's own hard limit, which nothing started
 * here can exceed.
 */
export function machineLimitsFrom(readFile: (file: string) => string | undefined, cpus: number): MachineLimits {
  const num = (file: string) => {
    const t = readFile(file)?.trim();
    return t !== undefined && /^\d+$/.test(t) ? Number(t) : undefined;
  };
  const nrOpen = num('/proc/sys/fs/nr_open') ?? 1_048_576;
  const caps = [nrOpen];
  const pid1 = parseProcNofile(readFile('/proc/1/limits') ?? '')?.hard;
  if (pid1 !== undefined) caps.push(pid1);
  const bounding = /^CapBnd:\s*([0-9a-f]+)$/im.exec(readFile('/proc/self/status') ?? '')?.[1];
  if (bounding !== undefined && ((BigInt(`0x${bounding}`) >> CAP_SYS_RESOURCE) & 1n) === 0n) {
    const own = parseProcNofile(readFile('/proc/self/limits') ?? '')?.hard;
    if (own !== undefined) caps.push(own);
  }
  const system = num('/proc/sys/fs/file-max');
  return {
    cpus: Math.max(1, cpus),
    perProcess: Math.min(...caps),
    ...(system !== undefined ? { system } : {}),
  };
}
