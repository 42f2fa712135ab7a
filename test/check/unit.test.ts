// The pure parts of `check`: the runner's scheduling and bounds, Talk's feature demands, occ output
// parsing, capacity arithmetic, the report schema, and the stand-in Nextcloud's signature rules.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runChecks, type CheckDef } from '../../src/check/runner.js';
import { judgeFeatures } from '../../src/check/talk.js';
import { parseSignalingList, splitOccCommand } from '../../src/check/occ.js';
import { talkServerUrlKey as normalizeTalkServerUrl } from '../../src/model/urls.js';
import { nginxSessions, parseProcNofile } from '../../src/model/capacity.js';
import { nginxLimitsOf } from '../../src/render/nginxMain.js';
import { CheckReportSchema } from '../../src/check/schema.js';
import { parseCheckArgs } from '../../src/commands/check.js';
import { fetchCapabilities, probeNextcloudSecret } from '../../src/probe/nextcloud.js';
import { startFakeNextcloud } from '../fakes/nextcloud.js';
import { tempDir } from '../harness/tmp.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('runner', () => {
  it('runs independent checks in parallel and skips dependents of a failure, naming it', async () => {
    // Not a stopwatch: A and B count how many checks are running while they wait.
    let running = 0;
    let most = 0;
    const busy = async <T>(value: T): Promise<T> => {
      running++;
      most = Math.max(most, running);
      await wait(100);
      running--;
      return value;
    };
    const defs: CheckDef[] = [
      { id: 'a', title: 'A', run: () => busy({ status: 'pass', detail: 'ok' }) },
      { id: 'b', title: 'B', run: () => busy({ status: 'fail', detail: 'broken', fix: 'mend it' }) },
      { id: 'c', title: 'C', needs: ['b'], run: async () => ({ status: 'pass', detail: 'never' }) },
      { id: 'd', title: 'D', needs: ['c'], run: async () => ({ status: 'pass', detail: 'never' }) },
      { id: 'e', title: 'E', needs: ['a'], run: async () => ({ status: 'warn', detail: 'meh', fix: 'tune' }) },
    ];
    const { results } = await runChecks(defs, { timeoutMs: 2000 });
    expect(most).toBe(2); // A and B side by side
    expect(results.map((r) => [r.id, r.status])).toEqual([
      ['a', 'pass'],
      ['b', 'fail'],
      ['c', 'skip'],
      ['d', 'skip'],
      ['e', 'warn'],
    ]);
    expect(results[2]!.detail).toBe('skipped: needs B (failed)');
    expect(results[3]!.detail).toBe('skipped: needs C (skipped)');
    expect(results[1]!.fix).toBe('mend it');
  });

  it('bounds every check by its timeout and the run by about one timeout', async () => {
    const hang = (): Promise<never> => new Promise(() => undefined);
    const defs: CheckDef[] = Array.from({ length: 8 }, (_, i) => ({
      id: `h${i}`,
      title: `H${i}`,
      run: hang,
      timeoutFix: 'look',
    }));
    defs.push({ id: 'slow', title: 'Slow', run: async () => (await wait(250), { status: 'pass', detail: 'ok' }) });
    defs.push({ id: 'after', title: 'After', needs: ['slow'], run: hang });
    const t0 = Date.now();
    const { results } = await runChecks(defs, { timeoutMs: 400 });
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(400);
    expect(
      results
        .filter((r) => r.id.startsWith('h'))
        .every((r) => r.status === 'fail' && /no answer within/.test(r.detail) && r.fix === 'look'),
    ).toBe(true);
    const after = results.find((r) => r.id === 'after')!;
    expect(after.status).toBe('fail');
    // The run's own limit, not a wall-clock assertion, is what bounds it: the dependent that starts
    // late is cut off by it.
    expect(after.detail).toMatch(/run's limit|no answer/);
  });

  it('turns a thrown error into a failure instead of crashing the run', async () => {
    const { results } = await runChecks(
      [
        {
          id: 'x',
          title: 'X',
          run: async () => {
            throw new Error('boom');
          },
        },
      ],
      { timeoutMs: 500 },
    );
    expect(results[0]).toMatchObject({ status: 'fail', detail: 'unexpected error: boom' });
  });
});

describe("Talk's feature demands", () => {
  const f041 = ['audio-video-permissions'];
  const f124 = [
    'audio-video-permissions',
    'dialout',
    'hello-v2',
    'incall-all',
    'switchto',
    'transient-data',
    'welcome',
  ];
  const f202 = [...f124, 'federation', 'join-features', 'offer-codecs', 'recipient-call'];
  it('judges the measured feature sets of 0.4.1, 1.2.4 and 2.0.2', () => {
    expect(judgeFeatures(f041, 30).missingRequired).toEqual(['incall-all', 'hello-v2', 'switchto', 'federation']);
    expect(judgeFeatures(f124, 30).missingRequired).toEqual(['federation']);
    expect(judgeFeatures(f124, 29).missingRequired).toEqual([]);
    expect(judgeFeatures(f202, 31).missingRequired).toEqual([]);
    // Talk 21 (Nextcloud 31) asks for dialout and join-features only; chat-relay from Talk 23.
    expect(judgeFeatures(f202, 31).missingOptional).toEqual([]);
    expect(judgeFeatures(f202, 33).missingOptional).toEqual(['chat-relay']);
    expect(judgeFeatures(f124, undefined).missingRequired).toEqual(['federation']);
  });
});

