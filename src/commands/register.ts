// `spreed-setup register`: registers this signaling server in Nextcloud Talk through occ, for one
// backend or each in turn. Static imports stay type-only so `register --help` starts fast; the
// work lives in src/register/.
import type { Output } from '../io/output.js';
import { optionsHelp } from '../options/spec.js';
import { REGISTER_OPTIONS } from '../register/flags.js';

export const HELP = `spreed-setup register: register this signaling server in Nextcloud Talk (occ talk:signaling:add)

Usage:
  spreed-setup register [--root DIR] [--config PATH] [--url PUBLIC-URL] [--backend ID]
                        [--occ "COMMAND" | --occ-ssh USER@HOST [--occ "REMOTE-COMMAND"]]
                        [--secret-choice reuse-nextcloud|replace-all|stop] [--unset-internal-mode]
                        [--update-keys] [--no-verify] [--turn HOST:PORT] [--stun HOST:PORT]
                        [--manual [--show-secret]] [--timeout SECONDS] [--dry-run] [--yes]

Reads the installed setup (as setup wrote it) for the URL and the backend's secret, finds occ, reads
Talk's settings, then adds this server once. Running it again changes nothing.

Options:
${optionsHelp(REGISTER_OPTIONS, 22)}
Non-interactive usage (automation):
  spreed-setup register --yes                                   # occ detected on this machine
  spreed-setup register --occ "sudo -u www-data php /var/www/nextcloud/occ" --yes
  spreed-setup register --occ-ssh admin@cloud.example.org --occ "sudo -u www-data php /srv/nc/occ" --yes
  spreed-setup register --backend cloud-example-org --secret-choice reuse-nextcloud --yes
  Without a terminal nothing is asked: another server with another secret stops the run (exit 1)
  until --secret-choice says what to do.

The secret reaches occ as a command-line argument of one talk:signaling:add call (Talk offers no
other way): it is visible in ps while that occ runs. It is never printed or logged here.

Exit codes: 0 registered (or already registered), 1 failed or stopped (Talk unchanged unless a
            step after the first change failed; the message says which), 2 bad input, 130 aborted.
`;

export interface CommandEnv {
  out: Output;
  /** stdin and stdout are a terminal and --yes was not given */
  interactive: boolean;
  /** The door to occ's processes (tests pass a stand-in); default execa. */
  exec?: import('../register/occ.js').Exec;
  /** The questions on a terminal (tests pass scripted ones); default @clack/prompts. */
  prompter?: import('../register/registerInTalk.js').Prompter;
  /** How occ is found on this machine (tests pass a stand-in); default the system's. */
  detect?: import('../register/findOcc.js').DetectEnv;
  /** Told the occ command that was used (given, found or typed), e.g. for the check after. */
  onOcc?: (command: string) => void;
}

