// One lock per install: a run takes it before it reads the installed files and holds it until its
// apply ends, so two runs can never interleave their secrets and files. A second run waits
// briefly, then says who holds it. A lock left by a run that died is taken over.
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT, UserError, problem } from '../errors.js';
import { Target } from '../io/target.js';
import type { Output } from '../io/output.js';
import { detectLayout } from '../detect/layout.js';
import { installKey, journalPath, type Recovered, recoverInterrupted } from './journal.js';

interface Holder {
  pid: number;
  since: string;
}

/** Locks this process holds, by file, with how many times (a run inside a run, e.g. the wizard's register step). */
const held = new Map<string, number>();

/** Where the lock of the install whose server.conf is `configPath` lives (under --root: in the root). */
export function lockPath(target: Target, configPath: string): string {
  // Under --root in the root (when it exists yet), else the system's lock directory.
  const dir =
    target.root && existsSync(target.root) ? target.root : existsSync('/run/lock') ? '/run/lock' : os.tmpdir();
  return path.join(dir, `spreed-setup-${installKey(target, configPath)}.lock`);
}

/** Alive and not a zombie (a reaped-late process still answers kill -0). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function parseHolder(raw: string): Holder | undefined {
  try {
    const h = JSON.parse(raw) as Partial<Holder>;
    return typeof h.pid === 'number' ? { pid: h.pid, since: String(h.since ?? '?') } : undefined;
  } catch {
    return undefined;
  }
}

function readHolder(file: string): Holder | undefined {
  const raw = readRaw(file);
  return raw === undefined ? undefined : parseHolder(raw);
}

function release(file: string): void {
  const n = (held.get(file) ?? 0) - 1;
  if (n > 0) {
    held.set(file, n);
    return;
  }
  held.delete(file);
  if (readHolder(file)?.pid === process.pid) rmQuiet(file);
}

// A run stopped by a signal or process.exit still frees its locks.
process.once('exit', () => {
  for (const file of held.keys()) if (readHolder(file)?.pid === process.pid) rmQuiet(file);
});
function rmQuiet(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* gone */
  }
}

/** Someone else's lock: who holds it, as the waiting run reports it. */
export type LockHolder = Holder;

/**
 * Creates `file` holding `content` only if it does not exist, and never visible half-written: the
 * content goes to a private temp file first, then link(2) publishes it (EEXIST if taken).
 */
function publish(file: string, content: string): boolean {
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}`;
  writeFileSync(tmp, content, { flag: 'wx', mode: 0o644 });
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmQuiet(tmp);
  }
}

/** publish()'s temp files left by runs that died between writing and linking. */
function removeDeadTemps(file: string): void {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.`;
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = n.startsWith(prefix) ? /^(\d+)-[0-9a-f]{8}$/.exec(n.slice(prefix.length)) : null;
    if (m && !alive(Number(m[1]))) rmQuiet(path.join(dir, n));
  }
}

/** Older than this, a lock file nobody can read (or a takeover guard) is debris. */
const DEBRIS_MS = 10_000;

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Removes a lock left by a dead run, under a guard so that two runs taking over at once cannot
 * remove each other's fresh lock: only the guard's holder removes, and only what it found stale.
 */
function takeOver(file: string, stale: string | undefined, me: string): void {
  const guard = `${file}.takeover`;
  if (!publish(guard, me)) {
    if (ageMs(guard) > DEBRIS_MS) rmQuiet(guard);
    return;
  }
  try {
    if (readRaw(file) === stale) rmQuiet(file);
  } finally {
    rmQuiet(guard);
  }
}

function readRaw(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** How long a run waits for another: SPREED_SETUP_LOCK_WAIT seconds (0 to 3600), else 30 s. */
export function lockWaitMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.SPREED_SETUP_LOCK_WAIT;
  if (v !== undefined && /^\d{1,4}$/.test(v) && Number(v) <= 3600) return Number(v) * 1000;
  return 30_000;
}

