// `spreed-setup setup`: detect -> fill the model (flags, answers file, existing install) ->
// plan -> show -> apply. Nothing is written before every input is valid.
import { execa } from 'execa';
import type { SetupFlags } from '../cli/args.js';
import type { Output } from '../cli/output.js';
import { EXIT, UserError, problem, type Problem } from '../errors.js';
import { detectLayout, Target, which, type Layout } from '../detect/layout.js';
import { readExistingInstall, type ExistingInstall } from '../detect/existing.js';
import { detectServerVersion } from '../detect/version.js';
import { readState } from '../detect/installed.js';
import { DeploymentSchema, publicSignalingUrl, type Deployment } from '../model/deployment.js';
import { traitsFor, type ServerTraits } from '../model/versions.js';
import { describePath, inputFromFlags, loadAnswersFile, mergeInputs, normalizeInput } from '../ask/inputs.js';
import { buildPlan, type BuiltPlan } from '../plan/buildPlan.js';
import { hasChanges, renderDiff, summarize } from '../plan/plan.js';
import { applyPlan, ApplyError } from '../apply/apply.js';
import { nginxVersion, validateNginx } from '../apply/validateNginx.js';

export interface Prepared {
  target: Target;
  layout: Layout;
  existing: ExistingInstall;
  deployment: Deployment;
  traits: ServerTraits;
  versionSource: string;
  built: BuiltPlan;
  notices: string[];
}

export interface SetupEnv {
  out: Output;
  toolVersion: string;
  interactive: boolean;
  /** Asks for a yes/no; only called when interactive. */
  confirm?: (question: string) => Promise<boolean | 'cancel'>;
}

const REQUIRED: Array<{ key: 'hostname' | 'backends'; flag: string }> = [
  { key: 'hostname', flag: '--hostname NAME' },
  { key: 'backends', flag: '--nextcloud URL' },
];

export async function prepareSetup(flags: SetupFlags, toolVersion: string): Promise<Prepared> {
  const target = new Target(flags.root);
  const problems: Problem[] = [];
  const notices: string[] = [];
  const layout = detectLayout(target, flags.config);

  const { existing, problems: existingProblems } = readExistingInstall(target, layout);
  problems.push(...existingProblems);
  const state = readState(target, layout);
  problems.push(...state.problems);
  // The state file holds what server.conf cannot; server.conf itself wins for everything else.
  const fromExisting = mergeInputs(state.input, existing.reading?.input ?? {});
  notices.push(...(existing.reading?.notices ?? []));

  const answers = flags.answers ? loadAnswersFile(flags.answers) : { input: {}, problems: [] };
  problems.push(...answers.problems);
  const fromFlags = inputFromFlags(flags, mergeInputs(fromExisting, answers.input));
  problems.push(...fromFlags.problems);

  const merged = normalizeInput(mergeInputs(fromExisting, answers.input, fromFlags.input));
  notices.push(...merged.notices);

  const missing = REQUIRED.filter((r) => merged.input[r.key] === undefined || (Array.isArray(merged.input[r.key]) && (merged.input[r.key] as unknown[]).length === 0));
  if (missing.length) {
    problems.push(problem(`missing ${missing.map((m) => m.flag).join(' and ')}`, `spreed-setup setup ${missing.map((m) => m.flag).join(' ')} --yes (or put them in an --answers file)`));
  }
  const parsed = DeploymentSchema.safeParse(merged.input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (missing.some((m) => issue.path[0] === m.key)) continue;
      problems.push(problem(`${describePath(issue.path, merged.input)}: ${issue.message}`));
    }
  }
  if (problems.length || !parsed.success) throw new UserError(problems);
  const deployment = parsed.data;

  let versionText = deployment.serverVersion;
  let versionSource = versionText ? (flags.serverVersion ? '--server-version' : 'answers file') : '';
  if (!versionText) {
    const detected = await detectServerVersion(layout.binary, deployment.listen);
    if (detected) {
      versionText = detected.version;
      versionSource = detected.source;
    }
  }
  const traits = traitsFor(versionText);
  if (!traits.known) {
    versionSource = 'not detected';
    notices.push(`no installed signaling server found: rendering for ${traits.version}, the oldest that current Talk accepts (use --server-version to choose)`);
  } else if (!traits.talkCompatible) {
    notices.push(`server ${traits.version} is older than 2.0: current Nextcloud Talk shows "UPDATE_REQUIRED" for it; install 2.0 or newer (Debian sid / trixie-backports, or upstream's release)`);
  }

  const built = buildPlan(deployment, {
    target, layout, traits, existing,
    rotate: new Set(flags.rotate),
    toolVersion,
    ...(await nginxVersion(layout.nginx.binary).then((v) => (v ? { nginxVersion: v } : {}))),
  });
  if (built.problems.length) throw new UserError(built.problems);
  notices.push(...built.notices);
  return { target, layout, existing, deployment, traits, versionSource, built, notices };
}

