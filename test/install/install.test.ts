// The install step without apt running: reading apt sources, the decisions, the rendered files
// (the container unit through systemd-analyze verify), and the CLI's review and refusals.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { distributionMirror, parseAptPolicy, parseDeb822Sources, parseOneLineSources } from '../../src/detect/apt.js';
import { memoryHost, userIds } from '../../src/io/host.js';
import { serverReleaseTalkNeeds } from '../../src/model/talk.js';
import { UPDATE_FIX } from '../../src/check/talk.js';
import { aptMirrorProblem } from '../../src/model/urls.js';
import { parseVersion, TRAIT_SINCE, CONTAINER_IMAGE, RELEASES } from '../../src/model/versions.js';
import { type InstallFacts, needsInstall, offerMethods, planInstall, defaultMethod } from '../../src/plan/install.js';
import { renderAptPin, renderAptSource, renderContainerUnit } from '../../src/render/install.js';
import { tempDir } from '../harness/tmp.js';
import { runCli, scratch } from '../cli/run.js';

const MIRROR = 'http://mirror.invalid/debian';

const facts = (over: Partial<InstallFacts> = {}): InstallFacts => ({
  installed: { version: '0.4.1', source: 'Debian package 0.4.1-4+b4' },
  needed: '2.0.0',
  policy: { installed: '0.4.1-4+b4', candidate: '0.4.1-4+b4' },
  distro: { id: 'debian', codename: 'bookworm' },
  keyringPath: '/usr/share/keyrings/debian-archive-keyring.gpg',
  mirror: { uri: MIRROR, from: '/etc/apt/sources.list.d/debian.sources' },
  keyring: true,
  engine: '/usr/bin/podman',
  serviceIds: { uid: 101, gid: 102 },
  serviceUser: '_signaling',
  configDir: '/etc/nextcloud-spreed-signaling',
  unit: 'nextcloud-spreed-signaling',
  ...over,
});

describe('apt sources', () => {
  it('reads deb822 and one-line sources, skips disabled stanzas, picks the codename suite, never -security', () => {
    const deb822 = parseDeb822Sources(
      [
        'Types: deb',
        '# a comment',
        'URIs: http://security.invalid/debian-security',
        'Suites: bookworm-security',
        'Components: main',
        '',
        'Types: deb deb-src',
        'URIs: http://one.invalid/debian',
        'Suites: bookworm bookworm-updates',
        'Components: main',
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
        '',
        'Enabled: no',
        'Types: deb',
        'URIs: http://off.invalid/debian',
        'Suites: bookworm',
      ].join('\n'),
      'debian.sources',
    );
    expect(deb822.map((s) => s.uris[0])).toEqual([
      'http://security.invalid/debian-security',
      'http://one.invalid/debian',
    ]);
    expect(deb822[1]!.signedBy).toBe('/usr/share/keyrings/debian-archive-keyring.gpg');
    expect(distributionMirror(deb822, 'bookworm')).toEqual({
      uri: 'http://one.invalid/debian',
      file: 'debian.sources',
      signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg', // the key install then checks it with
    });
    const oneLine = parseOneLineSources(
      'deb http://sec.invalid/debian-security bookworm-security main\n# deb http://old.invalid/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://two.invalid/debian bookworm main contrib\n',
      'sources.list',
    );
    expect(oneLine).toHaveLength(2);
    expect(oneLine[1]).toMatchObject({ uris: ['http://two.invalid/debian'], suites: ['bookworm'], signedBy: '/k.gpg' });
    expect(distributionMirror(oneLine, 'bookworm')?.uri).toBe('http://two.invalid/debian');
    expect(distributionMirror(oneLine, 'bookworm')?.signedBy).toBe('/k.gpg');
    // Only a security archive, or another release's: no mirror.
    expect(distributionMirror([oneLine[0]!], 'bookworm')).toBeUndefined();
    expect(distributionMirror(oneLine, 'trixie')).toBeUndefined();
  });

  it('reads apt-cache policy', () => {
    expect(
      parseAptPolicy(
        'nextcloud-spreed-signaling:\n  Installed: 0.4.1-4+b4\n  Candidate: 2.0.2-2+b2\n  Version table:\n',
      ),
    ).toEqual({ installed: '0.4.1-4+b4', candidate: '2.0.2-2+b2' });
    expect(parseAptPolicy('x:\n  Installed: (none)\n  Candidate: 1.2.4-3\n')).toEqual({ candidate: '1.2.4-3' });
  });

  it('takes only URIs apt reads in a URIs: field', () => {
    expect(aptMirrorProblem('http://mirror.invalid/debian')).toBeUndefined();
    expect(aptMirrorProblem('file:/srv/mirror')).toBeUndefined();
    expect(aptMirrorProblem('http://a b')).toMatch(/spaces/);
    expect(aptMirrorProblem('http://x/\nURIs: http://evil')).toMatch(/line breaks/);
    expect(aptMirrorProblem('ftp.invalid/debian')).toMatch(/absolute URL/);
    expect(aptMirrorProblem('gopher://x/')).toMatch(/gopher/);
    expect(aptMirrorProblem('https://u:p@x/')).toMatch(/auth\.conf/);
  });
});

