// The interactive questions, with @clack/prompts (loaded only when a terminal is there). Thin on
// purpose: every decision is made in decide.ts; Ctrl-C at any prompt throws Cancelled before
// anything was changed. The occ question runs through a small Ask door, so tests script it.
import { SECRET_CHOICES, type SecretChoice } from './decide.js';
import { Cancelled, type OccFailed, type Prompter } from './registerInTalk.js';
import { formatCommand, splitCommand, type OccCommand } from './occ.js';
import {
  DEFAULT_REMOTE_DIR,
  occFromString,
  occOverSsh,
  remoteDirProblem,
  remoteOccFor,
  sshTargetProblem,
} from './findOcc.js';

/** The two kinds of question the occ step asks; Ctrl-C throws Cancelled. */
export interface Ask {
  select<T extends string>(message: string, options: Array<{ value: T; label: string; hint?: string }>): Promise<T>;
  text(message: string, initialValue: string, validate: (v: string) => string | undefined): Promise<string>;
}

/** A typed occ command's problem, or undefined. */
function commandProblem(v: string): string | undefined {
  try {
    return splitCommand(v).length
      ? undefined
      : 'type the command that runs occ, e.g. sudo -u www-data php /var/www/nextcloud/occ';
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * How to run occ: the command found here, the one that just failed (again), a typed one, occ on
 * another host over ssh (built from the host and Nextcloud's directory there), or by hand.
 */
export async function askOcc(
  ask: Ask,
  label: string,
  suggested: OccCommand | undefined,
  failed?: OccFailed,
): Promise<OccCommand | 'manual'> {
  const how = await ask.select<'use' | 'retry' | 'type' | 'ssh' | 'manual'>(
    failed ? `occ could not be run. How to run occ for ${label}?` : `How to run occ for ${label}?`,
    [
      ...(failed ? [{ value: 'retry' as const, label: `Try again: ${formatCommand(failed.occ.argv)}` }] : []),
      ...(suggested
        ? [{ value: 'use' as const, label: formatCommand(suggested.argv), hint: `found: ${suggested.source}` }]
        : []),
      { value: 'type' as const, label: 'Type an occ command…' },
      { value: 'ssh' as const, label: 'occ on another host (ssh)…' },
      { value: 'manual' as const, label: "Skip: register by hand (show the steps for Talk's admin page)" },
    ],
  );
  if (how === 'manual') return 'manual';
  if (how === 'retry') return failed!.occ;
  if (how === 'use') return suggested!;
  if (how === 'type') {
    const start =
      failed?.occ.kind === 'given'
        ? formatCommand(failed.occ.argv)
        : suggested
          ? formatCommand(suggested.argv)
          : remoteOccFor(DEFAULT_REMOTE_DIR);
    const typed = await ask.text('occ command (words as in a shell; nothing is expanded)', start, commandProblem);
    return occFromString(typed, 'typed');
  }
  const host = (
    await ask.text(
      'ssh destination where Nextcloud runs (USER@HOST or HOST; batch mode: a key, no password)',
      '',
      (v) => sshTargetProblem(v.trim()),
    )
  ).trim();
  const dir = (await ask.text(`Nextcloud's directory on ${host}`, DEFAULT_REMOTE_DIR, remoteDirProblem)).trim();
  return occOverSsh(host, remoteOccFor(dir));
}

export async function clackPrompter(): Promise<Prompter> {
  const clack = await import('@clack/prompts');
  const answer = <T>(v: T): Exclude<T, symbol> => {
    if (clack.isCancel(v)) throw new Cancelled();
    return v as Exclude<T, symbol>;
  };
  const ask: Ask = {
    select: async (message, options) => answer(await clack.select({ message, options: options as never })) as never,
    text: async (message, initialValue, validate) =>
      answer(await clack.text({ message, initialValue, validate: (v) => validate(v ?? '') })),
  };
  return {
    occCommand: (label, suggested, failed) => askOcc(ask, label, suggested, failed),
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
