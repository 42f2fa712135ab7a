// Sizing for --sessions, the minimal edit of nginx's main config, the LimitNOFILE drop-ins and
// how the plan combines them (pure, over a host held in memory).
import { execFileSync, spawnSync } from 'node:child_process';
import { DEBIAN_APACHE, DEBIAN_CADDY, DEBIAN_HAPROXY, TRAEFIK } from '../../src/detect/layout.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { machineLimitsFrom, nginxSessions, serverSessions, sizeFor } from '../../src/model/capacity.js';
import { nginxLimitsOf, parseNginxConf, raiseNginxLimits } from '../../src/render/nginxMain.js';
import { limitNofileIn, renderLimitsDropIn } from '../../src/render/systemd.js';
import { capacityFiles } from '../../src/plan/capacityPlan.js';
import { DeploymentSchema } from '../../src/model/deployment.js';
import type { Layout } from '../../src/model/layout.js';
import { memoryHost, type FileFact } from '../../src/io/host.js';
import { tempDir } from '../harness/tmp.js';

/** The head of Debian 12's /etc/nginx/nginx.conf (nginx 1.22.1), comments and tabs as shipped. */
const DEBIAN_NGINX_CONF = `user www-data;
worker_processes auto;
pid /run/nginx.pid;
error_log /var/log/nginx/error.log;
include /etc/nginx/modules-enabled/*.conf;

events {
\tworker_connections 768;
\t# multi_accept on;
}

http {
\t# worker_connections 1; is not here
\tsendfile on;
\tinclude /etc/nginx/conf.d/*.conf;
\tinclude /etc/nginx/sites-enabled/*;
}
`;

const MACHINE = { cpus: 2, perProcess: 20000, system: 2466116 };
const SIZED = { workerConnections: 13312, workerRlimitNofile: 20000 };

describe('sizing', () => {
  it('sizes 10000 sessions on 2 workers within a 20000 per-process cap, and the ceiling reaches the target', () => {
    const s = sizeFor(10000, 2, MACHINE);
    expect(s).toEqual({ ...SIZED, nginxNofile: 20000, serverNofile: 13312, shortfalls: [] });
    expect(nginxSessions({ workerProcesses: 2, workerConnections: 13312, rlimitNofile: 20000 })).toBeGreaterThanOrEqual(
      10000,
    );
    expect(serverSessions(s.serverNofile)).toBeGreaterThanOrEqual(10000);
  });

  it('says where a machine cap keeps the target out of reach', () => {
    const s = sizeFor(100000, 2, { cpus: 2, perProcess: 20000, system: 50000 });
    expect(s.workerConnections).toBe(20000);
    expect(s.serverNofile).toBe(20000);
    expect(s.shortfalls).toHaveLength(3);
    expect(s.shortfalls[0]).toMatch(/about 20000 sessions, below 100000/);
    expect(s.shortfalls[2]).toMatch(/fs\.file-max/);
  });

  it("reads the machine's caps: fs.nr_open, PID 1's hard limit, fs.file-max, and its own without CAP_SYS_RESOURCE", () => {
    const files: Record<string, string> = {
      '/proc/sys/fs/nr_open': '1048576\n',
      '/proc/sys/fs/file-max': '2466116\n',
      '/proc/1/limits': 'Max open files            32768                32768                files\n',
      '/proc/self/limits': 'Max open files            20000                20000                files\n',
      '/proc/self/status': 'Name:\tnode\nCapBnd:\t000001fffeffffff\n',
    };
    // No CAP_SYS_RESOURCE in the bounding set (bit 24): nothing here exceeds this process's hard limit.
    expect(machineLimitsFrom((f) => files[f], 2)).toEqual(MACHINE);
    const withCap: Record<string, string> = { ...files, '/proc/self/status': 'CapBnd:\t000001ffffffffff\n' };
    expect(machineLimitsFrom((f) => withCap[f], 2)).toEqual({ ...MACHINE, perProcess: 32768 });
    expect(machineLimitsFrom(() => undefined, 0)).toEqual({ cpus: 1, perProcess: 1048576 });
  });
});

