// Drives the built CLI in a real terminal (tmux): type keys, read the screen, wait for prompts.
// Each session has its own socket, so only what this test started is touched.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { BIN } from '../cli/run.js';
import { tempDir } from '../harness/tmp.js';

export class TmuxSession {
  private dir = tempDir('spreed-tmux-');
  private socket = path.join(this.dir, 'sock');
  private exitFile = path.join(this.dir, 'exit');
  readonly started = Date.now();

  constructor(
    args: string[],
    opts: {
      cwd?: string;
      env?: Record<string, string>;
      /** Columns of the terminal (default 120). */
      width?: number;
      /** stdout into this file instead of the terminal (stdin stays the terminal). */
      stdoutTo?: string;
      /** Words before `node BIN` (e.g. nsenter into a sandbox). */
      prefix?: string[];
    } = {},
  ) {
    const q = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
    const cmd =
      [...(opts.prefix ?? []), 'node', BIN, ...args].map(q).join(' ') + (opts.stdoutTo ? ` > ${q(opts.stdoutTo)}` : '');
    const env = Object.entries({ NO_COLOR: '1', ...(opts.env ?? {}) })
      .map(([k, v]) => `${k}=${q(v)}`)
      .join(' ');
    this.tmux(
      'new-session',
      '-d',
      '-x',
      String(opts.width ?? 120),
      '-y',
      '50',
      '-c',
      opts.cwd ?? process.cwd(),
      `env ${env} ${cmd}; echo $? > ${this.exitFile}; sleep 5`,
    );
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8', timeout: 5000 });
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-S', '-200');
  }

  /** The screen with the lines the terminal wrapped joined again: each line as the program wrote it. */
  joinedScreen(): string {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-500');
  }

  /** Changes the terminal's size (the program gets SIGWINCH). */
  resize(width: number, height = 50): void {
    this.tmux('resize-window', '-x', String(width), '-y', String(height));
  }

  send(...keys: string[]): void {
    this.tmux('send-keys', ...keys);
  }

  type(text: string): void {
    this.tmux('send-keys', '-l', text);
  }

  /** Waits (bounded) until the screen shows text; throws with the screen otherwise. */
  async waitFor(text: string | RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = this.screen();
      if (typeof text === 'string' ? s.includes(text) : text.test(s)) return s;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${text}; screen:\n${s}`);
      await new Promise((r) => setTimeout(r, 80));
    }
  }

  async exitCode(timeoutMs = 15_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!existsSync(this.exitFile) || readFileSync(this.exitFile, 'utf8').trim() === '') {
      if (Date.now() > deadline) throw new Error(`no exit within ${timeoutMs} ms; screen:\n${this.screen()}`);
      await new Promise((r) => setTimeout(r, 80));
    }
    return Number(readFileSync(this.exitFile, 'utf8').trim());
  }

  close(): void {
    try {
      this.tmux('kill-server');
    } catch {
      /* already gone */
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
