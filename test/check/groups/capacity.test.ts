// The capacity check against fake nginx.conf and /proc files.
import { describe, expect, it } from 'vitest';
import { capacityChecks } from '../../../src/check/groups/capacity.js';
import type { CheckInputs } from '../../../src/check/groups/context.js';
import { checkInputs, context, runOne, shown, UNIT } from './fixture.js';

const NGINX_CONF = '/etc/nginx/nginx.conf';
const limits = (nofile: string) =>
  `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${nofile}                524288               files\n`;

function capacity(files: Record<string, string>, pid: number | undefined, inputs: Partial<CheckInputs> = {}) {
  const asked: { configFile: string; exactOnly: boolean }[] = [];
  const defs = capacityChecks(
    context(checkInputs(inputs), {
      readFile: (file) => files[file],
      findServerPid: (configFile, opts) => (asked.push({ configFile, ...opts }), pid),
    }),
  );
  return { run: () => runOne(defs, 'capacity'), asked };
}

describe('capacity', () => {
  it('passes with both limits high enough, and looks for the server by its config file', async () => {
    const c = capacity(
      {
        [NGINX_CONF]: 'worker_processes 2;\nevents { worker_connections 4096; }\n',
        '/proc/42/limits': limits('65536'),
      },
      42,
    );
    expect(shown(await c.run())).toEqual({
      status: 'pass',
      detail: 'about 4096 concurrent participants (nginx 2 × 4096 connections → 4096; server open files 65536 → 65472)',
    });
    expect(c.asked).toEqual([{ configFile: '/etc/nextcloud-spreed-signaling/server.conf', exactOnly: false }]);
  });

  it("warns on nginx's defaults with the worker_connections fix", async () => {
    const c = capacity({ [NGINX_CONF]: 'events {}\n', '/proc/42/limits': limits('65536') }, 42);
    expect(shown(await c.run())).toEqual({
      status: 'warn',
      detail: 'about 256 concurrent participants (nginx 1 × 512 connections → 256; server open files 65536 → 65472)',
      fix: `in ${NGINX_CONF}: events { worker_connections 4096; } and worker_rlimit_nofile 8192; then systemctl reload nginx`,
    });
  });

  it("warns on the server's open-files limit with the LimitNOFILE fix", async () => {
    const c = capacity(
      { [NGINX_CONF]: 'worker_processes 4;\nevents { worker_connections 4096; }\n', '/proc/7/limits': limits('1024') },
      7,
      { minParticipants: 1000 },
    );
    expect(shown(await c.run())).toEqual({
      status: 'warn',
      detail: 'about 960 concurrent participants (nginx 4 × 4096 connections → 8192; server open files 1024 → 960)',
      fix: `systemctl edit ${UNIT}: [Service] LimitNOFILE=65536, then restart it`,
    });
  });

  it('warns when only nginx could be read', async () => {
    const c = capacity({ [NGINX_CONF]: 'events { worker_connections 4096; }\n' }, undefined);
    expect(shown(await c.run())).toEqual({
      status: 'warn',
      detail:
        'about 2048 concurrent participants (nginx 1 × 4096 connections → 2048; server open-files limit unknown (process not found))',
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
