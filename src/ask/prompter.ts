// The wizard talks to the terminal through this small interface: @clack/prompts in real use,
// a scripted stand-in in unit tests. A cancelled prompt (Ctrl-C, Esc) yields CANCELLED.
import type { Readable, Writable } from 'node:stream';

export const CANCELLED = Symbol('cancelled');
export type Answer<T> = T | typeof CANCELLED;

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
  /** Enter on an empty line takes defaultValue (shown as the placeholder). */
  text(opts: {
    message: string;
    defaultValue?: string;
    placeholder?: string;
    validate?: (value: string) => string | undefined;
  }): Promise<Answer<string>>;
  confirm(opts: { message: string; initialValue?: boolean }): Promise<Answer<boolean>>;
  select<T>(opts: { message: string; options: Choice<T>[]; initialValue?: T }): Promise<Answer<T>>;
  multiselect<T>(opts: { message: string; options: Choice<T>[]; initialValues?: T[] }): Promise<Answer<T[]>>;
  spinner(): { start(message: string): void; message(message: string): void; stop(message: string): void };
}

export async function clackPrompter(io: { input?: Readable; output?: Writable } = {}): Promise<Prompter> {
  const clack = await import('@clack/prompts');
  const common = { ...(io.input ? { input: io.input } : {}), ...(io.output ? { output: io.output } : {}) };
  const wrap = <T>(v: T | symbol): Answer<T> => (clack.isCancel(v) ? CANCELLED : (v as T));
  return {
    intro: (t) => clack.intro(t, common),
    note: (m, t) => clack.note(m, t, common),
    info: (m) => clack.log.info(m, common),
    warn: (m) => clack.log.warn(m, common),
    error: (m) => clack.log.error(m, common),
    outro: (m) => clack.outro(m, common),
    text: async (o) => {
      const answer = wrap<string>(
        await clack.text({
          message: o.message,
          ...(o.defaultValue !== undefined ? { defaultValue: o.defaultValue } : {}),
          ...((o.placeholder ?? o.defaultValue) ? { placeholder: o.placeholder ?? o.defaultValue } : {}),
          ...(o.validate ? { validate: (v: string | undefined) => o.validate!(v || o.defaultValue || '') } : {}),
          ...common,
        }),
      );
      return answer === CANCELLED ? answer : answer || o.defaultValue || '';
    },
    confirm: async (o) =>
      wrap<boolean>(
        await clack.confirm({
          message: o.message,
          ...(o.initialValue !== undefined ? { initialValue: o.initialValue } : {}),
          ...common,
        }),
      ),
    select: async <T>(o: { message: string; options: Choice<T>[]; initialValue?: T }) =>
      wrap<T>(
        await clack.select<T>({
          message: o.message,
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
          message: o.message,
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
      return { start: (m) => s.start(m), message: (m) => s.message(m), stop: (m) => s.stop(m) };
    },
  };
}
