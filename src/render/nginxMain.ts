// nginx's main config (Debian: /etc/nginx/nginx.conf) read and edited the way nginx reads it:
// tokens, quotes, comments and blocks. The edit is minimal: a directive's value is replaced in
// place, a missing one is added beside its neighbours, and every other byte stays as it was.
import type { NginxLimits } from '../model/capacity.js';

interface Token {
  text: string;
  start: number;
  end: number;
}

export interface Directive {
  name: string;
  args: Token[];
  /** Names of the enclosing blocks, outermost first (empty: main context). */
  context: string[];
  start: number;
  /** Index just past the terminating `;`, or past the `{` of a block. */
  end: number;
  /** For a block: the index of its closing `}` (text.length when unclosed). */
  close?: number;
}

/** Every directive of an nginx config file (not following includes). */
export function parseNginxConf(text: string): Directive[] {
  const out: Directive[] = [];
  const stack: Directive[] = [];
  let words: Token[] = [];
  let i = 0;
  const n = text.length;
  const flush = (end: number, opens: boolean) => {
    if (words.length === 0) return;
    const [head, ...args] = words;
    const d: Directive = {
      name: head!.text,
      args,
      context: stack.map((s) => s.name),
      start: head!.start,
      end,
    };
    out.push(d);
    if (opens) stack.push(d);
    words = [];
  };
  while (i < n) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === ';') {
      flush(i + 1, false);
      i++;
    } else if (c === '{') {
      flush(i + 1, true);
      i++;
    } else if (c === '}') {
      words = [];
      const open = stack.pop();
      if (open) open.close = i;
      i++;
    } else {
      const start = i;
      if (c === '"' || c === "'") {
        i++;
        while (i < n && text[i] !== c) i += text[i] === '\\' ? 2 : 1;
        i++;
      } else {
        while (i < n && !/[\s;{}]/.test(text[i]!)) i++;
      }
      words.push({ text: text.slice(start, Math.min(i, n)), start, end: Math.min(i, n) });
    }
  }
  for (const open of stack) open.close = n;
  return out;
}

const find = (ds: Directive[], name: string, context: string) =>
  ds.find((d) => d.name === name && d.context.join(' ') === context);

const intArg = (d: Directive | undefined) => {
  const t = d?.args[0]?.text;
  return t !== undefined && d!.args.length === 1 && /^\d+$/.test(t) ? Number(t) : undefined;
};

/** worker_processes, events { worker_connections } and worker_rlimit_nofile (nginx's defaults: 1, 512). */
export function nginxLimitsOf(text: string, cpus: number): NginxLimits {
  const ds = parseNginxConf(text);
  const wp = find(ds, 'worker_processes', '');
  const rl = intArg(find(ds, 'worker_rlimit_nofile', ''));
  return {
    workerProcesses: wp?.args[0]?.text === 'auto' ? cpus : (intArg(wp) ?? 1),
    workerConnections: intArg(find(ds, 'worker_connections', 'events')) ?? 512,
    ...(rl !== undefined ? { rlimitNofile: rl } : {}),
  };
}

/** The start of the line holding index i, and that line's indentation. */
function lineAt(text: string, i: number): { start: number; indent: string } {
  const start = text.lastIndexOf('\n', i - 1) + 1;
  return { start, indent: /^[ \t]*/.exec(text.slice(start))![0] };
}

/**
 * nginx.conf with worker_connections and worker_rlimit_nofile at least as given. A value already
 * there that is higher is kept (an admin's choice); a lower or malformed one is replaced in place.
 */
export function raiseNginxLimits(
  text: string,
  want: { workerConnections: number; workerRlimitNofile: number },
): string {
  // nginx reads both as plain positive integers.
  for (const v of [want.workerConnections, want.workerRlimitNofile])
    if (!Number.isSafeInteger(v) || v < 1) throw new Error(`not a positive integer for nginx: ${v}`);
  const edits: { at: number; end: number; text: string }[] = [];
  const ds = parseNginxConf(text);
  const setAtLeast = (d: Directive, value: number) => {
    const have = intArg(d);
    if (have !== undefined && have >= value) return;
    const first = d.args[0];
    if (first && d.args.length === 1) edits.push({ at: first.start, end: first.end, text: String(value) });
    else edits.push({ at: d.start, end: d.end, text: `${d.name} ${value};` });
  };

  const rl = find(ds, 'worker_rlimit_nofile', '');
  if (rl) setAtLeast(rl, want.workerRlimitNofile);
  else {
    // Beside worker_processes (Debian's place for worker settings), else before events, else first.
    const wp = find(ds, 'worker_processes', '');
    const events = find(ds, 'events', '');
    const line = `worker_rlimit_nofile ${want.workerRlimitNofile};`;
    if (wp) {
      const eol = text.indexOf('\n', wp.end);
      const at = eol < 0 ? text.length : eol;
      edits.push({ at, end: at, text: `\n${lineAt(text, wp.start).indent}${line}` });
    } else if (events) {
      const { start, indent } = lineAt(text, events.start);
      edits.push({ at: start, end: start, text: `${indent}${line}\n` });
    } else edits.push({ at: 0, end: 0, text: `${line}\n` });
  }

  const events = find(ds, 'events', '');
  const wc = find(ds, 'worker_connections', 'events');
  const wcLine = `worker_connections ${want.workerConnections};`;
  if (wc) setAtLeast(wc, want.workerConnections);
  else if (events && events.close !== undefined) {
    const inner = text.slice(events.end, events.close);
    const outer = lineAt(text, events.start).indent;
    if (/^[ \t]*$/.test(inner)) {
      edits.push({ at: events.end, end: events.close, text: `\n${outer}\t${wcLine}\n${outer}` });
    } else {
      const next = /\n([ \t]*)\S/.exec(inner)?.[1] ?? `${outer}\t`;
      edits.push({ at: events.end, end: events.end, text: `\n${next}${wcLine}` });
    }
  } else {
    const sep = text.length === 0 || text.endsWith('\n') ? '' : '\n';
    edits.push({ at: text.length, end: text.length, text: `${sep}\nevents {\n\t${wcLine}\n}\n` });
  }

  let out = text;
  for (const e of edits.sort((a, b) => b.at - a.at)) out = out.slice(0, e.at) + e.text + out.slice(e.end);
  return out;
}
