// The registration check (occ) against a fake occ.
import { describe, expect, it } from 'vitest';
import { registrationChecks } from '../../../src/check/groups/registration.js';
import type { CheckInputs } from '../../../src/check/groups/context.js';
import type { OccRun } from '../../../src/check/occ.js';
import { BACKEND_SECRET, checkInputs, context, occRun, PUBLIC_URL, runOne, shown } from './fixture.js';

const OCC = ['sudo', '-u', 'www-data', 'php', '/var/www/nextcloud/occ'];
const listed = (servers: string[], secret = BACKEND_SECRET) =>
  JSON.stringify({ servers: servers.map((server) => ({ server, verify: true })), secret });

/** occ answering talk:signaling:list, signaling_mode and overwrite.cli.url as given. */
function occ(answers: { list?: OccRun; mode?: OccRun; cli?: OccRun }, inputs: Partial<CheckInputs> = { occ: OCC }) {
  const calls: string[][] = [];
  const defs = registrationChecks(
    context(checkInputs(inputs), {
      occ: async (argv) => {
        calls.push(argv);
        const sub = argv[OCC.length];
        if (sub === 'talk:signaling:list') return answers.list ?? occRun(listed([PUBLIC_URL]));
        if (sub === 'config:app:get') return answers.mode ?? occRun('', { exitCode: 1 });
        return answers.cli ?? occRun('https://cloud.example.org\n');
      },
    }),
  );
  return { run: () => runOne(defs, 'registration'), calls };
}

