// Capacity: how many participants nginx's worker limits and the server's open-files limit allow.
import { nginxParticipants, parseNginxLimits, parseNofile, serverParticipants } from '../capacity.js';
import type { CheckIO } from '../io.js';
import type { CheckDef } from '../runner.js';
import type { GroupContext } from './context.js';
import { pass, warn } from './outcome.js';

export type CapacityIO = Pick<CheckIO, 'readFile' | 'findServerPid'>;

export function capacityChecks(g: GroupContext<CapacityIO>): CheckDef[] {
  const { inputs, setup, io, unit } = g;
  const defs: CheckDef[] = [];
  defs.push({
    id: 'capacity',
    title: 'Capacity',
    async run() {
      const min = inputs.minParticipants ?? 500;
      const parts: string[] = [];
      const fixes: string[] = [];
      let n = Number.POSITIVE_INFINITY;
      const nginxConf = inputs.nginxConf ?? setup.target.path('/etc/nginx/nginx.conf');
      let nginxN: number | undefined;
      const nginxText = io.readFile(nginxConf);
      if (nginxText !== undefined) {
        const limits = parseNginxLimits(nginxText);
        nginxN = nginxParticipants(limits);
        n = Math.min(n, nginxN);
        parts.push(`nginx ${limits.workerProcesses} × ${limits.workerConnections} connections → ${nginxN}`);
        if (nginxN < min)
          fixes.push(
            `in ${nginxConf}: events { worker_connections 4096; } and worker_rlimit_nofile 8192; then systemctl reload nginx`,
          );
      } else {
        parts.push(`nginx limits unknown (cannot read ${nginxConf})`);
      }
      // Under --root only a server started with that very file counts.
      const pid = io.findServerPid(setup.target.path(setup.configPath), { exactOnly: setup.target.root !== undefined });
      let serverN: number | undefined;
      // An unreadable /proc/PID/limits (not ours to read) leaves the limit unknown.
      const limitsText = pid !== undefined ? io.readFile(`/proc/${pid}/limits`) : undefined;
      const nofile = limitsText !== undefined ? parseNofile(limitsText) : undefined;
      if (nofile !== undefined) {
        serverN = serverParticipants(nofile);
        n = Math.min(n, serverN);
        parts.push(`server open files ${nofile === Number.MAX_SAFE_INTEGER ? 'unlimited' : nofile} → ${serverN}`);
        if (serverN < min) fixes.push(`systemctl edit ${unit}: [Service] LimitNOFILE=65536, then restart it`);
      }
      if (serverN === undefined) parts.push('server open-files limit unknown (process not found)');
      if (nginxN === undefined && serverN === undefined)
        return warn(parts.join('; '), 'run check on the signaling host as root to read the limits');
      const detail = `about ${n} concurrent participants (${parts.join('; ')})`;
      if (n < min) return warn(detail, fixes[0] ?? 'raise the limits');
      if (nginxN === undefined || serverN === undefined)
        return warn(detail, 'run check on the signaling host as root to read both limits (or pass --nginx-conf PATH)');
      return pass(detail);
    },
  });
  return defs;
}