describe('occ output', () => {
  it('parses talk:signaling:list JSON (escaped slashes) and the never-configured []', () => {
    const out =
      '{"servers":[{"server":"https:\\/\\/hpb.example.org\\/standalone-signaling","verify":true}],"secret":"s3cr3t"}\n';
    expect(parseSignalingList(out)).toEqual({
      servers: [{ server: 'https://hpb.example.org/standalone-signaling', verify: true }],
      secret: 's3cr3t',
    });
    expect(parseSignalingList('[]\n')).toEqual({ servers: [] });
    expect(parseSignalingList('not json')).toBeUndefined();
  });
  it('compares server URLs as Talk does', () => {
    expect(normalizeTalkServerUrl('wss://HPB.example.org/standalone-signaling/')).toBe(
      'https://hpb.example.org/standalone-signaling',
    );
  });
  it('splits the --occ command like a shell, expanding nothing', () => {
    expect(splitOccCommand(`sudo -u www-data php '/var/www/next cloud/occ'`)).toEqual([
      'sudo',
      '-u',
      'www-data',
      'php',
      '/var/www/next cloud/occ',
    ]);
    expect(splitOccCommand('docker exec -u www-data "nc app" php occ')).toEqual([
      'docker',
      'exec',
      '-u',
      'www-data',
      'nc app',
      'php',
      'occ',
    ]);
  });
});

describe('capacity', () => {
  it("turns Debian's default nginx.conf into sessions", () => {
    const debian =
      'user www-data;\nworker_processes auto;\npid /run/nginx.pid;\nevents {\n\tworker_connections 768;\n\t# multi_accept on;\n}\n';
    const l = nginxLimitsOf(debian, 2);
    expect(l).toEqual({ workerProcesses: 2, workerConnections: 768 });
    expect(nginxSessions(l)).toBe(768);
    expect(nginxSessions(nginxLimitsOf('events {}', 4))).toBe(256);
    expect(
      parseProcNofile(
        'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n',
      ),
    ).toEqual({ soft: 1024, hard: 524288 });
  });
});

describe('flags and schema', () => {
  it('refuses bad usage with a fix', () => {
    expect(() => parseCheckArgs(['--timeout', 'abc'])).toThrow(/--timeout/);
    expect(() => parseCheckArgs(['--ca', 'x', '--insecure'])).toThrow(/exclude/);
    expect(() => parseCheckArgs(['--bogus'])).toThrow(/bogus/);
    expect(parseCheckArgs(['--url', 'https://h/standalone-signaling', '--json', '--timeout', '2.5'])).toMatchObject({
      url: 'https://h/standalone-signaling',
      json: true,
      timeoutSeconds: 2.5,
    });
  });
  it('validates reports', () => {
    expect(
      CheckReportSchema.safeParse({ ok: true, checks: [{ id: 'a', title: 'A', status: 'pass', detail: '' }] }).success,
    ).toBe(true);
    expect(
      CheckReportSchema.safeParse({ ok: true, checks: [{ id: 'a', title: 'A', status: 'maybe', detail: '' }] }).success,
    ).toBe(false);
  });
});

describe('stand-in Nextcloud (faithful to Talk)', () => {
  it('answers unknown_type for a correct signature, invalid_request otherwise, 412 without OCS-APIRequest', async () => {
    const nc = await startFakeNextcloud({ secret: 'talk-secret' });
    try {
      const good = await probeNextcloudSecret(nc.url, { secret: 'talk-secret' });
      expect(good).toMatchObject({ status: 200, code: 'unknown_type' });
      expect(good.message).toBe('The given type {"type":"setup-probe"} is not supported.');
      const bad = await probeNextcloudSecret(nc.url, { secret: 'other' });
      expect(bad).toMatchObject({
        status: 200,
        code: 'invalid_request',
        message: 'The request could not be authenticated.',
      });
      expect(nc.bruteForceAttempts).toBe(1);
      // Uppercase hex checksums pass (Talk lower-cases them); a short random fails.
      const random = 'r'.repeat(32);
      const body = '{"type":"setup-probe"}';
      const upper = createHmac('sha256', 'talk-secret')
        .update(random + body)
        .digest('hex')
        .toUpperCase();
      const post = async (headers: Record<string, string>) => {
        const res = await fetch(`${nc.url}/ocs/v2.php/apps/spreed/api/v3/signaling/backend`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
          body,
        });
        return { status: res.status, text: await res.text() };
      };
      expect(
        (
          await post({
            'OCS-APIRequest': 'true',
            'Spreed-Signaling-Random': random,
            'Spreed-Signaling-Checksum': upper,
          })
        ).text,
      ).toContain('unknown_type');
      expect(
        (
          await post({
            'OCS-APIRequest': 'true',
            'Spreed-Signaling-Random': 'short',
            'Spreed-Signaling-Checksum': upper,
          })
        ).text,
      ).toContain('invalid_request');
      expect(await post({ 'Spreed-Signaling-Random': random, 'Spreed-Signaling-Checksum': upper })).toEqual({
        status: 412,
        text: '{"message":"CSRF check failed"}',
      });
      const caps = await fetchCapabilities(nc.url);
      expect(caps.version).toMatchObject({ major: 30, string: '30.0.5' });
      expect(caps.spreed?.version).toBe('20.1.0');
    } finally {
      await nc.close();
    }
  });
});

