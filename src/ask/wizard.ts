// The interactive wizard: detect first, ask second (every flag given short-circuits its question),
// review the plan and the masked diff, then write. Nothing is written before the final confirm, so
// Ctrl-C or Esc at any prompt leaves the machine exactly as it was.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { SetupFlags } from '../options/setup.js';
import type { Output } from '../io/output.js';
import { EXIT, UserError } from '../errors.js';
import type { DeploymentInput } from '../model/deployment.js';
import { DEFAULT_JANUS_URL, DEFAULT_LISTEN, DEFAULT_LOCAL_NATS, WEB_SERVER_LABEL } from '../model/defaults.js';
import { webServerOf } from '../model/layout.js';
import { nonPublicReason } from '../model/turn.js';
import {
  hostnameProblem,
  IP_HOSTNAME_PROBLEM,
  isIpAddress,
  isValidHostname,
  nextcloudUrlProblem,
  normalizeHostname,
  normalizeNextcloudUrl,
  publicSignalingUrl,
} from '../model/urls.js';
import { detectEnvironment, type Environment } from '../detect/environment.js';
import { defaultFrontEnd, describeFrontEnd } from '../detect/webServer.js';
import { detectInstalledVersion } from '../detect/version.js';
import { inputFromFlags } from '../inputs/inputs.js';
import { Cancelled, must, statusView, type Prompter } from './prompter.js';
import { BACKUP_ROOT } from '../apply/apply.js';
import { textProblem } from '../model/text.js';
import { escapeControls } from '../io/output.js';
import { quote } from '../errors.js';
import { detectSetupContext, inputFor, type SetupContext } from '../plan/context.js';
import type { Prepared } from '../plan/prepare.js';
import { reportingHooks, withSetupLock } from '../apply/lock.js';
import type { z } from 'zod';

// Up to the first prompt only light modules load (test/unit/startup-imports.test.ts): the model's
// schemas (zod), planning, diffs and apply load on first use, and start loading once the first
// prompt is on screen.
type Model = typeof import('../model/deployment.js');
let loadedModel: Model | undefined;
/** The model's field schemas (zod); the checks of the later answers need them loaded. */
export async function loadModel(): Promise<Model> {
  loadedModel ??= await import('../model/deployment.js');
  return loadedModel;
}
const planning = () => import('../plan/prepare.js');
const plans = () => import('../plan/plan.js');
const applying = () => import('../apply/applySetup.js');

/** Loads what the later steps need while the user reads the first prompt. */
function preload(): void {
  for (const load of [loadModel, planning, plans, applying]) load().catch(() => undefined);
}

type SchemaName = 'AbsPathSchema' | 'HostPortSchema' | 'NatsUrlSchema' | 'TurnServerSchema' | 'WsUrlSchema';
function schema(name: SchemaName): z.ZodType<string> {
  if (!loadedModel) throw new Error(`${name} asked for before the model loaded (await loadModel() first)`);
  return loadedModel[name];
}

/**
 * A prompt validator from one of the model's field schemas: its first message, or undefined. An
 * empty answer (Enter with no default) is told what to type.
 */
const fieldCheck = (name: SchemaName, what?: string) => (s: string) => {
  if (what && s.trim() === '') return `type ${what} (the dimmed example is not taken)`;
  const r = schema(name).safeParse(s.trim());
  const why = r.success ? textProblem(s.trim()) : r.error?.issues[0]?.message;
  return why === undefined ? undefined : `${shown(s.trim())} ${why}`;
};
/** An answer as a one-line reason shows it: shortened, control characters escaped. */
const shown = (s: string) => escapeControls(quote(s));
/** Each item of a list answer through one field's check. */
const listCheck = (name: SchemaName, empty: string) => (s: string) => {
  const items = s.split(/[\s,]+/).filter(Boolean);
  if (!items.length) return empty;
  for (const item of items) {
    const why = fieldCheck(name)(item);
    if (why) return why;
  }
  return undefined;
};

/**
 * The wizard's checks of typed answers (the same rules as the model's), one per kind of answer.
 * The first two need no zod; the others need loadModel() to have finished.
 */
export const ANSWER_CHECKS = {
  hostname: (s: string) => {
    if (s.trim() === '')
      return 'type the public host name browsers use to reach this server, e.g. hpb.example.org (the dimmed example is not taken)';
    const why = hostnameProblem(s) ?? textProblem(s.trim());
    return why === undefined ? undefined : `${shown(s.trim())} ${why}`;
  },
  nextcloud: (s: string) => {
    const urls = s.split(/[\s,]+/).filter(Boolean);
    if (urls.length === 0)
      return "type your Nextcloud's base URL, e.g. https://cloud.example.org (the dimmed example is not taken)";
    for (const u of urls) {
      const problem = nextcloudUrlProblem(u) ?? textProblem(u);
      if (problem) return `${shown(u)} ${problem}`;
    }
    return undefined;
  },
  natsUrls: listCheck('NatsUrlSchema', 'give at least one nats:// URL'),
  janusUrl: fieldCheck('WsUrlSchema'),
  publicIps: (s: string) => {
    for (const ip of s.split(/[\s,]+/).filter(Boolean)) {
      const why = nonPublicReason(ip);
      if (why) return `${shown(ip)} is ${why}: give the address clients reach`;
    }
    return undefined;
  },
  turnServers: listCheck('TurnServerSchema', 'give at least one turn: URL'),
  path: fieldCheck('AbsPathSchema', 'an absolute path'),
  listen: fieldCheck('HostPortSchema'),
} as const;

