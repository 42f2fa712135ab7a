// Decides what a run changes, file by file, before anything is touched: the content, the mode and
// owner each file must end with, and a unified diff in which no secret is readable.
import { createTwoFilesPatch } from 'diff';
import { UnreadableFile, type HostFacts } from '../io/host.js';
import { fingerprint, maskSecrets } from '../secrets/secrets.js';

export type FileRole =
  | 'server-config'
  | 'state'
  | 'secret'
  | 'nginx'
  | 'apache'
  | 'caddy'
  | 'haproxy'
  | 'traefik'
  | 'apt'
  | 'systemd'
  | 'coturn'
  | 'janus'
  | 'proxy'
  /** nats-server's config (a cluster node's). */
  | 'nats'
  /** The public token key of a server with no proxy here: no service reads it. */
  | 'proxy-key';

export interface Ownership {
  mode: number;
  uid?: number;
  gid?: number;
  /** e.g. "root:_signaling", for display */
  label: string;
}

/** A file anyone may read, owned as the writer runs (configs without secrets). */
export const PUBLIC_FILE: Ownership = { mode: 0o644, label: 'public' };

export interface DesiredFile {
  path: string; // system path; the target adds --root
  role: FileRole;
  /** File content, or undefined for a symlink. */
  content?: string;
  linkTarget?: string;
  ownership: Ownership;
}

export interface FileChange extends DesiredFile {
  /** remove: the path goes (backed up first, put back by a rollback like any change). */
  action: 'create' | 'modify' | 'unchanged' | 'remove';
  /** Current content (files) or link target (links), when the path exists. */
  before?: string;
  beforeMode?: number;
  reasons: string[];
}

export interface Plan {
  changes: FileChange[];
  /** Every secret value this plan knows of (old and new), for masking. */
  secretValues: string[];
}

export function octal(mode: number): string {
  return '0' + (mode & 0o777).toString(8);
}

/** Compares each desired file with what the host has at its path (pure over the host door). */
export function planChanges(host: HostFacts, desired: DesiredFile[], secretValues: string[]): Plan {
  const changes: FileChange[] = desired.map((want) => {
    const have = host.file(want.path);
    if (!have) return { ...want, action: 'create', reasons: ['new'] };
    const reasons: string[] = [];
    if (want.linkTarget !== undefined) {
      const before = have.kind === 'link' ? have.target : '<not a link>';
      if (before !== want.linkTarget) reasons.push(`link -> ${want.linkTarget}`);
      return { ...want, action: reasons.length ? 'modify' : 'unchanged', before, reasons };
    }
    // A link where a file belongs is read through, as the server would read it.
    const file = have.kind === 'file' ? have : have.kind === 'link' ? have.resolved : undefined;
    if (!file)
      throw new UnreadableFile(
        want.path,
        have.kind === 'link' ? `ENOENT (a symbolic link to ${have.target})` : 'EISDIR',
      );
    const before = file.content;
    if (before !== want.content) reasons.push('content');
    if (file.mode !== want.ownership.mode) reasons.push(`mode ${octal(file.mode)} -> ${octal(want.ownership.mode)}`);
    if (want.ownership.gid !== undefined && file.gid !== want.ownership.gid)
      reasons.push(`owner -> ${want.ownership.label}`);
    return { ...want, action: reasons.length ? 'modify' : 'unchanged', before, beforeMode: file.mode, reasons };
  });
  return { changes, secretValues };
}

/** The paths to remove, as changes: those that exist (backed up and removed by apply). */
export function planRemovals(host: HostFacts, paths: string[], role: FileRole): FileChange[] {
  const out: FileChange[] = [];
  for (const p of paths) {
    const have = host.file(p);
    if (!have) continue;
    const before = have.kind === 'file' ? have.content : undefined;
    out.push({
      path: p,
      role,
      ownership: { mode: have.kind === 'file' ? have.mode : 0o644, label: 'removed' },
      action: 'remove',
      ...(before !== undefined ? { before } : {}),
      reasons: ['remove'],
    });
  }
  return out;
}

export function hasChanges(plan: Plan): boolean {
  return plan.changes.some((c) => c.action !== 'unchanged');
}

/** One line per file: action, path, mode/owner and why. */
export function summarize(plan: Plan, opts: { changedOnly?: boolean } = {}): string[] {
  return plan.changes
    .filter((c) => !opts.changedOnly || c.action !== 'unchanged')
    .map((c) => {
      if (c.action === 'remove') return `${'remove'.padEnd(9)} ${c.path}`;
      const what =
        c.linkTarget !== undefined ? `link -> ${c.linkTarget}` : `${octal(c.ownership.mode)} ${c.ownership.label}`;
      const why = c.action === 'modify' ? ` (${c.reasons.join(', ')})` : '';
      return `${c.action.padEnd(9)} ${c.path}  [${what}]${why}`;
    });
}

/** Unified diff of every changed file, secrets masked; secret files show fingerprints only. */
export function renderDiff(plan: Plan, opts: { newFilesInFull?: boolean } = {}): string {
  const parts: string[] = [];
  for (const c of plan.changes) {
    if (c.action === 'unchanged') continue;
    if (c.action === 'remove') {
      const before = maskSecrets(c.before ?? '', plan.secretValues, { configLines: true });
      parts.push(createTwoFilesPatch(c.path, '/dev/null', before, '', '', '', { context: 3 }).replace(/^=+\n/, ''));
      continue;
    }
    if (c.role === 'secret') {
      const was = c.before !== undefined ? fingerprint(c.before.trim()) : 'absent';
      const now = fingerprint((c.content ?? '').trim());
      parts.push(
        `--- ${c.path}\n+++ ${c.path}\n  secret file: ${was === now ? `unchanged value (${now})` : `${was} -> ${now}`}${c.reasons
          .filter((r) => r !== 'content')
          .map((r) => `, ${r}`)
          .join('')}\n`,
      );
      continue;
    }
    if (c.linkTarget !== undefined) {
      parts.push(`--- ${c.path}\n+++ ${c.path}\n  symlink: ${c.before ?? 'absent'} -> ${c.linkTarget}\n`);
      continue;
    }
    const before = maskSecrets(c.before ?? '', plan.secretValues, { configLines: true });
    const after = maskSecrets(c.content ?? '', plan.secretValues, { configLines: true });
    if (c.action === 'create' && opts.newFilesInFull === false) {
      parts.push(`+++ ${c.path} (new file, ${after.trimEnd().split('\n').length} lines)\n`);
      continue;
    }
    if (before === after) {
      parts.push(`--- ${c.path}\n+++ ${c.path}\n  ${c.reasons.join(', ')}\n`);
      continue;
    }
    parts.push(
      createTwoFilesPatch(c.action === 'create' ? '/dev/null' : c.path, c.path, before, after, '', '', {
        context: 3,
      }).replace(/^=+\n/, ''),
    );
  }
  return parts.join('\n');
}
