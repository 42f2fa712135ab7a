// Getting a server Talk accepts: which server is installed, whether current Talk accepts it, the
// ways to get one (the distribution's package, Debian's newer package through a pinned source, or
// upstream's container image under our unit), and for the chosen way the files to write and the
// commands to run. Deciding and planning are pure over InstallFacts and HostFacts.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { UserError, problem, type Problem } from '../errors.js';
import { type HostFacts, systemHost, userIds } from '../io/host.js';
import { Target, which } from '../io/target.js';
import { serverReleaseTalkNeeds } from '../model/talk.js';
import { aptMirrorProblem } from '../model/urls.js';
import { compareVersions, DEBIAN_PACKAGE, parseVersion } from '../model/versions.js';
import {
  APT_PIN_PATH,
  aptSourcePath,
  containerImage,
  renderAptPin,
  renderAptSource,
  renderContainerUnit,
} from '../render/install.js';
import { aptPolicy, type AptPolicy, distributionMirror, readAptSources } from '../detect/apt.js';
import { osRelease } from '../detect/environment.js';
import { detectLayout } from '../detect/layout.js';
import { detectInstalledVersion, type DetectedVersion } from '../detect/version.js';
import { linkProblems } from './buildPlan.js';
import { type DesiredFile, type FileChange, type Ownership, type Plan, planChanges, planRemovals } from './plan.js';

import { METHOD_NAMES, type MethodName } from '../options/install.js';

export const INSTALL_METHODS = METHOD_NAMES;
export type InstallMethod = MethodName;

export interface InstallFacts {
  installed?: DetectedVersion;
  /** The oldest release current Talk accepts. */
  needed: string;
  /** apt-cache policy of the package from the sources already configured. */
  policy?: AptPolicy;
  distro: { id?: string; codename?: string };
  /** The archive URI for the pinned source: --apt-mirror, or the one the machine's sources use. */
  mirror?: { uri: string; from: string };
  /** Whether the keyring apt checks the pinned source with is on the machine. */
  keyring: boolean;
  /** That keyring: the distribution's archive keyring, or --apt-keyring for a mirror signed by its own key. */
  keyringPath: string;
  /** docker or podman, absolute path. */
  engine?: string;
  /** The service user's ids, when the user exists. */
  serviceIds?: { uid: number; gid: number };
  serviceUser: string;
  configDir: string;
  unit: string;
}

/** A command the install runs after its files are written. */
export interface InstallStep {
  title: string;
  argv: string[];
  env?: Record<string, string>;
}

export interface InstallPlan {
  method: InstallMethod | 'remove-pin';
  plan: Plan;
  steps: InstallStep[];
  notes: string[];
}

const atLeast = (v: string | undefined, needed: string) => {
  const p = parseVersion(v);
  return p !== undefined && compareVersions(p, parseVersion(needed)!) >= 0;
};

/** Missing, or older than what current Talk needs. */
export function needsInstall(f: InstallFacts): boolean {
  return !atLeast(f.installed?.version, f.needed);
}

export interface MethodOffer {
  method: InstallMethod;
  label: string;
  /** Why it cannot be used here, when it cannot. */
  unavailable?: string;
  fix?: string;
}

/** Each way, in the order offered, and whether it can be used on this machine. */
export function offerMethods(f: InstallFacts): MethodOffer[] {
  const cand = f.policy?.candidate;
  const pkg: MethodOffer = {
    method: 'package',
    label: `the distribution's package${cand ? ` (${cand})` : ''}`,
    ...(!cand
      ? {
          unavailable: `no ${DEBIAN_PACKAGE.name} package in this machine's apt sources`,
          fix: 'choose --method debian-pinned or --method container',
        }
      : !atLeast(cand, f.needed)
        ? {
            unavailable: `the distribution's package is ${cand}; current Talk needs ${f.needed} or newer`,
            fix: "choose --method debian-pinned (Debian's newer package, pinned) or --method container",
          }
        : {}),
  };
  const pinned: MethodOffer = {
    method: 'debian-pinned',
    label: `Debian's newer package from ${DEBIAN_PACKAGE.newerSuite}, pinned to the signaling server alone`,
    ...(!f.mirror
      ? {
          unavailable: 'no Debian archive URI found in /etc/apt/sources.list or /etc/apt/sources.list.d',
          fix: 'give your Debian mirror with --apt-mirror URI',
        }
      : !f.keyring
        ? {
            unavailable: `the keyring ${f.keyringPath} is not installed`,
            fix: 'apt-get install debian-archive-keyring, then run again',
          }
        : {}),
  };
  const container: MethodOffer = {
    method: 'container',
    label: `upstream's container image ${containerImage()} under a systemd unit`,
    ...(!f.engine
      ? { unavailable: 'neither docker nor podman is installed', fix: 'install podman or Docker, then run again' }
      : !f.serviceIds
        ? {
            unavailable: `the service user ${f.serviceUser} does not exist`,
            fix: `create it: adduser --system --group --home /var/lib/${DEBIAN_PACKAGE.name} ${f.serviceUser}`,
          }
        : {}),
  };
  return [pkg, pinned, container];
}

