// The transaction journal: before apply changes its first file it records, durably, how to put
// every file of the plan back (the backup copy, or "remove it") and which directories it will
// create. Apply deletes the journal as its commit. A run killed in between (SIGKILL, power loss)
// leaves the journal behind, and the next run, holding the install's lock, puts everything back
// from it before it reads anything: the files of one apply are all old or all new.
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  copyFileSync,
  existsSync,
  fchmodSync,
  fchownSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeSync,
  constants,
} from 'node:fs';
import path from 'node:path';
import type { Target } from '../io/target.js';

export interface JournalEntry {
  /** The managed path, as on the host (the target maps it under --root). */
  path: string;
  /** Absolute path of the copy taken before the change; absent: the path did not exist. */
  backup?: string;
}

export interface Journal {
  pid: number;
  since: string;
  entries: JournalEntry[];
  /** Absolute paths of the directories the apply creates, outermost first. */
  createdDirs: string[];
}

/** The install's key: one lock and one journal per server.conf path (under --root, per root). */
export function installKey(target: Target, configPath: string): string {
  return createHash('sha256')
    .update(path.resolve(target.path(configPath)))
    .digest('hex')
    .slice(0, 16);
}

/** Where the journal of the install whose server.conf is `configPath` lives (persistent, under --root). */
export function journalPath(target: Target, configPath: string): string {
  return target.path(`/var/lib/spreed-setup/transaction-${installKey(target, configPath)}.json`);
}

/** A temporary name beside `real` that no other run (nor an earlier crashed one) uses. */
export const tempBeside = (real: string, what: string) =>
  `${real}.spreed-setup-${what}-${process.pid}-${randomBytes(4).toString('hex')}`;

/** Writes `content` to `real` durably: a private temp file (mode and owner from the first byte), fsync, rename, directory fsync. */
export function writeDurable(real: string, content: string, mode: number, owner?: { uid: number; gid: number }): void {
  const tmp = tempBeside(real, 'new');
  const fd = openSync(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    mode & 0o600,
  );
  try {
    try {
      if (owner) fchownSync(fd, owner.uid, owner.gid);
      fchmodSync(fd, mode & 0o7777);
      const buf = Buffer.from(content);
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, real);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(path.dirname(real));
}

export function fsyncDir(dir: string): void {
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

/** Fsyncs a file already written (a backup copy). */
export function fsyncFile(file: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    fsyncSync(fd);
  } catch {
    /* a link: nothing to sync but its directory */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function writeJournal(file: string, j: Journal): void {
  const dir = path.dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeDurable(file, `${JSON.stringify(j, null, 1)}\n`, 0o600);
}

export function readJournal(file: string): Journal | undefined {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const j = JSON.parse(raw) as Partial<Journal>;
    if (!Array.isArray(j.entries) || !Array.isArray(j.createdDirs)) throw new Error('shape');
    return {
      pid: Number(j.pid),
      since: String(j.since ?? '?'),
      entries: j.entries.filter((e): e is JournalEntry => typeof e?.path === 'string'),
      createdDirs: j.createdDirs.filter((d): d is string => typeof d === 'string'),
    };
  } catch {
    // Torn or foreign: it cannot guide a rollback. Its apply never started (the journal is written
    // whole before the first change), so dropping it loses nothing.
    return { pid: 0, since: '?', entries: [], createdDirs: [] };
  }
}

/** The commit: the journal goes, durably. */
export function removeJournal(file: string): void {
  rmSync(file, { force: true });
  fsyncDir(path.dirname(file));
}

/** Puts every entry back (restore the backup copy, or remove what was created); returns the paths put back. */
export function undoEntries(target: Target, entries: JournalEntry[], createdDirs: string[]): string[] {
  const done: string[] = [];
  for (const e of [...entries].reverse()) {
    const real = target.path(e.path);
    try {
      if (e.backup) {
        const st = lstatSync(e.backup);
        if (st.isSymbolicLink()) {
          const tmp = tempBeside(real, 'restore');
          symlinkSync(readlinkSync(e.backup), tmp);
          renameSync(tmp, real);
        } else {
          const tmp = tempBeside(real, 'restore');
          copyFileSync(e.backup, tmp, constants.COPYFILE_EXCL);
          chmodSync(tmp, statSync(e.backup).mode & 0o777);
          try {
            chownSync(tmp, st.uid, st.gid);
          } catch {
            /* not root */
          }
          fsyncFile(tmp);
          renameSync(tmp, real);
        }
      } else if (existsSync(real) || isLink(real)) {
        unlinkSync(real);
      }
      fsyncDir(path.dirname(real));
      done.push(e.path);
    } catch {
      /* keep going: put back as much as possible */
    }
  }
  // What the apply created from nothing goes too, deepest first, and only when empty: a directory
  // that holds anything else is not ours to remove.
  for (const dir of [...createdDirs].reverse()) {
    removeStaleTempsIn(dir);
    try {
      rmdirSync(dir);
    } catch {
      /* not empty, or gone */
    }
  }
  return done;
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Removes the entries of `dir` whose names `stale` picks (temp files of ours). */
function removeNamed(dir: string, stale: (name: string) => boolean): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (stale(n)) rmSync(path.join(dir, n), { force: true });
}

function removeStaleTempsIn(dir: string): void {
  removeNamed(dir, (n) => n.includes('.spreed-setup-'));
}

/** `real`.spreed-setup-<what>-<pid>-<random>: the temp names tempBeside makes. */
export function removeStaleTemps(real: string): void {
  const prefix = `${path.basename(real)}.spreed-setup-`;
  removeNamed(path.dirname(real), (n) => n.startsWith(prefix));
}

export interface Recovered {
  pid: number;
  since: string;
  putBack: string[];
}

/**
 * Run with the install's lock held: puts back what an interrupted apply changed, from its
 * journal, then drops the journal. Returns what it did, or undefined when nothing was pending.
 */
export function recoverInterrupted(file: string, target: Target): Recovered | undefined {
  removeStaleTemps(file); // a journal killed while being written: its apply never started
  if (!existsSync(file)) return undefined;
  const j = readJournal(file);
  if (!j) return undefined;
  for (const e of j.entries) removeStaleTemps(target.path(e.path));
  const putBack = undoEntries(target, j.entries, j.createdDirs);
  removeJournal(file);
  return { pid: j.pid, since: j.since, putBack };
}