export interface WizardEnv {
  prompter: Prompter;
  out: Output;
  toolVersion: string;
  /** Injected in tests, or started early (cli/main.ts); detected otherwise. */
  environment?: Environment | Promise<Environment>;
  /** Optional follow-up steps (registration, check) once their commands exist. */
  followUps?: FollowUps;
}

export interface FollowUps {
  /** Registration; tells `onOcc` the occ command it used (given, found or typed). */
  register?: (p: Prepared, onOcc: (command: string) => void) => Promise<number>;
  /** The check; `occ` is the command registration used, so Talk's side is checked through it. */
  check?: (p: Prepared, occ: string | undefined) => Promise<number>;
}

type Input = Partial<DeploymentInput>;
/** What each question needs: the prompter, the answers so far, the machine, the setup context. */
interface Asking {
  p: Prompter;
  answers: Input;
  machine: Environment;
  ctx: SetupContext;
  rotate: Set<string>;
  /** Several servers: the answers are the cluster file's shared settings, not this machine's. */
  cluster?: boolean;
}

/**
 * The wizard's questions, in the order they are asked: one row each, so the first questions, the
 * "customize" list and the "change which part?" menu cannot disagree. A question is skipped when
 * one of its flags answered it.
 */
const QUESTIONS = [
  {
    part: 'hostname',
    label: 'Public hostname',
    first: true,
    givenBy: (f: SetupFlags) => f.hostname !== undefined,
    ask: (a: Asking) => askHostname(a.p, a.answers, a.machine),
  },
  {
    part: 'nextcloud',
    label: 'Nextcloud URL(s)',
    first: true,
    givenBy: (f: SetupFlags) => f.nextcloud.length > 0,
    ask: (a: Asking) => askNextcloud(a.p, a.answers, a.ctx),
  },
  {
    part: 'webServer',
    label: 'Web server in front (nginx, Apache, Caddy, HAProxy, Traefik)',
    first: true,
    givenBy: (f: SetupFlags) => f.webServer !== undefined,
    ask: (a: Asking) => askWebServer(a.p, a.answers, a.machine),
  },
  {
    part: 'nats',
    label: 'NATS',
    givenBy: (f: SetupFlags) => f.nats !== undefined,
    ask: (a: Asking) => askNats(a.p, a.answers, a.machine),
  },
  {
    part: 'mcu',
    label: 'MCU (Janus) and TURN',
    givenBy: (f: SetupFlags) => f.janus !== undefined,
    ask: (a: Asking) => askMcu(a.p, a.answers, a.machine),
  },
  {
    part: 'turn',
    label: 'TURN server (coturn on this host)',
    givenBy: (f: SetupFlags) => f.turn !== undefined,
    ask: async (a: Asking) => {
      const had = a.answers.turnServer;
      const on = must(
        await a.p.confirm({
          message: a.cluster
            ? 'TURN on every signaling node? (coturn, for participants behind NAT; --turn local)'
            : 'TURN on this host? (coturn, for participants behind NAT; --turn local)',
          // Yes for a first install; a reconfigure keeps what it had (none before TURN existed).
          initialValue: had ? had.mode === 'local' : !a.ctx.existing.reading?.input.backends?.length,
        }),
      );
      a.answers.turnServer = on ? (had?.mode === 'local' ? had : { mode: 'local' }) : { mode: 'none' };
      // A cluster's nodes announce their own addresses: this host's is none of theirs.
      if (on && !a.cluster) await askTurnExternalIp(a);
    },
  },
  {
    part: 'nginx',
    label: 'Web server mode (site, snippet, none) and TLS certificate',
    givenBy: (f: SetupFlags) => f.nginx !== undefined || f.tlsCert !== undefined,
    ask: (a: Asking) => askNginx(a.p, a.answers, a.machine),
  },
  {
    part: 'listen',
    label: 'Listen address of the signaling server',
    givenBy: (f: SetupFlags) => f.listen !== undefined,
    ask: (a: Asking) => askListen(a.p, a.answers),
  },
  {
    part: 'rotate',
    label: 'Rotate secrets',
    reconfigureOnly: true,
    givenBy: (f: SetupFlags) => f.rotate.length > 0,
    ask: (a: Asking) => askRotate(a.p, a.answers, a.rotate),
  },
] as const satisfies ReadonlyArray<{
  part: string;
  label: string;
  first?: boolean;
  reconfigureOnly?: boolean;
  givenBy: (f: SetupFlags) => boolean;
  ask: (a: Asking) => Promise<void>;
}>;

type Part = (typeof QUESTIONS)[number]['part'];

/**
 * The address coturn announces for its relays (`external-ip`): this host's public address,
 * detected from its interfaces and confirmed; behind NAT (only private addresses) it is asked for.
 */
