// Registers one backend's Nextcloud with this signaling server, through that Nextcloud's occ:
// read everything first (status, the signaling list, signaling_mode, the hello-v2 keys), decide
// (pure, see decide.ts), ask only what cannot be decided, then change, then read back. A failure
// before the change phase leaves Talk exactly as it was.
import type { Output } from '../io/output.js';
import { EXIT, UserError, problem, type Problem } from '../errors.js';
import {
  decideRegistration,
  decideStun,
  decideTurn,
  decideTurnEntries,
  type RegistrationPlan,
  type SecretChoice,
  type TurnAction,
  type TurnEntry,
} from './decide.js';
import { TALK_DEFAULT_STUN } from '../model/defaults.js';
import { detectOcc, occFromString, occOverSsh, type DetectEnv } from './findOcc.js';
import {
  asUser,
  formatCommand,
  lastLine,
  OccClient,
  type Exec,
  type ExecResult,
  type OccCommand,
  type OccFailure,
} from './occ.js';
import {
  isUndefinedCommand,
  parseSignalingList,
  parseStatus,
  parseStunList,
  parseTurnList,
  talkAppState,
  OccOutputError,
  type TalkSignaling,
} from './talk.js';
import type { RegisterFlags } from './flags.js';

export class Cancelled extends Error {}

/** What Talk's verify flag means: whether Talk checks this server's TLS certificate when it calls it. */
export const verifyText = (verify: boolean): string =>
  verify
    ? "Talk verifies this server's TLS certificate"
    : "Talk does not verify this server's TLS certificate (--no-verify)";

/** occ could not be used at all: the caller prints the manual values after the error. */
export class OccUnreachable extends UserError {
  constructor(
    problems: Problem[],
    readonly occ?: OccCommand,
  ) {
    super(problems, EXIT.failed);
  }
}

/** Questions for interactive use; every one has a flag that answers it instead. */
export interface Prompter {
  /**
   * Shows the command found (or none; or the one that just failed, to retry) and returns the one
   * to use: found, typed, or occ over ssh on another host; or 'manual' to register by hand.
   */
  occCommand(label: string, suggested: OccCommand | undefined, failed?: OccFailed): Promise<OccCommand | 'manual'>;
  secretChoice(others: string[]): Promise<SecretChoice>;
  confirm(message: string, initial: boolean): Promise<boolean>;
}

/** An occ command that could not be run, and why (shown when asking for another). */
export interface OccFailed {
  occ: OccCommand;
  problem: Problem;
}

export interface BackendTarget {
  id: string;
  nextcloudUrls: string[];
  /** Our public signaling URL, as Talk should list it. */
  url: string;
  secret: string;
  secretFile: string;
  /** coturn's static-auth-secret, when setup configured TURN. */
  turnSecret?: string;
  /** Talk's TURN entries for the TURN server setup configured (with turnSecret). */
  turnEntries?: TurnEntry[];
  /** STUN servers for Talk from that setup. */
  stunServers?: string[];
}

export interface RegisterDeps {
  out: Output;
  exec: Exec;
  detect: DetectEnv;
  /** Present only when interactive. */
  prompter?: Prompter;
  /** Rewrites our backend secret to `value` through setup's plan/apply; returns lines to show. */
  adoptSecret(backendId: string, value: string): Promise<string[]>;
  /** A secret learned at run time (Talk's), so output masking covers it too. */
  learnSecret(value: string): void;
  readFile(path: string): string;
}

export type RegisterOutcome = { code: number; occ?: OccCommand; manual?: boolean };

