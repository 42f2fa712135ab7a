// The Janus group against a fake info probe and the local server's outcome.
import { describe, expect, it } from 'vitest';
import { janusChecks } from '../../../src/check/groups/janus.js';
import type { Outcome } from '../../../src/check/runner.js';
import type { CheckSetup } from '../../../src/check/setup.js';
import type { JanusInfoResult } from '../../../src/probe/janus.js';
import { checkInputs, context, refused, RESTART_FIX, runOne, shown } from './fixture.js';

const JANUS_URL = 'ws://127.0.0.1:8188';
const serverWith = (features: string[]): Outcome => ({ status: 'pass', detail: '', data: { features } });

function janus(mcu: CheckSetup['mcu'], answer: JanusInfoResult) {
  const asked: string[] = [];
  const defs = janusChecks(
    context(checkInputs({}, { mcu }), {
      janusInfo: async (url) => {
        asked.push(url);
        return answer;
      },
    }),
  );
  return { run: (outcomes: Record<string, Outcome> = {}) => runOne(defs, 'janus', outcomes), asked };
}

const INFO: JanusInfoResult = { ok: true, info: { janus: 'server_info', version_string: '1.1.2' } };

describe('janus', () => {
  it('passes when Janus answers and the server reports "mcu"', async () => {
    const j = janus({ type: 'janus', url: JANUS_URL }, INFO);
    expect(shown(await j.run({ server: serverWith(['mcu', 'hello-v2']) }))).toEqual({
      status: 'pass',
      detail: `Janus 1.1.2 answers at ${JANUS_URL}; the server reports "mcu"`,
    });
    expect(j.asked).toEqual([JANUS_URL]);
  });

  it('passes on Janus alone when the local server did not answer', async () => {
    const j = janus({ type: 'janus' }, INFO);
    expect(shown(await j.run({ server: { status: 'fail', detail: '' } }))).toEqual({
      status: 'pass',
      detail: `Janus 1.1.2 answers at ${JANUS_URL}`,
    });
  });

  it('fails when Janus is not running', async () => {
    const j = janus({ type: 'janus', url: JANUS_URL }, refused('127.0.0.1:8188'));
    expect(shown(await j.run())).toEqual({
      status: 'fail',
      detail: `Janus not running at ${JANUS_URL}: connect ECONNREFUSED 127.0.0.1:8188`,
      fix: 'start it: systemctl start janus, with the websockets transport on that port (janus.transport.websockets.jcfg: ws = true, ws_port); [mcu] url must match',
    });
  });

  it('fails when Janus answers but the server runs without it', async () => {
    const j = janus({ type: 'janus', url: JANUS_URL }, INFO);
    expect(shown(await j.run({ server: serverWith(['hello-v2']) }))).toEqual({
      status: 'fail',
      detail: `Janus 1.1.2 answers at ${JANUS_URL}, but the server's features lack "mcu": it runs without Janus`,
      fix: `${RESTART_FIX} (after Janus is up)`,
    });
  });

  it('skips without an MCU and in proxy mode', async () => {
    expect(shown(await janus({ type: 'none' }, INFO).run())).toEqual({
      status: 'skip',
      detail: 'no MCU configured: calls run peer-to-peer',
    });
    expect(shown(await janus(undefined, INFO).run())).toEqual({
      status: 'skip',
      detail: 'no MCU configured: calls run peer-to-peer',
    });
    expect(shown(await janus({ type: 'proxy' } as CheckSetup['mcu'], INFO).run())).toEqual({
      status: 'skip',
      detail: 'MCU proxy mode: Janus sits behind the proxies (see the proxies check)',
    });
  });
});

describe('janus-talk', () => {
  const FULL: JanusInfoResult = {
    ok: true,
    info: {
      janus: 'server_info',
      version_string: '1.1.2',
      data_channels: true,
      'full-trickle': true,
      plugins: { 'janus.plugin.videoroom': {} },
      transports: { 'janus.transport.websockets': {} },
    },
  };
  const talk = async (answer: JanusInfoResult) => {
    const j = janus({ type: 'janus', url: JANUS_URL }, answer);
    const first = await j.run({ server: serverWith(['mcu']) });
    const defs = janusChecks(
      context(checkInputs({}, { mcu: { type: 'janus', url: JANUS_URL } }), { janusInfo: async () => answer }),
    );
    return shown(await runOne(defs, 'janus-talk', { janus: first, server: serverWith(['mcu']) }));
  };
  const without = (k: string, v: unknown): JanusInfoResult => ({
    ok: true,
    info: { ...(FULL.ok ? FULL.info : {}), [k]: v },
  });

  it('passes with videoroom, websockets, data channels and full trickle', async () => {
    expect(await talk(FULL)).toEqual({
      status: 'pass',
      detail: 'videoroom plugin and websockets transport loaded, data channels, full trickle on',
    });
  });

  it('Janus down: skipped here, named by the Janus check', async () => {
    const j = janus({ type: 'janus', url: JANUS_URL }, refused('127.0.0.1:8188'));
    const first = await j.run();
    expect(first.status).toBe('fail');
    expect(first.detail).toMatch(/^Janus not running/);
    const defs = janusChecks(
      context(checkInputs({}, { mcu: { type: 'janus', url: JANUS_URL } }), {
        janusInfo: async () => refused('127.0.0.1:8188'),
      }),
    );
    expect(shown(await runOne(defs, 'janus-talk', { janus: first }))).toMatchObject({ status: 'skip' });
  });

  it('videoroom plugin missing: fails, naming the plugin and the fix', async () => {
    const r = await talk(without('plugins', { 'janus.plugin.echotest': {} }));
    expect(r.status).toBe('fail');
    expect(r.detail).toContain('videoroom plugin missing');
    expect(r.fix).toContain('plugins.disable');
  });

  it('websockets transport disabled: fails', async () => {
    const r = await talk(without('transports', { 'janus.transport.http': {} }));
    expect(r.status).toBe('fail');
    expect(r.detail).toContain('websockets transport not loaded');
  });

  it('data channels missing: fails', async () => {
    const r = await talk(without('data_channels', false));
    expect(r.status).toBe('fail');
    expect(r.detail).toContain('data channels not supported');
  });

  it('full trickle off: warns with the janus.jcfg fix', async () => {
    const r = await talk(without('full-trickle', false));
    expect(r.status).toBe('warn');
    expect(r.detail).toMatch(/^full trickle off/);
    expect(r.fix).toContain('full_trickle = true');
  });
});