async function askTurnExternalIp(a: Asking): Promise<void> {
  const turn = a.answers.turnServer;
  if (turn?.mode !== 'local' || turn.externalIp) return;
  const { nonPublicReason } = await import('../model/turn.js');
  const { isIP } = await import('node:net');
  const detected = (a.machine.addresses ?? []).find((ip) => isIP(ip) === 4 && !nonPublicReason(ip));
  const v = must(
    await a.p.text({
      message: detected
        ? `Public IP address coturn announces for its relays (detected on this host: ${detected})`
        : 'This host has only private addresses (behind NAT?): the public IP address that reaches it, for coturn (empty: decide later with --turn-external-ip)',
      ...(detected ? { defaultValue: detected } : { placeholder: '203.0.113.7' }),
      validate: (s) => {
        const t = s.trim();
        if (!t) return undefined;
        if (!isIP(t)) return `"${escapeControls(t)}" is not an IP address (e.g. 203.0.113.7)`;
        const why = nonPublicReason(t);
        return why ? `${t} ${why}: relays announced there are unreachable from outside` : undefined;
      },
    }),
  ).trim();
  const ip = v || detected;
  if (ip) a.answers.turnServer = { ...turn, externalIp: ip };
  else a.p.warn("no external-ip: coturn announces this host's private address; set it later with --turn-external-ip");
}

/** What the wizard has written so far (nothing until the files are written). */
interface Written {
  files?: string[];
  backupDir?: string | undefined;
  root?: string | undefined;
}

export async function runWizard(flags: SetupFlags, env: WizardEnv): Promise<number> {
  const p = env.prompter;
  const done: Written = {};
  try {
    return await withSetupLock(
      flags,
      () => wizard(flags, env, done),
      reportingHooks({ notice: (line) => p.info(line.charAt(0).toUpperCase() + line.slice(1)) }, flags.dryRun),
    );
  } catch (err) {
    if (err instanceof Cancelled) {
      if (done.files) {
        p.note(undoLines(done).join('\n'), 'Stopped after writing: these files were changed');
        p.outro('Cancelled after writing: the files above stay written (see above to undo).');
      } else p.outro('Cancelled: nothing was changed.');
      return EXIT.aborted;
    }
    if (err instanceof UserError) {
      for (const pr of err.problems)
        p.error(escapeControls(pr.message) + (pr.fix ? `\n  fix: ${escapeControls(pr.fix)}` : ''));
      p.outro('Nothing was written.');
      return err.exitCode;
    }
    throw err;
  }
}

/**
 * A server missing or too old for current Talk: offer the install step (the same questions as
 * `spreed-setup install`), then detect again, so everything after renders for the new server.
 */
async function offerInstall(ctx: SetupContext, flags: SetupFlags, p: Prompter, listen: string): Promise<void> {
  // Staged under --root: files only; packages are installed on the machine itself.
  if (ctx.target.root) return;
  const v = await ctx.detectedVersion;
  const { traitsFor } = await import('../model/versions.js');
  if (v && traitsFor(v.version).talkCompatible) return;
  const go = must(
    await p.confirm({
      message: v
        ? `Server ${v.version} is too old for current Nextcloud Talk. Install one it accepts now?`
        : 'No signaling server is installed. Install one Talk accepts now?',
      initialValue: true,
    }),
  );
  if (!go) return;
  const { getTalkServer } = await import('../apply/install.js');
  const { installQuestions } = await import('./install.js');
  const { promptOutput } = await import('./prompter.js');
  const code = await getTalkServer(
    { ...(flags.root ? { root: flags.root } : {}), ...(flags.config ? { config: flags.config } : {}) },
    installQuestions(p),
    promptOutput(p),
  );
  if (code === EXIT.aborted) throw new Cancelled();
  if (code !== EXIT.ok)
    p.warn('The server was not installed (see above); the setup goes on for the one that is there.');
  ctx.detectedVersion = detectInstalledVersion(ctx.target, ctx.layout, listen);
  const now = await ctx.detectedVersion;
  if (now) p.info(`signaling server now: ${now.version} (${now.source})`);
}

