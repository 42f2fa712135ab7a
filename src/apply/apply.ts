// Applies a plan as one transaction: backs up each file it replaces (timestamped, same mode and
// owner), records the journal, writes atomically with the final mode from the first byte,
// validates nginx, and on any failure puts every touched path back as it was; a run killed on the
// way is put back by the next one (journal.ts).
import {
  chmodSync,
  chownSync,
  constants,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readlinkSync,
  renameSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import path from 'node:path';
import {
  fsyncDir,
  fsyncFile,
  type JournalEntry,
  removeJournal,
  removeStaleTemps,
  tempBeside,
  undoEntries,
  writeDurable,
  writeJournal,
} from './journal.js';
import type { Target } from '../io/target.js';
import type { FileChange, Plan } from '../plan/plan.js';

export interface ApplyOptions {
  target: Target;
  /** Timestamp for the backup folder, e.g. 20261124T150102Z */
  stamp: string;
  /** Runs after the files are written; a failure puts every file of the plan back (one transaction). */
  validate?: (written: FileChange[]) => Promise<{ ok: true } | { ok: false; message: string; fix?: string }>;
  onProgress?: (line: string) => void;
  /** The install's transaction journal (see journal.ts); without it a killed run cannot be put back. */
  journal?: string;
}

export interface ApplyResult {
  written: FileChange[];
  backups: string[];
  backupDir?: string;
}

export class ApplyError extends Error {
  constructor(
    message: string,
    readonly fix: string,
    readonly rolledBack: string[],
  ) {
    super(message);
  }
}

/** Where every run's backup folder goes (below --root when given). */
export const BACKUP_ROOT = '/var/backups/spreed-setup';

/** The run's own backup folder: the timestamp, plus a counter when a run in the same second has one. */
export function backupDirFor(target: Target, stamp: string): string {
  const base = target.path(`${BACKUP_ROOT}/${stamp}`);
  for (let n = 1; ; n++) {
    const dir = n === 1 ? base : `${base}-${n}`;
    if (!existsSync(dir)) return dir;
  }
}

/** The directories missing above `dir`, outermost first. */
function missingDirs(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; !existsSync(d) && path.dirname(d) !== d; d = path.dirname(d)) out.unshift(d);
  return out;
}

function ensureDir(dir: string, change: FileChange): void {
  if (existsSync(dir)) return;
  // Secret directories are closed to others from the start.
  const mode = change.role !== 'secret' ? 0o755 : change.ownership.mode & 0o040 ? 0o750 : 0o700;
  mkdirSync(dir, { recursive: true, mode });
  if (change.role === 'secret' && change.ownership.gid !== undefined) {
    try {
      chownSync(dir, change.ownership.uid ?? 0, change.ownership.gid);
    } catch {
      /* not root: the mode alone protects it */
    }
  }
}

/** A copy of `real` in the backup folder, same mode and owner (a backup of a secret is as closed as the secret). */
function backUp(real: string, backup: string): void {
  mkdirSync(path.dirname(backup), { recursive: true, mode: 0o700 });
  const st = lstatSync(real);
  if (st.isSymbolicLink()) {
    symlinkSync(readlinkSync(real), backup);
  } else {
    copyFileSync(real, backup, constants.COPYFILE_EXCL);
    chmodSync(backup, st.mode & 0o777);
    try {
      chownSync(backup, st.uid, st.gid);
    } catch {
      /* not root */
    }
    fsyncFile(backup);
  }
  fsyncDir(path.dirname(backup));
}

export async function applyPlan(plan: Plan, opts: ApplyOptions): Promise<ApplyResult> {
  const { target } = opts;
  const todo = plan.changes.filter((c) => c.action !== 'unchanged');
  // Holding the install's lock, any temp file of ours beside a managed file is a crashed run's.
  for (const c of plan.changes) removeStaleTemps(target.path(c.path));
  if (!todo.length) return { written: [], backups: [] };
  const backups: string[] = [];
  const backupDir = backupDirFor(target, opts.stamp);
  const entries: JournalEntry[] = [];
  /** Directories this run creates, outermost first: a rollback removes them too (when empty). */
  const createdDirs: string[] = [];
  let journaled = false;
  const putBack = () => {
    const rolled = undoEntries(target, entries, createdDirs);
    if (journaled && opts.journal) removeJournal(opts.journal);
    return rolled;
  };
  try {
    // 1. Every copy first, then the journal that names them: from here on, a run killed at any
    //    point is put back by the next one.
    for (const change of todo) {
      const real = target.path(change.path);
      for (const d of missingDirs(path.dirname(real))) if (!createdDirs.includes(d)) createdDirs.push(d);
      if (change.action === 'modify' || change.action === 'remove') {
        const backup = path.join(backupDir, change.path);
        backUp(real, backup);
        backups.push(backup);
        entries.push({ path: change.path, backup });
      } else {
        entries.push({ path: change.path });
      }
    }
    if (opts.journal) {
      writeJournal(opts.journal, { pid: process.pid, since: new Date().toISOString(), entries, createdDirs });
      journaled = true;
    }
    // 2. The changes.
    for (const change of todo) {
      const real = target.path(change.path);
      if (change.action === 'remove') {
        unlinkSync(real);
        fsyncDir(path.dirname(real));
        opts.onProgress?.(`removed ${change.path}`);
        continue;
      }
      ensureDir(path.dirname(real), change);
      if (change.linkTarget !== undefined) {
        const tmp = tempBeside(real, 'link');
        symlinkSync(change.linkTarget, tmp);
        renameSync(tmp, real);
        fsyncDir(path.dirname(real));
      } else {
        const own = change.ownership;
        const chown =
          own.uid !== undefined && own.gid !== undefined && process.getuid?.() === 0
            ? { uid: own.uid, gid: own.gid }
            : undefined;
        writeDurable(real, change.content ?? '', own.mode, chown);
      }
      opts.onProgress?.(`${change.action === 'create' ? 'created' : 'updated'} ${change.path}`);
    }
  } catch (err) {
    const rolled = putBack();
    throw new ApplyError(
      `writing failed: ${(err as Error).message}`,
      'check permissions and free space, then run again (every file was put back)',
      rolled,
    );
  }
  if (opts.validate) {
    const res = await opts.validate(todo);
    if (!res.ok) {
      // All or nothing: server.conf, secrets and the state file go back with the nginx files.
      const rolled = putBack();
      throw new ApplyError(res.message, res.fix ?? 'fix the problem nginx names above, then run again', rolled);
    }
  }
  // 3. The commit.
  if (opts.journal) removeJournal(opts.journal);
  return { written: todo, backups, ...(backups.length ? { backupDir } : {}) };
}
