// Facts about the machine that planning needs (the uid, groups, the files already there, nginx's
// version), gathered through one door. The plan reads only this interface, so it is pure: tests
// hand it a host held in memory. Under --root the files are the staged tree's; ownership (uid,
// groups) is always the real system's, because that is who will own what gets written.
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import type { Target } from './target.js';

export type FileFact =
  /** `uid` when the host knows it (the live machine; a memory host may leave it out). */
  | { kind: 'file'; content: string; mode: number; gid: number; uid?: number }
  /** A symbolic link; `resolved` is the file it points at, when there is one. */
  | { kind: 'link'; target: string; resolved?: { content: string; mode: number; gid: number } }
  | { kind: 'other' };

/** A path that exists but cannot be read (EACCES, EISDIR…). */
export class UnreadableFile extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
  ) {
    super(`cannot read ${path}: ${code}`);
  }
}

export interface HostFacts {
  /** Staging root (--root), for messages only: paths given to file() are system paths. */
  root: string | undefined;
  uid: number | undefined;
  groupId(name: string): number | undefined;
  nginxVersion?: string;
  /** What is at a system path; undefined when nothing is. Throws UnreadableFile. */
  file(systemPath: string): FileFact | undefined;
  /** The names in a directory at a system path, sorted; empty when there is none or it cannot be read. */
  list(systemDir: string): string[];
  /**
   * The first directory on the way to a system path that is a symbolic link, with its target
   * (under --root: counted from the root, which itself may be anywhere). Nothing is ever written
   * through a link: it could lead out of the root or out of the directories we manage.
   */
  linkOnPath(systemPath: string): { path: string; target: string } | undefined;
  /** Whether something is at a system path (a program, a config), without reading it. */
  exists(systemPath: string): boolean;
  /**
   * The names (comm) of the processes holding a TCP socket in LISTEN on any of `ports`, sorted:
   * /proc/net/tcp and tcp6, each socket's inode mapped to its process through /proc/PID/fd.
   * Empty under --root (the staged tree runs nothing) and where /proc cannot be read.
   */
  listeningPrograms(ports: readonly number[]): string[];
}

/** The inodes of LISTEN sockets on `ports` in a /proc/net/tcp or tcp6 table. */
export function listenInodes(table: string, ports: readonly number[]): Set<string> {
  const out = new Set<string>();
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // sl local_address rem_address st ... inode (the 10th field); st 0A is LISTEN.
    if (f.length < 10 || f[3] !== '0A') continue;
    const port = Number.parseInt(f[1]!.split(':')[1] ?? '', 16);
    if (ports.includes(port) && f[9] !== '0') out.add(f[9]!);
  }
  return out;
}

function procListeningPrograms(ports: readonly number[]): string[] {
  const inodes = new Set<string>();
  for (const t of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      for (const i of listenInodes(readFileSync(t, 'utf8'), ports)) inodes.add(i);
    } catch {
      /* no such table */
    }
  }
  if (inodes.size === 0) return [];
  const names = new Set<string>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  for (const pid of pids.slice(0, 100_000)) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      let to: string;
      try {
        to = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(to);
      if (m && inodes.has(m[1]!)) {
        try {
          names.add(readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
        } catch {
          /* gone */
        }
        break;
      }
    }
  }
  return [...names].sort();
}

/** The group database as name -> gid (real system, never the staged tree). */
export function readGroups(text: string): Map<string, number> {
  const groups = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [n, , gid] = line.split(':');
    if (n && gid !== undefined && /^\d+$/.test(gid)) groups.set(n, Number(gid));
  }
  return groups;
}

/** Whether a group exists on this machine, and its gid. */
export function groupId(name: string): number | undefined {
  try {
    return readGroups(readFileSync('/etc/group', 'utf8')).get(name);
  } catch {
    return undefined;
  }
}

