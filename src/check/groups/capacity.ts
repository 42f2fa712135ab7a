// Capacity: the real ceiling of concurrent sessions, from nginx's workers × worker_connections
// (two per session), their open-files limit (worker_rlimit_nofile, else the workers' own), and the
// signaling server's open-files limit, against the sessions the install was sized for.
import os from 'node:os';
import {
  machineLimitsFrom,
  nginxSessions,
  parseProcNofile,
  serverSessions,
  sizeFor,
  type NginxLimits,
} from '../../model/capacity.js';
import { DEFAULT_SESSIONS } from '../../model/defaults.js';
import { nginxLimitsOf } from '../../render/nginxMain.js';
import { dropInPath } from '../../render/systemd.js';
import type { CheckIO } from '../io.js';
import type { CheckDef } from '../runner.js';
import type { GroupContext } from './context.js';
import { pass, warn } from './outcome.js';

export type CapacityIO = Pick<CheckIO, 'readFile' | 'findServerPid' | 'findNginxWorkerPids'>;

const shownLimit = (n: number) => (n === Number.MAX_SAFE_INTEGER ? 'unlimited' : String(n));

export function capacityChecks(g: GroupContext<CapacityIO>): CheckDef[] {
  const { inputs, setup, io, unit } = g;
  const defs: CheckDef[] = [];
  defs.push({
    id: 'capacity',
    title: 'Capacity',
    async run() {
      const target = inputs.minParticipants ?? setup.sessions ?? DEFAULT_SESSIONS;
      const machine = machineLimitsFrom(io.readFile, os.cpus().length || 1);
      const parts: string[] = [];
      const fixes: string[] = [];
      let n = Number.POSITIVE_INFINITY;
      const nginxConf = inputs.nginxConf ?? setup.target.path(setup.layout.nginx.mainConfPath);
      const rerun = `spreed-setup setup --sessions ${target} sets this`;
      let nginxN: number | undefined;
      const nginxText = io.readFile(nginxConf);
      if (nginxText !== undefined) {
        const limits: NginxLimits = nginxLimitsOf(nginxText, machine.cpus);
        let files = '';
        if (limits.rlimitNofile !== undefined) files = `, worker_rlimit_nofile ${limits.rlimitNofile}`;
        else if (setup.target.root === undefined) {
          // Without worker_rlimit_nofile each worker keeps the limit it started with.
          const soft = io
            .findNginxWorkerPids()
            .map((pid) => parseProcNofile(io.readFile(`/proc/${pid}/limits`) ?? '')?.soft)
            .filter((v): v is number => v !== undefined);
          if (soft.length) {
            limits.processNofile = Math.min(...soft);
            files = `, workers' open files ${shownLimit(limits.processNofile)}`;
          }
        }
        nginxN = nginxSessions(limits);
        n = Math.min(n, nginxN);
        parts.push(`nginx ${limits.workerProcesses} × ${limits.workerConnections} connections${files} → ${nginxN}`);
        if (nginxN < target) {
          const want = sizeFor(target, limits.workerProcesses, machine);
          fixes.push(
            `in ${nginxConf}: worker_rlimit_nofile ${want.workerRlimitNofile}; and events { worker_connections ${want.workerConnections}; } (${rerun}), then systemctl reload nginx`,
          );
        }
      } else {
        parts.push(`nginx limits unknown (cannot read ${nginxConf})`);
      }
      // Under --root only a server started with that very file counts.
      const pid = io.findServerPid(setup.target.path(setup.configPath), { exactOnly: setup.target.root !== undefined });
      let serverN: number | undefined;
      // An unreadable /proc/PID/limits (not ours to read) leaves the limit unknown.
      const limitsText = pid !== undefined ? io.readFile(`/proc/${pid}/limits`) : undefined;
      const nofile = limitsText !== undefined ? parseProcNofile(limitsText)?.soft : undefined;
      if (nofile !== undefined) {
        serverN = serverSessions(nofile);
        n = Math.min(n, serverN);
        parts.push(`server open files ${shownLimit(nofile)} → ${serverN}`);
        if (serverN < target) {
          const want = sizeFor(target, 1, machine);
          fixes.push(
            `LimitNOFILE=${want.serverNofile} in ${dropInPath(unit)} (${rerun}), then systemctl daemon-reload && systemctl restart ${unit}`,
          );
        }
      }
      if (serverN === undefined) parts.push('server open-files limit unknown (process not found)');
      if (nginxN === undefined && serverN === undefined)
        return warn(parts.join('; '), 'run check on the signaling host as root to read the limits');
      const detail = `about ${n} concurrent sessions, target ${target} (${parts.join('; ')})`;
      if (n < target) return warn(detail, fixes.join('; and '));
      if (nginxN === undefined || serverN === undefined)
        return warn(detail, 'run check on the signaling host as root to read both limits (or pass --nginx-conf PATH)');
      return pass(detail);
    },
  });
  return defs;
}