/** The method to use without asking: the first available one. */
export function defaultMethod(f: InstallFacts): InstallMethod | undefined {
  return offerMethods(f).find((o) => !o.unavailable)?.method;
}

const PUBLIC: Ownership = { mode: 0o644, uid: 0, gid: 0, label: 'root:root' };
const NONINTERACTIVE = { DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' };
/** Keep the admin's server.conf (a conffile) as it is: setup writes it, not the package. */
const KEEP_CONFFILES = ['-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'];

function unavailable(o: MethodOffer): UserError {
  return new UserError([problem(`--method ${o.method}: ${o.unavailable}`, o.fix)]);
}

function fileChanges(host: HostFacts, desired: DesiredFile[]): Plan {
  const links: Problem[] = linkProblems(host, desired);
  if (links.length) throw new UserError(links);
  return planChanges(host, desired, []);
}

/** The files and commands of one way (pure). Throws a UserError when the way is not open here. */
export function planInstall(method: InstallMethod, f: InstallFacts, host: HostFacts): InstallPlan {
  const offer = offerMethods(f).find((o) => o.method === method)!;
  if (offer.unavailable) throw unavailable(offer);
  if (method === 'package') {
    return {
      method,
      plan: { changes: [], secretValues: [] },
      steps: [
        {
          title: `installing ${DEBIAN_PACKAGE.name} ${f.policy?.candidate}`,
          argv: ['apt-get', 'install', '-y', '--no-install-recommends', ...KEEP_CONFFILES, DEBIAN_PACKAGE.name],
          env: NONINTERACTIVE,
        },
      ],
      notes: [],
    };
  }
  if (method === 'debian-pinned') {
    const suite = DEBIAN_PACKAGE.newerSuite;
    const source = aptSourcePath(suite);
    const desired: DesiredFile[] = [
      {
        path: source,
        role: 'apt',
        content: renderAptSource({ uri: f.mirror!.uri, suite, keyring: f.keyringPath }),
        ownership: PUBLIC,
      },
      { path: APT_PIN_PATH, role: 'apt', content: renderAptPin({ suite }), ownership: PUBLIC },
    ];
    return {
      method,
      plan: fileChanges(host, desired),
      steps: [
        {
          title: `reading the package lists of ${suite} (this source only)`,
          argv: [
            'apt-get',
            '-o',
            `Dir::Etc::SourceList=${source}`,
            '-o',
            'Dir::Etc::SourceParts=/dev/null',
            '-o',
            'APT::Get::List-Cleanup=0',
            'update',
          ],
          env: NONINTERACTIVE,
        },
        {
          title: `installing ${DEBIAN_PACKAGE.name} from ${suite}`,
          argv: [
            'apt-get',
            'install',
            '-y',
            '--no-install-recommends',
            ...KEEP_CONFFILES,
            `${DEBIAN_PACKAGE.name}/${suite}`,
          ],
          env: NONINTERACTIVE,
        },
      ],
      notes: [
        `the source ${source} comes from ${f.mirror!.from}; apt checks its signatures with ${f.keyringPath}`,
        `the pin lets only ${DEBIAN_PACKAGE.binaries.join(', ')} come from ${suite}; nothing else is installed or upgraded from it`,
        'undo: spreed-setup install --remove-pin (the installed package stays)',
      ],
    };
  }
  const unitPath = `/etc/systemd/system/${f.unit}.service`;
  const content = renderContainerUnit({
    engine: f.engine!,
    configDir: f.configDir,
    uid: f.serviceIds!.uid,
    gid: f.serviceIds!.gid,
    name: f.unit,
  });
  return {
    method,
    plan: fileChanges(host, [{ path: unitPath, role: 'systemd', content, ownership: PUBLIC }]),
    steps: [{ title: `pulling ${containerImage()}`, argv: [f.engine!, 'pull', containerImage()] }],
    notes: [
      `${unitPath} runs the image with host networking and ${f.configDir} mounted read-only${f.installed ? `; it takes the place of the package's unit of the same name` : ''}`,
      `the container runs as ${f.serviceUser} (${f.serviceIds!.uid}:${f.serviceIds!.gid}), which may read server.conf`,
    ],
  };
}

/** Removes our apt source and pin (the installed package stays; later upgrades come from the default suites). */
export function planRemovePin(host: HostFacts): InstallPlan {
  const changes: FileChange[] = planRemovals(host, [aptSourcePath(DEBIAN_PACKAGE.newerSuite), APT_PIN_PATH], 'apt');
  return {
    method: 'remove-pin',
    plan: { changes, secretValues: [] },
    steps: [],
    notes: changes.length
      ? [`${DEBIAN_PACKAGE.name} stays installed; it is no longer upgraded from ${DEBIAN_PACKAGE.newerSuite}`]
      : [],
  };
}

export interface InstallWhere {
  root?: string;
  config?: string;
  aptMirror?: string;
  aptKeyring?: string;
}

/** Reads the machine (or the staged tree under --root) for planInstall. */
export async function gatherInstallFacts(
  where: InstallWhere,
): Promise<{ facts: InstallFacts; target: Target; host: HostFacts }> {
  if (where.aptKeyring !== undefined && !/^\/[^\s\0]*$/.test(where.aptKeyring))
    throw new UserError([
      problem(
        `--apt-keyring ${JSON.stringify(where.aptKeyring)}: not an absolute path without spaces`,
        'give the keyring file the mirror is signed with, e.g. /etc/apt/keyrings/mirror.gpg',
      ),
    ]);
  if (where.aptMirror !== undefined) {
    const why = aptMirrorProblem(where.aptMirror);
    if (why)
      throw new UserError([
        problem(
          `--apt-mirror ${JSON.stringify(where.aptMirror)}: ${why}`,
          'give the URI of a Debian mirror, e.g. the one in /etc/apt/sources.list.d/debian.sources',
        ),
      ]);
  }
  if (where.root !== undefined && !existsSync(where.root))
    throw new UserError([
      problem(`--root ${where.root} does not exist`, 'create the directory first, or leave --root out'),
    ]);
  const target = new Target(where.root);
  const layout = detectLayout(target, where.config);
  const os = await osRelease(target);
  const found = distributionMirror(readAptSources(target), os.VERSION_CODENAME);
  const mirror = where.aptMirror
    ? { uri: where.aptMirror, from: '--apt-mirror' }
    : found && os.ID === 'debian'
      ? { uri: found.uri, from: found.file }
      : undefined;
  // The key that signs the mirror: --apt-keyring, else the one the machine's own source names
  // (a mirror of its own reused, with its key), else the distribution's archive keyring.
  const keyringPath =
    where.aptKeyring ??
    (!where.aptMirror && found && os.ID === 'debian' ? found.signedBy : undefined) ??
    DEBIAN_PACKAGE.keyring;
  const installed = await detectInstalledVersion(target, layout, '');
  // Under --root the staged tree is not what apt manages: its package facts stay unknown.
  const policy = target.root ? undefined : await aptPolicy(DEBIAN_PACKAGE.name);
  const engine = which('podman') ?? which('docker');
  const ids = userIds(layout.serviceUser);
  const facts: InstallFacts = {
    ...(installed ? { installed } : {}),
    needed: serverReleaseTalkNeeds(),
    ...(policy ? { policy } : {}),
    distro: { ...(os.ID ? { id: os.ID } : {}), ...(os.VERSION_CODENAME ? { codename: os.VERSION_CODENAME } : {}) },
    ...(mirror ? { mirror } : {}),
    keyring: existsSync(keyringPath), // apt runs on the machine itself, also for a staged tree
    keyringPath,
    ...(engine ? { engine } : {}),
    ...(ids ? { serviceIds: ids } : {}),
    serviceUser: layout.serviceUser,
    configDir: path.dirname(layout.configPath),
    unit: layout.unit,
  };
  return { facts, target, host: systemHost(target) };
}
