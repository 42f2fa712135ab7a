// Plan building is pure over the host door: these tests give it a host held in memory and no
// file system at all. The layout points at files that do exist on this machine (/etc/passwd,
// /etc/hostname…), so any read of the real disk would show up as a different plan.
import { describe, expect, it } from 'vitest';
import { DEBIAN_APACHE, DEBIAN_CADDY, DEBIAN_HAPROXY, TRAEFIK } from '../../src/detect/layout.js';
import { buildPlan, type PlanContext } from '../../src/plan/buildPlan.js';
import { hasChanges, renderDiff } from '../../src/plan/plan.js';
import { DeploymentSchema } from '../../src/model/deployment.js';
import type { Layout } from '../../src/model/layout.js';
import { traitsFor } from '../../src/model/versions.js';
import { memoryHost, UnreadableFile, type FileFact, type HostFacts } from '../../src/io/host.js';

const layout: Layout = {
  kind: 'custom',
  configPath: '/etc/passwd',
  secretsDir: '/etc/ssl',
  serviceUser: '_signaling',
  serviceGroup: '_signaling',
  unit: 'nextcloud-spreed-signaling',
  apache: DEBIAN_APACHE,
  caddy: DEBIAN_CADDY,
  haproxy: DEBIAN_HAPROXY,
  traefik: TRAEFIK,
  nginx: {
    kind: 'debian',
    sitePath: '/etc/hostname',
    enabledLink: '/etc/hosts',
    upstreamPath: '/etc/group',
    snippetPath: '/etc/nginx/snippets/spreed-signaling.conf',
    mainConfPath: '/etc/nginx/nginx.conf',
    unit: 'nginx',
  },
};

const deployment = DeploymentSchema.parse({
  hostname: 'hpb.example.org',
  backends: [{ id: 'cloud', urls: ['https://cloud.example.org'] }],
  nginx: { mode: 'site', certificate: '/certs/fullchain.pem', key: '/certs/privkey.pem' },
});
const CERTS = { '/certs/fullchain.pem': 'CERT', '/certs/privkey.pem': 'KEY' };

function plan(host: HostFacts, extra: Partial<PlanContext> = {}) {
  return buildPlan(deployment, {
    host,
    layout,
    traits: traitsFor('2.0.2'),
    existing: { secretFiles: new Map() },
    rotate: new Set(),
    toolVersion: '0.0.0-test',
    ...extra,
  });
}

/** The host after a plan was applied: every desired file with its mode and group. */
function hostAfter(
  built: ReturnType<typeof plan>,
  base: Record<string, string | FileFact>,
  opts: { uid?: number; groups?: Record<string, number> } = {},
): HostFacts {
  const files: Record<string, string | FileFact> = { ...base };
  for (const c of built.plan.changes) {
    files[c.path] =
      c.linkTarget !== undefined
        ? { kind: 'link', target: c.linkTarget }
        : { kind: 'file', content: c.content!, mode: c.ownership.mode, gid: c.ownership.gid ?? 0 };
  }
  return memoryHost({ files, ...opts });
}