describe('what Talk needs, and the ways to get it', () => {
  it('the release current Talk needs comes from its demands (one fact: the 2.0 line of the traits)', () => {
    expect(serverReleaseTalkNeeds()).toBe(TRAIT_SINCE.talkCompatible);
    expect(serverReleaseTalkNeeds(parseVersion('19.0.0'))).toBe('1.1.0');
    // The check's fix for UPDATE_REQUIRED points at this command.
    expect(UPDATE_FIX).toMatch(/^install nextcloud-spreed-signaling 2\.0 or newer: spreed-setup install /);
  });

  it('0.4.1 with a 0.4.1 candidate: the package is refused, the pinned way is the default', () => {
    const f = facts();
    expect(needsInstall(f)).toBe(true);
    expect(needsInstall(facts({ installed: { version: '2.0.2', source: 'x' } }))).toBe(false);
    const { installed: _, ...none } = f;
    expect(needsInstall(none)).toBe(true);
    const offers = offerMethods(f);
    expect(offers[0]!.unavailable).toMatch(/0\.4\.1.*needs 2\.0\.0/);
    expect(defaultMethod(f)).toBe('debian-pinned');
    expect(defaultMethod(facts({ policy: { candidate: '2.0.2-2' } }))).toBe('package');
    expect(() => planInstall('package', f, memoryHost({}))).toThrow(/--method package/);
  });

  it('refuses the pinned way without a mirror, naming --apt-mirror; the container way without an engine', () => {
    const { mirror: _m, ...noMirror } = facts();
    let err: unknown;
    try {
      planInstall('debian-pinned', noMirror, memoryHost({}));
    } catch (e) {
      err = e;
    }
    expect((err as { problems: { message: string; fix: string }[] }).problems).toEqual([
      {
        message: expect.stringMatching(/no Debian archive URI found/),
        fix: 'give your Debian mirror with --apt-mirror URI',
      },
    ]);
    const { engine: _e, ...noEngine } = facts();
    expect(() => planInstall('container', noEngine, memoryHost({}))).toThrow(/neither docker nor podman/);
    const { serviceIds: _s, ...noUser } = facts();
    expect(offerMethods(noUser)[2]!.fix).toMatch(/adduser --system --group .* _signaling/);
  });

  it('the pinned way: a deb822 source and a pin limited to the server, then apt on that source alone', () => {
    const ip = planInstall('debian-pinned', facts(), memoryHost({}));
    const [source, pin] = ip.plan.changes;
    expect(source!.path).toBe('/etc/apt/sources.list.d/spreed-setup-sid.sources');
    expect(source!.content).toContain(
      `URIs: ${MIRROR}\nSuites: sid\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
    );
    expect(pin!.path).toBe('/etc/apt/preferences.d/spreed-setup-signaling');
    const stanzas = pin!
      .content!.replace(/^#.*\n/gm, '')
      .trim()
      .split('\n\n');
    expect(stanzas).toEqual([
      'Package: nextcloud-spreed-signaling nextcloud-spreed-signaling-common nextcloud-spreed-signaling-proxy nextcloud-spreed-signaling-client\nPin: release n=sid\nPin-Priority: 990',
      'Package: *\nPin: release n=sid\nPin-Priority: -1',
    ]);
    expect(ip.steps.map((s) => s.argv.join(' '))).toEqual([
      'apt-get -o Dir::Etc::SourceList=/etc/apt/sources.list.d/spreed-setup-sid.sources -o Dir::Etc::SourceParts=/dev/null -o APT::Get::List-Cleanup=0 update',
      'apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold nextcloud-spreed-signaling/sid',
    ]);
  });

  it('writes nothing through a symbolic link on the way', () => {
    const host = memoryHost({ files: { '/etc/apt/preferences.d': { kind: 'link', target: '/tmp/elsewhere' } } });
    expect(() => planInstall('debian-pinned', facts(), host)).toThrow(/symbolic link/);
  });

  it('renderers refuse values that would break their files', () => {
    expect(() => renderAptSource({ uri: 'http://x/\nSuites: sid', suite: 'sid', keyring: '/k' })).toThrow();
    expect(() => renderAptSource({ uri: MIRROR, suite: 'sid main', keyring: '/k' })).toThrow();
    expect(() => renderAptPin({ suite: 'sid', packages: ['*'] })).toThrow();
    const unit = { engine: '/usr/bin/docker', configDir: '/etc/x', uid: 101, gid: 102, name: 'sig' };
    expect(() => renderContainerUnit({ ...unit, configDir: '/etc/x y' })).toThrow();
    expect(() => renderContainerUnit({ ...unit, uid: 0 })).toThrow();
    expect(() => renderContainerUnit({ ...unit, tag: 'latest' })).toThrow();
  });
});

describe('the container way', () => {
  it('renders a unit systemd-analyze verify accepts: our image tag, host networking, the config read-only', async () => {
    expect(RELEASES).toContain(CONTAINER_IMAGE.tag);
    const engine =
      ['/usr/bin/podman', '/usr/bin/docker', '/usr/local/bin/docker'].find((p) => existsSync(p)) ?? '/bin/true';
    const ip = planInstall('container', facts({ engine }), memoryHost({}));
    const unit = ip.plan.changes[0]!;
    expect(unit.path).toBe('/etc/systemd/system/nextcloud-spreed-signaling.service');
    const exec = /^ExecStart=(.*)$/m.exec(unit.content!)![1]!;
    expect(exec).toBe(
      `${engine} run --rm --name nextcloud-spreed-signaling --network host --user 101:102 --read-only --volume /etc/nextcloud-spreed-signaling:/config:ro strukturag/nextcloud-spreed-signaling:${CONTAINER_IMAGE.tag}`,
    );
    expect(ip.steps[0]!.argv).toEqual([engine, 'pull', `strukturag/nextcloud-spreed-signaling:${CONTAINER_IMAGE.tag}`]);
    const dir = tempDir();
    const file = path.join(dir, 'nextcloud-spreed-signaling.service');
    writeFileSync(file, unit.content!);
    const v = await execa('systemd-analyze', ['verify', file], { reject: false, timeout: 30_000 });
    expect(v.exitCode, String(v.stderr)).toBe(0);
    // The verifier is not a rubber stamp: a broken ExecStart fails it.
    writeFileSync(file, unit.content!.replace(`ExecStart=${engine}`, 'ExecStart=/nonexistent/engine'));
    const bad = await execa('systemd-analyze', ['verify', file], { reject: false, timeout: 30_000 });
    expect(bad.exitCode).not.toBe(0);
  });

  it('reads the service user from passwd', () => {
    expect(
      userIds('_signaling', 'root:x:0:0::/root:/bin/sh\n_signaling:x:101:102::/var/lib/x:/usr/sbin/nologin\n'),
    ).toEqual({
      uid: 101,
      gid: 102,
    });
    expect(userIds('nobody-here', 'root:x:0:0::/root:/bin/sh\n')).toBeUndefined();
  });
});

describe('spreed-setup install (CLI)', () => {
  it('--dry-run shows the source and pin files and the apt commands, and changes nothing', async () => {
    const root = scratch();
    const r = await runCli([
      'install',
      '--root',
      root,
      '--method',
      'debian-pinned',
      '--apt-mirror',
      'file:/srv/mirror',
      '--dry-run',
    ]);
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toContain('+++ /etc/apt/sources.list.d/spreed-setup-sid.sources');
    expect(r.stdout).toContain('+URIs: file:/srv/mirror');
    expect(r.stdout).toContain('+Pin-Priority: -1');
    expect(r.stdout).toMatch(/apt-get -o Dir::Etc::SourceList=\S+spreed-setup-sid\.sources .* update/);
    expect(r.stdout).toContain('Dry run: nothing was changed.');
    expect(existsSync(path.join(root, 'etc'))).toBe(false);
  });

  it('stages the files under --root, and --remove-pin takes them away again', async () => {
    const root = scratch();
    const r = await runCli([
      'install',
      '--root',
      root,
      '--method',
      'debian-pinned',
      '--apt-mirror',
      'file:/srv/mirror',
      '--yes',
    ]);
    expect(r.code, r.all).toBe(0);
    expect(r.stderr).toMatch(/under --root the files are staged only/);
    const pin = path.join(root, 'etc/apt/preferences.d/spreed-setup-signaling');
    expect(readFileSync(pin, 'utf8')).toContain('Pin: release n=sid');
    const rm = await runCli(['install', '--root', root, '--remove-pin', '--yes']);
    expect(rm.code, rm.all).toBe(0);
    expect(rm.stdout).toContain('-Pin-Priority: 990');
    expect(existsSync(pin)).toBe(false);
    expect(existsSync(path.join(root, 'etc/apt/sources.list.d/spreed-setup-sid.sources'))).toBe(false);
    const again = await runCli(['install', '--root', root, '--remove-pin', '--yes']);
    expect(again.stdout).toContain('No spreed-setup apt source or pin to remove.');
  });

  it('refusals: one error line with a fix, exit 2, nothing written', async () => {
    const root = scratch();
    const cases: [string[], RegExp][] = [
      [['--method', 'snap'], /error: unknown --method "snap" — fix: use one of: package, debian-pinned, container/],
      // A staged tree without apt sources: no mirror to reuse.
      [
        ['--method', 'debian-pinned', '--yes'],
        /error: --method debian-pinned: no Debian archive URI found .* — fix: give your Debian mirror with --apt-mirror URI/,
      ],
      [
        ['--method', 'debian-pinned', '--apt-mirror', 'mirror.invalid/debian'],
        /error: --apt-mirror "mirror\.invalid\/debian": not an absolute URL.* — fix: /,
      ],
      [
        ['--method', 'debian-pinned', '--apt-mirror', 'file:/srv/m'],
        /error: no terminal to confirm on — fix: add --yes/,
      ],
      [['--method', 'package'], /error: --method package: .* — fix: /],
    ];
    for (const [args, want] of cases) {
      const r = await runCli(['install', '--root', root, ...args]);
      expect(r.code, r.all).toBe(2);
      expect(
        r.stderr.split('\n').filter((l) => l.startsWith('error: ')),
        r.all,
      ).toHaveLength(1);
      expect(r.stderr).toMatch(want);
    }
    const missing = await runCli(['install', '--root', path.join(root, 'nope'), '--dry-run']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--root .*nope: no such directory/);
    expect(existsSync(path.join(root, 'etc'))).toBe(false);
  });

  it('a staged tree with its own apt sources: their mirror is reused', async () => {
    const root = scratch();
    mkdirSync(path.join(root, 'etc/apt/sources.list.d'), { recursive: true });
    writeFileSync(path.join(root, 'etc/os-release'), 'ID=debian\nVERSION_CODENAME=bookworm\n');
    writeFileSync(
      path.join(root, 'etc/apt/sources.list.d/debian.sources'),
      'Types: deb\nURIs: http://staged.invalid/debian\nSuites: bookworm bookworm-updates\nComponents: main\n',
    );
    const r = await runCli(['install', '--root', root, '--method', 'debian-pinned', '--dry-run']);
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toContain('+URIs: http://staged.invalid/debian');
    expect(r.stdout).toContain('comes from /etc/apt/sources.list.d/debian.sources');
  });

  it('the container way under --root: the unit is staged, the pull is left for the machine', async () => {
    const root = scratch();
    const r = await runCli(['install', '--root', root, '--method', 'container', '--yes']);
    if (!existsSync('/usr/bin/podman') && !existsSync('/usr/bin/docker') && !existsSync('/usr/local/bin/docker')) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/neither docker nor podman/);
      return;
    }
    expect(r.code, r.all).toBe(0);
    const unit = readFileSync(path.join(root, 'etc/systemd/system/nextcloud-spreed-signaling.service'), 'utf8');
    expect(unit).toMatch(
      /--network host .*--volume \/etc\/nextcloud-spreed-signaling:\/config:ro strukturag\/nextcloud-spreed-signaling:\d+\.\d+\.\d+$/m,
    );
    expect(r.stderr).toMatch(/run these on the machine itself: \S+ pull strukturag/);
  });

  it('is listed in the main help, with its own --help', async () => {
    const main = await runCli(['--help']);
    expect(main.stdout).toMatch(/spreed-setup install \[options\]/);
    const help = await runCli(['install', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--method WAY[\s\S]*--apt-mirror URI[\s\S]*--remove-pin/);
  });
});

describe('apply: removals are part of the transaction', () => {
  it('a removed file is backed up, and put back when the run fails afterwards', async () => {
    const { applyPlan, ApplyError } = await import('../../src/apply/apply.js');
    const { planRemovePin } = await import('../../src/plan/install.js');
    const { systemHost } = await import('../../src/io/host.js');
    const { Target } = await import('../../src/io/target.js');
    const root = tempDir();
    const pin = path.join(root, 'etc/apt/preferences.d/spreed-setup-signaling');
    mkdirSync(path.dirname(pin), { recursive: true });
    writeFileSync(pin, 'Package: x\n');
    const target = new Target(root);
    const ip = planRemovePin(systemHost(target));
    expect(ip.plan.changes.map((c) => [c.action, c.path])).toEqual([
      ['remove', '/etc/apt/preferences.d/spreed-setup-signaling'],
    ]);
    await expect(
      applyPlan(ip.plan, {
        target,
        stamp: '20260101T000000Z',
        validate: async () => {
          expect(existsSync(pin)).toBe(false); // removed by now
          return { ok: false, message: 'later step failed', fix: 'x' };
        },
      }),
    ).rejects.toBeInstanceOf(ApplyError);
    expect(readFileSync(pin, 'utf8')).toBe('Package: x\n');
    const done = await applyPlan(ip.plan, { target, stamp: '20260101T000001Z' });
    expect(existsSync(pin)).toBe(false);
    expect(readFileSync(path.join(done.backupDir!, '/etc/apt/preferences.d/spreed-setup-signaling'), 'utf8')).toBe(
      'Package: x\n',
    );
  });
});
