// The proxy MCU check against a fake proxy hello and the local server's outcome.
import { describe, expect, it } from 'vitest';
import { janusChecks } from '../../../src/check/groups/janus.js';
import type { Outcome } from '../../../src/check/runner.js';
import type { CheckSetup } from '../../../src/check/setup.js';
import type { ProxyHelloResult } from '../../../src/probe/proxy.js';
import { checkInputs, context, RESTART_FIX, runOne, shown } from './fixture.js';

const KEY = '/etc/nextcloud-spreed-signaling/proxy-token.key';
const MCU: CheckSetup['mcu'] = {
  type: 'proxy',
  urls: ['http://10.0.0.5:9091', 'https://m2.example.org/p/'],
  tokenId: 'hpb1',
  tokenKey: KEY,
};
const serverWith = (features: string[]): Outcome => ({ status: 'pass', detail: '', data: { features } });

function proxy(mcu: CheckSetup['mcu'], answer: (url: string) => ProxyHelloResult, key: string | null = 'PEM') {
  const asked: string[] = [];
  const defs = janusChecks(
    context(checkInputs({}, { mcu }), {
      readFile: (f) => (f === KEY && key !== null ? key : undefined),
      proxyHello: async (url, opts) => {
        asked.push(`${url} ${opts.tokenId} ${opts.privateKeyPem}`);
        return answer(url);
      },
    }),
  );
  return { run: (o: Record<string, Outcome> = {}) => runOne(defs, 'mcu-proxy', o).then(shown), asked };
}

describe('mcu-proxy', () => {
  it('passes when every proxy accepts the token and the server reports "mcu"', async () => {
    const p = proxy(MCU, () => ({ ok: true, sessionId: 's', country: 'DE' }));
    expect(await p.run({ server: serverWith(['mcu']) })).toEqual({
      status: 'pass',
      detail: 'the proxies accept token "hpb1": http://10.0.0.5:9091 (DE), https://m2.example.org/p/ (DE)',
    });
    expect(p.asked).toEqual(['http://10.0.0.5:9091 hpb1 PEM', 'https://m2.example.org/p/ hpb1 PEM']);
  });

  it('names the proxy that rejects the token, with the [tokens] line to add', async () => {
    const p = proxy(MCU, (url) =>
      url.startsWith('https')
        ? { ok: false, code: 'token_rejected', message: 'auth_failed: The token could not be authenticated.' }
        : { ok: true, sessionId: 's' },
    );
    const o = await p.run();
    expect(o.status).toBe('fail');
    expect(o.detail).toBe(
      'proxy token rejected by https://m2.example.org/p/ (auth_failed: The token could not be authenticated.)',
    );
    expect(o.fix).toContain('"hpb1 = /etc/nextcloud-spreed-signaling/proxy-token.pub" under [tokens]');
  });

  it('fails when the key cannot be read, without asking a proxy', async () => {
    const p = proxy(MCU, () => ({ ok: true, sessionId: 's' }), null);
    expect((await p.run()).detail).toBe(`cannot read the proxy token key ${KEY}`);
    expect(p.asked).toEqual([]);
  });

  it('fails when the proxies accept but the server lacks "mcu"', async () => {
    const p = proxy(MCU, () => ({ ok: true, sessionId: 's' }));
    const o = await p.run({ server: serverWith(['hello-v2']) });
    expect(o).toMatchObject({ status: 'fail', fix: `${RESTART_FIX} (after the proxies are up)` });
  });

  it('is not in the catalogue without the proxy MCU', () => {
    const ids = janusChecks(context(checkInputs({}, { mcu: { type: 'janus', url: 'ws://127.0.0.1:8188' } }), {})).map(
      (d) => d.id,
    );
    expect(ids).toEqual(['janus', 'janus-talk', 'janus-address', 'mcu-live']);
  });
});
