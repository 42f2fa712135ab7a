// The NATS group against a fake INFO probe.
import { describe, expect, it } from 'vitest';
import { natsChecks } from '../../../src/check/groups/nats.js';
import type { NatsInfoResult } from '../../../src/probe/nats.js';
import type { CheckSetup } from '../../../src/check/setup.js';
import { checkInputs, context, runOne, shown } from './fixture.js';

const START_FIX =
  'start it: systemctl start nats-server (the signaling server does not open its port until NATS answers), or use in-process NATS: spreed-setup setup --nats loopback';

function nats(nats: CheckSetup['nats'], answers: Record<string, NatsInfoResult>) {
  const asked: string[] = [];
  const defs = natsChecks(
    context(checkInputs({}, { nats }), {
      natsInfo: async (url) => {
        asked.push(url);
        return answers[url] ?? { ok: false, code: 'connect_failed', message: `no fake for ${url}` };
      },
    }),
  );
  return { run: () => runOne(defs, 'nats'), asked };
}

describe('nats', () => {
  it('passes when every external server sends INFO', async () => {
    const n = nats(
      { mode: 'external', urls: ['nats://10.0.0.5:4222', 'nats://10.0.0.6:4222'] },
      { 'nats://10.0.0.5:4222': { ok: true, info: {} }, 'nats://10.0.0.6:4222': { ok: true, info: {} } },
    );
    expect(shown(await n.run())).toEqual({
      status: 'pass',
      detail: 'INFO from nats://10.0.0.5:4222, nats://10.0.0.6:4222',
    });
  });

  it('probes the local default when the local server names no URL', async () => {
    const n = nats({ mode: 'local' }, { 'nats://127.0.0.1:4222': { ok: true, info: {} } });
    expect((await n.run()).status).toBe('pass');
    expect(n.asked).toEqual(['nats://127.0.0.1:4222']);
  });

  it('fails naming a stopped server and how many others answer', async () => {
    const n = nats(
      { mode: 'external', urls: ['nats://10.0.0.5:4222', 'nats://10.0.0.6:4222'] },
      {
        'nats://10.0.0.5:4222': { ok: true, info: {} },
        'nats://10.0.0.6:4222': {
          ok: false,
          code: 'connect_failed',
          message: 'connect to 10.0.0.6:4222 failed: connect ECONNREFUSED 10.0.0.6:4222',
        },
      },
    );
    expect(shown(await n.run())).toEqual({
      status: 'fail',
      detail:
        'NATS not running at nats://10.0.0.6:4222: connect to 10.0.0.6:4222 failed: connect ECONNREFUSED 10.0.0.6:4222 (1 of 2 answer)',
      fix: START_FIX,
    });
  });

  it('fails naming something on the port that is not NATS', async () => {
    const n = nats(
      { mode: 'local', url: 'nats://127.0.0.1:4333' },
      {
        'nats://127.0.0.1:4333': {
          ok: false,
          code: 'unexpected_message',
          message: '127.0.0.1:4333 did not answer like NATS (first line does not start with INFO)',
        },
      },
    );
    expect(shown(await n.run())).toEqual({
      status: 'fail',
      detail:
        'NATS not answering at nats://127.0.0.1:4333: 127.0.0.1:4333 did not answer like NATS (first line does not start with INFO)',
      fix: START_FIX,
    });
  });

  it('skips in-process NATS and an unreadable config, without probing', async () => {
    const loopback = nats({ mode: 'loopback' }, {});
    expect(shown(await loopback.run())).toEqual({
      status: 'skip',
      detail: 'in-process NATS (loopback): nothing to probe',
    });
    const unread = nats(undefined, {});
    expect(shown(await unread.run())).toEqual({ status: 'skip', detail: 'skipped: server.conf not readable' });
    expect([...loopback.asked, ...unread.asked]).toEqual([]);
  });
});
