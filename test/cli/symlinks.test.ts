// Symbolic links planted under --root: nothing is written outside the root (or anywhere), each
// case is refused with exit 2 and one line naming the link.
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../harness/tmp.js';
import { runInProcess } from './inProcess.js';
import { treeState } from './run.js';

const BASIC = ['setup', '--hostname', 'hpb.example.org', '--nextcloud', 'https://cloud.example.org', '--yes'];
const CONF_DIR = 'etc/nextcloud-spreed-signaling';

// [case, path under the root that becomes a link, link to a directory (else a file)]
const CASES: Array<[string, string, 'dir' | 'file']> = [
  ['the config directory', CONF_DIR, 'dir'],
  ['/etc itself', 'etc', 'dir'],
  ['the secrets directory', `${CONF_DIR}/secrets`, 'dir'],
  ['server.conf', `${CONF_DIR}/server.conf`, 'file'],
  ['the state file', `${CONF_DIR}/spreed-setup.yaml`, 'file'],
  ['a secret file', `${CONF_DIR}/secrets/hashkey`, 'file'],
  ['the backup directory', 'var/backups', 'dir'],
  ['nginx sites-available', 'etc/nginx/sites-available', 'dir'],
  ['nginx conf.d', 'etc/nginx/conf.d', 'dir'],
  ['the nginx site file', 'etc/nginx/sites-available/spreed-signaling.conf', 'file'],
];

describe('symbolic links under --root', () => {
  it.each(CASES)('%s as a link out of the root: refused, nothing written', async (_name, rel, kind) => {
    const outside = tempDir('spreed-outside-');
    const root = tempDir('spreed-root-');
    // Planted: a link from inside the root to a directory (or file) outside it.
    const link = path.join(root, rel);
    mkdirSync(path.dirname(link), { recursive: true });
    if (kind === 'dir') symlinkSync(outside, link);
    else {
      writeFileSync(path.join(outside, 'target'), 'outside\n');
      symlinkSync(path.join(outside, 'target'), link);
    }
    const outsideBefore = treeState(outside);
    const rootBefore = treeState(root);
    const r = await runInProcess([...BASIC, '--root', root]);
    expect(r.code, r.all).toBe(2);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
    expect(
      errors.some((l) => l.includes(`/${rel} is a symbolic link (to `)),
      r.stderr,
    ).toBe(true);
    expect(treeState(outside)).toEqual(outsideBefore);
    expect(treeState(root)).toEqual(rootBefore);
    expect(readdirSync(outside).filter((f) => f.includes('spreed-setup'))).toEqual([]);
  });
});
