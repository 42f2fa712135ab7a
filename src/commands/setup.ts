// `spreed-setup setup`: detect -> fill the model (flags, answers file, existing install) ->
// plan -> show -> apply. Nothing is written before every input is valid.
import { execa } from 'execa';
import type { SetupFlags } from '../cli/args.js';
import type { Output } from '../cli/output.js';
import { EXIT, UserError, problem, type Problem } from '../errors.js';
import { detectLayout, Target, which, type Layout } from '../detect/layout.js';
import { readExistingInstall, type ExistingInstall } from '../detect/existing.js';
import { detectServerVersion, type DetectedVersion } from '../detect/version.js';
import { readState } from '../detect/installed.js';
import { DeploymentSchema, publicSignalingUrl, type Deployment, type DeploymentInput } from '../model/deployment.js';
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
}

/** Saves the choices (no secrets) as an answers file that replays this setup. */
export async function writeAnswersOut(file: string, d: Deployment, toolVersion: string): Promise<void> {
  const { default: writeFileAtomic } = await import('write-file-atomic');
  const { renderAnswersFile } = await import('../ask/inputs.js');
  try {
    await writeFileAtomic(file, renderAnswersFile(d, toolVersion), { mode: 0o644 });
  } catch (err) {
    throw new UserError([problem(`cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'choose a writable path for --answers-out')], EXIT.failed);
  }
}

const REQUIRED: Array<{ key: 'hostname' | 'backends'; flag: string }> = [
  { key: 'hostname', flag: '--hostname NAME' },
  { key: 'backends', flag: '--nextcloud URL' },
];

/** What is on this machine before any question: where things go and what is already there. */
export interface SetupContext {
  target: Target;
  layout: Layout;
  existing: ExistingInstall;
  /** state file + existing server.conf (server.conf wins) */
  installedInput: Partial<DeploymentInput>;
  answersInput: Partial<DeploymentInput>;
  problems: Problem[];
  notices: string[];
  toolVersion: string;
  detectedVersion?: Promise<DetectedVersion | undefined>;
}

export function detectSetupContext(flags: Pick<SetupFlags, 'root' | 'config' | 'answers'>, toolVersion: string): SetupContext {
  const target = new Target(flags.root);
  const layout = detectLayout(target, flags.config);
  const { existing, problems } = readExistingInstall(target, layout);
  const state = readState(target, layout);
  problems.push(...state.problems);
  const answers = flags.answers ? loadAnswersFile(flags.answers) : { input: {}, problems: [] };
  problems.push(...answers.problems);
  return {
    target, layout, existing,
    // The state file holds what server.conf cannot; server.conf itself wins for everything else.
    installedInput: mergeInputs(state.input, existing.reading?.input ?? {}),
    answersInput: answers.input,
    problems,
    notices: [...(existing.reading?.notices ?? [])],
    toolVersion,
  };
}

/** flags > answers file > installed setup; hosts lower-cased with notices. */
export function inputFor(ctx: SetupContext, flags: SetupFlags): { input: Partial<DeploymentInput>; problems: Problem[]; notices: string[] } {
  const below = mergeInputs(ctx.installedInput, ctx.answersInput);
  const fromFlags = inputFromFlags(flags, below);
  const merged = normalizeInput(mergeInputs(below, fromFlags.input));
  return { input: merged.input, problems: fromFlags.problems, notices: merged.notices };
}

export function missingRequired(input: Partial<DeploymentInput>): typeof REQUIRED {
  return REQUIRED.filter((r) => input[r.key] === undefined || (Array.isArray(input[r.key]) && (input[r.key] as unknown[]).length === 0));
}

export function validationProblems(input: Partial<DeploymentInput>, skip: ReadonlyArray<string> = []): Problem[] {
  const parsed = DeploymentSchema.safeParse(input);
  if (parsed.success) return [];
  return parsed.error.issues.filter((i) => !skip.includes(String(i.path[0]))).map((i) => problem(`${describePath(i.path, input)}: ${i.message}`));
}

/** Validates the input, picks the server version, and plans every file. Throws UserError. */
export interface PlanOptions {
  rotate: ReadonlySet<string>;
  serverVersionFlag?: boolean;
  /** Secret values to take over on purpose (register's "reuse Nextcloud's secret"). */
  adopt?: ReadonlyMap<string, string>;
}

export async function planDeployment(ctx: SetupContext, input: Partial<DeploymentInput>, opts: PlanOptions): Promise<Prepared> {
  const notices = [...ctx.notices];
  const parsed = DeploymentSchema.safeParse(input);
  if (!parsed.success) throw new UserError(validationProblems(input));
  const deployment = parsed.data;
  const { layout, target, existing } = ctx;

  let versionText = deployment.serverVersion;
  let versionSource = versionText ? (opts.serverVersionFlag ? '--server-version' : 'answers file') : '';
  if (!versionText) {
    ctx.detectedVersion ??= detectServerVersion(layout.binary, deployment.listen);
    const detected = await ctx.detectedVersion;
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
    rotate: opts.rotate,
    ...(opts.adopt ? { adopt: opts.adopt } : {}),
    toolVersion: ctx.toolVersion,
    ...(await nginxVersion(layout.nginx.binary).then((v) => (v ? { nginxVersion: v } : {}))),
  });
  if (built.problems.length) throw new UserError(built.problems);
  notices.push(...built.notices);
  return { target, layout, existing, deployment, traits, versionSource, built, notices };
}

export async function prepareSetup(flags: SetupFlags, toolVersion: string, extra: Pick<PlanOptions, 'adopt'> = {}): Promise<Prepared> {
  const ctx = detectSetupContext(flags, toolVersion);
  const { input, problems, notices } = inputFor(ctx, flags);
  problems.unshift(...ctx.problems);
  ctx.notices.push(...notices);
  const missing = missingRequired(input);
  if (missing.length) {
    problems.push(problem(`missing ${missing.map((m) => m.flag).join(' and ')}`, `spreed-setup setup ${missing.map((m) => m.flag).join(' ')} --yes (or put them in an --answers file)`));
  }
  problems.push(...validationProblems(input, missing.map((m) => m.key)));
  if (problems.length) throw new UserError(problems);
  return planDeployment(ctx, input, { rotate: new Set(flags.rotate), serverVersionFlag: flags.serverVersion !== undefined, ...extra });
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
  if (flags.dryRun) {
    out.info('');
    out.raw(renderDiff(plan));
    out.info('');
    out.info('Dry run: nothing was written.');
    return EXIT.ok;
  }
  const code = await applyPrepared(p, flags, out);
  if (code !== EXIT.ok) return code;
  for (const line of nextSteps(p, flags)) out.info(line);
  return EXIT.ok;
}

/** Writes the plan (backups, atomic writes, nginx validation with rollback), then --restart. */
export async function applyPrepared(p: Prepared, flags: Pick<SetupFlags, 'restart'>, out: Output, progress?: (line: string) => void): Promise<number> {
  let nginxSkipped: string | undefined;
  try {
    const result = await applyPlan(p.built.plan, {
      target: p.target,
      stamp: stampNow(),
      onProgress: progress ?? ((line) => out.info(`  ${line}`)),
      validate: async (written) => {
        progress?.('validating nginx');
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
  if (flags.restart) return restartServices(p, out);
  return EXIT.ok;
}

export function nextSteps(p: Prepared, flags: Pick<SetupFlags, 'restart'>): string[] {
  const lines = [
    `Done. Talk's admin page (Administration settings > Talk > High-performance backend): ${publicSignalingUrl(p.deployment)}`,
    `The shared secret is in ${p.layout.secretsDir}/backend-${p.deployment.backends[0]!.id} (never printed); or run: spreed-setup register`,
  ];
  if (!flags.restart && !p.target.root) lines.push(`Then: systemctl restart ${p.layout.unit} && systemctl reload nginx (or run again with --restart), and spreed-setup check.`);
  return lines;
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
