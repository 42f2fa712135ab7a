// Entry point: dispatches subcommands. --help and --version load nothing else (start-up speed);
// a UserError prints its problems and exits 2 (or its own code) without a stack trace.
import { MAIN_HELP, SETUP_HELP } from './help.js';
import { toolVersion } from '../io/toolVersion.js';

const HELP_OR_VERSION = ['--help', '-h', '--version', '-V'];

export async function main(argv: string[]): Promise<number> {
  // `spreed-setup --root DIR …` (options, no command) is the wizard with those options.
  const optionsOnly = argv[0]?.startsWith('-') && !HELP_OR_VERSION.includes(argv[0]);
  const command = optionsOnly ? undefined : argv[0];
  const rest = optionsOnly ? argv : argv.slice(1);
  const terminal = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  if (command === undefined && !terminal && !optionsOnly) {
    process.stderr.write(
      'error: no terminal to ask questions on — fix: spreed-setup setup --hostname NAME --nextcloud URL --yes (see spreed-setup setup --help)\n',
    );
    return 2;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(MAIN_HELP);
    return 0;
  }
  if (command === '--version' || command === '-V') {
    process.stdout.write(`spreed-setup ${toolVersion()}\n`);
    return 0;
  }
  // setup's parser loads alongside the output: no round trip between them before the first prompt.
  const setupOptions = command === undefined || command === 'setup' ? import('../options/setup.js') : undefined;
  setupOptions?.catch(() => undefined);
  const { createOutput } = await import('../io/output.js');
  const out = createOutput();
  const debug = rest.includes('--debug');
  try {
    if (command === undefined || command === 'setup') {
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(SETUP_HELP);
        return 0;
      }
      const { parseSetupArgs } = await setupOptions!;
      const flags = parseSetupArgs(rest);
      // Without a terminal nobody can confirm the plan: only --yes writes (cron, `ssh host cmd`).
      if (!terminal && !flags.yes && !flags.dryRun) {
        const { UserError, problem } = await import('../errors.js');
        throw new UserError([
          problem(
            'no terminal to confirm the plan on, and no --yes: nothing is written without one of them',
            'add --yes to write without asking (e.g. spreed-setup setup --hostname NAME --nextcloud URL --yes), --dry-run to only show the plan, or run it on a terminal for the wizard',
          ),
        ]);
      }
      // A cluster node's input is its cluster file: no wizard, and nothing written unconfirmed.
      if (flags.cluster !== undefined && !flags.yes && !flags.dryRun) {
        const { UserError, problem } = await import('../errors.js');
        throw new UserError([
          problem(
            '--cluster sets up a node from its cluster file: the wizard does not ask for it',
            `add --dry-run to see the plan and the diff, then --yes to write it (spreed-setup setup --cluster ${flags.cluster} --node ${flags.node ?? 'NAME'} --yes)`,
          ),
        ]);
      }
      // A terminal and no --yes: the wizard (flags given are not asked again). Otherwise nothing is asked.
      if (terminal && !flags.yes) {
        // Detection (a child process, loopback probes) starts first and runs while the wizard and
        // the prompt library load side by side: the first prompt waits for the slowest of them only.
        const environment = Promise.all([import('../detect/environment.js'), import('../io/target.js')]).then(
          ([{ detectEnvironment }, { Target }]) => detectEnvironment(new Target(flags.root)),
        );
        environment.catch(() => undefined); // awaited by the wizard; never an unhandled rejection
        const [{ runWizard }, { prompter, promptOutput }] = await Promise.all([
          import('../ask/wizard.js'),
          import('../ask/prompter.js').then(async (m) => ({
            prompter: await m.clackPrompter(),
            promptOutput: m.promptOutput,
          })),
        ]);
        // Registration and the check run between the wizard's prompts: their lines go through it too.
        const between = promptOutput(prompter);
        const where = (p: { target: { root: string | undefined }; layout: { configPath: string } }) => [
          ...(p.target.root ? ['--root', p.target.root] : []),
          ...(flags.config ? ['--config', flags.config] : []),
        ];
        return await runWizard(flags, {
          prompter,
          environment,
          out,
          toolVersion: toolVersion(),
          followUps: {
            register: async (p, onOcc) =>
              (await import('../commands/register.js')).run(where(p), { out: between, interactive: true, onOcc }),
            check: async (p, occ) =>
              (await import('../commands/check.js')).run([...where(p), ...(occ ? ['--occ', occ] : [])], {
                out: between,
                interactive: true,
              }),
          },
        });
      }
      const { runSetup } = await import('../commands/setup.js');
      return await runSetup(flags, { out, toolVersion: toolVersion() });
    }
    if (command === 'register' || command === 'check' || command === 'install' || command === 'render') {
      const mod =
        command === 'register'
          ? await import('../commands/register.js')
          : command === 'check'
            ? await import('../commands/check.js')
            : command === 'install'
              ? await import('../commands/install.js')
              : await import('../commands/render.js');
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(mod.HELP);
        return 0;
      }
      return await mod.run(rest, {
        out,
        interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY) && !rest.includes('--yes'),
      });
    }
    out.problems([{ message: `unknown command "${command}"`, fix: 'see spreed-setup --help' }]);
    return 2;
  } catch (err) {
    const { UserError } = await import('../errors.js');
    if (err instanceof UserError) {
      out.problems(err.problems);
      if (err.exitCode === 2) process.stderr.write('Nothing was written.\n');
      return err.exitCode;
    }
    process.stderr.write(`spreed-setup: unexpected error: ${(err as Error).message}\n`);
    if (debug) process.stderr.write(`${(err as Error).stack}\n`);
    else process.stderr.write('Run again with --debug for details, and please report it.\n');
    return 1;
  }
}
