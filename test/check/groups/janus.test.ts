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
      detail: 'MCU proxy mode: the proxies are not probed',
    });
  });
});
