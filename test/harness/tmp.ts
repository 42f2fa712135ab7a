// Temporary directories for tests, removed again: one made inside a test goes when that test
// finishes; one made at collection time or in beforeAll goes when its file finishes (after the
// file's own afterAll hooks, which stop the servers using it). Whatever is left at exit goes too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

const pending = new Set<string>();

function remove(dir: string): void {
  pending.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

// Registered when the first test file imports this module (during collection), so it runs last
// of that file's afterAll hooks.
afterAll(() => {
  for (const dir of [...pending]) remove(dir);
});

process.once('exit', () => {
  for (const dir of [...pending]) remove(dir);
});

/**
 * A fresh directory `PREFIX…` in the system's temp dir (mode 0700), or inside `parent` (removed
 * with it, so not tracked on its own).
 */
export function tempDir(prefix = 'spreed-test-', parent?: string): string {
  if (parent !== undefined) return mkdtempSync(path.join(parent, prefix));
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  pending.add(dir);
  try {
    onTestFinished(() => remove(dir));
  } catch {
    // Not inside a test (collection or beforeAll): the file-level afterAll removes it.
  }
  return dir;
}