describe("the server's backend URL matching, and overwrite.cli.url through occ", () => {
  it('matches scheme and host exactly, drops default ports, prefix-matches the path', async () => {
    const { backendUrlCovers } = await import('../../src/check/backendUrl.js');
    expect(backendUrlCovers('https://cloud.example.org', 'https://cloud.example.org:443/')).toBe(true);
    expect(backendUrlCovers('https://cloud.example.org', 'https://cloud.example.org/nextcloud')).toBe(true);
    expect(backendUrlCovers('https://cloud.example.org/nextcloud', 'https://cloud.example.org')).toBe(false);
    expect(backendUrlCovers('https://cloud.example.org', 'http://cloud.example.org')).toBe(false);
    expect(backendUrlCovers('https://Cloud.example.org', 'https://cloud.example.org')).toBe(false);
    expect(backendUrlCovers('https://cloud.example.org', 'https://cloud.example.org:8443')).toBe(false);
  });

  it('fails the registration check when Nextcloud calls itself by a URL no backend covers', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const path = await import('node:path');
    const { buildCatalogue } = await import('../../src/check/catalogue.js');
    const { readCheckSetup } = await import('../../src/check/setup.js');
    const root = tempDir('spreed-check-occ-');
    mkdirSync(path.join(root, 'etc/nextcloud-spreed-signaling'), { recursive: true });
    writeFileSync(
      path.join(root, 'etc/nextcloud-spreed-signaling/server.conf'),
      '[backend]\nbackends = cloud\n[cloud]\nurl = https://cloud.example.org\nsecret = s3cr3t-value\n',
    );
    const calls: string[][] = [];
    const occExec = async (argv: string[]) => {
      calls.push(argv);
      const sub = argv[1];
      if (sub === 'talk:signaling:list')
        return {
          exitCode: 0,
          stdout:
            '{"servers":[{"server":"https:\\/\\/hpb.example.org\\/standalone-signaling","verify":true}],"secret":"s3cr3t-value"}\n',
          stderr: '',
          timedOut: false,
          notFound: false,
        };
      if (sub === 'config:system:get')
        return { exitCode: 0, stdout: 'http://Cloud.example.org\n', stderr: '', timedOut: false, notFound: false };
      return { exitCode: 1, stdout: '', stderr: '', timedOut: false, notFound: false };
    };
    const def = buildCatalogue({
      setup: readCheckSetup({ root }),
      publicUrl: 'https://hpb.example.org/standalone-signaling',
      tls: { insecure: false },
      occ: ['occ'],
      occExec,
    }).find((d) => d.id === 'registration')!;
    const o = await def.run({ left: () => 1000, outcome: async () => undefined });
    expect(o.status).toBe('fail');
    expect(o.detail).toContain('overwrite.cli.url http://Cloud.example.org matches no backend url');
    expect(o.detail).not.toContain('s3cr3t-value');
    expect(calls.every((c) => c.includes('--no-warnings'))).toBe(true);
  });
});

describe("Talk's demands table", () => {
  it('picks the row of a Talk release, prereleases by their x.y.z, the newest when unknown', async () => {
    const { talkDemands, serverReleaseFor } = await import('../../src/check/talk.js');
    const { parseVersion } = await import('../../src/model/versions.js');
    const optional = (v?: string) => talkDemands(v ? parseVersion(v) : undefined).optional;
    expect(optional('19.0.12')).toEqual(['dialout']);
    expect(optional('22.0.3-rc.1')).toEqual(['dialout', 'join-features', 'chat-relay']);
    expect(optional('22.0.10')).toEqual(['dialout', 'join-features']);
    expect(optional('24.0.3')).toContain('changed-users');
    expect(optional()).toEqual(optional('24.0.3'));
    expect(talkDemands(parseVersion('19.0.0')).required).not.toContain('federation');
    expect([
      serverReleaseFor('chat-relay'),
      serverReleaseFor('changed-users'),
      serverReleaseFor('join-features'),
    ]).toEqual(['2.1.0', 'none yet', '2.0.2']);
  });
});
