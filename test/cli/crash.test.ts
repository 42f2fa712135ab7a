// SIGKILL at every file operation: a preload shim (test/harness/killShim.cjs) kills the real CLI
// just before its Nth file operation under the root, for every N of a first install and of a
// reconfigure that rotates every secret and rewrites the nginx site. Then the next run takes the
// lock, which puts back what the killed run left half-applied. After that the tree is, as a whole,
// the old one or the new one: never some files of each.
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { getValue, parseGoconf } from '../../src/goconf/parse.js';
import { withSetupLock } from '../../src/apply/lock.js';
import { tempDir } from '../harness/tmp.js';
import { runInProcess } from './inProcess.js';
import { BIN, treeState, treeWithoutSecrets } from './run.js';

const SHIM = path.resolve(import.meta.dirname, '../harness/killShim.cjs');
const CONF = 'etc/nextcloud-spreed-signaling/server.conf';
const SECRETS = 'etc/nextcloud-spreed-signaling/secrets';
const BASIC = ['setup', '--hostname', 'hpb.example.org', '--nextcloud', 'https://cloud.example.org', '--yes'];

async function runShimmed(root: string, args: string[], env: Record<string, string>) {
  const r = await execa('node', ['--require', SHIM, BIN, ...args, '--root', root], {
    reject: false,
    stdin: 'ignore',
    env: { NO_COLOR: '1', SHIM_ROOT: root, ...env },
    timeout: 60_000,
  });
  return { signal: r.signal, code: r.exitCode, all: `${r.stdout}\n${r.stderr}` };
}

/** The tree a user sees: the managed files (backups, the journal's folder and lock debris aside). */
function managed(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rel, v] of Object.entries(treeState(root))) if (!/^(var|spreed-setup-)/.test(rel)) out[rel] = v;
  return out;
}
function managedWithoutSecrets(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rel, v] of Object.entries(treeWithoutSecrets(root))) if (!/^(var|spreed-setup-)/.test(rel)) out[rel] = v;
  return out;
}

/** server.conf and the secret files agree (a new tree is consistent in itself). */
function consistent(root: string): boolean {
  const doc = parseGoconf(readFileSync(path.join(root, CONF), 'utf8'));
  const file = (name: string) => readFileSync(path.join(root, SECRETS, name), 'utf8').trim();
  return (
    getValue(doc, 'sessions', 'hashkey') === file('hashkey') &&
    getValue(doc, 'sessions', 'blockkey') === file('blockkey') &&
    getValue(doc, 'clients', 'internalsecret') === file('internalsecret') &&
    getValue(doc, 'cloud-example-org', 'secret') === file('backend-cloud-example-org')
  );
}

async function killAtEveryStep(opts: { base: string; args: string[] }) {
  // The reference: the same command, not killed, with the list of its file operations.
  const ref = tempDir('crash-ref-');
  cpSync(opts.base, ref, { recursive: true, verbatimSymlinks: true });
  const log = path.join(tempDir('crash-log-'), 'ops');
  const full = await runShimmed(ref, opts.args, { SHIM_LOG: log });
  expect(full.code, full.all).toBe(0);
  const ops = readFileSync(log, 'utf8').trim().split('\n');
  // The commit: the journal's removal (its last operation). Killed before it, the run must end up
  // all old; after it, all new.
  const commit = ops.findLastIndex((l) => /\/var\/lib\/spreed-setup\/transaction-[0-9a-f]+\.json$/.test(l)) + 1;
  expect(commit).toBeGreaterThan(0);
  const oldTree = managed(opts.base);
  const newTree = managedWithoutSecrets(ref);
  expect(newTree).not.toEqual(managedWithoutSecrets(opts.base)); // the command changes something
  let pending = 0;
  let old = 0;
  let fresh = 0;
  for (let k = 1; k <= ops.length; k++) {
    const root = tempDir('crash-');
    cpSync(opts.base, root, { recursive: true, verbatimSymlinks: true });
    const killed = await runShimmed(root, opts.args, { SHIM_KILL_AT: String(k) });
    expect(killed.signal, `op ${ops[k - 1]}: ${killed.all}`).toBe('SIGKILL');
    const journal = path.join(root, 'var/lib/spreed-setup');
    if (existsSync(journal) && readdirSync(journal).some((f) => f.endsWith('.json'))) {
      pending++;
      if (pending === 1) {
        // Until the next run, check names the half-applied state.
        const c = await runInProcess(['check', '--root', root, '--json', '--timeout', '1']);
        expect(c.code, c.all).not.toBe(0);
        expect(c.all).toContain('an earlier spreed-setup run was interrupted while writing');
      }
    }
    // The next run: taking the lock puts back an interrupted transaction, before anything else.
    await withSetupLock({ root }, async () => undefined);
    const what = `killed before op ${ops[k - 1]}`;
    if (k <= commit) {
      expect(managed(root), what).toEqual(oldTree);
      old++;
    } else {
      expect(managedWithoutSecrets(root), what).toEqual(newTree);
      expect(consistent(root), what).toBe(true);
      fresh++;
    }
    // No temp file of ours is left beside a managed file, nor a lock.
    expect(
      Object.keys(treeState(root)).filter((p) => p.includes('.spreed-setup-') || /^spreed-setup-.*lock/.test(p)),
      what,
    ).toEqual([]);
  }
  return { ops: ops.length, pending, old, fresh };
}

describe('SIGKILL at every file operation of apply', () => {
  it('first install: all old (nothing) or all new', async () => {
    const base = tempDir('crash-base-');
    const r = await killAtEveryStep({ base, args: [...BASIC, '--nginx', 'site'] });
    console.log(
      `first install: ${r.ops} file operations, killed at each: ${r.old} old, ${r.fresh} new, ${r.pending} put back`,
    );
    expect(r.pending).toBeGreaterThan(5); // killed mid-transaction many times, each put back
    expect(r.old + r.fresh).toBe(r.ops);
  }, 600_000);

  it('reconfigure with --rotate all and a new listen address: all old or all new', async () => {
    const base = tempDir('crash-base-');
    const first = await runInProcess([...BASIC, '--root', base, '--nginx', 'site']);
    expect(first.code, first.all).toBe(0);
    const r = await killAtEveryStep({
      base,
      args: [...BASIC, '--nginx', 'site', '--listen', '127.0.0.1:8099', '--rotate', 'all'],
    });
    console.log(
      `reconfigure: ${r.ops} file operations, killed at each: ${r.old} old, ${r.fresh} new, ${r.pending} put back`,
    );
    expect(r.pending).toBeGreaterThan(5);
    expect(r.old + r.fresh).toBe(r.ops);
  }, 600_000);
});
