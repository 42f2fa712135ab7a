// Whether a system user can read a file: its uid, primary and supplementary groups (from the real
// system's /etc/passwd and /etc/group), execute permission on every directory on the way, read
// permission on the file, and the same along the link's target. For coturn's certificate files.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

export type Access = { ok: true } | { ok: false; reason: string };

function userIds(user: string): { uid: number; gids: Set<number> } | undefined {
  let passwd = '';
  let group = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
    group = readFileSync('/etc/group', 'utf8');
  } catch {
    return undefined;
  }
  const line = passwd.split('\n').find((l) => l.split(':')[0] === user);
  if (!line) return undefined;
  const [, , uid, gid] = line.split(':');
  const gids = new Set<number>([Number(gid)]);
  for (const g of group.split('\n')) {
    const [, , id, members] = g.split(':');
    if (id !== undefined && (members ?? '').split(',').includes(user)) gids.add(Number(id));
  }
  return { uid: Number(uid), gids };
}

function allowed(p: string, who: { uid: number; gids: Set<number> }, bit: 4 | 1): boolean {
  const st = statSync(p);
  if (who.uid === 0) return true;
  const mode = st.mode & 0o777;
  if (st.uid === who.uid) return ((mode >> 6) & bit) !== 0;
  if (who.gids.has(st.gid)) return ((mode >> 3) & bit) !== 0;
  return (mode & bit) !== 0;
}

/** Can `user` read `file` (a real path on this machine, --root already applied)? */
export function readableBy(file: string, user: string): Access {
  const who = userIds(user);
  if (!who) return { ok: false, reason: `there is no user ${user} on this machine` };
  let real: string;
  try {
    real = realpathSync(file);
  } catch (err) {
    return {
      ok: false,
      reason: `${file} ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be resolved'}`,
    };
  }
  for (const target of new Set([file, real])) {
    const dirs: string[] = [];
    for (let d = path.dirname(target); ; d = path.dirname(d)) {
      dirs.unshift(d);
      if (d === path.dirname(d)) break;
    }
    for (const d of dirs) {
      try {
        if (!allowed(d, who, 1)) return { ok: false, reason: `${user} cannot enter ${d}` };
      } catch {
        return { ok: false, reason: `${d} cannot be read` };
      }
    }
  }
  try {
    if (!allowed(real, who, 4)) return { ok: false, reason: `${user} cannot read ${real}` };
  } catch {
    return { ok: false, reason: `${real} cannot be read` };
  }
  return { ok: true };
}
