// The local server group (server, server.talk) against a fake welcome.
import { describe, expect, it } from 'vitest';
import { serverChecks } from '../../../src/check/groups/server.js';
import { UPDATE_FIX } from '../../../src/check/talk.js';
import type { CheckSetup } from '../../../src/check/setup.js';
import type { TlsOptions } from '../../../src/probe/http.js';
import type { ProbeResult } from '../../../src/probe/result.js';
import type { WelcomeAnswer } from '../../../src/probe/signaling.js';
import { checkInputs, context, refused, RESTART_FIX, runOne, shown, UNIT } from './fixture.js';

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

  it('names missing optional features in a pass', async () => {
    const o = await runOne(defs, 'server.talk', {
      server: local(['audio-video-permissions', 'incall-all', 'hello-v2', 'switchto']),
      'backend.cloud.nextcloud': nextcloud(29),
    });
    expect(shown(o)).toEqual({
      status: 'pass',
      detail:
        'Talk on Nextcloud 29 accepts server 2.0.2: all required features present; optional features missing: dialout, join-features, chat-relay',
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