export async function run(argv: string[], env: CommandEnv): Promise<number> {
  const [
    { parseRegisterFlags },
    { loadInstalled },
    { publicSignalingUrl },
    { EXIT, UserError, problem },
    reg,
    { maskSecrets, backendSecretName, TURN_SECRET },
    path,
    fs,
  ] = await Promise.all([
    import('../register/flags.js'),
    import('../detect/installed.js'),
    import('../model/urls.js'),
    import('../errors.js'),
    import('../register/registerInTalk.js'),
    import('../secrets/secrets.js'),
    import('node:path'),
    import('node:fs'),
  ]);
  const flags = parseRegisterFlags(argv);
  const interactive = env.interactive && !flags.yes;
  const installed = loadInstalled({
    ...(flags.root ? { root: flags.root } : {}),
    ...(flags.config ? { config: flags.config } : {}),
  });
  const d = installed.deployment;
  const { turnEntriesFor, stunServersFor } = await import('../register/decide.js');

  // Every secret we know of is masked in everything we print, whatever the code path.
  const known = new Set<string>([...installed.secrets.values()]);
  const mask = (s: string) => maskSecrets(s, known);
  const out: Output = {
    info: (l) => env.out.info(mask(l)),
    notice: (l) => env.out.notice(mask(l)),
    success: (l) => env.out.success(mask(l)),
    problems: (list) =>
      env.out.problems(list.map((p) => ({ message: mask(p.message), ...(p.fix ? { fix: mask(p.fix) } : {}) }))),
    raw: (t) => env.out.raw(mask(t)),
  };

  let backends = d.backends;
  if (flags.backend !== undefined) {
    backends = d.backends.filter((b) => b.id === flags.backend);
    if (!backends.length)
      throw new UserError([
        problem(`--backend ${flags.backend}: no such backend`, `one of ${d.backends.map((b) => b.id).join(', ')}`),
      ]);
  } else if (d.backends.length > 1 && !interactive) {
    throw new UserError([
      problem(
        `this server has ${d.backends.length} backends (${d.backends.map((b) => b.id).join(', ')}); each Nextcloud is registered through its own occ`,
        `run once per backend: spreed-setup register --backend ${d.backends[0]!.id} --occ "…" --yes`,
      ),
    ]);
  }

  const url = flags.url ?? publicSignalingUrl(d);
  const { systemDetectEnv } = await import('../register/findOcc.js');
  const exec = env.exec ?? (await import('../register/occ.js')).execaExec;
  const { manualInstructions } = await import('../register/manual.js');
  const prompter = interactive
    ? (env.prompter ?? (await (await import('../register/prompts.js')).clackPrompter()))
    : undefined;

  let code: number = EXIT.ok;
  for (const b of backends) {
    const secret = installed.secrets.get(backendSecretName(b.id));
    const secretFile = installed.target.path(path.join(installed.layout.secretsDir, backendSecretName(b.id)));
    if (!secret)
      throw new UserError([
        problem(
          `backend ${b.id} has no secret in ${installed.layout.configPath} or ${secretFile}`,
          'run spreed-setup setup first',
        ),
      ]);
    const target = {
      id: b.id,
      nextcloudUrls: b.urls,
      url,
      secret,
      secretFile,
      ...(installed.secrets.get(TURN_SECRET.name) ? { turnSecret: installed.secrets.get(TURN_SECRET.name)! } : {}),
      turnEntries: turnEntriesFor(d),
      stunServers: stunServersFor(d),
    };
    const printManual = (occ?: import('../register/occ.js').OccCommand) => {
      const lines = manualInstructions({
        url,
        verify: flags.verify,
        secretFile,
        ...(occ ? { occ } : {}),
        ...(flags.showSecret ? { secret } : {}),
      });
      // Asked for explicitly: the one place a secret may be printed, so not through the mask.
      for (const l of lines) (flags.showSecret ? env.out : out).info(l);
    };
    out.info(`spreed-setup register: ${url} in Nextcloud ${b.urls.join(', ')} (backend ${b.id})`);
    if (flags.manual) {
      printManual();
      continue;
    }
    try {
      const outcome = await reg.registerInTalk(flags, target, {
        out,
        exec,
        detect: { ...(env.detect ?? systemDetectEnv()), exec },
        ...(prompter ? { prompter } : {}),
        adoptSecret: async (id, value) =>
          (await import('../register/adoptSecret.js')).adoptBackendSecret(
            { ...(flags.root ? { root: flags.root } : {}), ...(flags.config ? { config: flags.config } : {}) },
            id,
            value,
          ),
        learnSecret: (v) => {
          if (v) known.add(v);
        },
        readFile: (p) => fs.readFileSync(p, 'utf8'),
      });
      if (outcome.manual) printManual(outcome.occ);
      if (outcome.occ && !outcome.manual)
        env.onOcc?.((await import('../register/occ.js')).formatCommand(outcome.occ.argv));
      if (outcome.code !== EXIT.ok) code = outcome.code;
    } catch (err) {
      if (err instanceof reg.Cancelled) {
        out.info(
          backends.indexOf(b) > 0
            ? `Aborted: nothing more was changed in Talk (earlier backends stay registered).`
            : 'Aborted: nothing was changed in Talk.',
        );
        return EXIT.aborted;
      }
      if (err instanceof UserError) {
        out.problems(err.problems);
        if (err instanceof reg.OccUnreachable) printManual(err.occ);
        if (err.exitCode === EXIT.badInput) return err.exitCode;
        code = err.exitCode;
        continue;
      }
      throw err;
    }
  }
  return code;
}
