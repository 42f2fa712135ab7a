// `spreed-setup setup`: detect -> fill the model (flags, answers file, existing install) ->
// plan -> show -> apply. Nothing is written before every input is valid.
import type { SetupFlags } from '../options/setup.js';
import type { Output } from '../io/output.js';
import { EXIT } from '../errors.js';
import { writeAnswersOut } from '../inputs/answers.js';
import { hasChanges, renderDiff, summarize } from '../plan/plan.js';
import { prepareSetup } from '../plan/prepare.js';
import { adminFacts } from '../plan/review.js';
import { applyAndStart, nextSteps } from '../apply/applySetup.js';
import { reportingHooks, withSetupLock } from '../apply/lock.js';

export interface SetupEnv {
  out: Output;
  toolVersion: string;
}

export async function runSetup(flags: SetupFlags, env: SetupEnv): Promise<number> {
  return withSetupLock(flags, () => runSetupLocked(flags, env), reportingHooks(env.out, flags.dryRun));
}

async function runSetupLocked(flags: SetupFlags, env: SetupEnv): Promise<number> {
  const { out } = env;
  const p = await prepareSetup(flags, env.toolVersion);
  const { plan } = p.built;
  out.info(`spreed-setup: ${p.deployment.hostname} -> ${p.deployment.backends.flatMap((b) => b.urls).join(', ')}`);
  out.info(
    `server ${p.traits.version} (${p.versionSource}), ${p.layout.kind} layout, config ${p.layout.configPath}${p.target.root ? `, under ${p.target.root}` : ''}`,
  );
  if (flags.cluster && flags.node)
    out.info(`cluster ${flags.cluster}: node ${flags.node} (${p.mediaNode ? 'media: proxy and Janus' : 'signaling'})`);
  for (const n of p.notices) out.notice(n);

  if (flags.answersOut) {
    await writeAnswersOut(flags.answersOut, p.deployment, env.toolVersion);
    out.info(`Answers saved to ${flags.answersOut}`);
  }
  if (!hasChanges(plan)) {
    out.success('No changes: every file is already up to date.');
    return EXIT.ok;
  }
  out.info('');
  out.info('Plan:');
  for (const line of summarize(plan, { changedOnly: true })) out.info(`  ${line}`);
  const unchanged = plan.changes.filter((c) => c.action === 'unchanged').length;
  if (unchanged) out.info(`  (${unchanged} unchanged)`);
  out.info('');
  out.info('Before calls work:');
  for (const line of adminFacts(p)) out.info(`  ${line}`);
  if (flags.dryRun) {
    out.info('');
    out.raw(renderDiff(plan));
    out.info('');
    out.info('Dry run: nothing was written.');
    return EXIT.ok;
  }
  const applied = await applyAndStart(p, flags, out);
  if (applied.code !== EXIT.ok) return applied.code;
  for (const line of nextSteps(p, flags)) out.info(line);
  if (!applied.started) return EXIT.ok;
  return proveWorking(flags, out);
}

/** After a start: the check, and a last line that says "working" only when it passed. */
export async function proveWorking(
  where: { root?: string; config?: string; occ?: string },
  out: Output,
): Promise<number> {
  const { runCheck, formatPlain, summary } = await import('../check/run.js');
  out.info('');
  out.info('Checking every link (spreed-setup check):');
  const { report } = await runCheck({
    insecure: false,
    timeoutSeconds: 5,
    json: false,
    ...(where.root ? { root: where.root } : {}),
    ...(where.config ? { config: where.config } : {}),
    ...(where.occ ? { occ: where.occ } : {}),
  });
  for (const c of report.checks) out.raw(formatPlain(c, false));
  out.info(summary(report));
  const failing = report.checks.filter((c) => c.status === 'fail').length;
  if (failing) {
    out.problems([
      {
        message: `written and started, but ${failing} check${failing === 1 ? '' : 's'} fail${failing === 1 ? 's' : ''}`,
        fix: 'see the fixes above, then run spreed-setup check',
      },
    ]);
    return EXIT.failed;
  }
  out.success('Working: the signaling server runs with the new files and every check passed.');
  return EXIT.ok;
}