async function wizard(flags: SetupFlags, env: WizardEnv, done: Written): Promise<number> {
  const p = env.prompter;
  const ctx = await detectSetupContext(flags, env.toolVersion);
  p.intro(`spreed-setup ${env.toolVersion}: Nextcloud Talk High Performance Backend`);
  if (ctx.problems.length) throw new UserError(ctx.problems);
  const base = inputFor(ctx, flags);
  if (base.problems.length) throw new UserError(base.problems);
  const answers: Input = { ...base.input };
  const reconfigure = Boolean(ctx.existing.reading?.input.backends?.length);
  // Both detections run side by side (the machine's may have started before the prompts loaded).
  ctx.detectedVersion ??= detectInstalledVersion(ctx.target, ctx.layout, answers.listen ?? DEFAULT_LISTEN);
  const machine = await (env.environment ?? detectEnvironment(ctx.target));
  p.note(
    await introLines(ctx, machine, reconfigure),
    reconfigure ? 'Found an existing install (answers are prefilled from it)' : 'Found on this machine',
  );
  for (const n of [...ctx.notices, ...base.notices]) p.warn(escapeControls(n));
  await offerInstall(ctx, flags, p, answers.listen ?? DEFAULT_LISTEN);

  const rotate = new Set(flags.rotate);
  const asking: Asking = { p, answers, machine, ctx, rotate };
  const ask = (part: Part) => QUESTIONS.find((q) => q.part === part)!.ask(asking);

  setImmediate(preload);
  for (const q of QUESTIONS) if ('first' in q && !q.givenBy(flags)) await q.ask(asking);
  const customizable: Part[] = QUESTIONS.filter(
    (q) => !('first' in q) && !q.givenBy(flags) && (!('reconfigureOnly' in q) || reconfigure),
  ).map((q) => q.part);
  if (customizable.length) {
    const how = must(
      await p.select({
        message: 'The other settings',
        options: [
          {
            value: 'keep',
            label: reconfigure ? 'Keep the current settings' : 'Use the recommended defaults',
            hint: restSummary(answers),
          },
          { value: 'customize', label: 'Customize them', hint: customizable.join(', ') },
        ],
        initialValue: 'keep',
      }),
    );
    if (how === 'customize') {
      // One server (the flow as before), or several: then the cluster file is written instead.
      const cluster = await import('./cluster.js');
      if ((await cluster.askServers(p)) === 'several') {
        const machines = await cluster.askCluster(p);
        asking.cluster = true;
        // What every node shares and the wizard asks; NATS, the MCU, listen and secrets are the cluster's.
        for (const part of customizable) if (part === 'turn' || part === 'nginx') await ask(part);
        return cluster.writeClusterFile(p, flags, answers, machines, env.toolVersion);
      }
      for (const part of customizable) await ask(part);
    }
  }

  for (;;) {
    const { planDeployment } = await planning();
    const { hasChanges, renderDiff, summarize } = await plans();
    let prepared: Prepared;
    try {
      prepared = await planDeployment(ctx, answers, { rotate, serverVersionFlag: flags.serverVersion !== undefined });
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      for (const pr of err.problems)
        p.error(escapeControls(pr.message) + (pr.fix ? `\n  fix: ${escapeControls(pr.fix)}` : ''));
      const part = await choosePart(p, 'Change which part?');
      if (part === 'abort') throw new Cancelled();
      await ask(part);
      continue;
    }
    const { plan } = prepared.built;
    for (const n of prepared.notices.filter((n) => !ctx.notices.includes(n))) p.warn(escapeControls(n));
    if (!hasChanges(plan)) {
      await saveAnswers(flags, prepared, env, p);
      p.outro('No changes: every file is already up to date.');
      return EXIT.ok;
    }
    const changed = summarize(plan, { changedOnly: true });
    const unchanged = plan.changes.filter((c) => c.action === 'unchanged').length;
    p.note(
      `${changed.join('\n')}${unchanged ? `\n(${unchanged} file${unchanged > 1 ? 's' : ''} unchanged)` : ''}`,
      `Plan: ${prepared.deployment.hostname}, server ${prepared.traits.version} (${prepared.versionSource})`,
    );
    p.note(renderDiff(plan, { newFilesInFull: false }).trimEnd(), 'Changes (secrets masked)');
    p.note((await import('../plan/review.js')).adminFacts(prepared).join('\n'), 'Before calls work');
    let action: 'write' | 'edit' | 'abort' | 'full';
    for (;;) {
      action = must(
        await p.select<'write' | 'edit' | 'abort' | 'full'>({
          message: flags.dryRun ? 'Dry run: nothing will be written' : 'Write these files?',
          options: [
            { value: 'write', label: flags.dryRun ? 'Done (write nothing)' : 'Write them' },
            ...(plan.changes.some((c) => c.action === 'create' && c.role !== 'secret' && c.content !== undefined)
              ? [{ value: 'full' as const, label: 'Show the new files in full' }]
              : []),
            { value: 'edit', label: 'Go back and change a part' },
            { value: 'abort', label: 'Abort (change nothing)' },
          ],
          initialValue: 'write',
        }),
      );
      if (action !== 'full') break;
      p.note(renderDiff(plan).trimEnd(), 'Changes in full (secrets masked)');
    }
    if (action === 'abort') throw new Cancelled();
    if (action === 'edit') {
      const part = await choosePart(p, 'Change which part?');
      if (part === 'abort') throw new Cancelled();
      await ask(part);
      continue;
    }
    await saveAnswers(flags, prepared, env, p);
    if (flags.dryRun) {
      p.outro('Dry run: nothing was written.');
      return EXIT.ok;
    }
    return finish(prepared, flags, env, done);
  }
}