/** The live machine (or the staged tree under target.root); each path is read at most once. */
export function systemHost(target: Target, opts: { nginxVersion?: string } = {}): HostFacts {
  const seen = new Map<string, FileFact | undefined>();
  let groups: Map<string, number> | undefined;
  const host: Omit<HostFacts, 'linkOnPath'> = {
    root: target.root,
    uid: process.getuid?.(),
    groupId: (name) => {
      if (!groups) {
        try {
          groups = readGroups(readFileSync('/etc/group', 'utf8'));
        } catch {
          groups = new Map();
        }
      }
      return groups.get(name);
    },
    ...(opts.nginxVersion ? { nginxVersion: opts.nginxVersion } : {}),
    exists: (p) => target.exists(p),
    listeningPrograms: (ports) => (target.root ? [] : procListeningPrograms(ports)),
    list: (dir) => {
      try {
        return readdirSync(target.path(dir)).sort();
      } catch {
        return [];
      }
    },
    file: (p) => {
      if (seen.has(p)) return seen.get(p);
      const real = target.path(p);
      let fact: FileFact | undefined;
      try {
        const st = lstatSync(real);
        if (st.isSymbolicLink()) {
          fact = { kind: 'link', target: readlinkSync(real) };
          try {
            const to = statSync(real);
            if (to.isFile())
              fact.resolved = { content: readFileSync(real, 'utf8'), mode: to.mode & 0o777, gid: to.gid };
          } catch {
            /* dangling */
          }
        } else if (st.isFile())
          fact = {
            kind: 'file',
            content: readFileSync(real, 'utf8'),
            mode: st.mode & 0o777,
            gid: st.gid,
            uid: st.uid,
          };
        else fact = { kind: 'other' };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
        if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new UnreadableFile(p, code);
      }
      seen.set(p, fact);
      return fact;
    },
  };
  return { ...host, linkOnPath: (p) => firstLinkOnPath(p, host.file) };
}

/** A host held in memory: files by system path (a string is a 0644 file owned by gid 0). */
export function memoryHost(opts: {
  files?: Record<string, string | FileFact>;
  uid?: number;
  groups?: Record<string, number>;
  nginxVersion?: string;
  root?: string;
  /** Programs that exist (paths), beside the files. */
  programs?: string[];
  /** Process names listening, by port. */
  listening?: Record<number, string[]>;
}): HostFacts {
  const files = new Map(
    Object.entries(opts.files ?? {}).map(([p, f]) => [
      p,
      typeof f === 'string' ? ({ kind: 'file', content: f, mode: 0o644, gid: 0 } as FileFact) : f,
    ]),
  );
  const host: Omit<HostFacts, 'linkOnPath'> = {
    root: opts.root,
    uid: opts.uid,
    groupId: (name) => opts.groups?.[name],
    ...(opts.nginxVersion ? { nginxVersion: opts.nginxVersion } : {}),
    file: (p) => files.get(p),
    exists: (p) => files.has(p) || (opts.programs ?? []).includes(p),
    listeningPrograms: (ports) => [...new Set(ports.flatMap((port) => opts.listening?.[port] ?? []))].sort(),
    list: (dir) => {
      const prefix = `${dir.replace(/\/+$/, '')}/`;
      const names = new Set<string>();
      for (const p of files.keys()) if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split('/')[0]!);
      return [...names].sort();
    },
  };
  return { ...host, linkOnPath: (p) => firstLinkOnPath(p, host.file) };
}

/** The first directory on the way to `p` that is a link, asked of a host's own file view. */
function firstLinkOnPath(p: string, file: HostFacts['file']): { path: string; target: string } | undefined {
  const parts = p.split('/').filter(Boolean);
  for (let i = 1; i < parts.length; i++) {
    const dir = `/${parts.slice(0, i).join('/')}`;
    let f: FileFact | undefined;
    try {
      f = file(dir);
    } catch {
      return undefined; // unreadable: reported where it is read
    }
    if (f?.kind === 'link') return { path: dir, target: f.target };
  }
  return undefined;
}

/** A user's uid and primary gid from /etc/passwd (real system, as groups are). */
export function userIds(name: string, text?: string): { uid: number; gid: number } | undefined {
  let passwd = text;
  if (passwd === undefined) {
    try {
      passwd = readFileSync('/etc/passwd', 'utf8');
    } catch {
      return undefined;
    }
  }
  for (const line of passwd.split('\n')) {
    const [n, , uid, gid] = line.split(':');
    if (n === name && uid && gid && /^\d+$/.test(uid) && /^\d+$/.test(gid))
      return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}
