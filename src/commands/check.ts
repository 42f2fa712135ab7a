// `spreed-setup check`: placeholder until its issue lands (see the README).
import type { Output } from '../cli/output.js';

export const HELP = 'spreed-setup check: not available yet\n';

export interface CommandEnv {
  out: Output;
  /** stdin and stdout are a terminal and --yes was not given */
  interactive: boolean;
}

export async function run(_argv: string[], env: CommandEnv): Promise<number> {
  env.out.problems([{ message: 'spreed-setup check is not available yet' }]);
  return 2;
}
