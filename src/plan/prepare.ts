// Plans a setup run from what is on the machine and what was asked: detect the install, fill the
// model (flags > answers file > installed setup), pick the server version, and plan every file.
// Nothing is written here; apply/applySetup.ts writes what this returns.
import { serverReleaseTalkNeeds } from '../model/talk.js';
import type { SetupFlags } from '../options/setup.js';
import { UserError, problem, type Problem } from '../errors.js';
import type { Target } from '../io/target.js';
import type { Layout } from '../model/layout.js';
import type { ExistingInstall } from '../detect/existing.js';
import { detectInstalledVersion } from '../detect/version.js';
import {
  certificateProblem,
  DeploymentSchema,
  withTurnFollowing,
  type Deployment,
  type DeploymentInput,
} from '../model/deployment.js';
import { traitsFor, type ServerTraits } from '../model/versions.js';
import { frontNode } from '../model/cluster.js';
import { describePath, flagForPath } from '../inputs/inputs.js';
import { nginxVersion } from '../detect/nginx.js';
import { defaultFrontEnd, describeFrontEnd, detectFrontEnd, WEB_SERVER_LABEL } from '../detect/webServer.js';
import { apacheSitesServing, siteName, sitesServing } from './nginxSites.js';
import { systemHost } from '../io/host.js';
import { machineLimits } from '../io/machine.js';
import { buildPlan, type BuiltPlan } from './buildPlan.js';
import { readFileSync } from 'node:fs';
import { TURN_SECRET } from '../secrets/secrets.js';
import {
  detectSetupContext,
  inputFor,
  missingRequired,
  sourcesOf,
  type InputSource,
  type SetupContext,
} from './context.js';

export {
  detectSetupContext,
  inputFor,
  missingRequired,
  type InputSource,
  type SetupContext,
} from './context.js';

