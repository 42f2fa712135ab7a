// The file system as the tool sees it: every path goes through a Target, so --root can stage a
// whole install in a scratch directory.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

export class Target {
  constructor(readonly root: string | undefined) {}
  path(p: string): string {
    return this.root ? path.join(this.root, p) : p;
  }
  exists(p: string): boolean {
    return existsSync(this.path(p));
  }
}

/** A program on the usual system paths, or undefined. */
export function which(
  name: string,
  dirs = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/sbin', '/bin'],
): string | undefined {
  for (const d of dirs) {
    const p = path.join(d, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * Why `--root DIR` cannot be used, or undefined: it must be an existing directory. It is never
 * created, so a typo cannot stage an install in a fresh directory nobody looks at.
 */
export function rootProblem(root: string): { message: string; fix: string } | undefined {
  let isDir: boolean;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    return {
      message: `--root ${root}: no such directory (it is never created)`,
      fix: `create it first (mkdir -p ${root}), or check the path`,
    };
  }
  return isDir
    ? undefined
    : { message: `--root ${root}: not a directory`, fix: 'give the directory to stage the install in' };
}
