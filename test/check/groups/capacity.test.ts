// The capacity check against fake nginx.conf, /proc and machine files: the real ceiling (two nginx
// connections per session, every worker, every open-files limit) against the install's target.
import { describe, expect, it } from 'vitest';
import { capacityChecks } from '../../../src/check/groups/capacity.js';
import type { CheckInputs } from '../../../src/check/groups/context.js';
import type { CheckSetup } from '../../../src/check/setup.js';
import { checkInputs, context, runOne, shown, UNIT } from './fixture.js';

const NGINX_CONF = '/etc/nginx/nginx.conf';
const DROP_IN = `/etc/systemd/system/${UNIT}.service.d/spreed-setup-limits.conf`;
const limits = (soft: string, hard = '524288') =>
  `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${soft}                ${hard}               files\n`;
/** This machine: fs.nr_open 1048576, PID 1 capped at 20000 (a container), fs.file-max 2466116. */
const MACHINE = {
  '/proc/sys/fs/nr_open': '1048576\n',
  '/proc/sys/fs/file-max': '2466116\n',
  '/proc/1/limits': limits('20000', '20000'),
  '/proc/self/status': 'CapBnd:\t000001ffffffffff\n',
};
const TUNED = 'worker_processes 2;\nworker_rlimit_nofile 20000;\nevents { worker_connections 13312; }\n';

function capacity(
  files: Record<string, string>,
  pid: number | undefined,
  inputs: Partial<CheckInputs> = {},
  opts: { workers?: number[]; setup?: Partial<CheckSetup> } = {},
) {
  const asked: { configFile: string; exactOnly: boolean }[] = [];
  const all: Record<string, string> = { ...MACHINE, ...files };
  const defs = capacityChecks(
    context(checkInputs(inputs, opts.setup), {
      readFile: (file) => all[file],
      findServerPid: (configFile, o) => (asked.push({ configFile, ...o }), pid),
      findNginxWorkerPids: () => opts.workers ?? [],
    }),
  );
  return { run: () => runOne(defs, 'capacity'), asked };
}

describe('capacity', () => {
  it('passes a setup tuned for 10000 sessions, and looks for the server by its config file', async () => {
    const c = capacity({ [NGINX_CONF]: TUNED, '/proc/42/limits': limits('13312') }, 42);
    expect(shown(await c.run())).toEqual({
      status: 'pass',
      detail:
        'about 13248 concurrent sessions, target 10000 (nginx 2 × 13312 connections, worker_rlimit_nofile 20000 → 13312; server open files 13312 → 13248)',
    });
    expect(c.asked).toEqual([{ configFile: '/etc/nextcloud-spreed-signaling/server.conf', exactOnly: false }]);
  });

  it("warns on Debian's worker_connections 768 below the default target, with the values setup writes", async () => {
    const debian = 'worker_processes auto;\nevents {\n\tworker_connections 768;\n}\n';
    const c = capacity({ [NGINX_CONF]: debian.replace('auto', '2'), '/proc/42/limits': limits('65536') }, 42);
    expect(shown(await c.run())).toEqual({
      status: 'warn',
      detail:
        'about 768 concurrent sessions, target 10000 (nginx 2 × 768 connections → 768; server open files 65536 → 65472)',
      fix: `in ${NGINX_CONF}: worker_rlimit_nofile 20000; and events { worker_connections 13312; } (spreed-setup setup --sessions 10000 sets this), then systemctl reload nginx`,
    });
  });

  it("counts the workers' own open-files limit when worker_rlimit_nofile is unset", async () => {
    const conf = 'worker_processes 2;\nevents { worker_connections 16384; }\n';
    const c = capacity(
      {
        [NGINX_CONF]: conf,
        '/proc/42/limits': limits('65536'),
        '/proc/7/limits': limits('1024'),
        '/proc/8/limits': limits('4096'),
      },
      42,
      {},
      { workers: [7, 8] },
    );
    const o = shown(await c.run());
    expect(o.status).toBe('warn');
    expect(o.detail).toBe(
      "about 1024 concurrent sessions, target 10000 (nginx 2 × 16384 connections, workers' open files 1024 → 1024; server open files 65536 → 65472)",
    );
  });

  it("warns on the server's open-files limit (systemd's default 1024) with the LimitNOFILE drop-in", async () => {
    const c = capacity({ [NGINX_CONF]: TUNED, '/proc/7/limits': limits('1024') }, 7);
    expect(shown(await c.run())).toEqual({
      status: 'warn',
      detail:
        'about 960 concurrent sessions, target 10000 (nginx 2 × 13312 connections, worker_rlimit_nofile 20000 → 13312; server open files 1024 → 960)',
      fix: `LimitNOFILE=13312 in ${DROP_IN} (spreed-setup setup --sessions 10000 sets this), then systemctl daemon-reload && systemctl restart ${UNIT}`,
    });
  });

  it("takes the target from the install's --sessions, and --min-participants over it", async () => {
    const files = {
      [NGINX_CONF]: 'worker_processes 4;\nevents { worker_connections 4096; }\n',
      '/proc/7/limits': limits('65536'),
    };
    const small = capacity(files, 7, {}, { setup: { sessions: 5000 } });
    expect(shown(await small.run())).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(/^about 8192 concurrent sessions, target 5000 /),
    });
    const big = capacity(files, 7, {}, { setup: { sessions: 20000 } });
    expect(shown(await big.run())).toMatchObject({ status: 'warn', detail: expect.stringContaining('target 20000') });
    const asked = capacity(files, 7, { minParticipants: 9000 }, { setup: { sessions: 5000 } });
    expect(shown(await asked.run())).toMatchObject({ status: 'warn', detail: expect.stringContaining('target 9000') });
  });

  it('warns when only nginx could be read', async () => {
    const c = capacity({ [NGINX_CONF]: TUNED }, undefined);
    expect(shown(await c.run())).toEqual({
      status: 'warn',
      detail:
        'about 13312 concurrent sessions, target 10000 (nginx 2 × 13312 connections, worker_rlimit_nofile 20000 → 13312; server open-files limit unknown (process not found))',
      fix: 'run check on the signaling host as root to read both limits (or pass --nginx-conf PATH)',
    });
  });

  it('warns when neither limit can be read, naming the nginx.conf it tried', async () => {
    const c = capacity({}, 42, { nginxConf: '/srv/nginx.conf' });
    expect(shown(await c.run())).toEqual({
      status: 'warn',
      detail: 'nginx limits unknown (cannot read /srv/nginx.conf); server open-files limit unknown (process not found)',
      fix: 'run check on the signaling host as root to read the limits',
    });
  });
});
