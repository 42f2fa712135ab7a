// The local server group (server, server.talk) against a fake welcome.
import { describe, expect, it } from 'vitest';
import { backendChecks } from '../../../src/check/groups/backends.js';
import { serverChecks } from '../../../src/check/groups/server.js';
import { realCheckIO } from '../../../src/check/io.js';
import { UPDATE_FIX } from '../../../src/check/talk.js';
import type { CheckSetup } from '../../../src/check/setup.js';
import type { TlsOptions } from '../../../src/probe/http.js';
import type { ProbeResult } from '../../../src/probe/result.js';
import type { WelcomeAnswer } from '../../../src/probe/signaling.js';
import { startFakeNextcloud } from '../../fakes/nextcloud.js';
import { BACKEND_SECRET, checkInputs, context, refused, RESTART_FIX, runOne, shown, UNIT } from './fixture.js';

const FEATURES = [
  'audio-video-permissions',
  'incall-all',
  'hello-v2',
  'switchto',
  'federation',
  'dialout',
  'join-features',
  'chat-relay',
  'mcu',
];

function welcome(over: Partial<WelcomeAnswer> = {}): WelcomeAnswer {
  const body = '{"nextcloud-spreed-signaling":"Welcome","version":"2.0.2"}';
  return {
    status: 200,
    headers: {},
    body,
    json: JSON.parse(body),
    features: FEATURES,
    date: new Date().toUTCString(),
    ...over,
  };
}

function server(answer: ProbeResult<WelcomeAnswer>, setup: Partial<CheckSetup> = {}) {
  const calls: { url: string; opts: TlsOptions }[] = [];
  const defs = serverChecks(
    context(checkInputs({}, setup), {
      welcome: async (url, opts) => {
        calls.push({ url, opts });
        return answer;
      },
    }),
  );
  return { defs, calls };
}

describe('server: the welcome on [http] listen', () => {
  it('passes with version and features, and asks the listen address within the time left', async () => {
    const { defs, calls } = server({ ok: true, ...welcome() });
    const o = await runOne(defs, 'server');
    expect(shown(o)).toEqual({
      status: 'pass',
      detail: `welcome on 127.0.0.1:8080; version 2.0.2; features: ${FEATURES.join(', ')}`,
    });
    expect(o.data).toMatchObject({ features: FEATURES, reported: '2.0.2', version: [2, 0, 2] });
    expect(calls).toEqual([{ url: 'http://127.0.0.1:8080', opts: { timeoutMs: 1000 } }]);
  });

  it('reaches 0.0.0.0 and :: through loopback', async () => {
    const v4 = server({ ok: true, ...welcome() }, { listen: '0.0.0.0:8081' });
    await runOne(v4.defs, 'server');
    const v6 = server({ ok: true, ...welcome() }, { listen: '[::]:8082' });
    await runOne(v6.defs, 'server');
    expect([v4.calls[0]!.url, v6.calls[0]!.url]).toEqual(['http://127.0.0.1:8081', 'http://[::1]:8082']);
  });

  it('names a version the server does not report by its features', async () => {
    const body = '{"nextcloud-spreed-signaling":"Welcome","version":"unknown"}';
    const { defs } = server({
      ok: true,
      ...welcome({ body, json: JSON.parse(body), features: ['hello-v2', 'switchto', 'federation'] }),
    });
    const o = await runOne(defs, 'server');
    expect(o.status).toBe('pass');
    expect(o.detail).toMatch(
      /^welcome on 127\.0\.0\.1:8080; version "unknown" \(features say \d+\.\d+\.\d+ or newer\); features: hello-v2, switchto, federation$/,
    );
  });

  it('fails when nothing listens, with the way to start it', async () => {
    const { defs } = server(refused('127.0.0.1:8080'));
    expect(shown(await runOne(defs, 'server'))).toEqual({
      status: 'fail',
      detail: 'signaling server not running: nothing listening at http://127.0.0.1:8080 (connection refused)',
      fix: `start it: systemctl start ${UNIT} (journalctl -u ${UNIT} says why it stopped; it opens its port only after NATS and Janus answer)`,
    });
  });

  it('fails on a hung server with the restart fix', async () => {
    const { defs } = server({ ok: false, code: 'timeout', message: 'no answer from 127.0.0.1:8080 within 1000 ms' });
    expect(shown(await runOne(defs, 'server'))).toEqual({
      status: 'fail',
      detail: 'signaling server not running: http://127.0.0.1:8080 accepts connections but never answers',
      fix: RESTART_FIX,
    });
  });

  it('fails when another program holds the port', async () => {
    const { defs } = server({ ok: true, ...welcome({ status: 404, body: 'nope', json: undefined }) });
    expect(shown(await runOne(defs, 'server'))).toEqual({
      status: 'fail',
      detail:
        'http://127.0.0.1:8080 answers HTTP 404 but not as the signaling server: another program holds [http] listen 127.0.0.1:8080',
      fix: 'stop that program or choose another [http] listen port (and the nginx upstream with it)',
    });
  });

  it("fails when the server's clock is off by more than 45 s", async () => {
    const { defs } = server({ ok: true, ...welcome({ date: new Date(Date.now() + 120_000).toUTCString() }) });
    const o = await runOne(defs, 'server');
    expect(o.status).toBe('fail');
    expect(o.detail).toMatch(/^server's clock is 1(19|20|21) s off this host's \(Date header\)$/);
    expect(o.fix).toBe('synchronise the clocks: timedatectl set-ntp true');
  });

  it('fails without [http] listen, without probing', async () => {
    const { defs, calls } = server({ ok: true, ...welcome() }, { listen: undefined });
    expect(shown(await runOne(defs, 'server'))).toEqual({
      status: 'fail',
      detail: 'server.conf has no [http] listen address: nginx has nothing to forward to',
      fix: 'add [http] listen = 127.0.0.1:8080, or run spreed-setup setup',
    });
    expect(calls).toEqual([]);
  });
});

