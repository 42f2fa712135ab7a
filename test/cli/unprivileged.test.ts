// The README's unprivileged staging: `setup ... --yes --root DIR` as a normal user writes the whole
// install, the nginx site included (its validation binds no privileged port), and exits 0.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../harness/tmp.js';
import { BIN } from './run.js';

const asRoot = process.getuid?.() === 0;
const REPO = path.resolve(import.meta.dirname, '../..');

const asNobody = (command: string) =>
  execFileSync('su', ['-s', '/bin/sh', 'nobody', '-c', command], { encoding: 'utf8', timeout: 60_000 });

/**
 * The CLI as `nobody` can run it: the checkout itself when nobody may read it, otherwise (a clone
 * in a private directory) a world-readable copy of what the package ships, with its runtime
 * dependencies only.
 */
function binForNobody(): string {
  if (asNobody(`test -r ${BIN} && echo readable || echo private`).trim() === 'readable') return BIN;
  const pkg = tempDir('spreed-pkg-');
  chmodSync(pkg, 0o755);
  for (const part of ['bin', 'dist', 'templates', 'package.json'])
    cpSync(path.join(REPO, part), path.join(pkg, part), { recursive: true });
  const deps = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: REPO, encoding: 'utf8' })
    .split('\n')
    .map((p) => path.relative(REPO, p))
    .filter((rel) => /^node_modules\/(@[^/]+\/)?[^/@]+$/.test(rel));
  for (const rel of deps) cpSync(path.join(REPO, rel), path.join(pkg, rel), { recursive: true });
  return path.join(pkg, 'bin/spreed-setup.js');
}
const requireRoot = Boolean(process.env.CI) || asRoot;

describe.skipIf(!requireRoot)('staging as a normal user', () => {
  it('writes server.conf, the secrets and the nginx site, and exits 0', () => {
    expect(asRoot, 'this test switches to the user nobody, which needs root').toBe(true);
    const dir = tempDir('spreed-unpriv-');
    chmodSync(dir, 0o777);
    const stage = path.join(dir, 'stage');
    mkdirSync(stage, { mode: 0o777 }); // --root must exist (it is never created)
    chmodSync(stage, 0o777);
    const bin = binForNobody();
    const out = asNobody(
      `cd ${dir} && PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=${dir} NO_COLOR=1 node ${bin} setup --hostname hpb.example.org --nextcloud https://cloud.example.org --yes --root ${stage} 2>&1; echo "exit=$?"`,
    );
    expect(out).toContain('exit=0');
    expect(out).not.toContain('error:');
    for (const f of [
      'etc/nextcloud-spreed-signaling/server.conf',
      'etc/nginx/sites-available/spreed-signaling.conf',
      'etc/nginx/sites-enabled/spreed-signaling.conf',
    ]) {
      expect(existsSync(path.join(stage, f)), f).toBe(true);
    }
    // The site as written still listens where it should: only the validation copy moved.
    expect(readFileSync(path.join(stage, 'etc/nginx/sites-available/spreed-signaling.conf'), 'utf8')).toMatch(
      /^\s*listen 443 ssl/m,
    );
  });
});
