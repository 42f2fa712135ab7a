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
});
