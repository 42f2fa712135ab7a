// Plans a setup run from what is on the machine and what was asked: detect the install, fill the
// model (flags > answers file > installed setup), pick the server version, and plan every file.
// Nothing is written here; apply/applySetup.ts writes what this returns.
import { serverReleaseTalkNeeds } from '../model/talk.js';
import type { SetupFlags } from '../options/setup.js';
import { UserError, problem, type Problem } from '../errors.js';
import { detectLayout } from '../detect/layout.js';
import { Target } from '../io/target.js';
import type { Layout } from '../model/layout.js';
import { readExistingInstall, type ExistingInstall } from '../detect/existing.js';
import { detectInstalledVersion, type DetectedVersion } from '../detect/version.js';
import { readState, statePath } from '../detect/installed.js';
import {
  certificateProblem,
  DeploymentSchema,
  withTurnFollowing,
  type Deployment,
  type DeploymentInput,
} from '../model/deployment.js';
import { traitsFor, type ServerTraits } from '../model/versions.js';
import {
  describePath,
  flagForPath,
  inputFromFlags,
  keepNatsPasswords,
  loadAnswersFile,
  mergeInputs,
  normalizeInput,
} from '../inputs/inputs.js';
import { nginxVersion } from '../detect/nginx.js';
import { systemHost } from '../io/host.js';
import { machineLimits } from '../io/machine.js';
import { buildPlan, type BuiltPlan } from './buildPlan.js';
import { readFileSync } from 'node:fs';
import { TURN_SECRET } from '../secrets/secrets.js';

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
  /** What the installed files were rendered for, from the state file. */
  rendered: { version?: string; installed?: string };
  answersInput: Partial<DeploymentInput>;
  /** The answers file says it left the NATS URL passwords out. */
  natsPasswordsLeftOut?: boolean;
  /** Where each value came from, to say where to fix it: the answers file, server.conf, the state file. */
  sources: InputSource[];
  /** What the command-line flags gave (set by inputFor). */
  flagInput?: Partial<DeploymentInput>;
  problems: Problem[];
  notices: string[];
  toolVersion: string;
  detectedVersion?: Promise<DetectedVersion | undefined>;
}

/** One layer of input and how to correct a value it gave. */
export interface InputSource {
  input: Partial<DeploymentInput>;
  fix(field: string): string;
  /** Values given on the command line: named by their flag. */
  flags?: boolean;
}

/** Whether a layer holds a value at a zod issue path. */
function holds(input: unknown, path: ReadonlyArray<PropertyKey>): boolean {
  let v: unknown = input;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return false;
    v = (v as Record<PropertyKey, unknown>)[k];
    if (v === undefined) return false;
  }
  return true;
}

export function detectSetupContext(
  flags: Pick<SetupFlags, 'root' | 'config' | 'answers'>,
  toolVersion: string,
): SetupContext {
  const target = new Target(flags.root);
  const layout = detectLayout(target, flags.config);
  const { existing, problems } = readExistingInstall(target, layout);
  const state = readState(target, layout);
  problems.push(...state.problems);
  const answers = flags.answers ? loadAnswersFile(flags.answers) : { input: {}, problems: [] };
  problems.push(...answers.problems);
  const sources: InputSource[] = [
    ...(flags.answers
      ? [{ input: answers.input, fix: (f: string) => `correct ${f} in the answers file ${flags.answers}` }]
      : []),
    {
      input: existing.reading?.input ?? {},
      fix: () => `correct it in ${target.path(layout.configPath)}, or give another value with a flag`,
    },
    {
      input: state.input,
      fix: (f: string) => `correct ${f} in ${target.path(statePath(layout))}, or give another value with a flag`,
    },
  ];
  return {
    sources,
    target,
    layout,
    existing,
    // The state file holds what server.conf cannot; server.conf itself wins for everything else.
    installedInput: mergeInputs(state.input, existing.reading?.input ?? {}),
    rendered: {
      ...(state.renderedFor ? { version: state.renderedFor } : {}),
      ...(state.installedWhenRendered ? { installed: state.installedWhenRendered } : {}),
    },
    answersInput: answers.input,
    ...('natsPasswordsLeftOut' in answers && answers.natsPasswordsLeftOut ? { natsPasswordsLeftOut: true } : {}),
    problems,
    notices: [...(existing.reading?.notices ?? [])],
    toolVersion,
  };
}

