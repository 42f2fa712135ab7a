// The files that let the setup carry `--sessions` concurrent sessions: worker_connections and
// worker_rlimit_nofile in nginx's main config (edited in place), and LimitNOFILE drop-ins for the
// services systemd runs. Pure over HostFacts. Never lowers a value an admin set higher.
import path from 'node:path';
import type { Deployment } from '../model/deployment.js';
import type { Layout } from '../model/layout.js';
import { sizeFor, type MachineLimits } from '../model/capacity.js';
import type { FileFact, HostFacts } from '../io/host.js';
import { nginxLimitsOf, raiseNginxLimits } from '../render/nginxMain.js';
import { dropInPath, EDIT_DROP_IN_NAME, limitNofileIn, renderLimitsDropIn, unitFilePaths } from '../render/systemd.js';
import { PUBLIC_FILE, type DesiredFile } from './plan.js';

/** Used when the caller knows nothing of the machine (tests): one CPU, Linux's default fs.nr_open. */
export const UNKNOWN_MACHINE: MachineLimits = { cpus: 1, perProcess: 1_048_576 };

function fileFact(host: HostFacts, p: string): FileFact | undefined {
  try {
    return host.file(p);
  } catch {
    return undefined; // unreadable: treated as absent here
  }
}

function textOf(host: HostFacts, p: string): string | undefined {
  const f = fileFact(host, p);
  if (f?.kind === 'file') return f.content;
  if (f?.kind === 'link') return f.resolved?.content;
  return undefined;
}

/**
 * A LimitNOFILE drop-in for `unit` when systemd has that unit on the target: none when what the
 * unit and `systemctl edit`'s override already set is enough; our own file kept as it is when it
 * already holds at least what is needed.
 */
function limitsDropIn(host: HostFacts, unit: string, nofile: number, sessions: number): DesiredFile | undefined {
  const { units, dropInDirs } = unitFilePaths(unit);
  if (!units.some((u) => textOf(host, u) !== undefined)) return undefined;
  // systemd's order: the unit, then drop-ins by file name (override.conf before ours).
  let others: number | undefined;
  for (const file of [...units, ...dropInDirs.map((d) => path.join(d, EDIT_DROP_IN_NAME))]) {
    const text = textOf(host, file);
    const v = text !== undefined ? limitNofileIn(text) : undefined;
    if (v !== undefined) others = v ?? undefined;
  }
  const ours = dropInPath(unit);
  const oursText = textOf(host, ours);
  const oursValue = oursText !== undefined ? limitNofileIn(oursText) : undefined;
  const need = Math.max(nofile, others ?? 0);
  if (oursText !== undefined && typeof oursValue === 'number' && oursValue >= need)
    return { path: ours, role: 'systemd', content: oursText, ownership: PUBLIC_FILE };
  if (oursText === undefined && others !== undefined && others >= nofile) return undefined;
  return { path: ours, role: 'systemd', content: renderLimitsDropIn(need, sessions), ownership: PUBLIC_FILE };
}

export function capacityFiles(
  d: Deployment,
  ctx: { host: HostFacts; layout: Layout; machine: MachineLimits },
): { desired: DesiredFile[]; notices: string[] } {
  const desired: DesiredFile[] = [];
  const notices: string[] = [];
  const nl = ctx.layout.nginx;
  const nginxFront = d.nginx.mode !== 'none' && d.nginx.server === 'nginx';
  const mainText = nginxFront ? textOf(ctx.host, nl.mainConfPath) : undefined;
  const workers = mainText !== undefined ? nginxLimitsOf(mainText, ctx.machine.cpus).workerProcesses : ctx.machine.cpus;
  const size = sizeFor(d.sessions, workers, ctx.machine);
  notices.push(...size.shortfalls);
  if (nginxFront) {
    const main = fileFact(ctx.host, nl.mainConfPath);
    if (main?.kind === 'link') {
      notices.push(
        `${nl.mainConfPath} is a symbolic link (to ${main.target}), which spreed-setup does not write through: for ${d.sessions} sessions set worker_rlimit_nofile ${size.workerRlimitNofile}; and events { worker_connections ${size.workerConnections}; } in it`,
      );
    } else if (main?.kind === 'file') {
      desired.push({
        path: nl.mainConfPath,
        role: 'nginx',
        content: raiseNginxLimits(main.content, size),
        ownership: { mode: main.mode, label: 'as it was' },
      });
    } else {
      notices.push(
        `no ${nl.mainConfPath}${ctx.host.root ? ` under ${ctx.host.root}` : ''}: for ${d.sessions} sessions set worker_rlimit_nofile ${size.workerRlimitNofile}; and events { worker_connections ${size.workerConnections}; } in nginx's main config`,
      );
    }
    const nginxDropIn = limitsDropIn(ctx.host, nl.unit, size.nginxNofile, d.sessions);
    if (nginxDropIn) desired.push(nginxDropIn);
  }
  const serverDropIn = limitsDropIn(ctx.host, ctx.layout.unit, size.serverNofile, d.sessions);
  if (serverDropIn) desired.push(serverDropIn);
  return { desired, notices };
}
