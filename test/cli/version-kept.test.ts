// The version stays what the files were rendered for: a re-run without --server-version keeps it
// unless the installed server changed, and says so. Under --root only the staged tree is read.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getValue, parseGoconf } from '../../src/goconf/parse.js';
import { runInProcess } from './inProcess.js';
import { scratch, treeState } from './run.js';

const CONF = 'etc/nextcloud-spreed-signaling/server.conf';
const STATE = 'etc/nextcloud-spreed-signaling/spreed-setup.yaml';
const setup = (root: string, ...extra: string[]) =>
  runInProcess([
    'setup',
    '--hostname',
    'hpb.example.org',
    '--nextcloud',
    'https://cloud.example.org',
    '--nginx',
    'none',
    '--yes',
    '--root',
    root,
    ...extra,
  ]);

/** A staged server binary that reports `version` the way the real one does. */
function stageBinary(root: string, version: string): void {
  const bin = path.join(root, 'usr/bin/nextcloud-spreed-signaling-server');
  mkdirSync(path.dirname(bin), { recursive: true });
  writeFileSync(bin, `#!/bin/sh\necho "nextcloud-spreed-signaling version ${version}-1/go1.26"\n`);
  chmodSync(bin, 0o755);
}

describe('the rendered-for version is kept', () => {
  it('staged with --server-version 2.1.1, a re-run with no flags changes no file', async () => {
    const root = scratch();
    const first = await setup(root, '--server-version', '2.1.1');
    expect(first.code, first.all).toBe(0);
    // Rendered for 2.1.1: the backend's URL under `urls`, and the version recorded.
    const doc = parseGoconf(readFileSync(path.join(root, CONF), 'utf8'));
    const id = getValue(doc, 'backend', 'backends')!;
    expect(getValue(doc, id, 'urls')).toBe('https://cloud.example.org');
    expect(getValue(doc, id, 'url')).toBeUndefined();
    expect(readFileSync(path.join(root, STATE), 'utf8')).toContain('renderedFor: 2.1.1');
    const before = treeState(root);

    const again = await setup(root);
    expect(again.code, again.all).toBe(0);
    expect(again.stdout).toContain('No changes');
    expect(again.stdout).toContain('server 2.1.1 (as rendered before (state file))');
    expect(treeState(root)).toEqual(before);
  });

  it("the host's packages do not count under --root: with nothing staged the version stays", async () => {
    // This host has Debian's 0.4.1 installed; under --root it must not be read.
    const root = scratch();
    expect((await setup(root, '--server-version', '2.0.4')).code).toBe(0);
    const again = await setup(root);
    expect(again.stdout).not.toContain('0.4.1');
    expect(again.stdout).toContain('server 2.0.4');
  });

  it('a server installed (staged) since the last run wins, with a notice', async () => {
    const root = scratch();
    expect((await setup(root, '--server-version', '2.1.1')).code).toBe(0);
    stageBinary(root, '2.0.2');
    const again = await setup(root, '--dry-run');
    expect(again.code, again.all).toBe(0);
    expect(again.stderr).toContain('the installed server changed since the last run (none -> 2.0.2');
    expect(again.stderr).toContain('rendering for 2.0.2, not 2.1.1');
    // 2.0.2 reads only `url`: the dry run's diff shows urls -> url.
    expect(again.stdout).toMatch(/^-urls = https:\/\/cloud\.example\.org$/m);
    expect(again.stdout).toMatch(/^\+url = https:\/\/cloud\.example\.org$/m);
  });

  it('when the staged server is the one it was rendered with, the version stays', async () => {
    const root = scratch();
    stageBinary(root, '2.0.2');
    expect((await setup(root, '--server-version', '2.0.4')).code).toBe(0);
    expect(readFileSync(path.join(root, STATE), 'utf8')).toContain('installedWhenRendered: 2.0.2');
    const again = await setup(root);
    expect(again.code, again.all).toBe(0);
    expect(again.stdout).toContain('No changes');
  });
});