/** flags > answers file > installed setup; hosts lower-cased with notices. */
export function inputFor(
  ctx: SetupContext,
  flags: SetupFlags,
): { input: Partial<DeploymentInput>; problems: Problem[]; notices: string[] } {
  const below = mergeInputs(ctx.installedInput, ctx.answersInput);
  const fromFlags = inputFromFlags(flags, below);
  const merged = normalizeInput(mergeInputs(below, fromFlags.input));
  // --janus URL|none: Janus is no longer ours to configure.
  if (flags.janus !== undefined && flags.janus !== 'local') delete merged.input.janus;
  ctx.flagInput = fromFlags.input;
  const nats = keepNatsPasswords(merged.input, ctx.installedInput, {
    ...(flags.answers ? { answersFile: flags.answers } : {}),
    ...(ctx.natsPasswordsLeftOut ? { leftOut: true } : {}),
  });
  return {
    input: nats.input,
    problems: [...fromFlags.problems, ...nats.problems],
    notices: [...merged.notices, ...nats.notices],
  };
}

/** Every layer of a run's input, highest precedence first (the flags, once inputFor has read them). */
function sourcesOf(ctx: SetupContext): InputSource[] {
  const flags: InputSource = { input: ctx.flagInput ?? {}, fix: (f) => `give another ${f}`, flags: true };
  return [flags, ...ctx.sources];
}

export function missingRequired(input: Partial<DeploymentInput>): typeof REQUIRED {
  return REQUIRED.filter(
    (r) => input[r.key] === undefined || (Array.isArray(input[r.key]) && (input[r.key] as unknown[]).length === 0),
  );
}

/**
 * One problem per refused value (its first reason), each with where to correct it: the flag, the
 * answers file, server.conf or the state file that gave it; `fallback` when no source holds it.
 */
export function validationProblems(
  input: Partial<DeploymentInput>,
  skip: ReadonlyArray<string> = [],
  sources: ReadonlyArray<InputSource> = [],
  fallback = 'give another value',
): Problem[] {
  const parsed = DeploymentSchema.safeParse(input);
  if (parsed.success) return [];
  const seen: string[][] = [];
  const out: Problem[] = [];
  for (const i of parsed.error.issues) {
    if (skip.includes(String(i.path[0]))) continue;
    // A value refused twice (by its field and by the rule for every value) is one problem.
    const at = i.path.map(String);
    if (seen.some((s) => s.length <= at.length && s.every((k, n) => k === at[n]))) continue;
    seen.push(at);
    const source = sources.find((s) => holds(s.input, i.path));
    const what = describePath(i.path, input, { flags: source === undefined || source.flags === true });
    const fix = source?.flags ? source.fix(flagForPath(i.path) ?? 'value') : source ? source.fix(what) : fallback;
    out.push(problem(`${what}: ${i.message}`, fix));
  }
  return out;
}

/** Validates the input, picks the server version, and plans every file. Throws UserError. */
export interface PlanOptions {
  rotate: ReadonlySet<string>;
  serverVersionFlag?: boolean;
  /** Secret values to take over on purpose (register's "reuse Nextcloud's secret"). */
  adopt?: ReadonlyMap<string, string>;
  firewall?: 'ufw' | 'nftables';
}