async function finish(prepared: Prepared, flags: SetupFlags, env: WizardEnv, done: Written): Promise<number> {
  const p = env.prompter;
  const { applyAndStart, nextSteps } = await applying();
  const status = statusView(p);
  status.start('Writing files');
  const written: string[] = [];
  const backupsBefore = backupDirs(prepared);
  const applied = await applyAndStart(prepared, flags, status.out, (line) => {
    written.push(line);
    status.progress(line);
  });
  const code = applied.code;
  if (code !== EXIT.ok) {
    status.stop('Writing failed: every file was put back');
    p.outro('See the error above.');
    return code;
  }
  const isFile = (l: string) => /^(created|updated|removed) /.test(l);
  done.files = written.filter(isFile);
  done.backupDir = backupDirs(prepared).find((d) => !backupsBefore.includes(d));
  done.root = prepared.target.root;
  status.stop(
    `Wrote ${done.files.length} files${prepared.deployment.nginx.mode !== 'none' && webServerOf(prepared.layout, prepared.deployment.nginx.server).validated ? ` (${WEB_SERVER_LABEL[prepared.deployment.nginx.server]} accepted them)` : ''}${applied.started ? '; the server restarted and answers' : ''}`,
  );
  p.note(done.files.join('\n'), prepared.target.root ? `Written under ${prepared.target.root}` : 'Written');

  const follow = env.followUps ?? {};
  const register = must(
    await p.confirm({
      message: 'Register this server in Nextcloud Talk now?',
      initialValue: Boolean(follow.register) && !prepared.target.root,
    }),
  );
  let occ: string | undefined;
  let checked: number | undefined;
  // Ctrl-C inside registration's own questions stops the wizard too: with what was written, and how to undo it.
  if (register && follow.register) {
    const registered = await follow.register(prepared, (command) => {
      occ = command;
    });
    if (registered === EXIT.aborted) throw new Cancelled();
  } else if (register) p.note(await manualRegistration(prepared), 'Register by hand');
  if (follow.check) {
    const check = must(
      await p.confirm({ message: 'Run the connectivity check now?', initialValue: !prepared.target.root }),
    );
    if (check) checked = await follow.check(prepared, occ);
  }
  p.note(nextSteps(prepared, flags).join('\n'), 'Next');
  // "Working" only when the server was started here and the check passed.
  if (checked !== undefined && checked !== EXIT.ok) {
    p.outro('Written, but checks fail: see the fixes above, then run spreed-setup check again.');
    return EXIT.failed;
  }
  if (checked === EXIT.ok && applied.started)
    p.outro('Working: the server runs with the new files and every check passed.');
  else if (prepared.target.root) p.outro(`Staged under ${prepared.target.root}: nothing was started.`);
  else if (checked === undefined) p.outro('Written. Not checked yet: run spreed-setup check.');
  else p.outro('Done: every check passed.');
  return EXIT.ok;
}

/** The backup folders there are now (each run's own, named by its time). */
function backupDirs(prepared: Prepared): string[] {
  try {
    return readdirSync(prepared.target.path(BACKUP_ROOT)).map((d) => path.join(prepared.target.path(BACKUP_ROOT), d));
  } catch {
    return [];
  }
}

/** What was written and how to undo it: the replaced files from the backup folder, the new ones removed. */
function undoLines(done: Written): string[] {
  const files = done.files ?? [];
  const created = files.filter((l) => l.startsWith('created ')).map((l) => l.slice('created '.length));
  const at = (f: string) => (done.root ? path.join(done.root, f) : f);
  const lines = [...files];
  lines.push('', 'To undo:');
  if (done.backupDir)
    lines.push(
      `  put back the replaced files from the backup ${done.backupDir}:`,
      `  cp -a ${done.backupDir}/. ${done.root ?? '/'}`,
    );
  if (created.length) lines.push('  remove the new files:', `  rm ${created.map(at).join(' ')}`);
  return lines;
}

export async function manualRegistration(p: Prepared): Promise<string> {
  const { manualInstructions } = await import('../register/manual.js');
  const { backendSecretName } = await import('../secrets/secrets.js');
  const b = p.deployment.backends[0]!;
  return manualInstructions({
    url: publicSignalingUrl(p.deployment),
    verify: true,
    secretFile: path.join(p.layout.secretsDir, backendSecretName(b.id)),
  }).join('\n');
}

async function saveAnswers(flags: SetupFlags, prepared: Prepared, env: WizardEnv, p: Prompter): Promise<void> {
  if (!flags.answersOut) return;
  const { writeAnswersOut } = await import('../inputs/answers.js');
  await writeAnswersOut(flags.answersOut, prepared.deployment, env.toolVersion);
  p.info(`Answers saved to ${flags.answersOut} (replay: spreed-setup setup --answers ${flags.answersOut} --yes)`);
}

async function choosePart(p: Prompter, message: string): Promise<Part | 'abort'> {
  return must(
    await p.select<Part | 'abort'>({
      message,
      options: [
        ...QUESTIONS.map((q) => ({ value: q.part, label: q.label })),
        { value: 'abort', label: 'Abort (change nothing)' },
      ],
    }),
  );
}

async function introLines(ctx: SetupContext, m: Environment, reconfigure: boolean): Promise<string> {
  const v = await ctx.detectedVersion;
  const { traitsFor } = await import('../model/versions.js');
  const lines: string[] = m.system ? [`system: ${m.system}`] : [];
  if (v) {
    const t = traitsFor(v.version);
    lines.push(`signaling server ${v.version} (${v.source})${ctx.layout.binary ? `: ${ctx.layout.binary}` : ''}`);
    lines.push(
      t.talkCompatible
        ? '  current Nextcloud Talk accepts it'
        : ctx.target.root
          ? '  too old for current Nextcloud Talk (needs 2.0+, shows UPDATE_REQUIRED): on the machine itself, spreed-setup install'
          : '  too old for current Nextcloud Talk (needs 2.0+, shows UPDATE_REQUIRED): the next question offers a newer one (or: spreed-setup install)',
    );
  } else {
    lines.push(
      ctx.target.root
        ? 'signaling server: not installed in the staged tree (on the machine itself: spreed-setup install)'
        : 'signaling server: not installed (the next question offers one; or: spreed-setup install)',
    );
  }
  lines.push(
    `config: ${ctx.target.path(ctx.layout.configPath)} (${ctx.existing.configText !== undefined ? (reconfigure ? 'existing setup' : 'exists, no backend yet') : 'new'}; ${ctx.layout.kind} layout)`,
  );
  lines.push(
    `nginx: ${ctx.layout.nginx.binary ? `installed, ${ctx.layout.nginx.kind === 'debian' ? 'sites-available/sites-enabled' : 'conf.d'} layout` : 'not installed (apt install nginx)'}`,
  );
  if (m.frontEnd) lines.push(`web server: ${describeFrontEnd(m.frontEnd)}`);
  lines.push(`nats-server on 127.0.0.1:4222: ${m.natsLocal ? 'answers' : 'none'}`);
  lines.push(`Janus on 127.0.0.1:8188: ${m.janusLocal ? 'answers' : 'none'}`);
  lines.push(`Nextcloud occ on this host: ${m.occPath ?? 'none found'}`);
  lines.push(`Let's Encrypt certificates: ${m.letsEncryptHosts.length ? m.letsEncryptHosts.join(', ') : 'none'}`);
  return lines.join('\n');
}

