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
import { validateHaproxy } from './validateHaproxy.js';
import { webServerOf } from '../model/layout.js';
import { journalPath } from './journal.js';
import { restartPrevious, startAndProve, type StartResult } from './services.js';
import { publicSignalingUrl } from '../model/urls.js';

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
        progress?.('validating the web server configuration');
        const a = await validateApache(p.target, p.layout, written);
        if (a.ok && a.skipped) nginxSkipped = a.skipped;
        nginxNotices.push(...(a.notices ?? []));
        if (!a.ok) return a;
        const c = await validateCaddy(p.target, p.layout, written);
        if (c.ok && c.skipped) nginxSkipped = c.skipped;
        nginxNotices.push(...(c.notices ?? []));
        if (!c.ok) return c;
        const h = await validateHaproxy(p.target, p.layout, written);
        if (h.ok && h.skipped) nginxSkipped = h.skipped;
        nginxNotices.push(...(h.notices ?? []));
        if (!h.ok) return h;
        const v = await validateNginx(p.target, p.layout, written);
        if (v.ok && v.skipped) nginxSkipped = v.skipped;
        nginxNotices.push(...(v.notices ?? []));
        if (!v.ok || !start) return v;
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

/** A LimitNOFILE drop-in changes: systemd reads it only after daemon-reload. */
const dropInChanged = (p: Prepared) =>
  p.built.plan.changes.some((c) => c.role === 'systemd' && c.action !== 'unchanged');

export function nextSteps(p: Prepared, flags: Pick<SetupFlags, 'restart'>): string[] {
  const lines = [
    `Done. Talk's admin page (Administration settings > Talk > High-performance backend): ${publicSignalingUrl(p.deployment)}`,
    `The shared secret is in ${p.layout.secretsDir}/backend-${p.deployment.backends[0]!.id} (never printed); or run: spreed-setup register`,
  ];
  if (!flags.restart && !p.target.root)
    lines.push(
      `Then: ${dropInChanged(p) ? 'systemctl daemon-reload && ' : ''}systemctl restart ${p.layout.unit}${p.deployment.nginx.mode === 'none' ? '' : ` && systemctl reload ${webServerOf(p.layout, p.deployment.nginx.server).unit}`} (or run again without --no-start), and spreed-setup check.`,
    );
  return lines;
}