describe('server.talk: what Talk would say of the server', () => {
  const local = (features: string[], reported = '2.0.2', date?: string) => ({
    status: 'pass' as const,
    detail: '',
    data: { features, reported, ...(date ? { date } : {}) },
  });
  const nextcloud = (major: number, date?: string) => ({
    status: 'pass' as const,
    detail: '',
    data: { major, ...(date ? { date } : {}) },
  });
  const { defs } = server({ ok: true, ...welcome() });

  it('passes when every required feature is there', async () => {
    const o = await runOne(defs, 'server.talk', { server: local(FEATURES), 'backend.cloud.nextcloud': nextcloud(30) });
    expect(shown(o)).toEqual({
      status: 'pass',
      detail: 'Talk on Nextcloud 30 accepts server 2.0.2: all required features present',
    });
  });

  it('warns UPDATE_OPTIONAL for the optional features that Talk release asks for (Talk 19: dialout)', async () => {
    const o = await runOne(defs, 'server.talk', {
      server: local(['audio-video-permissions', 'incall-all', 'hello-v2', 'switchto']),
      'backend.cloud.nextcloud': nextcloud(29),
    });
    expect(shown(o)).toEqual({
      status: 'warn',
      detail:
        'UPDATE_OPTIONAL: Talk on Nextcloud 29 accepts server 2.0.2 but warns that it lacks dialout (server 1.2.0)',
      fix: 'optional, nothing breaks (Talk just does without it): update nextcloud-spreed-signaling to 1.2.0 or newer (upstream release or Docker image strukturag/nextcloud-spreed-signaling), then run spreed-setup setup again',
    });
  });

  it('fails with UPDATE_REQUIRED for a known Nextcloud', async () => {
    const o = await runOne(defs, 'server.talk', {
      server: local(['audio-video-permissions', 'incall-all', 'hello-v2', 'switchto'], '1.2.4'),
      'backend.cloud.nextcloud': nextcloud(30),
    });
    expect(shown(o)).toEqual({
      status: 'fail',
      detail: 'UPDATE_REQUIRED: Talk on Nextcloud 30 needs federation, which server 1.2.4 lacks',
      fix: UPDATE_FIX,
    });
  });

  it("only warns when Nextcloud's version is unknown", async () => {
    const o = await runOne(defs, 'server.talk', { server: local(['hello-v2'], '0.4.1') });
    expect(shown(o)).toEqual({
      status: 'warn',
      detail:
        "Nextcloud's version is unknown (its capabilities were not read); Talk on Nextcloud 30 or newer would show UPDATE_REQUIRED: server 0.4.1 lacks audio-video-permissions, incall-all, switchto, federation",
      fix: UPDATE_FIX,
    });
  });

  it("fails when Nextcloud's clock and the server's differ", async () => {
    const t = Date.parse('2025-01-01T12:00:00Z');
    const o = await runOne(defs, 'server.talk', {
      server: local(FEATURES, '2.0.2', new Date(t).toUTCString()),
      'backend.cloud.nextcloud': nextcloud(30, new Date(t + 60_000).toUTCString()),
    });
    expect(shown(o)).toEqual({
      status: 'fail',
      detail:
        "Nextcloud's clock and the signaling server's differ by 60 s (Talk flags more than 45 s; hello v2 tokens fail)",
      fix: 'synchronise both clocks: timedatectl set-ntp true on each host',
    });
  });
});

