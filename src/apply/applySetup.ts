// Writes a prepared setup: backups, atomic writes, nginx validation with rollback, then the
// optional service restart.
import { execa } from 'execa';
import type { SetupFlags } from '../options/setup.js';
import type { Output } from '../io/output.js';
import { EXIT, problem } from '../errors.js';
import { which } from '../io/target.js';
import type { Prepared } from '../plan/prepare.js';
import { applyPlan, ApplyError } from './apply.js';
import { validateNginx } from './validateNginx.js';
import { journalPath } from './journal.js';
import { publicSignalingUrl } from '../model/urls.js';

export function stampNow(d = new Date()): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** Writes the plan (backups, atomic writes, nginx validation with rollback), then --restart. */
export async function applyPrepared(
  p: Prepared,
  flags: Pick<SetupFlags, 'restart'>,
  out: Output,
  progress?: (line: string) => void,
): Promise<number> {
  let nginxSkipped: string | undefined;
  const nginxNotices: string[] = [];
  try {
    const result = await applyPlan(p.built.plan, {
      target: p.target,
      stamp: stampNow(),
      journal: journalPath(p.target, p.layout.configPath),
      onProgress: progress ?? ((line) => out.info(`  ${line}`)),
      validate: async (written) => {
        progress?.('validating nginx');
        const v = await validateNginx(p.target, p.layout, written);
        if (v.ok && v.skipped) nginxSkipped = v.skipped;
        nginxNotices.push(...(v.notices ?? []));
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
      return EXIT.failed;
    }
    throw err;
  }
  if (flags.restart) return restartServices(p, out);
  return EXIT.ok;
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
      `Then: ${dropInChanged(p) ? 'systemctl daemon-reload && ' : ''}systemctl restart ${p.layout.unit} && systemctl reload nginx (or run again with --restart), and spreed-setup check.`,
    );
  return lines;
}

async function restartServices(p: Prepared, out: Output): Promise<number> {
  if (p.target.root) {
    out.notice('--restart is ignored with --root (the files are staged, not installed)');
    return EXIT.ok;
  }
  const systemctl = which('systemctl');
  if (!systemctl) {
    out.problems([
      problem(
        '--restart needs systemctl, which is not installed here',
        `restart ${p.layout.unit} and reload nginx by hand`,
      ),
    ]);
    return EXIT.failed;
  }
  for (const args of [
    ...(dropInChanged(p) ? [['daemon-reload']] : []),
    ['restart', p.layout.unit],
    ...(p.layout.nginx.binary ? [['reload', 'nginx']] : []),
  ]) {
    out.info(`  systemctl ${args.join(' ')}`);
    const r = await execa(systemctl, args, { reject: false, timeout: 60000 });
    if (r.exitCode !== 0) {
      out.problems([
        problem(
          `systemctl ${args.join(' ')} failed: ${String(r.stderr ?? '')
            .trim()
            .split('\n')
            .pop()}`,
          args[1] ? `journalctl -u ${args[1]} -n 50` : 'systemctl status',
        ),
      ]);
      return EXIT.failed;
    }
  }
  return EXIT.ok;
}
