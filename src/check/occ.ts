// Asks Nextcloud's occ what Talk is configured with (facts sheet section 6). Read-only commands
// only, always --no-warnings, no stdin, bounded. `talk:signaling:list` prints Talk's secret: its
// output is parsed here and never shown.

export interface OccRun {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  notFound: boolean;
}

export type OccExec = (argv: string[], timeoutMs: number) => Promise<OccRun>;

export const execaOcc: OccExec = async (argv, timeoutMs) => {
  const { execa } = await import('execa');
  const [file, ...args] = argv;
  const r = await execa(file!, args, { reject: false, timeout: timeoutMs, forceKillAfterDelay: 1000, stdin: 'ignore' });
  return {
    exitCode: typeof r.exitCode === 'number' ? r.exitCode : undefined,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    timedOut: Boolean(r.timedOut),
    notFound: (r as { code?: string }).code === 'ENOENT',
  };
};

/** Splits `--occ "sudo -u www-data php /var/www/nextcloud/occ"` into words like a shell (quotes, backslashes), expanding nothing. */
export function splitOccCommand(text: string): string[] {
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
  if (inWord) words.push(cur);
  return words;
}

export interface SignalingList {
  servers: { server: string; verify: boolean }[];
  /** Talk's one global secret; compare it, never print it. */
  secret?: string;
}

/** Parses `talk:signaling:list --output=json`: `{"servers":[…],"secret":"…"}`, or `[]` when never configured. */
export function parseSignalingList(stdout: string): SignalingList | undefined {
  const text = stdout.trim();
  const start = text.search(/[[{]/);
  if (start < 0) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text.slice(start));
  } catch {
    return undefined;
  }
  if (Array.isArray(json)) return { servers: [] };
  if (!json || typeof json !== 'object') return undefined;
  const o = json as { servers?: unknown; secret?: unknown };
  const servers = Array.isArray(o.servers)
    ? o.servers
        .filter((s): s is { server: string; verify?: unknown } => !!s && typeof (s as { server?: unknown }).server === 'string')
        .map((s) => ({ server: s.server, verify: s.verify !== false }))
    : [];
  return { servers, ...(typeof o.secret === 'string' ? { secret: o.secret } : {}) };
}

/** Talk's way of comparing a server URL: lower-case, no trailing slash, wss->https, ws->http. */
export function normalizeTalkServerUrl(url: string): string {
  let u = url.trim().toLowerCase().replace(/\/+$/, '');
  if (u.startsWith('wss://')) u = 'https://' + u.slice(6);
  else if (u.startsWith('ws://')) u = 'http://' + u.slice(5);
  return u;
}

/** First meaningful line of occ's complaint, for a one-line detail. */
export function occComplaint(r: OccRun): string {
  const line = `${r.stderr}\n${r.stdout}`
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0 && !/^[-=\s]+$/.test(l));
  return line ? (line.length > 160 ? line.slice(0, 160) + '…' : line) : `exit code ${r.exitCode ?? '?'}`;
}