describe('buildPlan without a file system', () => {
  it('plans a first install from an empty host, whatever the real disk holds at those paths', () => {
    const built = plan(memoryHost({ files: CERTS, uid: 0, groups: { _signaling: 123 } }));
    expect(built.problems).toEqual([]);
    expect(built.plan.changes.map((c) => [c.path, c.action])).toEqual(
      expect.arrayContaining([
        ['/etc/passwd', 'create'],
        ['/etc/spreed-setup.yaml', 'create'],
        ['/etc/ssl/hashkey', 'create'],
        ['/etc/ssl/backend-cloud', 'create'],
        ['/etc/group', 'create'],
        ['/etc/hostname', 'create'],
        ['/etc/hosts', 'create'],
      ]),
    );
    const secret = built.plan.changes.find((c) => c.path === '/etc/ssl/hashkey')!;
    expect(secret.ownership).toMatchObject({ mode: 0o640, uid: 0, gid: 123, label: 'root:_signaling' });
  });

  it('secrets are 0600 when the service group is missing or we are not root', () => {
    for (const host of [
      memoryHost({ files: CERTS, uid: 0 }),
      memoryHost({ files: CERTS, uid: 1000, groups: { _signaling: 123 } }),
    ]) {
      const conf = plan(host).plan.changes.find((c) => c.role === 'server-config')!;
      expect(conf.ownership.mode).toBe(0o600);
      expect(conf.ownership.gid).toBeUndefined();
    }
  });

  it('a host that already has the planned files gives a plan without changes; a changed mode or group is a change', () => {
    const first = plan(memoryHost({ files: CERTS, uid: 0, groups: { _signaling: 123 } }));
    const installed = hostAfter(first, CERTS, { uid: 0, groups: { _signaling: 123 } });
    const again = plan(installed);
    expect(hasChanges(again.plan)).toBe(false);

    const confPath = '/etc/passwd';
    const conf = first.plan.changes.find((c) => c.path === confPath)!;
    const loose = memoryHost({
      files: {
        ...Object.fromEntries(first.plan.changes.map((c) => [c.path, installed.file(c.path)!])),
        ...CERTS,
        [confPath]: { kind: 'file', content: conf.content!, mode: 0o644, gid: 0 },
      },
      uid: 0,
      groups: { _signaling: 123 },
    });
    const fixed = plan(loose).plan.changes.find((c) => c.path === confPath)!;
    expect(fixed.action).toBe('modify');
    expect(fixed.reasons).toEqual(['mode 0644 -> 0640', 'owner -> root:_signaling']);
  });

  it('reuses a secret file it finds on the host and never shows its value in the diff', () => {
    const value = 'ab'.repeat(32);
    const built = plan(memoryHost({ files: { ...CERTS, '/etc/ssl/internalsecret': `${value}\n` }, uid: 0 }));
    const conf = built.plan.changes.find((c) => c.role === 'server-config')!;
    expect(conf.content).toContain(`internalsecret = ${value}`);
    expect(built.plan.changes.find((c) => c.path === '/etc/ssl/internalsecret')!.action).toBe('modify'); // mode 0644 -> 0600
    const diff = renderDiff(built.plan);
    expect(diff).not.toContain(value);
    expect(diff).toContain('<secret 64 chars, sha256');
  });

  it('an unreadable secret file is a problem, not a new secret', () => {
    const host: HostFacts = {
      ...memoryHost({ files: CERTS }),
      file: (p) => {
        if (p === '/etc/ssl/blockkey') throw new UnreadableFile(p, 'EACCES');
        return CERTS[p as keyof typeof CERTS] ? { kind: 'file', content: 'x', mode: 0o644, gid: 0 } : undefined;
      },
    };
    const built = plan(host);
    expect(built.problems.map((p) => p.message)).toEqual(['cannot read secret file /etc/ssl/blockkey: EACCES']);
    expect(built.plan.changes).toEqual([]);
  });

  it('a missing certificate refuses a live install and is a notice when staged under --root', () => {
    const live = plan(memoryHost({ uid: 0 }));
    expect(live.problems.map((p) => p.message)).toEqual([
      'TLS certificate files not found: /certs/fullchain.pem, /certs/privkey.pem',
    ]);
    const staged = plan(memoryHost({ uid: 0, root: '/stage' }));
    expect(staged.problems).toEqual([]);
    expect(
      staged.notices.some((n) =>
        n.startsWith('TLS certificate files not found: /certs/fullchain.pem, /certs/privkey.pem under /stage'),
      ),
    ).toBe(true);
  });

  it('records what it rendered for in the state file, and the nginx version chooses the http2 spelling', () => {
    const built = plan(memoryHost({ files: CERTS, nginxVersion: '1.26.0' }));
    expect(built.plan.changes.find((c) => c.role === 'state')!.content).toContain('renderedFor: 2.0.2');
    const site = built.plan.changes.find((c) => c.path === '/etc/hostname')!.content!;
    expect(site).toMatch(/^\s*http2 on;/m);
    const old = plan(memoryHost({ files: CERTS, nginxVersion: '1.22.1' })).plan.changes.find(
      (c) => c.path === '/etc/hostname',
    )!.content!;
    expect(old).not.toMatch(/^\s*http2 on;/m);
  });

  it('refuses to write through a link on the way, found through the host door alone', () => {
    const built = plan(memoryHost({ files: { ...CERTS, '/etc/ssl': { kind: 'link', target: '/elsewhere' } }, uid: 0 }));
    expect(built.problems.map((p) => p.message)).toEqual([
      '/etc/ssl is a symbolic link (to /elsewhere): spreed-setup writes no directory through a link',
    ]);
    expect(built.plan.changes).toEqual([]);
  });
});
