// Plain terminal output: colour only on a TTY and never with NO_COLOR; errors on stderr.
import { styleText } from 'node:util';
import type { Problem } from '../errors.js';

type Style = Parameters<typeof styleText>[0];

export interface Output {
  info(line: string): void;
  notice(line: string): void;
  success(line: string): void;
  problems(list: Problem[]): void;
  raw(text: string): void;
}

export function colorEnabled(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
}

export function createOutput(
  stdout: NodeJS.WriteStream = process.stdout,
  stderr: NodeJS.WriteStream = process.stderr,
): Output {
  const paint = (stream: NodeJS.WriteStream, style: Style, s: string) =>
    colorEnabled(stream) ? styleText(style, s) : s;
  return {
    info: (line) => stdout.write(line + '\n'),
    notice: (line) => stderr.write(paint(stderr, 'yellow', 'notice: ') + escapeControls(line) + '\n'),
    success: (line) => stdout.write(paint(stdout, 'green', line) + '\n'),
    problems: (list) => {
      for (const p of list)
        stderr.write(
          paint(stderr, 'red', 'error: ') +
            escapeControls(p.message) +
            (p.fix ? ` — fix: ${escapeControls(p.fix)}` : '') +
            '\n',
        );
    },
    raw: (text) => stdout.write(text),
  };
}

/**
 * Control characters from the input (a newline, ESC, a terminal-title sequence) shown as escapes,
 * so an error line can neither forge another line nor drive the terminal.
 */
export function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) =>
    c === '\t'
      ? '\\t'
      : c === '\n'
        ? '\\n'
        : c === '\r'
          ? '\\r'
          : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/**
 * Text wrapped to `width` columns at spaces (a longer word is cut), each line on its own; a
 * continued line keeps its line's indent, so a wrapped warning stays inside its gutter.
 */
export function wrapText(text: string, width: number): string {
  const w = Math.max(width, 20);
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.length <= w) {
      out.push(line);
      continue;
    }
    const indent = /^\s*/.exec(line)![0].slice(0, Math.floor(w / 2));
    let cur = indent;
    const hasText = () => cur.length > indent.length;
    for (const word of line.slice(indent.length).split(/(?<= )/)) {
      let rest = word;
      while (cur.length + rest.trimEnd().length > w) {
        const room = w - cur.length;
        if (hasText() && (rest.trimEnd().length <= w - indent.length || room <= 0)) {
          out.push(cur.trimEnd());
          cur = indent;
          continue;
        }
        cur += rest.slice(0, room);
        rest = rest.slice(room);
        out.push(cur.trimEnd());
        cur = indent;
      }
      cur += rest;
    }
    if (hasText()) out.push(cur.trimEnd());
  }
  return out.join('\n');
}
