// Carries out an install plan: its files (apt source and pin, or our unit) through the same
// transaction as setup's, then its commands (apt-get, the image pull) with their output shown
// line by line. A failed command puts the files back and surfaces apt's own error lines.
import path from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { EXIT, UserError, problem } from '../errors.js';
import type { Output } from '../io/output.js';
import type { Target } from '../io/target.js';
import { DEBIAN_PACKAGE } from '../model/versions.js';
import {
  defaultMethod,
  gatherInstallFacts,
  type InstallFacts,
  type InstallMethod,
  type InstallPlan,
  type InstallStep,
  type MethodOffer,
  needsInstall,
  offerMethods,
  planInstall,
  planRemovePin,
} from '../plan/install.js';
import { hasChanges, renderDiff, summarize } from '../plan/plan.js';
import { applyPlan, ApplyError } from './apply.js';
import { stampNow } from './applySetup.js';
import { journalPath } from './journal.js';

export interface StepResult {
  ok: boolean;
  /** apt's `E:` lines (or the last lines of output), for the error message. */
  errors: string[];
}

const NOISE = /^\(Reading database \.\.\. \d+%$/;

/** Runs one command, every output line passed to `progress`; bounded by a generous timeout. */
export async function runStep(step: InstallStep, progress: (line: string) => void): Promise<StepResult> {
  const child = execa(step.argv[0]!, step.argv.slice(1), {
    reject: false,
    stdin: 'ignore',
    timeout: 30 * 60_000,
    env: step.env ?? {},
  });
  const tail: string[] = [];
  const errors: string[] = [];
  const follow = (stream: NodeJS.ReadableStream | null | undefined) =>
    stream
      ? new Promise<void>((resolve) => {
          const rl = createInterface({ input: stream });
          rl.on('line', (line) => {
            const text = line.trimEnd();
            // dpkg's percentage lines and apt's repeated fetch lines say nothing new.
            if (!text || NOISE.test(text) || text === tail[tail.length - 1]) return;
            if (/^E: /.test(text)) errors.push(text.slice(3));
            tail.push(text);
            if (tail.length > 5) tail.shift();
            progress(text);
          });
          rl.on('close', () => resolve());
        })
      : Promise.resolve();
  await Promise.all([follow(child.stdout), follow(child.stderr)]);
  const r = await child;
  if (r.exitCode === 0) return { ok: true, errors: [] };
  const why = r.failed && r.exitCode === undefined ? [String(r.shortMessage ?? r.message)] : [];
  return { ok: false, errors: errors.length ? errors : why.length ? why : tail };
}

export interface ApplyInstallOptions {
  target: Target;
  configPath: string;
  out: Output;
  /** Each output line of a command (default: indented on out.info). */
  progress?: (line: string) => void;
}

/** Writes the plan's files, runs its commands; exit code 0 or 1 (files put back, apt's error shown). */
export async function applyInstall(ip: InstallPlan, o: ApplyInstallOptions): Promise<number> {
  const { out, target } = o;
  const progress = o.progress ?? ((line: string) => out.info(`    ${line}`));
  const runSteps = !target.root;
  try {
    const result = await applyPlan(ip.plan, {
      target,
      stamp: stampNow(),
      journal: journalPath(target, o.configPath),
      onProgress: (line) => out.info(`  ${line}`),
      validate: async () => {
        if (!runSteps) return { ok: true };
        for (const step of ip.steps) {
          out.info(`  ${step.title}: ${step.argv.join(' ')}`);
          const r = await runStep(step, progress);
          if (!r.ok)
            return {
              ok: false,
              message: `${step.argv[0]} failed (${step.title}): ${r.errors.join('; ') || 'no output'}`,
              fix: fixFor(step, r.errors),
            };
        }
        return { ok: true };
      },
    });
    if (result.backupDir) out.info(`Backups of replaced files: ${result.backupDir}`);
  } catch (err) {
    if (err instanceof ApplyError) {
      out.problems([problem(err.message, err.fix)]);
      if (err.rolledBack.length) out.info(`Put back: ${err.rolledBack.join(', ')}`);
      return EXIT.failed;
    }
    throw err;
  }
  if (!runSteps && ip.steps.length)
    out.notice(
      `under --root the files are staged only; run these on the machine itself: ${ip.steps.map((s) => s.argv.join(' ')).join(' && ')}`,
    );
  return EXIT.ok;
}

function fixFor(step: InstallStep, errors: string[], keyring: string = DEBIAN_PACKAGE.keyring): string {
  const text = errors.join(' ');
  if (/NO_PUBKEY|not signed|signature|Signed-By|KEYEXPIRED/i.test(text))
    return `the archive's signature did not verify against ${keyring}: check --apt-mirror points at a Debian mirror, or give its own key with --apt-keyring (nothing was changed)`;
  if (/Could not get lock|is held by process/i.test(text))
    return 'another apt or dpkg run holds the lock: wait for it, then run again';
  if (/Unable to locate package|has no installation candidate|not found/i.test(text))
    return 'the mirror does not carry the package for this architecture: check --apt-mirror';
  if (step.argv[0] !== 'apt-get') return 'fix the problem above, then run again (the unit was put back)';
  return 'fix the problem apt names above, then run again (our apt files were put back)';
}

export interface InstallFlow {
  root?: string;
  config?: string;
  aptMirror?: string;
  aptKeyring?: string;
  method?: InstallMethod;
  removePin?: boolean;
  dryRun?: boolean;
  /** Even when the installed server is new enough (an explicit --method). */
  force?: boolean;
}

export interface InstallAsk {
  /** Pick a way among the offers (the available ones first); undefined: cancelled. */
  choose?: (offers: MethodOffer[], facts: InstallFacts) => Promise<InstallMethod | undefined>;
  /** Go ahead after the review? Without it: refused unless `yes`. */
  confirm?: () => Promise<boolean>;
  yes?: boolean;
}

/**
 * The whole step, for `spreed-setup install` and for setup's wizard: detect, decide, offer, show
 * the files and commands, confirm, carry out. Returns an exit code; bad input is a UserError.
 */
export async function getTalkServer(flow: InstallFlow, ask: InstallAsk, out: Output): Promise<number> {
  const { facts, target, host } = await gatherInstallFacts(flow);
  const configPath = path.join(facts.configDir, 'server.conf');
  let ip: InstallPlan;
  if (flow.removePin) {
    ip = planRemovePin(host);
    if (!ip.plan.changes.length) {
      out.success('No spreed-setup apt source or pin to remove.');
      return EXIT.ok;
    }
  } else {
    out.info(
      `server: ${facts.installed ? `${facts.installed.version} (${facts.installed.source})` : 'none installed'}; current Talk needs ${facts.needed} or newer`,
    );
    if (!needsInstall(facts) && !flow.method && !flow.force) {
      out.success('The installed server is one Talk accepts: nothing to install.');
      return EXIT.ok;
    }
    const offers = offerMethods(facts);
    let method = flow.method;
    if (!method && ask.choose) {
      method = await ask.choose(offers, facts);
      if (!method) return EXIT.aborted;
    }
    method ??= defaultMethod(facts);
    if (!method)
      throw new UserError(
        offers.map((o) => problem(`${o.method}: ${o.unavailable}`, o.fix)),
        EXIT.badInput,
      );
    ip = planInstall(method, facts, host);
  }
  out.info('');
  out.info(`Plan (${ip.method}):`);
  for (const line of summarize(ip.plan, { changedOnly: true })) out.info(`  ${line}`);
  if (hasChanges(ip.plan)) {
    out.info('');
    out.raw(renderDiff(ip.plan));
  }
  if (ip.steps.length) {
    out.info('');
    out.info(target.root ? 'Then, on the machine itself:' : 'Then:');
    for (const s of ip.steps) out.info(`  ${s.argv.join(' ')}`);
  }
  for (const n of ip.notes) out.info(`  note: ${n}`);
  if (flow.dryRun) {
    out.info('');
    out.info('Dry run: nothing was changed.');
    return EXIT.ok;
  }
  if (!ask.yes) {
    if (!ask.confirm)
      throw new UserError([
        problem('no terminal to confirm on', 'add --yes to go ahead (review with --dry-run first)'),
      ]);
    if (!(await ask.confirm())) {
      out.info('Cancelled: nothing was changed.');
      return EXIT.aborted;
    }
  }
  const code = await applyInstall(ip, { target, configPath, out });
  if (code !== EXIT.ok || target.root || ip.method === 'remove-pin' || ip.method === 'container') {
    if (code === EXIT.ok && ip.method === 'remove-pin') out.success('Removed the apt source and pin.');
    if (code === EXIT.ok && ip.method === 'container')
      out.success(`Unit written; start it with: systemctl daemon-reload && systemctl enable --now ${facts.unit}`);
    return code;
  }
  const after = await gatherInstallFacts(flow);
  if (needsInstall(after.facts)) {
    out.problems([
      problem(
        `after the install the server is ${after.facts.installed?.version ?? 'still missing'}, older than the ${facts.needed} Talk needs`,
        'see apt-cache policy nextcloud-spreed-signaling',
      ),
    ]);
    return EXIT.failed;
  }
  out.success(`Installed: server ${after.facts.installed!.version} (${after.facts.installed!.source}).`);
  return EXIT.ok;
}