export interface Prepared {
  target: Target;
  layout: Layout;
  existing: ExistingInstall;
  deployment: Deployment;
  traits: ServerTraits;
  versionSource: string;
  built: BuiltPlan;
  notices: string[];
  /** A cluster's media node: no signaling server here (deployment is its proxy's). */
  mediaNode?: string;
  /** A cluster's signaling node, and whether it is the front node (the one Talk is registered from). */
  clusterNode?: { name: string; front: string };
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
  const host = systemHost(
    ctx.target,
    await nginxVersion(ctx.layout.nginx.binary).then((v) => (v ? { nginxVersion: v } : {})),
  );
  // The web server that owns 80/443 (else the one installed) unless one was named.
  if (input.nginx?.server === undefined && input.nginx?.mode !== 'none') {
    const facts = detectFrontEnd(host);
    const found = defaultFrontEnd(facts);
    if (found) {
      input = { ...input, nginx: { ...(input.nginx ?? {}), server: found } as DeploymentInput['nginx'] };
      notices.push(
        `front end: ${describeFrontEnd(facts)}; writing for ${WEB_SERVER_LABEL[found]} (--web-server ${found} to say so, or another)`,
      );
    }
  }
  // A name an enabled site already serves gets a snippet for that site, unless asked otherwise.
  if (input.nginx?.mode === undefined && typeof input.hostname === 'string') {
    const apache = input.nginx?.server === 'apache';
    const serving = apache
      ? apacheSitesServing(host, ctx.layout.apache, input.hostname)
      : sitesServing(host, ctx.layout.nginx, input.hostname);
    if (serving.length) {
      input = { ...input, nginx: { ...(input.nginx ?? {}), mode: 'snippet' } as DeploymentInput['nginx'] };
      notices.push(
        apache
          ? `${input.hostname} is already served by the Apache site ${serving.map(siteName).join(', ')}: writing an include for its <VirtualHost> (--web-mode snippet), not a second one`
          : `${input.hostname} is already served by the nginx site ${serving.map(siteName).join(', ')}: writing a snippet for its server block (--nginx snippet), not a second site`,
      );
    }
  }
  const parsed = DeploymentSchema.safeParse(input);
  if (!parsed.success) throw new UserError(validationProblems(input, [], sourcesOf(ctx), 'answer that question again'));
  const deployment = withTurnFollowing(parsed.data, ctx.installedInput.turnServer);
  const noCertificate = certificateProblem(deployment);
  if (noCertificate)
    throw new UserError([
      problem(
        `hostname "${deployment.hostname}" ${noCertificate}`,
        'spreed-setup setup --hostname NAME (a DNS name), or --tls-cert PATH --tls-key PATH (or --web-mode snippet|none)',
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
    host,
    layout,
    traits,
    existing,
    rotate: opts.rotate,
    ...(opts.adopt ? { adopt: opts.adopt } : {}),
    ...(opts.firewall ? { firewall: opts.firewall } : {}),
    toolVersion: ctx.toolVersion,
    ...(detected ? { installedVersion: detected.version } : {}),
    machine: machineLimits(),
    ...(ctx.cluster
      ? {
          cluster: {
            cluster: ctx.cluster.file.cluster,
            node: ctx.cluster.node,
            dir: ctx.cluster.dir,
            file: ctx.cluster.path,
          },
        }
      : {}),
  });
  if (built.problems.length) throw new UserError(built.problems);
  notices.push(...built.notices);
  const front = ctx.cluster ? frontNode(ctx.cluster.file.cluster).name : undefined;
  return {
    target,
    layout,
    existing,
    deployment,
    traits,
    versionSource,
    built,
    notices,
    ...(ctx.cluster && front ? { clusterNode: { name: ctx.cluster.node, front } } : {}),
  };
}

export async function prepareSetup(
  flags: SetupFlags,
  toolVersion: string,
  extra: Pick<PlanOptions, 'adopt'> = {},
): Promise<Prepared> {
  const ctx = await detectSetupContext(flags, toolVersion);
  // A cluster file that did not give this node's input: its problems alone (no "missing --hostname").
  if (flags.cluster !== undefined && ctx.problems.length) throw new UserError(ctx.problems);
  if (ctx.cluster?.role === 'media') return prepareMediaNode(ctx, flags);
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

/** A cluster's media node: the proxy's and Janus's files only (plan/clusterMedia.ts). */
async function prepareMediaNode(ctx: SetupContext, flags: SetupFlags): Promise<Prepared> {
  const run = ctx.cluster!;
  const { mediaNodeInputs } = await import('../model/cluster.js');
  const { buildMediaPlan } = await import('./clusterMedia.js');
  const inputs = mediaNodeInputs(run.file, run.node);
  const sources = [{ input: inputs.proxy, fix: (f: string) => `correct ${f} in the cluster file ${run.path}` }];
  const problems = [
    ...validationProblems(inputs.proxy, [], sources),
    ...(inputs.janus ? validationProblems(inputs.janus, [], sources) : []),
  ];
  if (flags.rotate.length)
    problems.push(
      problem(
        `--rotate on the media node ${run.node}: it holds no secret of its own`,
        'rotate on the front node, then copy the cluster secrets to every machine again',
      ),
    );
  if (problems.length) throw new UserError(problems);
  const proxy = DeploymentSchema.parse(inputs.proxy);
  const janus = inputs.janus ? withTurnFollowing(DeploymentSchema.parse(inputs.janus)) : undefined;
  const traits = traitsFor(proxy.serverVersion);
  const host = systemHost(ctx.target);
  const media = buildMediaPlan(proxy, janus, {
    host,
    cluster: { cluster: run.file.cluster, node: run.node, dir: run.dir, file: run.path },
    toolVersion: ctx.toolVersion,
    janusEvents: traits.janusEvents,
  });
  if (media.problems.length) throw new UserError(media.problems);
  const notices = [...ctx.notices, ...media.notices];
  return {
    target: ctx.target,
    layout: ctx.layout,
    existing: ctx.existing,
    deployment: proxy,
    traits,
    versionSource: proxy.serverVersion ? 'cluster file' : 'the signaling nodes',
    built: { plan: media.plan, secrets: new Map(), notices: media.notices, problems: [] },
    notices,
    mediaNode: run.node,
  };
}
