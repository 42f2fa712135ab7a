// A scripted Prompter: answers prompts in order, runs each text prompt's validation the way the
// real prompt does (an invalid answer is shown and the next scripted answer is tried), and
// records everything it was shown.
import { CANCELLED, type Choice, type Prompter } from '../../src/ask/prompter.js';

export type Step =
  | { expect: RegExp; text: string[] } // answers tried in turn until one validates ('' = Enter)
  | { expect: RegExp; choose: string } // select by value
  | { expect: RegExp; confirm: boolean }
  | { expect: RegExp; pick: string[] } // multiselect
  | { expect: RegExp; cancel: true };

export class ScriptedPrompter implements Prompter {
  shown: string[] = [];
  validationErrors: string[] = [];
  asked: string[] = [];
  /** Every text prompt's default (Enter takes it) and example (never taken), by message. */
  texts: Array<{ message: string; defaultValue?: string; example?: string }> = [];
  private steps: Step[];
  constructor(steps: Step[]) {
    this.steps = [...steps];
  }

  private next(message: string): Step {
    this.asked.push(message);
    const step = this.steps.shift();
    if (!step) throw new Error(`unscripted prompt: ${message}`);
    if (!step.expect.test(message)) throw new Error(`expected a prompt matching ${step.expect}, got: ${message}`);
    return step;
  }
  get remaining(): number {
    return this.steps.length;
  }
  intro(t: string) {
    this.shown.push(t);
  }
  note(m: string, t?: string) {
    this.shown.push(`${t ?? ''}\n${m}`);
  }
  info(m: string) {
    this.shown.push(m);
  }
  warn(m: string) {
    this.shown.push(m);
  }
  error(m: string) {
    this.shown.push(m);
  }
  outro(m: string) {
    this.shown.push(m);
  }
  async text(o: {
    message: string;
    defaultValue?: string;
    example?: string;
    validate?: (v: string) => string | undefined;
  }) {
    this.texts.push({
      message: o.message,
      ...(o.defaultValue !== undefined ? { defaultValue: o.defaultValue } : {}),
      ...(o.example !== undefined ? { example: o.example } : {}),
    });
    const step = this.next(o.message);
    if ('cancel' in step) return CANCELLED;
    if (!('text' in step)) throw new Error(`prompt "${o.message}" is a text prompt`);
    for (const raw of step.text) {
      const value = raw || o.defaultValue || '';
      const err = o.validate?.(value);
      if (err) {
        this.validationErrors.push(err);
        continue;
      }
      return value;
    }
    throw new Error(`no valid scripted answer for "${o.message}" (errors: ${this.validationErrors.join('; ')})`);
  }
  async confirm(o: { message: string }) {
    const step = this.next(o.message);
    if ('cancel' in step) return CANCELLED;
    if (!('confirm' in step)) throw new Error(`prompt "${o.message}" is a confirm`);
    return step.confirm;
  }
  async select<T>(o: { message: string; options: Choice<T>[] }) {
    const step = this.next(o.message);
    if ('cancel' in step) return CANCELLED;
    if (!('choose' in step)) throw new Error(`prompt "${o.message}" is a select`);
    const c = o.options.find((x) => String(x.value) === step.choose);
    if (!c)
      throw new Error(
        `no option ${step.choose} in "${o.message}": ${o.options.map((x) => String(x.value)).join(', ')}`,
      );
    return c.value;
  }
  async multiselect<T>(o: { message: string; options: Choice<T>[] }) {
    const step = this.next(o.message);
    if ('cancel' in step) return CANCELLED;
    if (!('pick' in step)) throw new Error(`prompt "${o.message}" is a multiselect`);
    return o.options.filter((x) => step.pick.includes(String(x.value))).map((x) => x.value);
  }
  spinner() {
    return {
      start: (m: string) => this.shown.push(m),
      message: (m: string) => this.shown.push(m),
      stop: (m: string) => this.shown.push(m),
    };
  }
}