describe("server.talk: Talk's verdict by Talk release", () => {
  // The headers the real servers send (without the MCU-only features).
  const F124 = [
    'audio-video-permissions',
    'dialout',
    'hello-v2',
    'incall-all',
    'switchto',
    'transient-data',
    'welcome',
  ];
  const F202 = [...F124, 'federation', 'join-features', 'offer-codecs', 'recipient-call'];
  const F211 = [...F202, 'serverinfo', 'chat-relay', 'transient-sessiondata'];
  const local = (features: string[], reported: string, date?: string) => ({
    status: 'pass' as const,
    detail: '',
    data: { features, reported, ...(date ? { date } : {}) },
  });
  /** A Nextcloud whose capabilities named Talk's version. */
  const talk = (version: string, date?: string) => ({
    status: 'pass' as const,
    detail: '',
    data: { major: Number(version.split('.')[0]) + 10, talk: version, ...(date ? { date } : {}) },
  });
  const { defs } = server({ ok: true, ...welcome() });
  const verdict = (features: string[], reported: string, version: string) =>
    runOne(defs, 'server.talk', { server: local(features, reported), 'backend.cloud.nextcloud': talk(version) });

  it('Talk 24.0.3 and server 2.1.1: UPDATE_OPTIONAL for changed-users, which no release has', async () => {
    const o = await verdict(F211, '2.1.1', '24.0.3');
    expect(shown(o)).toEqual({
      status: 'warn',
      detail:
        'UPDATE_OPTIONAL: Talk 24.0.3 on Nextcloud 34 accepts server 2.1.1 but warns that it lacks changed-users (none yet)',
      fix: 'optional, nothing breaks (Talk just does without it): no server release has changed-users yet: Talk keeps warning until one does',
    });
    expect(o.data).toMatchObject({ verdict: 'UPDATE_OPTIONAL', missingOptional: ['changed-users'], talk: '24.0.3' });
  });

  it('Talk 24.0.2 does not ask for changed-users yet: server 2.1.1 is OK', async () => {
    expect(shown(await verdict(F211, '2.1.1', '24.0.2'))).toEqual({
      status: 'pass',
      detail: 'Talk 24.0.2 on Nextcloud 34 accepts server 2.1.1: all required features present',
    });
  });

  it('Talk 22.0.3 and server 2.0.2: UPDATE_OPTIONAL for chat-relay, named with 2.1.0', async () => {
    expect(shown(await verdict(F202, '2.0.2', '22.0.3'))).toEqual({
      status: 'warn',
      detail:
        'UPDATE_OPTIONAL: Talk 22.0.3 on Nextcloud 32 accepts server 2.0.2 but warns that it lacks chat-relay (server 2.1.0)',
      fix: 'optional, nothing breaks (Talk just does without it): update nextcloud-spreed-signaling to 2.1.0 or newer (upstream release or Docker image strukturag/nextcloud-spreed-signaling), then run spreed-setup setup again',
    });
  });

  it('only Talk 22.0.3 asks for chat-relay in Talk 22; Talk 23 asks again', async () => {
    const statuses = await Promise.all(
      ['22.0.2', '22.0.3', '22.0.4', '23.0.0', '23.0.1'].map(async (v) => (await verdict(F202, '2.0.2', v)).status),
    );
    expect(statuses).toEqual(['pass', 'warn', 'pass', 'warn', 'warn']);
  });

  it('Talk 21 warns about join-features for a server before 2.0.2; Talk 20 does not', async () => {
    const F200 = [...F124, 'federation'];
    expect((await verdict(F200, '2.0.0', '21.0.1')).detail).toBe(
      'UPDATE_OPTIONAL: Talk 21.0.1 on Nextcloud 31 accepts server 2.0.0 but warns that it lacks join-features (server 2.0.2)',
    );
    expect((await verdict(F200, '2.0.0', '20.1.4')).status).toBe('pass');
  });

  it('server 1.2.4: UPDATE_REQUIRED on any Talk from 20, naming the Talk release', async () => {
    for (const v of ['20.0.0', '22.0.3', '24.0.3']) {
      const o = await verdict(F124, '1.2.4', v);
      expect(shown(o)).toEqual({
        status: 'fail',
        detail: `UPDATE_REQUIRED: Talk ${v} on Nextcloud ${Number(v.split('.')[0]) + 10} needs federation, which server 1.2.4 lacks`,
        fix: UPDATE_FIX,
      });
    }
    // Talk 19 did not require federation, and 1.2.4 has dialout.
    expect((await verdict(F124, '1.2.4', '19.0.9')).status).toBe('pass');
  });

  it('judges as Talk does: UPDATE_REQUIRED before the clocks, the clocks before UPDATE_OPTIONAL', async () => {
    const t = Date.parse('2025-01-01T12:00:00Z');
    const run = (features: string[], reported: string) =>
      runOne(defs, 'server.talk', {
        server: local(features, reported, new Date(t).toUTCString()),
        'backend.cloud.nextcloud': talk('24.0.3', new Date(t + 60_000).toUTCString()),
      });
    expect((await run(F124, '1.2.4')).detail).toMatch(/^UPDATE_REQUIRED: /);
    expect((await run(F211, '2.1.1')).detail).toMatch(/^Nextcloud's clock and the signaling server's differ by 60 s/);
  });

  it('with several Nextclouds, the one whose Talk asks most decides', async () => {
    const o = await runOne(
      serverChecks(
        context(
          checkInputs(
            {},
            {
              backends: [
                { id: 'a', urls: ['https://a.example.org'] },
                { id: 'b', urls: ['https://b.example.org'] },
              ],
            },
          ),
          {},
        ),
      ),
      'server.talk',
      {
        server: local(F202, '2.0.2'),
        'backend.a.nextcloud': talk('20.1.0'),
        'backend.b.nextcloud': talk('23.0.2'),
      },
    );
    expect(o.status).toBe('warn');
    expect(o.detail).toBe(
      'UPDATE_OPTIONAL: Talk 23.0.2 on Nextcloud 33 accepts server 2.0.2 but warns that it lacks chat-relay (server 2.1.0)',
    );
  });

  it("without Talk's version, judges Talk N.0.0 for Nextcloud N+10", async () => {
    const o = await runOne(defs, 'server.talk', {
      server: local(F202, '2.0.2'),
      'backend.cloud.nextcloud': { status: 'pass', detail: '', data: { major: 33 } },
    });
    expect(o.detail).toBe(
      'UPDATE_OPTIONAL: Talk on Nextcloud 33 accepts server 2.0.2 but warns that it lacks chat-relay (server 2.1.0)',
    );
  });

  it('with neither version known, names what the newest Talk would miss, with the release', async () => {
    const o = await runOne(defs, 'server.talk', { server: local(F202, '2.0.2') });
    expect(shown(o)).toEqual({
      status: 'pass',
      detail:
        "Current Talk (Nextcloud's version unknown) accepts server 2.0.2: all required features present; optional features missing: chat-relay (server 2.1.0), changed-users (none yet)",
    });
  });
});