function restSummary(a: Input): string {
  const nats =
    a.nats?.mode === 'external'
      ? `NATS ${a.nats.urls.join(',')}`
      : a.nats?.mode === 'local'
        ? 'local nats-server'
        : 'in-process NATS';
  const mcu = a.mcu?.type === 'janus' ? `Janus ${a.mcu.url ?? ''}` : a.mcu?.type === 'proxy' ? 'MCU proxy' : 'no MCU';
  const nginx = `${WEB_SERVER_LABEL[a.nginx?.server ?? 'nginx']} ${a.nginx?.mode ?? 'site'}`;
  return `${nats}, ${mcu}, ${nginx}, listen ${a.listen ?? DEFAULT_LISTEN}`;
}

async function askHostname(p: Prompter, a: Input, m: Environment): Promise<void> {
  // Only the configured hostname is a default; what the machine suggests is an example.
  const guess = [...m.nginxServerNames, m.fqdn].find((h) => h?.includes('.') && isValidHostname(h));
  const v = must(
    await p.text({
      message: 'Public hostname of the signaling server',
      ...(a.hostname ? { defaultValue: a.hostname } : { example: guess ?? 'hpb.example.org' }),
      validate: ANSWER_CHECKS.hostname,
    }),
  );
  const n = normalizeHostname(v);
  for (const notice of n.notices) p.info(notice);
  a.hostname = n.value;
  // No Let's Encrypt path for an IP address: the site needs its own certificate, asked now.
  if (isIpAddress(a.hostname) && (a.nginx?.mode ?? 'site') === 'site' && !(a.nginx?.certificate && a.nginx.key)) {
    p.warn(
      `${a.hostname} ${IP_HOSTNAME_PROBLEM.replace(/; use .*$/, '')}: give your own certificate, or go back and type a DNS name`,
    );
    await askNginx(p, a, m);
  }
}

/** The reconfigure list's "add another" choice (no URL looks like it). */
export const ADD_NEXTCLOUD = '+add';

async function askNextcloud(p: Prompter, a: Input, ctx: SetupContext): Promise<void> {
  const current = (a.backends ?? []).flatMap((b) => b.urls);
  let urls: string[] = [];
  if (current.length) {
    // A reconfigure: the backends there stay unless unticked; a new URL is added beside them.
    for (;;) {
      const picked = must(
        await p.multiselect<string>({
          message: 'Nextcloud URL(s) this server serves (Space ticks or unticks, Enter confirms)',
          options: [
            ...current.map((u) => ({ value: u, label: u, hint: 'configured' })),
            { value: ADD_NEXTCLOUD, label: 'Add another Nextcloud URL…' },
          ],
          initialValues: current,
        }),
      );
      urls = picked.filter((u) => u !== ADD_NEXTCLOUD);
      if (picked.includes(ADD_NEXTCLOUD)) urls.push(...(await askNewNextcloudUrls(p)));
      if (urls.length) break;
      p.warn('at least one Nextcloud is needed: tick one, or add one');
    }
  } else urls = await askNewNextcloudUrls(p);
  for (const u of urls) for (const notice of normalizeNextcloudUrl(u).notices) p.info(notice);
  // A backend the answers so far hold (an answers file, the installed setup) stays as it is, id
  // and all; a new URL gets the same matching as --nextcloud (a URL configured before keeps its id).
  const kept = (a.backends ?? []).filter((b) => b.urls.some((u) => urls.includes(u)));
  const fresh = urls.filter((u) => !kept.some((b) => b.urls.includes(u)));
  const res = fresh.length
    ? inputFromFlags(
        { nextcloud: fresh, rotate: [], yes: false, dryRun: false, restart: false, debug: false, help: false },
        ctx.installedInput,
      )
    : undefined;
  a.backends = [
    ...kept.map((b) => ({ ...b, urls: b.urls.filter((u) => urls.includes(u)) })),
    ...(res?.input.backends ?? []),
  ];
}

async function askNewNextcloudUrls(p: Prompter): Promise<string[]> {
  const v = must(
    await p.text({
      message: 'Nextcloud URL(s) this server serves (separate several with spaces or commas)',
      example: 'https://cloud.example.org',
      validate: ANSWER_CHECKS.nextcloud,
    }),
  );
  return v.split(/[\s,]+/).filter(Boolean);
}

