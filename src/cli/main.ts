// Entry point: dispatches subcommands. --help and --version load nothing else (start-up speed);
// a UserError prints its problems and exits 2 (or its own code) without a stack trace.
import { MAIN_HELP, SETUP_HELP } from './help.js';
import { toolVersion } from '../io/toolVersion.js';

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const terminal = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  if (command === undefined && !terminal) {
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
  const { createOutput } = await import('../io/output.js');
  const out = createOutput();
  const debug = rest.includes('--debug');
  try {
    if (command === undefined || command === 'setup') {
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(SETUP_HELP);
        return 0;
      }
      const { parseSetupArgs } = await import('../options/setup.js');
      const flags = parseSetupArgs(rest);
      // A terminal and no --yes: the wizard (flags given are not asked again). Otherwise nothing is asked.
      if (terminal && !flags.yes) {
        const { runWizard } = await import('../ask/wizard.js');
        const { clackPrompter } = await import('../ask/prompter.js');
        const where = (p: { target: { root: string | undefined }; layout: { configPath: string } }) => [
          ...(p.target.root ? ['--root', p.target.root] : []),
          ...(flags.config ? ['--config', flags.config] : []),
        ];
        return await runWizard(flags, {
          prompter: await clackPrompter(),
          out,
          toolVersion: toolVersion(),
          followUps: {
            register: async (p) => (await import('../commands/register.js')).run(where(p), { out, interactive: true }),
            check: async (p) => (await import('../commands/check.js')).run(where(p), { out, interactive: true }),
          },
        });
      }
      const { runSetup } = await import('../commands/setup.js');
      return await runSetup(flags, { out, toolVersion: toolVersion() });
    }
    if (command === 'register' || command === 'check' || command === 'install') {
      const mod =
        command === 'register'
          ? await import('../commands/register.js')
          : command === 'check'
            ? await import('../commands/check.js')
            : await import('../commands/install.js');
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
