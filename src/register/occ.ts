// Runs Nextcloud's occ wherever it lives: an argv prefix (never a shell on this side), always
// --no-warnings, no TTY, no stdin, a timeout. What can go wrong is classified into failures a
// user can fix. Command lines are never logged: one of them carries the shared secret.

export type OccKind = 'bare-metal' | 'docker' | 'aio' | 'snap' | 'nixos' | 'ssh' | 'given';

export interface OccCommand {
  kind: OccKind;
  /** argv that starts occ; the subcommand and its arguments follow. */
  argv: string[];
  /** ssh: the words after argv reach a remote shell, which parses them again, so each is quoted. */
  remoteShell?: boolean;
  /** ssh: the occ command on the remote host, unquoted (for suggestions). */
  remote?: string[];
  /** How it was found, for display ("owner of /var/www/nextcloud/config/config.php is www-data"). */
  source: string;
}

export interface ExecResult {
  exitCode?: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The program itself could not be started (ENOENT). */
  notFound: boolean;
}

/** The one door to processes, so tests can replace it. */
export type Exec = (file: string, args: string[], opts: { timeoutMs: number }) => Promise<ExecResult>;

export const execaExec: Exec = async (file, args, { timeoutMs }) => {
  const { execa } = await import('execa');
  const r = await execa(file, args, {
    reject: false,
    timeout: timeoutMs,
    forceKillAfterDelay: 2000,
    stdin: 'ignore',
    stripFinalNewline: false,
  });
  // Never use r.command / r.message: they hold the full command line, secret included.
  return {
    ...(typeof r.exitCode === 'number' ? { exitCode: r.exitCode } : {}),
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    timedOut: Boolean(r.timedOut),
    notFound: (r as { code?: string }).code === 'ENOENT',
  };
};

const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** POSIX shell quoting, for display and for the remote shell behind ssh. */
export function shellQuote(word: string): string {
  if (word !== '' && SAFE_WORD.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function formatCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** Splits a command the way a shell would split words (quotes, backslashes), without expanding anything. */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) cur += text[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unbalanced ${quote} quote`);
  if (inWord) words.push(cur);
  return words;
}

/**
 * The argv of one occ call. Options come before a `--`, positionals after it, so a value that
 * starts with "-" (a secret could) is never read as an option.
 */
export function occArgv(occ: OccCommand, sub: string, positionals: string[] = [], options: string[] = []): string[] {
  const words = [sub, ...options, '--no-warnings', ...(positionals.length ? ['--', ...positionals] : [])];
  return [...occ.argv, ...(occ.remoteShell ? words.map(shellQuote) : words)];
}

export type OccFailure =
  | { kind: 'not-found'; detail: string }
  | { kind: 'timeout' }
  | { kind: 'wrong-user'; ownerUid: number; currentUid?: number }
  | { kind: 'failed'; exitCode?: number; detail: string };

const WRONG_USER = /Console has to be executed with the user that owns the file config\/config\.php/;
const NOT_FOUND = [
  /command not found/i,
  /No such file or directory/i,
  /Could not open input file/i,
  /No such container/i,
  /is not running/i,
  /executable file not found/i,
  /Could not resolve hostname/i,
  /Connection refused/i,
  /Permission denied \(publickey/i,
];

/** The owner uid (and current uid) from occ's wrong-user message, which every Nextcloud since 16 prints. */
export function parseWrongUser(text: string): { ownerUid: number; currentUid?: number } | undefined {
  if (!WRONG_USER.test(text)) return undefined;
  const owner = /Owner id of config\.php:\s*(\d+)/.exec(text)?.[1] ?? /sudo -u #(\d+)/.exec(text)?.[1];
  if (owner === undefined) return undefined;
  const current = /Current user id:\s*(\d+)/.exec(text)?.[1];
  return { ownerUid: Number(owner), ...(current !== undefined ? { currentUid: Number(current) } : {}) };
}

/** Undefined when the call reached occ and occ ran the command (its own exit code is the caller's business). */
export function classifyFailure(r: ExecResult): OccFailure | undefined {
  if (r.timedOut) return { kind: 'timeout' };
  if (r.notFound) return { kind: 'not-found', detail: 'the program does not exist' };
  const text = `${r.stdout}\n${r.stderr}`;
  const wrong = parseWrongUser(text);
  if (wrong) return { kind: 'wrong-user', ...wrong };
  if (r.exitCode === 127 || r.exitCode === 126)
    return { kind: 'not-found', detail: lastLine(text) || `exit ${r.exitCode}` };
  if (r.exitCode !== 0 && NOT_FOUND.some((re) => re.test(text)) && !/talk:|There are no commands defined/.test(text)) {
    return { kind: 'not-found', detail: lastLine(text) };
  }
  return undefined;
}

export function lastLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .pop() ?? ''
  );
}

/**
 * The same command run as another user: sudo's -u replaced, docker exec's -u/--user replaced,
 * anything else prefixed with sudo -u.
 */
export function asUser(argv: readonly string[], user: string): string[] {
  const out = [...argv];
  if (out[0] === 'sudo') {
    const i = out.findIndex((w, j) => j > 0 && (w === '-u' || w === '--user'));
    if (i > 0 && i + 1 < out.length) out[i + 1] = user;
    else out.splice(1, 0, '-u', user);
    return out;
  }
  if (/(^|\/)(docker|podman)$/.test(out[0] ?? '') && out[1] === 'exec') {
    const i = out.findIndex((w, j) => j > 1 && (w === '-u' || w === '--user'));
    const id = user.replace(/^#/, '');
    if (i > 1 && i + 1 < out.length) out[i + 1] = id;
    else out.splice(2, 0, '-u', id);
    return out;
  }
  return ['sudo', '-u', user, ...out];
}

/** A small client: runs subcommands and hands back output, or the failure a user must fix. */
export class OccClient {
  constructor(
    readonly occ: OccCommand,
    private readonly exec: Exec,
    private readonly timeoutMs: number,
  ) {}

  async run(
    sub: string,
    positionals: string[] = [],
    options: string[] = [],
  ): Promise<ExecResult & { failure?: OccFailure }> {
    const [file, ...args] = occArgv(this.occ, sub, positionals, options);
    const r = await this.exec(file!, args, { timeoutMs: this.timeoutMs });
    const failure = classifyFailure(r);
    return failure ? { ...r, failure } : r;
  }

  /** The command as a user would type it (callers pass a placeholder instead of a secret). */
  display(sub: string, positionals: string[] = [], options: string[] = []): string {
    return formatCommand(occArgv(this.occ, sub, positionals, options));
  }
}
