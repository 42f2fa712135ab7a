// Runs the built CLI as a user would (no TTY, no stdin) and hashes trees to prove what changed.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { tempDir } from '../harness/tmp.js';

export const BIN = path.resolve(import.meta.dirname, '../../bin/spreed-setup.js');

export async function runCli(args: string[], env: Record<string, string> = {}) {
  const r = await execa('node', [BIN, ...args], {
    reject: false,
    stdin: 'ignore',
    env: { NO_COLOR: '1', ...env },
    timeout: 60_000,
  });
  return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr), all: `${r.stdout}\n${r.stderr}` };
}

/** A scratch --root, removed when the test (or, outside a test, the file) is done. */
export function scratch(prefix = 'spreed-setup-test-'): string {
  return tempDir(prefix);
}

/** path -> mode + content hash (or link target), for every entry below root. */
export function treeState(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const p = path.join(dir, name);
      const st = lstatSync(p);
      const rel = path.relative(root, p);
      if (st.isSymbolicLink()) out[rel] = `link ${readlinkSync(p)}`;
      else if (st.isDirectory()) {
        out[rel] = `dir ${(st.mode & 0o777).toString(8)}`;
        walk(p);
      } else
        out[rel] = `${(st.mode & 0o777).toString(8)} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
    }
  };
  walk(root);
  return out;
}

/** Every secret value written under root (secret files). */
export function secretValues(root: string, secretsDir = 'etc/nextcloud-spreed-signaling/secrets'): string[] {
  const dir = path.join(root, secretsDir);
  try {
    return readdirSync(dir).map((f) => readFileSync(path.join(dir, f), 'utf8').trim());
  } catch {
    return [];
  }
}

/** treeState with secret values replaced, to compare two installs "secrets aside" (backups left out). */
export function treeWithoutSecrets(root: string): Record<string, string> {
  const secrets = secretValues(root);
  const out: Record<string, string> = {};
  for (const [rel, state] of Object.entries(treeState(root))) {
    if (rel.startsWith('var/')) continue;
    if (state.startsWith('dir') || state.startsWith('link')) out[rel] = state;
    else {
      let text = readFileSync(path.join(root, rel), 'utf8');
      for (const s of secrets) text = text.split(s).join('<secret>');
      out[rel] = `${state.split(' ')[0]} ${text}`;
    }
  }
  return out;
}