/** Picks the occ command: flags, then detection, then (interactive) the user's word. */
export async function chooseOcc(
  flags: RegisterFlags,
  target: BackendTarget,
  deps: RegisterDeps,
  failed?: OccFailed,
): Promise<OccCommand | 'manual' | undefined> {
  let occ: OccCommand | undefined;
  try {
    if (flags.occSsh !== undefined) occ = occOverSsh(flags.occSsh, flags.occ);
    else if (flags.occ !== undefined) occ = occFromString(flags.occ);
  } catch (err) {
    throw new UserError([
      problem(
        `--occ${flags.occSsh !== undefined ? '-ssh' : ''}: ${(err as Error).message}`,
        'give the command as you would type it, e.g. --occ "sudo -u www-data php /var/www/nextcloud/occ"',
      ),
    ]);
  }
  // A command given by flag is not asked again (until it fails); a detected one is shown for confirmation.
  if (!deps.prompter) return occ ?? (await detectOcc(deps.detect))[0];
  if (occ && !failed) return occ;
  const found = failed ? undefined : (await detectOcc(deps.detect))[0];
  return deps.prompter.occCommand(target.nextcloudUrls.join(', '), found, failed);
}

function failureProblem(
  f: OccFailure,
  occ: OccCommand,
  timeoutSeconds: number,
  userName: (uid: number) => string | undefined,
): Problem {
  const shown = formatCommand(occ.argv);
  switch (f.kind) {
    case 'not-found':
      return problem(
        `occ could not be run (${shown}): ${f.detail}`,
        'pass the right command with --occ "sudo -u www-data php /path/to/nextcloud/occ" (or --occ-ssh USER@HOST), or print the values with --manual',
      );
    case 'timeout':
      return problem(
        `occ did not answer within ${timeoutSeconds} s (${shown})`,
        "check that Nextcloud's database and cache are up (try the command by hand), or allow more time with --timeout SECONDS",
      );
    case 'wrong-user': {
      const local = occ.kind === 'bare-metal' || occ.kind === 'given';
      const name = local ? userName(f.ownerUid) : undefined;
      const who = name ?? `#${f.ownerUid}`;
      const fixed =
        occ.kind === 'ssh' && occ.remote
          ? `--occ-ssh ${occ.argv[occ.argv.indexOf('--') + 1]} --occ "${formatCommand(asUser(occ.remote, `#${f.ownerUid}`))}"`
          : `--occ "${formatCommand(asUser(occ.argv, occ.kind === 'docker' || occ.kind === 'aio' ? String(f.ownerUid) : who))}"`;
      return problem(
        `occ must run as the owner of config/config.php, uid ${f.ownerUid}${name ? ` (${name})` : ''}${f.currentUid !== undefined ? `, not uid ${f.currentUid}` : ''}`,
        `run it as that user: ${fixed}`,
      );
    }
    case 'failed':
      return problem(`occ failed (exit ${f.exitCode ?? '?'}): ${f.detail}`, 'run the command by hand to see why');
  }
}

/** At most this many occ commands are tried in one interactive run. */
const OCC_ATTEMPTS = 10;

export async function registerInTalk(
  flags: RegisterFlags,
  target: BackendTarget,
  deps: RegisterDeps,
): Promise<RegisterOutcome> {
  // On a terminal, an occ that cannot be run is not the end: retry it, type another, use ssh, or
  // register by hand. Every attempt reads Talk afresh, so a retry never doubles a change.
  let failed: OccFailed | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await registerOnce(flags, target, deps, failed);
    } catch (err) {
      if (!(err instanceof OccUnreachable) || !deps.prompter || !err.occ || attempt >= OCC_ATTEMPTS) throw err;
      deps.out.problems(err.problems);
      failed = { occ: err.occ, problem: err.problems[0]! };
    }
  }
}