describe('registration', () => {
  it('passes when Talk lists the public URL with the same secret, read-only occ calls only', async () => {
    // Talk compares lower-cased and without the trailing slash.
    const o = occ({ list: occRun(listed(['https://HPB.example.org/standalone-signaling/'])) });
    expect(shown(await o.run())).toEqual({
      status: 'pass',
      detail: `Talk lists ${PUBLIC_URL}; signaling mode default`,
    });
    expect(o.calls.map((c) => c.slice(OCC.length))).toEqual([
      ['talk:signaling:list', '--output=json', '--no-warnings'],
      ['config:app:get', 'spreed', 'signaling_mode', '--no-warnings'],
      ['config:system:get', 'overwrite.cli.url', '--no-warnings'],
    ]);
  });

  it('fails when Talk does not list the public URL', async () => {
    const o = occ({ list: occRun(listed(['https://other.example.org/standalone-signaling'])) });
    expect(shown(await o.run())).toEqual({
      status: 'fail',
      detail: `Talk does not list ${PUBLIC_URL} (it lists: https://other.example.org/standalone-signaling)`,
      fix: 'spreed-setup register',
    });
  });

  it("fails when Talk's secret differs, without printing either", async () => {
    const o = occ({ list: occRun(listed([PUBLIC_URL], 'talks-own-secret')) });
    const r = await o.run();
    expect(shown(r)).toEqual({
      status: 'fail',
      detail: "Talk's signaling secret (from occ) differs from the backend secret in server.conf",
      fix: 'spreed-setup register (Talk keeps one secret for all servers)',
    });
    expect(JSON.stringify(r)).not.toContain('talks-own-secret');
  });

  it('fails in internal signaling mode', async () => {
    const o = occ({ mode: occRun('internal\n') });
    expect(shown(await o.run())).toEqual({
      status: 'fail',
      detail: 'signaling_mode = internal: Talk ignores every external signaling server',
      fix: 'occ config:app:delete spreed signaling_mode --no-warnings',
    });
  });

  it('fails when occ cannot be started', async () => {
    const o = occ({ list: occRun('', { exitCode: undefined, notFound: true }) });
    expect(shown(await o.run())).toEqual({
      status: 'fail',
      detail: 'occ command not found: sudo',
      fix: 'run occ as the owner of config/config.php, e.g. --occ "sudo -u www-data php /var/www/nextcloud/occ"',
    });
  });

  it('prefers the occ door given in the inputs over the IO', async () => {
    const given: string[][] = [];
    const o = occ(
      {},
      {
        occ: OCC,
        occExec: async (argv) => (
          given.push(argv),
          occRun(argv.includes('talk:signaling:list') ? listed([PUBLIC_URL]) : '', {
            exitCode: argv.includes('talk:signaling:list') ? 0 : 1,
          })
        ),
      },
    );
    expect((await o.run()).status).toBe('pass');
    expect([given.length, o.calls.length]).toEqual([3, 0]);
  });

  it('skips without --occ, without running anything', async () => {
    const o = occ({}, {});
    expect(shown(await o.run())).toEqual({
      status: 'skip',
      detail: 'not checked: pass --occ "sudo -u www-data php /var/www/nextcloud/occ" to read Talk\'s settings',
    });
    expect(o.calls).toEqual([]);
  });

  it("warns as Talk's setup check does when several servers are listed, with the deletes", async () => {
    const other = 'https://old.example.org/standalone-signaling';
    const o = occ({ list: occRun(listed([other, PUBLIC_URL])) });
    expect(shown(await o.run())).toEqual({
      status: 'warn',
      detail: `Talk lists ${PUBLIC_URL}; signaling mode default, but Talk lists 2 signaling servers (${other}, ${PUBLIC_URL}): defining several is deprecated; its setup check tests only the first, ${other}`,
      fix: `keep one URL (a cluster is one load-balanced URL): occ talk:signaling:delete ${other}`,
    });
  });

  it('warns on the same URL registered twice (talk:signaling:add appends), with the way back to one', async () => {
    const o = occ({ list: occRun(listed([PUBLIC_URL, PUBLIC_URL])) });
    const r = await o.run();
    expect(r.status).toBe('warn');
    expect(r.fix).toBe(
      `keep one URL (a cluster is one load-balanced URL): occ talk:signaling:delete ${PUBLIC_URL} (every copy), then spreed-setup register`,
    );
  });

  it('warns that conversation_cluster is deprecated', async () => {
    const o = occ({ mode: occRun('conversation_cluster\n') });
    expect(shown(await o.run())).toEqual({
      status: 'warn',
      detail: `Talk lists ${PUBLIC_URL}; signaling mode conversation_cluster, but signaling_mode = conversation_cluster is deprecated (Talk's setup check warns; the server supports real clustering)`,
      fix: 'cluster the servers behind one load-balanced URL, register only that, then: occ config:app:delete spreed signaling_mode --no-warnings',
    });
  });

  it('warns when the registered URL has upper-case letters in its path (Talk calls it lower-cased)', async () => {
    const o = occ({ list: occRun(listed(['https://hpb.example.org/Standalone-Signaling'])) });
    const r = await o.run();
    expect(r.status).toBe('warn');
    expect(r.detail).toContain(`Talk lower-cases it and calls ${PUBLIC_URL}, which nginx does not serve`);
    expect(r.fix).toMatch(/^use a lower-case path/);
  });

  it('warns on an upper-case public URL path even without --occ', async () => {
    const o = occ({}, { publicUrl: 'https://hpb.example.org/Standalone-Signaling' });
    const r = await o.run();
    expect(shown(r)).toEqual({
      status: 'warn',
      detail: `https://hpb.example.org/Standalone-Signaling's path has upper-case letters: Talk lower-cases it and calls ${PUBLIC_URL}, which nginx does not serve (Talk's settings not read: no --occ)`,
      fix: 'use a lower-case path: basePath in the answers file (e.g. /standalone-signaling), spreed-setup setup, then spreed-setup register',
    });
    expect(o.calls).toEqual([]);
  });

  it('an upper-case host is no warning (hosts are case-insensitive)', async () => {
    const o = occ({ list: occRun(listed(['https://HPB.Example.org/standalone-signaling'])) });
    expect((await o.run()).status).toBe('pass');
  });
});