describe("nginx's main config", () => {
  it("changes exactly the worker_connections value and adds worker_rlimit_nofile beside worker_processes in Debian's file", () => {
    const out = raiseNginxLimits(DEBIAN_NGINX_CONF, SIZED);
    expect(out).toBe(
      DEBIAN_NGINX_CONF.replace(
        'worker_processes auto;\n',
        'worker_processes auto;\nworker_rlimit_nofile 20000;\n',
      ).replace('\tworker_connections 768;', '\tworker_connections 13312;'),
    );
    expect(raiseNginxLimits(out, SIZED)).toBe(out);
    expect(nginxLimitsOf(out, 2)).toEqual({ workerProcesses: 2, workerConnections: 13312, rlimitNofile: 20000 });
  });

  it('keeps higher values an admin set, and raises lower ones in place', () => {
    const high =
      'worker_processes 4;\nworker_rlimit_nofile 65536; # mine\nevents {\n    worker_connections 30000;\n}\n';
    expect(raiseNginxLimits(high, SIZED)).toBe(high);
    const low = 'worker_rlimit_nofile  1024 ;\nevents { worker_connections 512; use epoll; }\n';
    expect(raiseNginxLimits(low, SIZED)).toBe(
      'worker_rlimit_nofile  20000 ;\nevents { worker_connections 13312; use epoll; }\n',
    );
  });

  it('replaces a malformed value, and refuses to write anything but positive integers', () => {
    expect(raiseNginxLimits('worker_rlimit_nofile many;\nevents { worker_connections 1 2; }\n', SIZED)).toBe(
      'worker_rlimit_nofile 20000;\nevents { worker_connections 13312; }\n',
    );
    expect(() => raiseNginxLimits('', { workerConnections: 1.5, workerRlimitNofile: 2 })).toThrow(/positive integer/);
    expect(() => renderLimitsDropIn(Number.NaN, 10)).toThrow(/positive integer/);
  });

  it('adds an events block, or a directive into an empty one, and ignores comments and quoted text', () => {
    expect(raiseNginxLimits('worker_processes 2;\n', SIZED)).toBe(
      'worker_processes 2;\nworker_rlimit_nofile 20000;\n\nevents {\n\tworker_connections 13312;\n}\n',
    );
    expect(raiseNginxLimits('events {}\nhttp { }\n', SIZED)).toBe(
      'worker_rlimit_nofile 20000;\nevents {\n\tworker_connections 13312;\n}\nhttp { }\n',
    );
    const tricky =
      '# worker_rlimit_nofile 99999;\nerror_log "/var/log/a;b{c}" warn;\nevents {\n  # worker_connections 99999;\n  multi_accept on;\n}\n';
    const out = raiseNginxLimits(tricky, SIZED);
    expect(out).toBe(
      '# worker_rlimit_nofile 99999;\nerror_log "/var/log/a;b{c}" warn;\nworker_rlimit_nofile 20000;\nevents {\n  worker_connections 13312;\n  # worker_connections 99999;\n  multi_accept on;\n}\n',
    );
    expect(parseNginxConf(out).map((d) => `${d.context.join('/')}:${d.name}`)).toEqual([
      ':error_log',
      ':worker_rlimit_nofile',
      ':events',
      'events:worker_connections',
      'events:multi_accept',
    ]);
  });

  it('an edited Debian nginx.conf passes nginx -t', () => {
    const nginx = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
    if (!nginx) return expect.fail('nginx is part of the test bed (scripts/provision.sh)');
    const dir = tempDir('spreed-nginx-main-');
    const conf = raiseNginxLimits(
      DEBIAN_NGINX_CONF.replace('user www-data;', '')
        .replace('/run/nginx.pid', path.join(dir, 'nginx.pid'))
        .replace('/var/log/nginx/error.log', 'stderr')
        .replace('include /etc/nginx/modules-enabled/*.conf;', '')
        .replace(/\tinclude \/etc\/nginx\/(conf\.d|sites-enabled)[^\n]*\n/g, ''),
      SIZED,
    );
    writeFileSync(path.join(dir, 'nginx.conf'), conf);
    const r = spawnSync(nginx, ['-t', '-p', `${dir}/`, '-c', path.join(dir, 'nginx.conf'), '-e', 'stderr'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/\[(warn|emerg|alert)\]/);
  });
});

describe('LimitNOFILE drop-ins', () => {
  it("reads systemd's values: numbers, soft:hard, infinity, a reset; only in [Service]", () => {
    expect(limitNofileIn('[Service]\nLimitNOFILE=4096\n')).toBe(4096);
    expect(limitNofileIn('[Service]\nLimitNOFILE=1024:524288\nLimitNOFILE = 8192\n')).toBe(8192);
    expect(limitNofileIn('[Service]\nLimitNOFILE=infinity\n')).toBe(Number.MAX_SAFE_INTEGER);
    expect(limitNofileIn('[Service]\nLimitNOFILE=4096\nLimitNOFILE=\n')).toBeNull();
    expect(limitNofileIn('[Unit]\nLimitNOFILE=4096\n# [Service]\n')).toBeUndefined();
  });

  const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
  it.skipIf(!analyze && !process.env.CI)("systemd-analyze verify accepts the drop-in on Debian's units", () => {
    if (!analyze) return expect.fail('systemd-analyze (package systemd) is part of the test bed');
    for (const unit of ['nginx', 'nextcloud-spreed-signaling']) {
      const vendor = `/lib/systemd/system/${unit}.service`;
      if (!existsSync(vendor)) return expect.fail(`${vendor} is part of the test bed`);
      const dir = tempDir('spreed-systemd-');
      writeFileSync(path.join(dir, `${unit}.service`), readFileSync(vendor));
      const verify = (dropIn: string) => {
        mkdirSync(path.join(dir, `${unit}.service.d`), { recursive: true });
        writeFileSync(path.join(dir, `${unit}.service.d`, 'spreed-setup-limits.conf'), dropIn);
        return spawnSync(analyze, ['verify', path.join(dir, `${unit}.service`)], {
          encoding: 'utf8',
          timeout: 30_000,
          env: { ...process.env, SYSTEMD_UNIT_PATH: `${dir}:` },
        });
      };
      const good = verify(renderLimitsDropIn(13312, 10000));
      expect(good.status, good.stderr).toBe(0);
      expect(good.stderr, unit).not.toMatch(/spreed-setup-limits\.conf/);
      // The control: the drop-in is read, and a bad value would have been named.
      const bad = verify('[Service]\nLimitNOFILE=lots\n');
      expect(bad.stderr).toMatch(/spreed-setup-limits\.conf:2: Failed to parse resource value/);
    }
    expect(execFileSync(analyze, ['--version'], { encoding: 'utf8' })).toMatch(/systemd/);
  });
});

describe('the plan', () => {
  const layout: Layout = {
    kind: 'debian',
    configPath: '/etc/nextcloud-spreed-signaling/server.conf',
    secretsDir: '/etc/nextcloud-spreed-signaling/secrets',
    serviceUser: '_signaling',
    serviceGroup: '_signaling',
    unit: 'nextcloud-spreed-signaling',
    apache: DEBIAN_APACHE,
    caddy: DEBIAN_CADDY,
    haproxy: DEBIAN_HAPROXY,
    traefik: TRAEFIK,
    nginx: {
      kind: 'debian',
      sitePath: '/etc/nginx/sites-available/spreed-signaling.conf',
      enabledLink: '/etc/nginx/sites-enabled/spreed-signaling.conf',
      upstreamPath: '/etc/nginx/conf.d/spreed-signaling-upstream.conf',
      snippetPath: '/etc/nginx/snippets/spreed-signaling.conf',
      mainConfPath: '/etc/nginx/nginx.conf',
      unit: 'nginx',
    },
  };
  const UNITS = {
    '/lib/systemd/system/nginx.service': '[Service]\nExecStart=/usr/sbin/nginx\n',
    '/lib/systemd/system/nextcloud-spreed-signaling.service': '[Service]\nExecStart=/usr/bin/x\n',
  };
  const NGINX_DROP_IN = '/etc/systemd/system/nginx.service.d/spreed-setup-limits.conf';
  const SERVER_DROP_IN = '/etc/systemd/system/nextcloud-spreed-signaling.service.d/spreed-setup-limits.conf';
  const deployment = (over: Record<string, unknown> = {}) =>
    DeploymentSchema.parse({
      hostname: 'hpb.example.org',
      backends: [{ id: 'c', urls: ['https://c.example.org'] }],
      ...over,
    });
  const files = (host: Record<string, string | FileFact>, over: Record<string, unknown> = {}) =>
    capacityFiles(deployment(over), { host: memoryHost({ files: host }), layout, machine: MACHINE });
  const byPath = (r: ReturnType<typeof files>) => Object.fromEntries(r.desired.map((f) => [f.path, f.content]));

  it('tunes nginx.conf and writes both drop-ins where systemd has the units; the same inputs again change nothing', () => {
    const host = { '/etc/nginx/nginx.conf': DEBIAN_NGINX_CONF, ...UNITS };
    const first = byPath(files(host));
    expect(Object.keys(first)).toEqual(['/etc/nginx/nginx.conf', NGINX_DROP_IN, SERVER_DROP_IN]);
    expect(first['/etc/nginx/nginx.conf']).toBe(raiseNginxLimits(DEBIAN_NGINX_CONF, SIZED));
    expect(limitNofileIn(first[NGINX_DROP_IN]!)).toBe(20000);
    expect(limitNofileIn(first[SERVER_DROP_IN]!)).toBe(13312);
    const again = byPath(files({ ...host, ...(first as Record<string, string>) }));
    expect(again).toEqual(first);
  });

  it('never lowers: a larger hand-set value in our drop-in or in override.conf is kept', () => {
    const mine = '[Service]\nLimitNOFILE=500000\n';
    const r = byPath(files({ ...UNITS, [SERVER_DROP_IN]: mine }));
    expect(r[SERVER_DROP_IN]).toBe(mine);
    const override = byPath(
      files({
        ...UNITS,
        '/etc/systemd/system/nextcloud-spreed-signaling.service.d/override.conf': '[Service]\nLimitNOFILE=65536\n',
      }),
    );
    expect(override[SERVER_DROP_IN]).toBeUndefined();
    // Ours sorts after override.conf: when ours must be raised it never goes below the override.
    const both = byPath(
      files({
        ...UNITS,
        '/etc/systemd/system/nextcloud-spreed-signaling.service.d/override.conf': '[Service]\nLimitNOFILE=15000\n',
        [SERVER_DROP_IN]: '[Service]\nLimitNOFILE=2048\n',
      }),
    );
    expect(limitNofileIn(both[SERVER_DROP_IN]!)).toBe(15000);
  });

  it('--nginx none leaves nginx alone; without units or nginx.conf nothing is written, with a notice', () => {
    const none = files({ '/etc/nginx/nginx.conf': DEBIAN_NGINX_CONF, ...UNITS }, { nginx: { mode: 'none' } });
    expect(none.desired.map((f) => f.path)).toEqual([SERVER_DROP_IN]);
    const bare = files({});
    expect(bare.desired).toEqual([]);
    expect(bare.notices.join('\n')).toMatch(
      /no \/etc\/nginx\/nginx\.conf: for 10000 sessions set worker_rlimit_nofile 20000;/,
    );
  });

  it('sizes from --sessions and the workers nginx.conf asks for', () => {
    const r = byPath(
      files({ '/etc/nginx/nginx.conf': 'worker_processes 1;\nevents {}\n', ...UNITS }, { sessions: 2000 }),
    );
    expect(nginxLimitsOf(r['/etc/nginx/nginx.conf']!, 2)).toEqual({
      workerProcesses: 1,
      workerConnections: 5120,
      rlimitNofile: 10240,
    });
    expect(limitNofileIn(r[SERVER_DROP_IN]!)).toBe(3072);
  });

  it('refuses sessions out of range in the model', () => {
    for (const sessions of [0, 99, 1_000_001, 1.5, -1])
      expect(
        DeploymentSchema.safeParse({
          hostname: 'h.example.org',
          backends: [{ id: 'c', urls: ['https://c.example.org'] }],
          sessions,
        }).success,
      ).toBe(false);
    expect(deployment().sessions).toBe(10000);
  });
});
