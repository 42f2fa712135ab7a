// setup tunes a staged install for --sessions: nginx.conf (Debian's own, edited in place), the
// LimitNOFILE drop-ins for the units systemd has, the target in the state and answers files; the
// same run again changes nothing; bad --sessions values are refused; --nginx none leaves nginx be.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { machineLimits } from '../../src/io/machine.js';
import { sizeFor } from '../../src/model/capacity.js';
import { nginxLimitsOf } from '../../src/render/nginxMain.js';
import { limitNofileIn } from '../../src/render/systemd.js';
import { runInProcess } from './inProcess.js';
import { runCli, scratch, treeState } from './run.js';

const BASIC = ['setup', '--hostname', 'hpb.example.org', '--nextcloud', 'https://cloud.example.org', '--yes'];
const NGINX_CONF = 'etc/nginx/nginx.conf';
const NGINX_DROP_IN = 'etc/systemd/system/nginx.service.d/spreed-setup-limits.conf';
const SERVER_DROP_IN = 'etc/systemd/system/nextcloud-spreed-signaling.service.d/spreed-setup-limits.conf';
const DEBIAN_CONF = '/etc/nginx/nginx.conf';

/** A staged tree with Debian's nginx.conf and Debian's two units, as on a Debian host. */
function stage(): string {
  const root = scratch('spreed-cap-');
  mkdirSync(path.join(root, 'etc/nginx'), { recursive: true });
  copyFileSync(DEBIAN_CONF, path.join(root, NGINX_CONF));
  mkdirSync(path.join(root, 'lib/systemd/system'), { recursive: true });
  for (const unit of ['nginx', 'nextcloud-spreed-signaling'])
    writeFileSync(
      path.join(root, `lib/systemd/system/${unit}.service`),
      readFileSync(`/lib/systemd/system/${unit}.service`),
    );
  return root;
}

const read = (root: string, f: string) => readFileSync(path.join(root, f), 'utf8');

describe.skipIf(!existsSync(DEBIAN_CONF) || !existsSync('/lib/systemd/system/nginx.service'))(
  'setup --sessions (staged)',
  () => {
    it("tunes Debian's nginx.conf in place and writes both drop-ins, sized for 10000; a re-run changes nothing", async () => {
      const root = stage();
      const debian = readFileSync(DEBIAN_CONF, 'utf8');
      const r = await runCli([...BASIC, '--root', root]);
      expect(r.code, r.all).toBe(0);
      const machine = machineLimits();
      const workers = nginxLimitsOf(debian, machine.cpus).workerProcesses;
      const want = sizeFor(10000, workers, machine);
      const tuned = read(root, NGINX_CONF);
      expect(nginxLimitsOf(tuned, machine.cpus)).toEqual({
        workerProcesses: workers,
        workerConnections: want.workerConnections,
        rlimitNofile: want.workerRlimitNofile,
      });
      // Every other byte as Debian shipped it: only the two directives differ.
      const changed = (a: string, b: string) => {
        const bl = new Set(b.split('\n'));
        return a.split('\n').filter((l) => !bl.has(l));
      };
      expect(changed(tuned, debian)).toEqual([
        `worker_rlimit_nofile ${want.workerRlimitNofile};`,
        `\tworker_connections ${want.workerConnections};`,
      ]);
      expect(changed(debian, tuned)).toEqual(['\tworker_connections 768;']);
      expect(
        tuned
          .replace(/^worker_rlimit_nofile \d+;\n/m, '')
          .replace(/worker_connections \d+;/, 'worker_connections 768;'),
      ).toBe(debian);
      // The real ceiling reaches the target on this machine (or setup said why not).
      expect(
        Math.floor((workers * Math.min(want.workerConnections, want.workerRlimitNofile)) / 2) >= 10000 ||
          /below 10000/.test(r.all),
      ).toBe(true);
      expect(limitNofileIn(read(root, NGINX_DROP_IN))).toBe(want.nginxNofile);
      expect(limitNofileIn(read(root, SERVER_DROP_IN))).toBe(want.serverNofile);
      expect(read(root, 'etc/nextcloud-spreed-signaling/spreed-setup.yaml')).toMatch(/^sessions: 10000$/m);
      // A backup of Debian's file sits in the run's backup folder.
      const backups = path.join(root, 'var/backups/spreed-setup');
      expect(existsSync(backups)).toBe(true);

      const before = treeState(root);
      const again = await runInProcess([...BASIC, '--root', root]);
      expect(again.code, again.all).toBe(0);
      expect(again.stdout).toContain('No changes');
      expect(treeState(root)).toEqual(before);
    });

    it('keeps values an admin set higher; --sessions is recorded, shown in the diff, and carried by --answers-out', async () => {
      const root = stage();
      writeFileSync(
        path.join(root, NGINX_CONF),
        read(root, NGINX_CONF).replace('worker_connections 768;', 'worker_connections 50000; # mine'),
      );
      mkdirSync(path.dirname(path.join(root, SERVER_DROP_IN)), { recursive: true });
      writeFileSync(path.join(root, SERVER_DROP_IN), '[Service]\nLimitNOFILE=infinity\n');
      const dry = await runInProcess([...BASIC, '--root', root, '--sessions', '2000', '--dry-run']);
      expect(dry.code, dry.all).toBe(0);
      expect(dry.stdout).toMatch(/^\+worker_rlimit_nofile \d+;$/m);
      expect(dry.stdout).not.toMatch(/^[-+]\s*worker_connections/m);
      const answers = path.join(root, 'answers.yaml');
      const r = await runInProcess([...BASIC, '--root', root, '--sessions', '2000', '--answers-out', answers]);
      expect(r.code, r.all).toBe(0);
      expect(read(root, NGINX_CONF)).toContain('worker_connections 50000; # mine');
      expect(read(root, SERVER_DROP_IN)).toBe('[Service]\nLimitNOFILE=infinity\n');
      expect(readFileSync(answers, 'utf8')).toMatch(/^sessions: 2000$/m);
      // The next run without the flag keeps the recorded target.
      const next = await runInProcess([...BASIC, '--root', root]);
      expect(next.code, next.all).toBe(0);
      expect(next.stdout).toContain('No changes');
    });

    it('refuses bad --sessions values with exit 2 and writes nothing', async () => {
      for (const bad of ['abc', '50', '2000000', '1e4', '-5', '10 000']) {
        const root = stage();
        const before = treeState(root);
        const r = await runInProcess([...BASIC, '--root', root, '--sessions', bad]);
        expect(r.code, `${bad}: ${r.all}`).toBe(2);
        expect(r.stderr).toMatch(/--sessions/);
        expect(
          r.stderr
            .trim()
            .split('\n')
            .filter((l) => l.startsWith('error:')),
        ).toHaveLength(1);
        expect(treeState(root)).toEqual(before);
      }
    });

    it("--nginx none leaves nginx.conf and its unit alone, and still raises the server's limit", async () => {
      const root = stage();
      const before = read(root, NGINX_CONF);
      const r = await runInProcess([...BASIC, '--root', root, '--nginx', 'none']);
      expect(r.code, r.all).toBe(0);
      expect(read(root, NGINX_CONF)).toBe(before);
      expect(existsSync(path.join(root, NGINX_DROP_IN))).toBe(false);
      expect(existsSync(path.join(root, SERVER_DROP_IN))).toBe(true);
    });
  },
);