async function registerOnce(
  flags: RegisterFlags,
  target: BackendTarget,
  deps: RegisterDeps,
  failed: OccFailed | undefined,
): Promise<RegisterOutcome> {
  const { out } = deps;
  const chosen = await chooseOcc(flags, target, deps, failed);
  if (chosen === 'manual') return { code: EXIT.ok, manual: true };
  if (!chosen) {
    throw new OccUnreachable([
      problem(
        'no occ found on this machine (no snap, NixOS, bare-metal install under /var/www or /srv, nor a Nextcloud container)',
        'pass --occ "COMMAND" or --occ-ssh USER@HOST, or register by hand with the values below',
      ),
    ]);
  }
  const occ = chosen;
  const client = new OccClient(occ, deps.exec, flags.timeoutSeconds * 1000);
  out.info(`occ: ${formatCommand(occ.argv)} (${occ.source})`);

  const call = async (sub: string, positionals: string[] = [], options: string[] = []): Promise<ExecResult> => {
    const r = await client.run(sub, positionals, options);
    if (r.failure) {
      const pr = failureProblem(r.failure, occ, flags.timeoutSeconds, deps.detect.userName);
      // Out of reach: the manual values follow. A wrong user has an exact fix instead.
      if (r.failure.kind === 'not-found' || r.failure.kind === 'timeout') throw new OccUnreachable([pr], occ);
      throw new UserError([pr], EXIT.failed);
    }
    return r;
  };
  const fail = (message: string, fix?: string): never => {
    throw new UserError([problem(message, fix)], EXIT.failed);
  };
  const occHint = (sub: string) => `${formatCommand(occ.argv)} ${sub}`;
  const parse = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof OccOutputError)
        return fail(`${err.message}: is this Nextcloud's occ?`, 'check the --occ command by running it with "status"');
      throw err;
    }
  };

  // 1. Read, change nothing.
  const st = await call('status', [], ['--output=json']);
  if (st.exitCode !== 0)
    fail(
      `occ status failed (exit ${st.exitCode}): ${lastLine(st.stderr || st.stdout)}`,
      'run the command by hand to see why',
    );
  const status = parse(() => parseStatus(st.stdout));
  if (!status.installed)
    fail(
      'Nextcloud is not installed yet (occ status: installed = false)',
      'finish the installation first, then register',
    );
  if (status.needsDbUpgrade)
    fail(
      `Nextcloud ${status.versionstring} needs its upgrade to finish: app commands (Talk's) are unavailable until then`,
      `finish it: ${occHint('upgrade')}`,
    );
  if (status.maintenance)
    fail(
      `Nextcloud ${status.versionstring} is in maintenance mode: app commands (Talk's) are unavailable`,
      `when the maintenance is over: ${occHint('maintenance:mode --off')}`,
    );

  const listed = await call('talk:signaling:list', [], ['--output=json']);
  if (listed.exitCode !== 0) {
    if (!isUndefinedCommand(listed.stderr, listed.stdout))
      fail(
        `occ talk:signaling:list failed (exit ${listed.exitCode}): ${lastLine(listed.stderr || listed.stdout)}`,
        'run the command by hand to see why',
      );
    const apps = await call('app:list', [], ['--output=json']);
    const talkApp = apps.exitCode === 0 ? parse(() => talkAppState(apps.stdout)).state : 'missing';
    if (talkApp === 'disabled')
      fail(
        `Nextcloud Talk (spreed) is installed but disabled in Nextcloud ${status.versionstring}`,
        `enable it: ${occHint('app:enable spreed')}`,
      );
    fail(
      `Nextcloud Talk (spreed) is not installed in Nextcloud ${status.versionstring}`,
      `install it: ${occHint('app:install spreed')}`,
    );
  }
  const talk: TalkSignaling = parse(() => parseSignalingList(listed.stdout));
  if (talk.secret) deps.learnSecret(talk.secret);

  const mode = await call('config:app:get', ['spreed', 'signaling_mode']);
  const internalMode = mode.exitCode === 0 && mode.stdout.trim().split('\n').pop()?.trim() === 'internal';

  const keys = await call('talk:signaling:verify-keys');
  // Talk before 21 has no such command: nothing to check there.
  const keysBroken =
    keys.exitCode !== 0 &&
    !isUndefinedCommand(keys.stderr, keys.stdout) &&
    /does not match/.test(keys.stdout + keys.stderr);

  let turnPlan: { args: string[]; secret: string; present: 'add' | 'present' | 'other-secret' } | undefined;
  if (flags.turn !== undefined) {
    let secret = target.turnSecret;
    if (flags.turnSecretFile !== undefined) {
      try {
        secret = deps.readFile(flags.turnSecretFile).trim();
      } catch (err) {
        throw new UserError([
          problem(
            `cannot read --turn-secret-file ${flags.turnSecretFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
          ),
        ]);
      }
    }
    if (!secret)
      throw new UserError([
        problem(
          "--turn needs the TURN server's shared secret (coturn's static-auth-secret)",
          'pass --turn-secret-file PATH, or configure TURN with spreed-setup setup first',
        ),
      ]);
    deps.learnSecret(secret);
    const tl = await call('talk:turn:list', [], ['--output=json']);
    const existing = tl.exitCode === 0 ? parse(() => parseTurnList(tl.stdout)) : [];
    const want = { schemes: flags.turnSchemes, server: flags.turn, protocols: flags.turnProtocols, secret };
    turnPlan = { args: [want.schemes, want.server, want.protocols], secret, present: decideTurn(existing, want) };
  }
  // The TURN server setup configured: its entries (turn, and turns with TLS) with the one secret.
  let ourTurn: TurnAction[] = [];
  const ourSecret = target.turnSecret;
  if (flags.turn === undefined && ourSecret && target.turnEntries?.length) {
    deps.learnSecret(ourSecret);
    const tl = await call('talk:turn:list', [], ['--output=json']);
    const existing = tl.exitCode === 0 ? parse(() => parseTurnList(tl.stdout)) : [];
    ourTurn = decideTurnEntries(existing, target.turnEntries, ourSecret);
  }
  let stunAdd = false;
  let stunList: string[] = [];
  const ourStun = target.stunServers ?? [];
  if (flags.stun !== undefined || ourStun.length) {
    const sl = await call('talk:stun:list', [], ['--output=json']);
    stunList = sl.exitCode === 0 ? parse(() => parseStunList(sl.stdout)) : [];
  }
  if (flags.stun !== undefined) stunAdd = decideStun(stunList, flags.stun) === 'add';
  const stunToAdd = ourStun.filter((s) => s !== flags.stun && decideStun(stunList, s) === 'add');
  const dropDefault =
    ourStun.length > 0 &&
    stunList.includes(TALK_DEFAULT_STUN) &&
    (flags.dropDefaultStun ||
      (deps.prompter
        ? await deps.prompter.confirm(
            `Talk still lists its default STUN server ${TALK_DEFAULT_STUN}; with ${ourStun.join(', ')} in place it is not needed. Remove it?`,
            false,
          )
        : false));

  // 2. Decide; ask only what flags did not answer.
  let decision = decideRegistration(talk, {
    url: target.url,
    secret: target.secret,
    verify: flags.verify,
    ...(flags.secretChoice ? { choice: flags.secretChoice } : {}),
  });
  if (decision.kind === 'needs-choice') {
    const others = decision.others;
    const explain = `Talk keeps one secret for all its signaling servers, and ${others.join(', ')} ${others.length > 1 ? 'use' : 'uses'} a different one than backend ${target.id}`;
    if (flags.secretChoice === 'stop') {
      out.info(`${explain}. Stopped (--secret-choice stop): nothing was changed.`);
      return { code: EXIT.failed, occ };
    }
    if (!deps.prompter) {
      fail(
        explain,
        "choose: --secret-choice reuse-nextcloud (this backend takes over Talk's secret), --secret-choice replace-all (those servers stop working), or --secret-choice stop",
      );
    }
    out.info(explain + '.');
    const choice = await deps.prompter!.secretChoice(others);
    decision = decideRegistration(talk, { url: target.url, secret: target.secret, verify: flags.verify, choice });
    if (decision.kind === 'needs-choice') {
      out.info('Stopped: nothing was changed.');
      return { code: EXIT.failed, occ };
    }
  }
  const plan: RegistrationPlan = decision.plan;

  // Without a terminal, a setting that would make Talk ignore this server stops the run before any
  // change: registering into a Talk that will not use it would only look like success.
  if (!deps.prompter && internalMode && !flags.unsetInternalMode) {
    fail(
      'Talk\'s signaling_mode is "internal": Talk would ignore this server',
      `run register again with --unset-internal-mode (or ${occHint('config:app:delete spreed signaling_mode')})`,
    );
  }
  if (!deps.prompter && keysBroken && !flags.updateKeys) {
    fail(
      'Talk\'s hello-v2 key pair does not match: clients would get "invalid token"',
      `run register again with --update-keys (or ${occHint('talk:signaling:verify-keys --update')})`,
    );
  }
  const ask = async (offered: boolean, byFlag: boolean, question: string) =>
    offered && (byFlag || (deps.prompter ? await deps.prompter.confirm(question, true) : false));
  const unsetMode = await ask(
    internalMode,
    flags.unsetInternalMode,
    'Talk\'s signaling_mode is "internal": Talk ignores every external signaling server. Unset it?',
  );
  const updateKeys = await ask(
    keysBroken,
    flags.updateKeys,
    'Talk\'s hello-v2 key pair does not match (clients get "invalid token"). Store the matching public key (verify-keys --update)?',
  );

  const actions: string[] = [];
  if (plan.adoptTalkSecret)
    actions.push(`write Talk's secret into this backend's secret file and server.conf (backend ${target.id})`);
  for (const d of plan.deletes) actions.push(`occ talk:signaling:delete ${d}`);
  if (plan.add)
    actions.push(`occ talk:signaling:add ${target.url} <secret> ${flags.verify ? '--verify' : '(no --verify)'}`);
  if (unsetMode) actions.push('occ config:app:delete spreed signaling_mode');
  if (updateKeys) actions.push('occ talk:signaling:verify-keys --update');
  if (turnPlan?.present === 'add') actions.push(`occ talk:turn:add ${turnPlan.args.join(' ')} --secret=<secret>`);
  if (stunAdd) actions.push(`occ talk:stun:add ${flags.stun}`);
  for (const t of ourTurn) {
    const args = `${t.entry.schemes} ${t.entry.server} ${t.entry.protocols}`;
    if (t.action === 'replace') actions.push(`occ talk:turn:delete ${args}`);
    if (t.action !== 'present') actions.push(`occ talk:turn:add ${args} --secret=<secret>`);
  }
  for (const s of stunToAdd) actions.push(`occ talk:stun:add ${s}`);
  if (dropDefault) actions.push(`occ talk:stun:delete ${TALK_DEFAULT_STUN}`);

  if (plan.add || plan.deletes.length || plan.adoptTalkSecret)
    out.info(plan.summary.charAt(0).toUpperCase() + plan.summary.slice(1) + '.');
  if (plan.breaks.length)
    out.notice(`these servers stop working until they get this backend's secret: ${plan.breaks.join(', ')}`);
  if (flags.dryRun) {
    out.info(actions.length ? 'Dry run: would run' : 'Dry run: nothing to change.');
    for (const a of actions) out.info(`  ${a}`);
    return { code: EXIT.ok, occ };
  }

  // 3. Change.
  const mustSucceed = async (what: string, sub: string, positionals: string[] = [], options: string[] = []) => {
    const r = await call(sub, positionals, options);
    if (r.exitCode !== 0)
      fail(
        `occ ${what} failed (exit ${r.exitCode}): ${lastLine(r.stdout || r.stderr)}`,
        'run it by hand to see why, then register again',
      );
    return r;
  };
  if (plan.adoptTalkSecret) {
    for (const line of await deps.adoptSecret(target.id, talk.secret)) out.info(line);
  }
  for (const d of plan.deletes) await mustSucceed(`talk:signaling:delete ${d}`, 'talk:signaling:delete', [d]);
  const expectedSecret = plan.adoptTalkSecret || plan.add === 'talk' ? talk.secret : target.secret;
  if (plan.add) {
    // The one call that carries the secret: Talk takes it only as an argument.
    await mustSucceed(
      'talk:signaling:add',
      'talk:signaling:add',
      [target.url, plan.add === 'ours' ? target.secret : talk.secret],
      flags.verify ? ['--verify'] : [],
    );
  }
  if (unsetMode)
    await mustSucceed('config:app:delete spreed signaling_mode', 'config:app:delete', ['spreed', 'signaling_mode']);
  if (updateKeys)
    await mustSucceed('talk:signaling:verify-keys --update', 'talk:signaling:verify-keys', [], ['--update']);
  if (turnPlan?.present === 'add')
    await mustSucceed('talk:turn:add', 'talk:turn:add', turnPlan.args, [`--secret=${turnPlan.secret}`]);
  if (stunAdd) await mustSucceed('talk:stun:add', 'talk:stun:add', [flags.stun!]);
  for (const t of ourTurn) {
    const args = [t.entry.schemes, t.entry.server, t.entry.protocols];
    if (t.action === 'replace') await mustSucceed('talk:turn:delete', 'talk:turn:delete', args);
    // The secret goes to Talk as an argument: talk:turn:add takes it no other way (README).
    if (t.action !== 'present') await mustSucceed('talk:turn:add', 'talk:turn:add', args, [`--secret=${ourSecret}`]);
  }
  for (const s of stunToAdd) await mustSucceed('talk:stun:add', 'talk:stun:add', [s]);
  if (dropDefault) await mustSucceed('talk:stun:delete', 'talk:stun:delete', [TALK_DEFAULT_STUN]);

  // 4. Read back: exactly one entry for our URL, and Talk's secret is the one our server uses.
  let final = talk;
  if (plan.add || plan.deletes.length) {
    const r = await call('talk:signaling:list', [], ['--output=json']);
    final = parse(() => parseSignalingList(r.stdout));
  }
  const entries = final.servers.filter((s) => s.server === target.url).length;
  if (entries !== 1 || final.secret !== expectedSecret) {
    fail(
      `read back from Talk: ${entries} entries for ${target.url}${final.secret !== expectedSecret ? ", and Talk's secret is not this backend's" : ''}`,
      "look at Talk's admin page, then run register again",
    );
  }
  const changed = Boolean(plan.add || plan.deletes.length || plan.adoptTalkSecret);
  if (changed)
    out.success(
      `Registered ${target.url} in Talk (${verifyText(flags.verify)}): Talk's secret and backend ${target.id}'s secret agree.`,
    );
  else
    out.success(
      `Already registered: ${target.url} is in Talk once, with backend ${target.id}'s secret. Nothing changed.`,
    );
  if (unsetMode) out.info('Unset Talk\'s signaling_mode ("internal"): Talk uses the external signaling server now.');
  else if (internalMode)
    out.notice(
      `Talk's signaling_mode is "internal": Talk ignores every external signaling server until it is unset: run register again with --unset-internal-mode (or ${occHint('config:app:delete spreed signaling_mode')})`,
    );
  if (updateKeys) out.info('Stored the matching hello-v2 public key (verify-keys --update).');
  else if (keysBroken)
    out.notice(
      `Talk's hello-v2 key pair does not match: clients get "invalid token": run register again with --update-keys (or ${occHint('talk:signaling:verify-keys --update')})`,
    );
  if (turnPlan) {
    if (turnPlan.present === 'add') out.info(`Added TURN server ${turnPlan.args.join(' ')} for browsers.`);
    else if (turnPlan.present === 'present') out.info(`TURN server ${flags.turn} is already in Talk.`);
    else
      out.notice(
        `TURN server ${flags.turn} is in Talk with another secret: correct it in Talk's admin page (TURN servers), or delete it there and register again`,
      );
  }
  for (const t of ourTurn) {
    const what = `TURN server ${t.entry.schemes}:${t.entry.server} (${t.entry.protocols})`;
    out.info(
      t.action === 'add'
        ? `Added ${what} for browsers, with the TURN secret.`
        : t.action === 'replace'
          ? `Updated ${what}: Talk now has the current TURN secret.`
          : `${what} is already in Talk with the TURN secret.`,
    );
  }
  for (const s of ourStun)
    out.info(stunToAdd.includes(s) ? `Added STUN server ${s}.` : `STUN server ${s} is already in Talk.`);
  if (dropDefault) out.info(`Removed Talk's default STUN server ${TALK_DEFAULT_STUN}.`);
  if (flags.stun !== undefined)
    out.info(stunAdd ? `Added STUN server ${flags.stun}.` : `STUN server ${flags.stun} is already in Talk.`);
  return { code: EXIT.ok, occ };
}