describe("janusWebsocketCause and janusEventsCause (from this host's Janus files)", async () => {
  const { janusWebsocketCause, janusEventsCause } = await import('../../../src/check/groups/janus.js');
  it('names the transport disabled in janus.jcfg, switched off, or on another port; nothing when the files agree', () => {
    expect(
      janusWebsocketCause(
        { main: 'transports: {\n  disable = "libjanus_http.so, libjanus_websockets.so"\n}\n' },
        JANUS_URL,
      )?.detail,
    ).toBe(
      'the websockets transport is disabled (libjanus_websockets.so in transports.disable of /etc/janus/janus.jcfg)',
    );
    expect(janusWebsocketCause({ websockets: 'general: { ws = false; ws_port = 8188 }' }, JANUS_URL)?.fix).toContain(
      'set ws = true',
    );
    expect(janusWebsocketCause({ websockets: 'general: { ws = true; ws_port = 18188 }' }, JANUS_URL)?.detail).toBe(
      "Janus's websockets listen on port 18188 (ws_port in /etc/janus/janus.transport.websockets.jcfg), [mcu] url says 8188",
    );
    expect(janusWebsocketCause({ websockets: 'general: { ws = true; ws_port = 8188 }' }, JANUS_URL)).toBeUndefined();
    expect(janusWebsocketCause({ websockets: 'general: { ws = ' }, JANUS_URL)).toBeUndefined();
    expect(janusWebsocketCause(undefined, JANUS_URL)).toBeUndefined();
  });
  it('an enabled event handler needs broadcast and the wsevh plugin loaded', () => {
    const events = 'general: { enabled = true; backend = "ws://127.0.0.1:8080/spreed" }';
    expect(janusEventsCause({ events: 'general: { enabled = false }' }, {}).configured).toBe(false);
    expect(janusEventsCause({ events }, { event_handlers: false }).problem?.detail).toMatch(/events.broadcast is off/);
    expect(janusEventsCause({ events }, { event_handlers: true, events: {} }).problem?.fix).toContain(
      'libjanus_wsevh.so out of events.disable',
    );
    expect(janusEventsCause({ events }, { event_handlers: true, events: { 'janus.eventhandler.wsevh': {} } })).toEqual({
      configured: true,
      backend: 'ws://127.0.0.1:8080/spreed',
    });
  });
});

describe('mcu-live (serverinfo, 2.0.3+)', async () => {
  const { readFileSync } = await import('node:fs');
  // Captured from a real 2.1.1 server (built from its tag) in front of the real Janus 1.1.2, before
  // and after Janus was stopped.
  const up = JSON.parse(readFileSync('test/fixtures/serverinfo-2.1.1-janus.json', 'utf8'));
  const lost = JSON.parse(readFileSync('test/fixtures/serverinfo-2.1.1-janus-lost.json', 'utf8'));
  const live = (answer: unknown, features: string[] = ['mcu', 'serverinfo'], renderedFor?: string) => {
    const asked: string[] = [];
    const defs = janusChecks(
      context(checkInputs({}, { mcu: { type: 'janus', url: JANUS_URL }, ...(renderedFor ? { renderedFor } : {}) }), {
        serverInfo: async (base) => {
          asked.push(base);
          return answer as never;
        },
      }),
    );
    return { run: () => runOne(defs, 'mcu-live', { server: serverWith(features) }), asked };
  };
  it('passes while the server is connected to Janus, fails once it has lost it', async () => {
    const ok = live({ ok: true, status: 200, info: up });
    expect(shown(await ok.run())).toEqual({
      status: 'pass',
      detail: 'the server is connected to Janus 1.1.2 at ws://127.0.0.1:18188',
    });
    expect(ok.asked).toEqual(['http://127.0.0.1:8080']);
    const gone = await live({ ok: true, status: 200, info: lost }).run();
    expect(gone.status).toBe('fail');
    expect(gone.detail).toMatch(/lost Janus at ws:\/\/127\.0\.0\.1:18188 \(serverinfo: connected false\)/);
  });
  it('skips before 2.0.3 (no serverinfo feature), warns on 403 with the allowed_ips fix', async () => {
    const old = live({ ok: true, status: 200, info: up }, ['mcu'], '2.0.2');
    expect((await old.run()).status).toBe('info');
    expect(old.asked).toEqual([]);
    const refusedInfo = await live({ ok: true, status: 403 }, ['mcu'], '2.0.4').run();
    expect(refusedInfo.status).toBe('warn');
    expect(refusedInfo.fix).toContain('[stats] allowed_ips');
  });
  it('proxies: names the ones not connected', async () => {
    const info = {
      sfu: {
        mode: 'proxy',
        proxies: [
          { url: 'https://p1/', connected: true },
          { url: 'https://p2/', connected: false },
        ],
      },
    };
    const r = await live({ ok: true, status: 200, info }).run();
    expect(shown(r).detail).toBe('the server is not connected to https://p2/ (serverinfo)');
  });
});
