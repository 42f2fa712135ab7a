// The install step's two questions (which way, go ahead?) on the wizard's prompter, so
// `spreed-setup install` and setup's wizard ask them the same way (apply/install.ts getTalkServer).
import type { InstallAsk } from '../apply/install.js';
import { CANCELLED, type Prompter } from './prompter.js';

export function installQuestions(prompter: Prompter): Required<Pick<InstallAsk, 'choose' | 'confirm'>> {
  return {
    choose: async (offers, facts) => {
      const open = offers.filter((o) => !o.unavailable);
      if (!open.length) return undefined;
      for (const o of offers) if (o.unavailable) prompter.info(`${o.method}: ${o.unavailable}`);
      const a = await prompter.select({
        message: `The server here is ${facts.installed?.version ?? 'missing'}; Talk needs ${facts.needed} or newer. How should it be installed?`,
        options: open.map((o) => ({ value: o.method, label: o.label })),
        initialValue: open[0]!.method,
      });
      return a === CANCELLED ? undefined : a;
    },
    confirm: async () => {
      const a = await prompter.confirm({ message: 'Write these files and run these commands?', initialValue: true });
      return a !== CANCELLED && a;
    },
  };
}
