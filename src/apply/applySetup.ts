// Writes a prepared setup: backups, atomic writes, nginx validation with rollback, then the
// optional service restart.
import type { SetupFlags } from '../options/setup.js';
import type { Output } from '../io/output.js';
import { EXIT, problem } from '../errors.js';
import type { Prepared } from '../plan/prepare.js';
import { hasChanges } from '../plan/plan.js';
import { applyPlan, ApplyError } from './apply.js';
import { validateNginx } from './validateNginx.js';
import { validateApache } from './validateApache.js';
import { validateCaddy } from './validateCaddy.js';
import { validateNats } from './validateNats.js';
import { validateHaproxy } from './validateHaproxy.js';
import { webServerOf } from '../model/layout.js';
import { journalPath } from './journal.js';
import { restartPrevious, startAndProve, type StartResult } from './services.js';
import { publicSignalingUrl } from '../model/urls.js';
import { NATS_SERVER, PROXY } from '../model/defaults.js';

export function stampNow(d = new Date()): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** What the service step did, for the command's last lines. */
export interface Applied {
  code: number;
  /** The server was (re)started and answered its welcome. */
  started?: boolean;
}

/**
 * Writes the plan (backups, atomic writes, nginx validation), then, unless staged under --root or
 * told not to, starts what changed and waits for the server's welcome: all inside one
 * transaction. A server that does not come up puts every file back and starts the previous one.
 */
export async function applyPrepared(
  p: Prepared,
  flags: Pick<SetupFlags, 'restart'>,
  out: Output,
  progress?: (line: string) => void,
): Promise<number> {
  return (await applyAndStart(p, flags, out, progress)).code;
}

export async function applyAndStart(
  p: Prepared,
  flags: Pick<SetupFlags, 'restart'>,
  out: Output,
  progress?: (line: string) => void,
): Promise<Applied> {
  let nginxSkipped: string | undefined;
  const nginxNotices: string[] = [];
  const say = progress ?? ((line: string) => out.info(`  ${line}`));
  const start = flags.restart && !p.target.root;
  const serviceEnv = { layout: p.layout, listen: p.deployment.listen, progress: say };
  let started: StartResult | undefined;
  try {
    const result = await applyPlan(p.built.plan, {
      target: p.target,
      stamp: stampNow(),
      journal: journalPath(p.target, p.layout.configPath),
      onProgress: say,
      validate: async (written) => {
        const n = await validateNats(p.target, written);
        if (n.ok && n.skipped) out.notice(n.skipped);
        if (!n.ok) return n;
        progress?.('validating the web server configuration');
        // Each front end's own validator (each skips what is not its own); nginx's last.
        let v: Awaited<ReturnType<typeof validateNginx>> = { ok: true };
        for (const validate of [validateApache, validateCaddy, validateHaproxy, validateNginx]) {
          v = await validate(p.target, p.layout, written);
          if (v.ok && v.skipped) nginxSkipped = v.skipped;
          nginxNotices.push(...(v.notices ?? []));
          if (!v.ok) return v;
        }
        if (!start) return v;
        // Still inside the transaction: a server that does not come up undoes the files.
        started = await startAndProve(written, serviceEnv);
        if (started.ok === false) return { ok: false, message: started.message, fix: started.fix };
        return v;
      },
    });
    if (nginxSkipped) out.notice(nginxSkipped);
    for (const n of nginxNotices) out.notice(n);
    if (result.backupDir) out.info(`Backups of replaced files: ${result.backupDir}`);
  } catch (err) {
    if (err instanceof ApplyError) {
      out.problems([problem(err.message, err.fix)]);
      if (err.rolledBack.length) out.info(`Put back: ${err.rolledBack.join(', ')}`);
      const failedStart = started as StartResult | undefined;
      if (failedStart && failedStart.ok === false) {
        if (failedStart.log.length) {
          out.info(`Last lines of ${p.layout.unit}'s log:`);
          for (const l of failedStart.log.slice(-10)) out.info(`  | ${l}`);
        }
        const hadServer = p.existing.configText !== undefined;
        if (hadServer) {
          const again = await restartPrevious(
            p.built.plan.changes.filter((c) => c.action !== 'unchanged'),
            {
              ...serviceEnv,
              listen: p.existing.reading?.input.listen ?? p.deployment.listen, // the replaced server.conf's
            },
          );
          (again.ok ? out.info : out.notice)(again.detail);
        }
      }
      return { code: EXIT.failed };
    }
    throw err;
  }
  const s = started as StartResult | undefined;
  if (flags.restart && p.target.root && hasChanges(p.built.plan))
    out.info(`Staged under ${p.target.root}: nothing was started (the services start on a run without --root).`);
  if (s?.ok === 'skipped') {
    out.notice(`${s.why}: the files are written, nothing was started. Run: ${s.todo.join('; ')}`);
    return { code: EXIT.ok };
  }
  if (s?.ok === true && s.ran.length) {
    out.info(`Started: ${s.ran.join('; ')}${s.version ? ` (server ${s.version} answers)` : ''}`);
    return { code: EXIT.ok, started: s.ran.some((r) => r.includes(' restart ')) };
  }
  return { code: EXIT.ok };
}

/** A cluster node's nats-server config changes: it restarts before the signaling server. */
const natsChanged = (p: Prepared) => p.built.plan.changes.some((c) => c.role === 'nats' && c.action !== 'unchanged');

/** A LimitNOFILE drop-in changes: systemd reads it only after daemon-reload. */
const dropInChanged = (p: Prepared) =>
  p.built.plan.changes.some((c) => c.role === 'systemd' && c.action !== 'unchanged');

export function nextSteps(p: Prepared, flags: Pick<SetupFlags, 'restart'>): string[] {
  if (p.mediaNode)
    return [
      `Done. The signaling nodes place publishers on this proxy (${p.deployment.proxyNode?.listen ?? ''}); nothing to register for a media node.`,
      ...(!flags.restart && !p.target.root ? [`Then: systemctl restart ${PROXY.unit} (and Janus's unit).`] : []),
    ];
  const c = p.clusterNode;
  const lines =
    c && c.name !== c.front
      ? [
          `Done. Talk knows the cluster by one URL, ${publicSignalingUrl(p.deployment)}: register it once, from the front node ${c.front} (spreed-setup register there), not from every node`,
        ]
      : [
          `Done. Talk's admin page (Administration settings > Talk > High-performance backend): ${publicSignalingUrl(p.deployment)}`,
          `The shared secret is in ${p.layout.secretsDir}/backend-${p.deployment.backends[0]!.id} (never printed); or run: spreed-setup register`,
        ];
  if (!flags.restart && !p.target.root)
    lines.push(
      `Then: ${dropInChanged(p) ? 'systemctl daemon-reload && ' : ''}${natsChanged(p) ? `systemctl restart ${NATS_SERVER.unit} && ` : ''}systemctl restart ${p.layout.unit}${p.deployment.nginx.mode === 'none' ? '' : ` && systemctl reload ${webServerOf(p.layout, p.deployment.nginx.server).unit}`} (or run again without --no-start), and spreed-setup check.`,
    );
  return lines;
}
