// Applies a plan: backs up each file it replaces (timestamped, same mode and owner), writes
// atomically with the final mode from the first byte, validates nginx, and on any failure puts
// every touched path back as it was.
import {
  chmodSync,
  chownSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  existsSync,
  readdirSync,
  openSync,
  fsyncSync,
  closeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { Target } from '../io/target.js';
import type { FileChange, Plan } from '../plan/plan.js';

export interface ApplyOptions {
  target: Target;
  /** Timestamp for the backup folder, e.g. 20261124T150102Z */
  stamp: string;
  /** Runs after the files are written; a failure puts every file of the plan back (one transaction). */
  validate?: (written: FileChange[]) => Promise<{ ok: true } | { ok: false; message: string }>;
  onProgress?: (line: string) => void;
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

interface Undo {
  change: FileChange;
  backup?: string;
}

/** The run's own backup folder: the timestamp, plus a counter when a run in the same second has one. */
export function backupDirFor(target: Target, stamp: string): string {
  const base = target.path(`/var/backups/spreed-setup/${stamp}`);
  for (let n = 1; ; n++) {
    const dir = n === 1 ? base : `${base}-${n}`;
    if (!existsSync(dir)) return dir;
  }
}

/** A temporary name beside `real` that no other run (nor an earlier crashed one) uses. */
const tempBeside = (real: string, what: string) =>
  `${real}.spreed-setup-${what}-${process.pid}-${randomBytes(4).toString('hex')}`;

/** Makes the directory; returns the topmost one it created (to remove on rollback), if any. */
function ensureDir(dir: string, change: FileChange): string | undefined {
  if (existsSync(dir)) return undefined;
  // Secret directories are closed to others from the start.
  const mode = change.role !== 'secret' ? 0o755 : change.ownership.mode & 0o040 ? 0o750 : 0o700;
  const created = mkdirSync(dir, { recursive: true, mode });
  if (change.role === 'secret' && change.ownership.gid !== undefined) {
    try {
      chownSync(dir, change.ownership.uid ?? 0, change.ownership.gid);
    } catch {
      /* not root: the mode alone protects it */
    }
  }
  return created;
}

export async function applyPlan(plan: Plan, opts: ApplyOptions): Promise<ApplyResult> {
  const { target } = opts;
  const todo = plan.changes.filter((c) => c.action !== 'unchanged');
  // Holding the install's lock, any temp file of ours beside a managed file is a crashed run's.
  for (const c of plan.changes) removeStaleTemps(target.path(c.path));
  const undo: Undo[] = [];
  /** Directories this run created, outermost first: a rollback removes them too. */
  const createdDirs: string[] = [];
  const backups: string[] = [];
  const backupDir = backupDirFor(target, opts.stamp);
  try {
    for (const change of todo) {
      const real = target.path(change.path);
      const createdDir = ensureDir(path.dirname(real), change);
      if (createdDir) createdDirs.push(createdDir);
      let backup: string | undefined;
      if (change.action === 'modify') {
        backup = path.join(backupDir, change.path);
        mkdirSync(path.dirname(backup), { recursive: true, mode: 0o700 });
        const st = lstatSync(real);
        if (st.isSymbolicLink()) {
          symlinkSync(change.before ?? '', backup);
        } else {
          copyFileSync(real, backup);
          // Same permissions as the original: a backup of a secret is as closed as the secret.
          chmodSync(backup, st.mode & 0o777);
          try {
            chownSync(backup, st.uid, st.gid);
          } catch {
            /* not root */
          }
        }
        backups.push(backup);
      }
      undo.push({ change, ...(backup ? { backup } : {}) });
      if (change.linkTarget !== undefined) {
        const tmp = tempBeside(real, 'link');
        symlinkSync(change.linkTarget, tmp);
        renameSync(tmp, real);
      } else {
        const own = change.ownership;
        const chown =
          own.uid !== undefined && own.gid !== undefined && process.getuid?.() === 0
            ? { uid: own.uid, gid: own.gid }
            : undefined;
        await writeFileAtomic(real, change.content ?? '', { mode: own.mode, ...(chown ? { chown } : {}) });
      }
      // The rename is durable only once its directory is on disk.
      fsyncDir(path.dirname(real));
      opts.onProgress?.(`${change.action === 'create' ? 'created' : 'updated'} ${change.path}`);
    }
  } catch (err) {
    const rolled = rollback(undo, target, createdDirs);
    throw new ApplyError(
      `writing failed: ${(err as Error).message}`,
      'check permissions and free space, then run again (every file was put back)',
      rolled,
    );
  }
  if (opts.validate && todo.length) {
    const res = await opts.validate(todo);
    if (!res.ok) {
      // All or nothing: server.conf, secrets and the state file go back with the nginx files.
      const rolled = rollback(undo, target, createdDirs);
      throw new ApplyError(res.message, 'fix the problem nginx names above, then run again', rolled);
    }
  }
  return { written: todo, backups, ...(backups.length ? { backupDir } : {}) };
}

/** Restores from backups, removes what was created; returns the paths put back. */
function rollback(undo: Undo[], target: Target, createdDirs: string[]): string[] {
  const done: string[] = [];
  for (const { change, backup } of [...undo].reverse()) {
    const real = target.path(change.path);
    try {
      if (backup) {
        const st = lstatSync(backup);
        if (st.isSymbolicLink()) {
          rmSync(real, { force: true });
          symlinkSync(change.before ?? '', real);
        } else {
          const tmp = tempBeside(real, 'restore');
          copyFileSync(backup, tmp);
          chmodSync(tmp, statSync(backup).mode & 0o777);
          try {
            chownSync(tmp, st.uid, st.gid);
          } catch {
            /* not root */
          }
          renameSync(tmp, real);
        }
      } else if (existsSync(real) || isLink(real)) {
        unlinkSync(real);
      }
      done.push(change.path);
    } catch {
      /* keep going: put back as much as possible */
    }
  }
  // What this run created from nothing goes too (the lock keeps other runs out meanwhile).
  for (const dir of [...createdDirs].reverse()) rmSync(dir, { recursive: true, force: true });
  return done;
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** `real`.spreed-setup-<what>-<pid>-<random>: the temp names tempBeside makes. */
function removeStaleTemps(real: string): void {
  const dir = path.dirname(real);
  const prefix = `${path.basename(real)}.spreed-setup-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (n.startsWith(prefix)) rmSync(path.join(dir, n), { force: true });
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* a file system without directory fsync */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