async function askNats(p: Prompter, a: Input, m: Environment): Promise<void> {
  await loadModel();
  const current = a.nats?.mode ?? 'loopback';
  const mode = must(
    await p.select({
      message: 'NATS (message bus between signaling servers)',
      options: [
        { value: 'loopback', label: 'In-process (single server, nothing to install)', hint: 'recommended' },
        {
          value: 'local',
          label: 'Local nats-server on 127.0.0.1:4222',
          hint: m.natsLocal ? 'answers now' : 'not running now',
        },
        { value: 'external', label: 'External NATS cluster (several signaling servers)' },
      ],
      initialValue: current,
    }),
  );
  if (mode === 'loopback') {
    a.nats = { mode: 'loopback' };
    return;
  }
  if (mode === 'local') {
    a.nats = { mode: 'local', url: DEFAULT_LOCAL_NATS };
    if (!m.natsLocal)
      p.warn(
        'no nats-server answers on 127.0.0.1:4222 yet: the signaling server waits for it before it listens (apt install nats-server)',
      );
    return;
  }
  const { natsInfo } = await import('../probe/nats.js');
  let initial = a.nats?.mode === 'external' ? a.nats.urls.join(', ') : '';
  for (;;) {
    const v = must(
      await p.text({
        message: 'NATS URLs (comma-separated)',
        ...(initial ? { defaultValue: initial } : { example: 'nats://10.0.0.5:4222, nats://10.0.0.6:4222' }),
        validate: ANSWER_CHECKS.natsUrls,
      }),
    );
    const urls = v.split(/[\s,]+/).filter(Boolean);
    const results = await Promise.all(urls.map(async (u) => ({ u, r: await natsInfo(u, { timeoutMs: 2000 }) })));
    const failed = results.filter((x) => !x.r.ok);
    if (failed.length === 0) {
      p.info(`NATS answers at ${urls.join(', ')}`);
      a.nats = { mode: 'external', urls };
      return;
    }
    for (const f of failed) p.warn(`${f.u}: no NATS INFO line (${f.r.ok ? '' : f.r.message})`);
    const next = must(
      await p.select({
        message: 'NATS did not answer',
        options: [
          { value: 'retry', label: 'Enter other URLs' },
          { value: 'keep', label: 'Use them anyway (the server will wait for NATS before it listens)' },
        ],
      }),
    );
    if (next === 'keep') {
      a.nats = { mode: 'external', urls };
      return;
    }
    initial = v;
  }
}

async function askMcu(p: Prompter, a: Input, m: Environment): Promise<void> {
  await loadModel();
  const currentUrl = a.mcu?.type === 'janus' ? a.mcu.url : undefined;
  const options = [
    { value: 'none', label: 'None: calls run peer-to-peer', hint: 'fine for small calls' },
    {
      value: 'local',
      label: 'Janus on this host, set up for Talk',
      hint: 'needed beyond a handful of participants; apt install janus first; writes /etc/janus',
    },
    ...(m.janusLocal ? [{ value: 'detected', label: `Janus at ${m.janusLocal}`, hint: 'detected' }] : []),
    { value: 'other', label: 'Janus at another URL' },
  ];
  const choice = must(
    await p.select({
      message: 'MCU (Janus) for larger calls',
      options,
      initialValue: a.janus
        ? 'local'
        : a.mcu?.type === 'janus'
          ? currentUrl === m.janusLocal
            ? 'detected'
            : 'other'
          : 'none',
    }),
  );
  if (choice !== 'local') delete a.janus;
  if (choice === 'none') {
    a.mcu = { type: 'none' };
    delete a.turn;
    return;
  }
  if (choice === 'local') {
    a.mcu = { type: 'janus', url: DEFAULT_JANUS_URL };
    const had = a.janus?.publicIps ?? [];
    const ips = must(
      await p.text({
        message: "This host's public IP, when it sits behind 1:1 NAT (a cloud VM); empty: none",
        ...(had.length ? { defaultValue: had.join(', ') } : {}),
        validate: (v: string) => (v.trim() === '' ? undefined : ANSWER_CHECKS.publicIps(v)),
      }),
    );
    a.janus = { publicIps: ips.split(/[\s,]+/).filter(Boolean) };
    return;
  }
  let url = m.janusLocal ?? DEFAULT_JANUS_URL;
  if (choice === 'other') {
    url = must(
      await p.text({
        message: 'Janus websocket URL',
        defaultValue: currentUrl ?? DEFAULT_JANUS_URL,
        validate: ANSWER_CHECKS.janusUrl,
      }),
    ).trim();
  }
  a.mcu = { type: 'janus', url };
  const turn = must(
    await p.confirm({ message: 'Give Janus TURN servers (TURN REST API)?', initialValue: Boolean(a.turn) }),
  );
  if (!turn) {
    delete a.turn;
    return;
  }
  const servers = must(
    await p.text({
      message: 'TURN servers for Janus (comma-separated)',
      ...(a.turn
        ? { defaultValue: a.turn.servers.join(', ') }
        : { example: 'turn:turn.example.org:3478?transport=udp' }),
      validate: ANSWER_CHECKS.turnServers,
    }),
  );
  a.turn = { servers: servers.split(/[\s,]+/).filter(Boolean) };
}