/** Runs `fn` holding the install's lock; waits up to `waitMs` for another run to finish. */
export async function withInstallLock<T>(
  target: Target,
  configPath: string,
  fn: () => Promise<T>,
  opts: { waitMs?: number; onWait?: (holder: LockHolder) => void } = {},
): Promise<T> {
  const file = lockPath(target, configPath);
  if (held.has(file)) {
    held.set(file, held.get(file)! + 1);
    try {
      return await fn();
    } finally {
      release(file);
    }
  }
  const deadline = Date.now() + (opts.waitMs ?? lockWaitMs());
  const me = `${JSON.stringify({ pid: process.pid, since: new Date().toISOString() })}\n`;
  let reported = false;
  for (let attempt = 0; ; attempt++) {
    try {
      if (publish(file, me)) break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UserError(
        [
          problem(
            `cannot take the lock ${file}: ${code ?? (err as Error).message}`,
            'run as root (sudo), or make its directory writable',
          ),
        ],
        EXIT.failed,
      );
    }
    const raw = readRaw(file);
    const holder = raw === undefined ? undefined : parseHolder(raw);
    // Dead holder: take over at once. Unreadable content: debris only once it is old.
    if (raw !== undefined && ((holder && !alive(holder.pid)) || (!holder && ageMs(file) > DEBRIS_MS))) {
      takeOver(file, raw, me);
      continue;
    }
    if (holder && !reported) {
      reported = true;
      opts.onWait?.(holder);
    }
    if (Date.now() >= deadline || attempt > 10_000) {
      const who = holder ? `pid ${holder.pid}, since ${holder.since}` : 'holder unknown';
      throw new UserError(
        [
          problem(
            `another spreed-setup run (${who}) is changing ${path.dirname(configPath)}`,
            'wait for it to finish, then run again',
          ),
        ],
        EXIT.failed,
      );
    }
    await sleep(50);
  }
  held.set(file, 1);
  removeDeadTemps(file);
  try {
    return await fn();
  } finally {
    release(file);
  }
}

export interface LockHooks {
  /** Another run holds the lock: said once, before waiting. */
  onWait?: (holder: LockHolder) => void;
  /** An interrupted run's changes were put back (the journal it left). */
  onRecovered?: (r: Recovered) => void;
  /** A dry run: an interrupted run's changes are only reported, never put back. */
  dryRun?: boolean;
  onPending?: (journal: string) => void;
}

/**
 * The lock of the install that `--root` / `--config` point at. Taking it, a run first puts back
 * what an interrupted earlier run left half-applied, before it reads anything.
 */
export function withSetupLock<T>(
  where: { root?: string; config?: string },
  fn: () => Promise<T>,
  hooks: LockHooks = {},
): Promise<T> {
  const target = new Target(where.root);
  const configPath = detectLayout(target, where.config).configPath;
  return withInstallLock(
    target,
    configPath,
    async () => {
      const journal = journalPath(target, configPath);
      if (hooks.dryRun) {
        if (existsSync(journal)) hooks.onPending?.(journal);
      } else {
        const r = recoverInterrupted(journal, target);
        if (r) hooks.onRecovered?.(r);
      }
      return fn();
    },
    hooks.onWait ? { onWait: hooks.onWait } : {},
  );
}

/** The hooks as a command reports them on its output. */
export function reportingHooks(out: Pick<Output, 'notice'>, dryRun = false): LockHooks {
  return {
    dryRun,
    onWait: (h) => out.notice(`waiting for another spreed-setup run (pid ${h.pid}, since ${h.since}) to finish`),
    onRecovered: (r) =>
      out.notice(
        `an earlier run (pid ${r.pid}, since ${r.since}) was interrupted while writing; put back as before it: ${r.putBack.join(', ') || 'nothing had changed yet'}`,
      ),
    onPending: (j) =>
      out.notice(
        `an earlier run was interrupted while writing (${j}); the next run without --dry-run puts its files back first`,
      ),
  };
}
