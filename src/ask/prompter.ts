// The wizard talks to the terminal through this small interface: @clack/prompts in real use,
// a scripted stand-in in unit tests. A cancelled prompt (Ctrl-C, Esc) yields CANCELLED.
import type { Readable, Writable } from 'node:stream';
import { escapeControls, wrapText, type Output } from '../io/output.js';
import type { Problem } from '../errors.js';

export const CANCELLED = Symbol('cancelled');
export type Answer<T> = T | typeof CANCELLED;

/** A prompt was cancelled (Ctrl-C, Esc): the wizard stops, saying what it wrote (so far nothing). */
export class Cancelled extends Error {}

/** The answer, or Cancelled thrown for a cancelled prompt. */
export function must<T>(a: Answer<T>): T {
  if (a === CANCELLED) throw new Cancelled();
  return a;
}

export interface Choice<T> {
  value: T;
  label: string;
  hint?: string;
}

export interface Prompter {
  intro(title: string): void;
  note(message: string, title?: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  outro(message: string): void;
  /**
   * Enter on an empty line takes defaultValue (shown dimmed, the message saying Enter takes it).
   * An example is shown dimmed as "e.g. …" and is never taken: Enter on an empty line then gets
   * validate('')'s explanation of what to type.
   */
  text(opts: {
    message: string;
    defaultValue?: string;
    example?: string;
    validate?: (value: string) => string | undefined;
  }): Promise<Answer<string>>;
  confirm(opts: { message: string; initialValue?: boolean }): Promise<Answer<boolean>>;
  select<T>(opts: { message: string; options: Choice<T>[]; initialValue?: T }): Promise<Answer<T>>;
  multiselect<T>(opts: { message: string; options: Choice<T>[]; initialValues?: T[] }): Promise<Answer<T[]>>;
  spinner(): { start(message: string): void; message(message: string): void; stop(message: string): void };
}

/** What a text prompt with a default says after its message: Enter takes the dimmed value. */
export const DEFAULT_LABEL = '(Enter: the default shown)';

export async function clackPrompter(io: { input?: Readable; output?: Writable } = {}): Promise<Prompter> {
  const clack = await import('@clack/prompts');
  const common = { ...(io.input ? { input: io.input } : {}), ...(io.output ? { output: io.output } : {}) };
  const wrap = <T>(v: T | symbol): Answer<T> => (clack.isCancel(v) ? CANCELLED : (v as T));
  // Everything fits the terminal: lines wrapped inside clack's gutter ("│  ", 3 columns).
  const columns = () => (io.output as NodeJS.WriteStream | undefined)?.columns || process.stdout.columns || 80;
  const fitWidth = (m: string) => wrapText(m, columns() - 3);
  /** A prompt's message: its continued lines carry the gutter too. */
  const ask = (m: string) => fitWidth(m).split('\n').join(`\n${clack.S_BAR}  `);
  return {
    intro: (t) => clack.intro(fitWidth(t), common),
    note: (m, t) => {
      // clack wraps the body to the width, not the title: a long title opens the body instead.
      const long = t !== undefined && t.length > columns() - 12;
      clack.note(long ? `${t}\n\n${m}` : m, long ? '' : t, common);
    },
    info: (m) => clack.log.info(fitWidth(m), common),
    warn: (m) => clack.log.warn(fitWidth(m), common),
    error: (m) => clack.log.error(fitWidth(m), common),
    outro: (m) => clack.outro(fitWidth(m), common),
    text: async (o) => {
      const hasDefault = o.defaultValue !== undefined && o.defaultValue !== '';
      const placeholder = hasDefault ? o.defaultValue : o.example ? `e.g. ${o.example}` : undefined;
      const answer = wrap<string>(
        await clack.text({
          message: ask(hasDefault ? `${o.message} ${DEFAULT_LABEL}` : o.message),
          ...(hasDefault ? { defaultValue: o.defaultValue } : {}),
          ...(placeholder ? { placeholder } : {}),
          ...(o.validate ? { validate: (v: string | undefined) => o.validate!(v || o.defaultValue || '') } : {}),
          ...common,
        }),
      );
      return answer === CANCELLED ? answer : answer || o.defaultValue || '';
    },
    confirm: async (o) =>
      wrap<boolean>(
        await clack.confirm({
          message: ask(o.message),
          ...(o.initialValue !== undefined ? { initialValue: o.initialValue } : {}),
          ...common,
        }),
      ),
    select: async <T>(o: { message: string; options: Choice<T>[]; initialValue?: T }) =>
      wrap<T>(
        await clack.select<T>({
          message: ask(o.message),
          options: o.options.map((c) => ({
            value: c.value,
            label: c.label,
            ...(c.hint ? { hint: c.hint } : {}),
          })) as never,
          ...(o.initialValue !== undefined ? { initialValue: o.initialValue } : {}),
          ...common,
        }),
      ),
    multiselect: async <T>(o: { message: string; options: Choice<T>[]; initialValues?: T[] }) =>
      wrap<T[]>(
        await clack.multiselect<T>({
          message: ask(o.message),
          options: o.options.map((c) => ({
            value: c.value,
            label: c.label,
            ...(c.hint ? { hint: c.hint } : {}),
          })) as never,
          required: false,
          ...(o.initialValues ? { initialValues: o.initialValues } : {}),
          ...common,
        }),
      ),
    spinner: () => {
      const s = clack.spinner(common);
      // One line while it spins (a wrapped frame would not be redrawn in place).
      const line = (m: string) => (m.length > columns() - 8 ? `…${m.slice(-(columns() - 9))}` : m);
      return { start: (m) => s.start(line(m)), message: (m) => s.message(line(m)), stop: (m) => s.stop(fitWidth(m)) };
    },
  };
}

/**
 * The one renderer for status lines while work runs under a spinner: the spinner shows progress,
 * and every line meant for the terminal meanwhile (the Output handed to the work) is held and
 * shown through the prompter once the spinner has stopped, so nothing prints into it.
 */
/** An Output that shows its lines through the prompter (in its gutter, wrapped): for work run between prompts. */
export function promptOutput(p: Prompter): Output {
  return statusView(p).out;
}

export function statusView(p: Prompter) {
  const spin = p.spinner();
  const held: Array<{ kind: 'info' | 'warn' | 'error'; text: string }> = [];
  let spinning = false;
  const show = (kind: 'info' | 'warn' | 'error', text: string) => {
    if (spinning) held.push({ kind, text });
    else p[kind](text);
  };
  const out: Output = {
    info: (l) => {
      if (l.trim()) show('info', l.trim());
    },
    notice: (l) => show('warn', escapeControls(l)),
    success: (l) => show('info', l),
    problems: (list: Problem[]) => {
      for (const pr of list)
        show('error', escapeControls(pr.message) + (pr.fix ? `\n  fix: ${escapeControls(pr.fix)}` : ''));
    },
    raw: (t) => {
      if (t.trim()) show('info', t.trimEnd());
    },
  };
  return {
    out,
    start(message: string) {
      spinning = true;
      spin.start(message);
    },
    progress: (message: string) => spin.message(message),
    /** Stops the spinner, then shows what was held, in order. */
    stop(message: string) {
      spin.stop(message);
      spinning = false;
      for (const h of held.splice(0)) p[h.kind](h.text);
    },
  };
}