export function stampNow(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export async function runSetup(flags: SetupFlags, env: SetupEnv): Promise<number> {
  const { out } = env;
  const p = await prepareSetup(flags, env.toolVersion);
  const { plan } = p.built;
  out.info(`spreed-setup: ${p.deployment.hostname} -> ${p.deployment.backends.flatMap((b) => b.urls).join(', ')}`);
  out.info(`server ${p.traits.version} (${p.versionSource}), ${p.layout.kind} layout, config ${p.layout.configPath}${p.target.root ? `, under ${p.target.root}` : ''}`);
  for (const n of p.notices) out.notice(n);

  if (!hasChanges(plan)) {
    out.success('No changes: every file is already up to date.');
    return EXIT.ok;
  }
  out.info('');
  out.info('Plan:');
  for (const line of summarize(plan)) out.info(`  ${line}`);
  if (flags.dryRun) {
    out.info('');
    out.raw(renderDiff(plan));
    out.info('');
    out.info('Dry run: nothing was written.');
    return EXIT.ok;
  }
  if (env.interactive && !flags.yes && env.confirm) {
    const ok = await env.confirm('Write these files?');
    if (ok !== true) {
      out.info('Aborted: nothing was changed.');
      return EXIT.aborted;
    }
  }

  let nginxSkipped: string | undefined;
  try {
    const result = await applyPlan(plan, {
      target: p.target,
      stamp: stampNow(),
      onProgress: (line) => out.info(`  ${line}`),
      validate: async (written) => {
        const v = await validateNginx(p.target, p.layout, written);
        if (v.ok && v.skipped) nginxSkipped = v.skipped;
        return v;
      },
    });
    if (nginxSkipped) out.notice(nginxSkipped);
    if (result.backupDir) out.info(`Backups of replaced files: ${result.backupDir}`);
  } catch (err) {
    if (err instanceof ApplyError) {
      out.problems([problem(err.message, err.fix)]);
      if (err.rolledBack.length) out.info(`Put back: ${err.rolledBack.join(', ')}`);
      return EXIT.failed;
    }
    throw err;
  }

  if (flags.restart) {
    const code = await restartServices(p, out);
    if (code !== EXIT.ok) return code;
  }
  out.success(`Done. Register in Talk (Administration settings > Talk > High-performance backend): ${publicSignalingUrl(p.deployment)}`);
  out.info(`The shared secret is in ${p.layout.secretsDir}/backend-${p.deployment.backends[0]!.id} (never printed).`);
  if (!flags.restart && !p.target.root) out.info(`Then: systemctl restart ${p.layout.unit} && systemctl reload nginx (or run again with --restart).`);
  return EXIT.ok;
}

async function restartServices(p: Prepared, out: Output): Promise<number> {
  if (p.target.root) {
    out.notice('--restart is ignored with --root (the files are staged, not installed)');
    return EXIT.ok;
  }
  const systemctl = which('systemctl');
  if (!systemctl) {
    out.problems([problem('--restart needs systemctl, which is not installed here', `restart ${p.layout.unit} and reload nginx by hand`)]);
    return EXIT.failed;
  }
  for (const args of [['restart', p.layout.unit], ...(p.layout.nginx.binary ? [['reload', 'nginx']] : [])]) {
    out.info(`  systemctl ${args.join(' ')}`);
    const r = await execa(systemctl, args, { reject: false, timeout: 60000 });
    if (r.exitCode !== 0) {
      out.problems([problem(`systemctl ${args.join(' ')} failed: ${String(r.stderr ?? '').trim().split('\n').pop()}`, `journalctl -u ${args[1]} -n 50`)]);
      return EXIT.failed;
    }
  }
  return EXIT.ok;
}