export async function planDeployment(
  ctx: SetupContext,
  input: Partial<DeploymentInput>,
  opts: PlanOptions,
): Promise<Prepared> {
  const notices = [...ctx.notices];
  const parsed = DeploymentSchema.safeParse(input);
  if (!parsed.success) throw new UserError(validationProblems(input, [], sourcesOf(ctx), 'answer that question again'));
  const deployment = withTurnFollowing(parsed.data, ctx.installedInput.turnServer);
  const noCertificate = certificateProblem(deployment);
  if (noCertificate)
    throw new UserError([
      problem(
        `hostname "${deployment.hostname}" ${noCertificate}`,
        'spreed-setup setup --hostname NAME (a DNS name), or --tls-cert PATH --tls-key PATH (or --nginx snippet|none)',
      ),
    ]);
  const { layout, target, existing } = ctx;

  // Asked for > what the files were rendered for (while the installed server is the same one) >
  // the installed server.
  ctx.detectedVersion ??= detectInstalledVersion(target, layout, deployment.listen);
  const detected = await ctx.detectedVersion;
  let versionText = deployment.serverVersion;
  let versionSource = versionText ? (opts.serverVersionFlag ? '--server-version' : 'answers file') : '';
  const rendered = ctx.rendered;
  if (!versionText && rendered.version) {
    if (detected && detected.version !== rendered.installed) {
      notices.push(
        `the installed server changed since the last run (${rendered.installed ?? 'none'} -> ${detected.version}, ${detected.source}): rendering for ${detected.version}, not ${rendered.version} (use --server-version to choose)`,
      );
    } else {
      versionText = rendered.version;
      versionSource = 'as rendered before (state file)';
    }
  }
  if (!versionText && detected) {
    versionText = detected.version;
    versionSource = detected.source;
  }
  const traits = traitsFor(versionText);
  if (!traits.known) {
    versionSource = 'not detected';
    notices.push(
      `no installed signaling server found: rendering for ${traits.version}, the oldest that current Talk accepts (use --server-version to choose)`,
    );
  } else if (!traits.talkCompatible) {
    notices.push(
      `server ${traits.version} is older than ${serverReleaseTalkNeeds()}: current Nextcloud Talk shows "UPDATE_REQUIRED" for it; spreed-setup install gets a newer one (Debian's package through a pinned source, or upstream's container image)`,
    );
  }

  const built = buildPlan(deployment, {
    host: systemHost(target, await nginxVersion(layout.nginx.binary).then((v) => (v ? { nginxVersion: v } : {}))),
    layout,
    traits,
    existing,
    rotate: opts.rotate,
    ...(opts.adopt ? { adopt: opts.adopt } : {}),
    ...(opts.firewall ? { firewall: opts.firewall } : {}),
    toolVersion: ctx.toolVersion,
    ...(detected ? { installedVersion: detected.version } : {}),
    machine: machineLimits(),
  });
  if (built.problems.length) throw new UserError(built.problems);
  notices.push(...built.notices);
  return { target, layout, existing, deployment, traits, versionSource, built, notices };
}

export async function prepareSetup(
  flags: SetupFlags,
  toolVersion: string,
  extra: Pick<PlanOptions, 'adopt'> = {},
): Promise<Prepared> {
  const ctx = detectSetupContext(flags, toolVersion);
  const { input, problems, notices } = inputFor(ctx, flags);
  problems.unshift(...ctx.problems);
  ctx.notices.push(...notices);
  const missing = missingRequired(input);
  if (missing.length) {
    problems.push(
      problem(
        `missing ${missing.map((m) => m.flag).join(' and ')}`,
        `spreed-setup setup ${missing.map((m) => m.flag).join(' ')} --yes (or put them in an --answers file)`,
      ),
    );
  }
  problems.push(
    ...validationProblems(
      input,
      missing.map((m) => m.key),
      sourcesOf(ctx),
    ),
  );
  const adopt = new Map(extra.adopt ?? []);
  if (flags.turnSecretFile !== undefined) {
    const read = readTurnSecretFile(flags.turnSecretFile);
    if (typeof read === 'string') adopt.set(TURN_SECRET.name, read);
    else problems.push(read);
  }
  if (flags.firewall !== undefined && flags.firewall !== 'ufw' && flags.firewall !== 'nftables')
    problems.push(
      problem(
        `--firewall ${JSON.stringify(flags.firewall)}: expected ufw or nftables`,
        'give --firewall ufw or --firewall nftables',
      ),
    );
  if (problems.length) throw new UserError(problems);
  return planDeployment(ctx, input, {
    ...(flags.firewall === 'ufw' || flags.firewall === 'nftables' ? { firewall: flags.firewall } : {}),
    rotate: new Set(flags.rotate),
    serverVersionFlag: flags.serverVersion !== undefined,
    ...extra,
    ...(adopt.size ? { adopt } : {}),
  });
}

/** The shared secret of TURN servers run elsewhere (--turn-secret-file): trimmed, never empty. */
function readTurnSecretFile(file: string): string | Problem {
  try {
    const v = readFileSync(file, 'utf8').trim();
    if (v) return v;
    return problem(`--turn-secret-file ${file} is empty`, "put the TURN server's static-auth-secret into it");
  } catch (err) {
    return problem(
      `cannot read --turn-secret-file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      'give a readable file holding the secret',
    );
  }
}