describe("server.talk: Talk's version as the stand-in Nextcloud's capabilities name it", () => {
  const F211 = [
    'audio-video-permissions',
    'chat-relay',
    'dialout',
    'federation',
    'hello-v2',
    'incall-all',
    'join-features',
    'offer-codecs',
    'recipient-call',
    'serverinfo',
    'switchto',
    'transient-data',
    'transient-sessiondata',
    'welcome',
  ];

  it('Nextcloud 34 with Talk 24.0.3 and server 2.1.1: UPDATE_OPTIONAL for changed-users', async () => {
    const nc = await startFakeNextcloud({
      version: { major: 34, minor: 0, micro: 3 },
      talkVersion: '24.0.3',
      secret: BACKEND_SECRET,
    });
    try {
      const body = '{"nextcloud-spreed-signaling":"Welcome","version":"2.1.1"}';
      const g = context(checkInputs({}, { backends: [{ id: 'cloud', urls: [nc.url] }] }), {
        capabilities: realCheckIO.capabilities,
        welcome: async () => ({ ok: true, ...welcome({ body, json: JSON.parse(body), features: F211 }) }),
      });
      const defs = [...backendChecks(g), ...serverChecks(g)];
      const nextcloud = await runOne(defs, 'backend.cloud.nextcloud');
      expect(nextcloud.detail).toBe('Nextcloud 34.0.3, Talk 24.0.3 reachable from this host');
      const local = await runOne(defs, 'server');
      const o = await runOne(defs, 'server.talk', { server: local, 'backend.cloud.nextcloud': nextcloud });
      expect([o.status, o.detail]).toEqual([
        'warn',
        'UPDATE_OPTIONAL: Talk 24.0.3 on Nextcloud 34 accepts server 2.1.1 but warns that it lacks changed-users (none yet)',
      ]);
      expect(nc.capabilityRequests).toBe(1);
    } finally {
      await nc.close();
    }
  });
});
