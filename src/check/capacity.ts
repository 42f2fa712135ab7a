// Finding the processes whose limits bound the setup's capacity (the arithmetic is in
// model/capacity.ts; the check in groups/capacity.ts).
import { readdirSync, readFileSync } from 'node:fs';

/** argv of every process we may read, by pid. */
function processes(): { pid: number; argv: string[] }[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  const out: { pid: number; argv: string[] }[] = [];
  for (const e of entries) {
    try {
      out.push({ pid: Number(e), argv: readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').filter(Boolean) });
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

/** Pids of running nginx worker processes (their title is "nginx: worker process"). */
export function findNginxWorkerPids(): number[] {
  return processes()
    .filter((p) => /^nginx: worker process\b/.test(p.argv[0] ?? ''))
    .map((p) => p.pid);
}

/**
 * The pid of a running signaling server started with this config file (or, without a match on the
 * config, the only signaling server running). Undefined when none is found.
 */
export function findServerPid(configFile: string, opts: { exactOnly?: boolean } = {}): number | undefined {
  const candidates: { pid: number; matchesConfig: boolean }[] = [];
  for (const { pid, argv } of processes()) {
    const bin = argv[0] ?? '';
    // Debian's and upstream's names; `go install …/cmd/server` (and NixOS) name it plain "server",
    // too common a name to count without its --config naming this very file.
    const named = /(^|\/)(nextcloud-spreed-signaling-server|signaling)$/.test(bin);
    if (!named && !/(^|\/)server$/.test(bin)) continue;
    const i = argv.indexOf('--config');
    const conf = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--config='))?.slice('--config='.length);
    if (!named && conf !== configFile) continue;
    candidates.push({ pid, matchesConfig: conf === configFile });
  }
  const exact = candidates.find((c) => c.matchesConfig);
  if (exact) return exact.pid;
  return !opts.exactOnly && candidates.length === 1 ? candidates[0]!.pid : undefined;
}
