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
