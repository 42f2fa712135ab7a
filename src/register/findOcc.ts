// Finds how to run occ on this machine: snap, NixOS, a bare-metal install (run as the owner of
// config/config.php), Nextcloud AIO, or a container of the official image. Or takes what the user
// gave (--occ, --occ-ssh). The file system and processes come through DetectEnv, so tests can
// build every case without those tools.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { execaExec, splitCommand, shellQuote, type Exec, type OccCommand } from './occ.js';

export interface DetectEnv {
  exists(p: string): boolean;
  ownerUid(p: string): number | undefined;
  /** user name for a uid, from /etc/passwd */
  userName(uid: number): string | undefined;
  currentUid(): number;
  which(name: string): string | undefined;
  exec: Exec;
}

/** Where distributions and guides put Nextcloud. */
export const BARE_METAL_DIRS = [
  '/var/www/nextcloud',
  '/var/www/html',
  '/var/www/html/nextcloud',
  '/srv/nextcloud',
  '/srv/www/htdocs/nextcloud',
  '/srv/http/nextcloud',
  '/usr/share/nginx/nextcloud',
  '/usr/share/webapps/nextcloud',
];

export const AIO_CONTAINER = 'nextcloud-aio-nextcloud';
/** Where Nextcloud usually is on another host, and the occ command for a directory there. */
export const DEFAULT_REMOTE_DIR = '/var/www/nextcloud';
export const remoteOccFor = (dir: string): string => `sudo -u www-data php ${dir.replace(/\/+$/, '')}/occ`;
export const DEFAULT_REMOTE_OCC = remoteOccFor(DEFAULT_REMOTE_DIR);

/** Why a Nextcloud directory typed for another host is not usable, or undefined. */
export function remoteDirProblem(dir: string): string | undefined {
  if (!/^\/[A-Za-z0-9._/-]*$/.test(dir.trim()))
    return `type Nextcloud's directory there as an absolute path, e.g. ${DEFAULT_REMOTE_DIR} (letters, digits, . _ - /)`;
  return undefined;
}

export function systemDetectEnv(): DetectEnv {
  return {
    exists: (p) => existsSync(p),
    ownerUid: (p) => {
      try {
        return statSync(p).uid;
      } catch {
        return undefined;
      }
    },
    userName: (uid) => userNameFromPasswd(safeRead('/etc/passwd'), uid),
    currentUid: () => process.getuid?.() ?? -1,
    which: (name) =>
      whichOnPath(name, process.env.PATH ?? '', [
        '/snap/bin',
        '/run/current-system/sw/bin',
        '/usr/local/bin',
        '/usr/bin',
        '/bin',
      ]),
    exec: execaExec,
  };
}

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

export function userNameFromPasswd(passwd: string, uid: number): string | undefined {
  for (const line of passwd.split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id !== undefined && Number(id) === uid && id.trim() !== '') return name;
  }
  return undefined;
}

export function whichOnPath(name: string, pathVar: string, extra: string[] = []): string | undefined {
  for (const dir of [...pathVar.split(':').filter(Boolean), ...extra]) {
    const p = path.join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** --occ "COMMAND" (or a typed command, `source` "typed"): split into argv, no shell. */
export function occFromString(command: string, source = 'given with --occ'): OccCommand {
  const argv = splitCommand(command);
  if (argv.length === 0) throw new Error('empty command');
  return { kind: 'given', argv, source };
}

/** Why an ssh destination is not usable, or undefined: USER@HOST or HOST, no option. */
export function sshTargetProblem(target: string): string | undefined {
  if (target.trim() === '') return 'type the host where Nextcloud runs, e.g. admin@cloud.example.org';
  if (target.startsWith('-') || !/^[A-Za-z0-9._@:[\]-]+$/.test(target))
    return `"${target}" is not USER@HOST or HOST (letters, digits, dots, dashes, one @)`;
  return undefined;
}

/**
 * --occ-ssh USER@HOST: ssh without a TTY, batch mode (never a password prompt), and `--` before
 * the host so nothing after it is read as an ssh option. The remote shell parses the words
 * again: each is quoted.
 */
export function occOverSsh(target: string, remoteCommand: string = DEFAULT_REMOTE_OCC): OccCommand {
  if (sshTargetProblem(target)) throw new Error(`"${target}" is not USER@HOST`);
  const remote = splitCommand(remoteCommand);
  return {
    kind: 'ssh',
    argv: ['ssh', '-T', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '--', target, ...remote.map(shellQuote)],
    remoteShell: true,
    remote,
    source: `over ssh on ${target}`,
  };
}

export function bareMetalOcc(env: DetectEnv, dir: string): OccCommand | undefined {
  const occ = path.join(dir, 'occ');
  const conf = path.join(dir, 'config', 'config.php');
  if (!env.exists(occ) || !env.exists(conf)) return undefined;
  const uid = env.ownerUid(conf);
  if (uid === undefined) return undefined;
  const name = env.userName(uid);
  const who = name ?? `#${uid}`;
  if (env.currentUid() === uid)
    return { kind: 'bare-metal', argv: ['php', occ], source: `${conf} belongs to ${who}, the current user` };
  return { kind: 'bare-metal', argv: ['sudo', '-u', who, 'php', occ], source: `${conf} belongs to ${who}` };
}

export function aioOcc(): OccCommand {
  return {
    kind: 'aio',
    argv: ['docker', 'exec', '--user', 'www-data', AIO_CONTAINER, 'php', 'occ'],
    source: 'Nextcloud AIO container',
  };
}

export function dockerOcc(container: string, image: string): OccCommand {
  return {
    kind: 'docker',
    argv: ['docker', 'exec', '-u', 'www-data', container, 'php', 'occ'],
    source: `container ${container} (image ${image})`,
  };
}

/** The official image: nextcloud, nextcloud:30-apache, docker.io/library/nextcloud:fpm-alpine… (not AIO's own images). */
export function isOfficialImage(image: string): boolean {
  return (
    /^(?:(?:docker\.io\/)?library\/)?nextcloud(?::[\w.-]+)?(?:@sha256:[0-9a-f]+)?$/.test(image) ||
    /^docker\.io\/nextcloud(?::[\w.-]+)?$/.test(image)
  );
}

/** Running containers as (name, image) pairs; empty when docker is absent or refuses. */
export async function runningContainers(env: DetectEnv): Promise<Array<{ name: string; image: string }>> {
  const docker = env.which('docker');
  if (!docker) return [];
  const r = await env.exec(docker, ['ps', '--format', '{{.Names}}\t{{.Image}}'], { timeoutMs: 5000 });
  if (r.exitCode !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [name = '', image = ''] = l.split('\t');
      return { name, image };
    });
}

/** Every way to run occ found here, most specific first. */
export async function detectOcc(env: DetectEnv): Promise<OccCommand[]> {
  const found: OccCommand[] = [];
  if (env.which('nextcloud.occ')) found.push({ kind: 'snap', argv: ['nextcloud.occ'], source: 'snap package' });
  if (env.which('nextcloud-occ')) found.push({ kind: 'nixos', argv: ['nextcloud-occ'], source: 'NixOS module' });
  for (const dir of BARE_METAL_DIRS) {
    const occ = bareMetalOcc(env, dir);
    if (occ) found.push(occ);
  }
  const containers = await runningContainers(env);
  if (containers.some((c) => c.name === AIO_CONTAINER)) found.push(aioOcc());
  for (const c of containers)
    if (c.name !== AIO_CONTAINER && isOfficialImage(c.image)) found.push(dockerOcc(c.name, c.image));
  return found;
}
