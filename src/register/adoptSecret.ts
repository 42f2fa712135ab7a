// "Reuse Nextcloud's secret": our backend takes over Talk's secret through setup's own plan and
// apply (backup, atomic write, modes, nginx check, rollback), never by editing text here. Refuses
// when setup itself has pending changes, so this step changes the secret and nothing else.
import path from 'node:path';
import { EXIT, UserError, problem, type Problem } from '../errors.js';
import type { SetupFlags } from '../options/setup.js';
import { toolVersion } from '../io/toolVersion.js';
import type { Output } from '../io/output.js';
import { prepareSetup, type Prepared } from '../plan/prepare.js';
import { applyPrepared } from '../apply/applySetup.js';
import { withSetupLock } from '../apply/lock.js';
import { hasChanges, summarize } from '../plan/plan.js';
import { backendSecretName } from '../secrets/secrets.js';

export function adoptBackendSecret(
  where: { root?: string; config?: string },
  backendId: string,
  value: string,
): Promise<string[]> {
  return withSetupLock(where, () => adoptLocked(where, backendId, value));
}

async function adoptLocked(
  where: { root?: string; config?: string },
  backendId: string,
  value: string,
): Promise<string[]> {
  const flags: SetupFlags = {
    ...where,
    nextcloud: [],
    rotate: [],
    yes: true,
    dryRun: false,
    restart: false,
    debug: false,
    help: false,
  };
  const version = toolVersion();
  const current = await prepareSetup(flags, version);
  if (hasChanges(current.built.plan)) {
    throw new UserError(
      [
        problem(
          'the installed files differ from what spreed-setup setup would write now, so its secret cannot be changed alone',
          `run spreed-setup setup${where.root ? ` --root ${where.root}` : ''} first (it shows what differs), then register again`,
        ),
      ],
      EXIT.failed,
    );
  }
  let p: Prepared;
  try {
    p = await prepareSetup(flags, version, { adopt: new Map([[backendSecretName(backendId), value]]) });
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    throw new UserError(
      err.problems.map((pr) =>
        problem(`Nextcloud's secret cannot be used here: ${pr.message}`, 'choose --secret-choice replace-all instead'),
      ),
      EXIT.failed,
    );
  }
  const lines: string[] = [];
  const failures: Problem[] = [];
  const collect: Output = {
    info: (l) => lines.push(`  ${l.trimStart()}`),
    notice: (l) => lines.push(`  notice: ${l}`),
    success: (l) => lines.push(`  ${l}`),
    problems: (ps) => failures.push(...ps),
    raw: () => {},
  };
  const code = await applyPrepared(p, { restart: false }, collect, (line) => {
    if (!line.startsWith('validating')) lines.push(`  ${line}`);
  });
  if (code !== EXIT.ok)
    throw new UserError(
      failures.length ? failures : [problem('writing the new secret failed (every file was put back)')],
      EXIT.failed,
    );
  const changed = summarize(p.built.plan, { changedOnly: true });
  lines.unshift(
    `Backend ${backendId} now uses Talk's secret (${path.join(p.layout.secretsDir, backendSecretName(backendId))} and ${p.layout.configPath}):`,
  );
  if (changed.length === 0) lines.push('  (the files already held it)');
  if (!p.target.root) lines.push(`  restart the signaling server so it uses it: systemctl restart ${p.layout.unit}`);
  return lines;
}