/**
 * Which web server fronts the signaling server: asked only when more than one is installed (the
 * one on port 80/443 first); otherwise the wizard says what it found and takes it.
 */
async function askWebServer(p: Prompter, a: Input, m: Environment): Promise<void> {
  const f = m.frontEnd;
  if (!f) return;
  const current = a.nginx?.server;
  const found = current ?? defaultFrontEnd(f);
  if (f.installed.length > 1) {
    const server = must(
      await p.select({
        message: 'Which web server fronts the signaling server?',
        options: f.installed.map((w) => ({
          value: w,
          label: WEB_SERVER_LABEL[w],
          ...(w === f.owner ? { hint: 'listens on port 80/443' } : {}),
        })),
        initialValue: found ?? f.installed[0]!,
      }),
    );
    a.nginx = { ...(a.nginx ?? {}), server } as Input['nginx'];
    return;
  }
  if (found) {
    p.info(`Web server: ${describeFrontEnd(f)}; the files are written for ${WEB_SERVER_LABEL[found]}`);
    a.nginx = { ...(a.nginx ?? {}), server: found } as Input['nginx'];
  } else p.info(`Web server: ${describeFrontEnd(f)}; the files are written for nginx (apt install nginx)`);
}

async function askNginx(p: Prompter, a: Input, m: Environment): Promise<void> {
  await loadModel();
  const { defaultCertificatePaths } = await import('../render/nginx.js');
  const server = a.nginx?.server ?? 'nginx';
  const onNginx = server === 'nginx';
  // A name an enabled site already serves takes a snippet: a second site for it would be ignored.
  const served = onNginx && m.nginxServerNames.includes((a.hostname ?? '').toLowerCase());
  if (served) p.info(`An enabled nginx site already serves ${a.hostname}: include the snippet in its server block`);
  const mode = must(
    await p.select({
      message: `${WEB_SERVER_LABEL[server]} in front of the signaling server`,
      options: [
        {
          value: 'site',
          label: 'A complete HTTPS site for this hostname',
          hint: served ? 'refused: a site already serves this name' : 'recommended',
        },
        {
          value: 'snippet',
          label: onNginx
            ? 'A snippet to include in an existing server block'
            : `A snippet for an existing ${WEB_SERVER_LABEL[server]} site`,
          ...(served ? { hint: 'recommended' } : {}),
        },
        { value: 'none', label: 'None (I run another proxy)' },
      ],
      initialValue: a.nginx?.mode ?? (served ? 'snippet' : 'site'),
    }),
  );
  a.nginx = { ...(a.nginx ?? {}), mode } as Input['nginx'];
  if (mode !== 'site') return;
  const host = a.hostname ?? '';
  // Let's Encrypt's layout is the default, except for an IP address (no certificate is issued for one).
  const le = isIpAddress(host) ? { certificate: '', key: '' } : defaultCertificatePaths(host);
  const hasLe = m.letsEncryptHosts.includes(host);
  if (hasLe) p.info(`Let's Encrypt certificate found for ${host}`);
  const absolute = ANSWER_CHECKS.path;
  const cert = must(
    await p.text({
      message: 'TLS certificate (full chain)',
      defaultValue: a.nginx?.certificate ?? le.certificate,
      example: '/etc/ssl/certs/hpb.pem',
      validate: absolute,
    }),
  ).trim();
  const key = must(
    await p.text({
      message: 'TLS private key',
      defaultValue: a.nginx?.key ?? le.key,
      example: '/etc/ssl/private/hpb.key',
      validate: absolute,
    }),
  ).trim();
  // Let's Encrypt's paths are the default: store only paths that differ from them.
  const { certificate: _oldCert, key: _oldKey, ...rest } = a.nginx ?? {};
  a.nginx = {
    ...rest,
    mode,
    ...(cert !== le.certificate ? { certificate: cert } : {}),
    ...(key !== le.key ? { key } : {}),
  } as Input['nginx'];
}

async function askListen(p: Prompter, a: Input): Promise<void> {
  await loadModel();
  const v = must(
    await p.text({
      message: `Where the signaling server listens (behind ${WEB_SERVER_LABEL[a.nginx?.server ?? 'nginx']})`,
      defaultValue: a.listen ?? DEFAULT_LISTEN,
      validate: ANSWER_CHECKS.listen,
    }),
  );
  a.listen = v.trim();
}

async function askRotate(p: Prompter, a: Input, rotate: Set<string>): Promise<void> {
  const { secretSpecsFor } = await import('../secrets/secrets.js');
  const names = secretSpecsFor({ backends: (a.backends ?? []) as never, turn: a.turn as never }).map((s) => s.name);
  const chosen = must(
    await p.multiselect({
      message:
        'Rotate secrets? (none selected keeps every secret; each rotated one must be updated wherever it is shared)',
      options: names.map((n) => ({
        value: n,
        label: n,
        ...(n.startsWith('backend-') ? { hint: 'shared with Nextcloud: register again after rotating' } : {}),
      })),
      initialValues: [...rotate].filter((r) => names.includes(r)),
    }),
  );
  rotate.clear();
  for (const c of chosen) rotate.add(c);
}
