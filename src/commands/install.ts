// `spreed-setup install`: get a server Talk accepts (apply/install.ts getTalkServer does the
// work; this shell parses, takes the install's lock and asks on a terminal).
import type { Output } from '../io/output.js';
import { parseInstallArgs } from '../options/install.js';
import { reportingHooks, withSetupLock } from '../apply/lock.js';
import { getTalkServer, type InstallAsk } from '../apply/install.js';

export { INSTALL_HELP as HELP } from '../options/install.js';

export async function run(argv: string[], env: { out: Output; interactive: boolean }): Promise<number> {
  const flags = parseInstallArgs(argv);
  const ask: InstallAsk = { yes: flags.yes };
  if (env.interactive && !flags.yes && !flags.dryRun) {
    const [{ clackPrompter }, { installQuestions }] = await Promise.all([
      import('../ask/prompter.js'),
      import('../ask/install.js'),
    ]);
    Object.assign(ask, installQuestions(await clackPrompter()));
  }
  return withSetupLock(
    flags,
    () =>
      getTalkServer(
        {
          ...(flags.root !== undefined ? { root: flags.root } : {}),
          ...(flags.config !== undefined ? { config: flags.config } : {}),
          ...(flags.aptMirror !== undefined ? { aptMirror: flags.aptMirror } : {}),
          ...(flags.aptKeyring !== undefined ? { aptKeyring: flags.aptKeyring } : {}),
          ...(flags.method ? { method: flags.method, force: true } : {}),
          removePin: flags.removePin,
          dryRun: flags.dryRun,
        },
        ask,
        env.out,
      ),
    reportingHooks(env.out, flags.dryRun),
  );
}
