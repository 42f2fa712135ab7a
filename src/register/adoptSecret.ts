// "Reuse Nextcloud's secret": our backend takes over Talk's secret through setup's own plan and
// apply (backup, atomic write, modes, rollback), never by editing text here. Refuses when setup
// itself has pending changes, so this step changes the secret and nothing else.
import path from 'node:path';
import { EXIT, UserError, problem } from '../errors.js';
import { parseSetupArgs } from '../cli/args.js';
import { toolVersion } from '../cli/main.js';
import { prepareSetup, stampNow } from '../commands/setup.js';
import { buildPlan } from '../plan/buildPlan.js';
import { hasChanges, summarize } from '../plan/plan.js';
import { applyPlan, ApplyError } from '../apply/apply.js';
import { nginxVersion, validateNginx } from '../apply/validateNginx.js';

export async function adoptBackendSecret(where: { root?: string; config?: string }, backendId: string, value: string): Promise<string[]> {
  const flags = parseSetupArgs(['--yes', ...(where.root ? ['--root', where.root] : []), ...(where.config ? ['--config', where.config] : [])]);
  const version = toolVersion();
  const p = await prepareSetup(flags, version);
  if (hasChanges(p.built.plan)) {
    throw new UserError([problem('the installed files differ from what spreed-setup setup would write now, so its secret cannot be changed alone', `run spreed-setup setup${where.root ? ` --root ${where.root}` : ''} first (it shows what differs), then register again`)], EXIT.failed);
  }
  const nv = await nginxVersion(p.layout.nginx.binary);
  const built = buildPlan(p.deployment, {
    target: p.target, layout: p.layout, traits: p.traits, existing: p.existing,
    rotate: new Set(),
    adopt: new Map([[`backend-${backendId}`, value]]),
    toolVersion: version,
    ...(nv ? { nginxVersion: nv } : {}),
  });
  if (built.problems.length) {
    throw new UserError(built.problems.map((pr) => problem(`Nextcloud's secret cannot be used here: ${pr.message}`, 'choose --secret-choice replace-all instead')), EXIT.failed);
  }
  const lines: string[] = [];
  try {
    const result = await applyPlan(built.plan, {
      target: p.target,
      stamp: stampNow(),
      onProgress: (line) => lines.push(`  ${line}`),
      validate: (written) => validateNginx(p.target, p.layout, written),
    });
    if (result.backupDir) lines.push(`  backups of replaced files: ${result.backupDir}`);
  } catch (err) {
    if (err instanceof ApplyError) throw new UserError([problem(err.message, err.fix)], EXIT.failed);
    throw err;
  }
  const changed = summarize(built.plan).filter((l) => !l.startsWith('unchanged'));
  lines.unshift(`Backend ${backendId} now uses Talk's secret (${path.join(p.layout.secretsDir, `backend-${backendId}`)} and ${p.layout.configPath}):`);
  if (changed.length === 0) lines.push('  (the files already held it)');
  if (!p.target.root) lines.push(`  restart the signaling server so it uses it: systemctl restart ${p.layout.unit}`);
  return lines;
}
