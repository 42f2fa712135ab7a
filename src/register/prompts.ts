// The interactive questions, with @clack/prompts (loaded only when a terminal is there). Thin on
// purpose: every decision is made in decide.ts; Ctrl-C at any prompt throws Cancelled before
// anything was changed.
import { SECRET_CHOICES, type SecretChoice } from './decide.js';
import { Cancelled, type Prompter } from './registerInTalk.js';
import { splitCommand } from './occ.js';

export async function clackPrompter(): Promise<Prompter> {
  const clack = await import('@clack/prompts');
  const answer = <T>(v: T): Exclude<T, symbol> => {
    if (clack.isCancel(v)) throw new Cancelled();
    return v as Exclude<T, symbol>;
  };
  return {
    async occCommand(label, suggested) {
      const how = answer(
        await clack.select<'use' | 'edit' | 'manual'>({
          message: `How to run occ for ${label}?`,
          options: [
            ...(suggested ? [{ value: 'use' as const, label: suggested, hint: 'found on this machine' }] : []),
            { value: 'edit' as const, label: suggested ? 'Another command…' : 'Enter the occ command…' },
            { value: 'manual' as const, label: "Register by hand (show the values for Talk's admin page)" },
          ],
        }),
      );
      if (how === 'use') return suggested!;
      if (how === 'manual') return 'manual';
      return answer(
        await clack.text({
          message: 'occ command (words as in a shell; nothing is expanded)',
          initialValue: suggested ?? 'sudo -u www-data php /var/www/nextcloud/occ',
          validate: (v) => {
            try {
              return splitCommand(v ?? '').length ? undefined : 'enter a command';
            } catch (err) {
              return (err as Error).message;
            }
          },
        }),
      );
    },
    async secretChoice(others) {
      const labels: Record<SecretChoice, { label: string; hint: string }> = {
        'reuse-nextcloud': {
          label: "Reuse Nextcloud's secret for this backend",
          hint: 'rewrites our secret file and server.conf; restart the signaling server after',
        },
        'replace-all': { label: 'Replace it with ours, for all servers', hint: `stops: ${others.join(', ')}` },
        stop: { label: 'Stop', hint: 'change nothing' },
      };
      return answer(
        await clack.select<SecretChoice>({
          message: 'Talk has one secret for every signaling server. What now?',
          options: SECRET_CHOICES.map((c) => ({ value: c, ...labels[c] })),
          initialValue: 'reuse-nextcloud',
        }),
      );
    },
    async confirm(message, initial) {
      return answer(await clack.confirm({ message, initialValue: initial }));
    },
  };
}
