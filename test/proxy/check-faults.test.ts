// `check`'s proxy MCU check against the real proxy 2.0.2 started from the rendered proxy.conf:
// the server's own key is accepted (the proxy's country shown); a wrong token key is named
// ("proxy token rejected") with the fix; a proxy that is down is named too. No key in any output.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { janusChecks } from '../../src/check/groups/janus.js';
import { realCheckIO } from '../../src/check/io.js';
import type { CheckSetup } from '../../src/check/setup.js';
import { skipUnless } from '../harness/components.js';
import { freePort } from '../harness/ports.js';
import { startJanus, startProxy, type ManagedProcess } from '../harness/processes.js';
import { tempDir } from '../harness/tmp.js';
import { checkInputs, context, runOne, shown } from '../check/groups/fixture.js';
import { ETC, HOST, loopbackConfigs, renderFarm } from './farm.js';

const gate = skipUnless({ components: ['janus'], proxy: true });

describe.skipIf(gate.skip)(`check names proxy token faults on the real proxy 2.0.2${gate.suffix}`, () => {
  const started: ManagedProcess[] = [];
  let root = '';
  let proxyUrl = '';
  beforeAll(async () => {
    ({ root } = await renderFarm());
    const janusPort = await freePort();
    started.push(await startJanus(tempDir('proxy-check-janus-'), janusPort));
    const proxyPort = await freePort();
    const { proxyConf } = loopbackConfigs(root, { proxy: proxyPort, janus: janusPort });
    started.push(await startProxy(proxyConf, proxyPort));
    proxyUrl = `http://127.0.0.1:${proxyPort}`;
  }, 60_000);
  afterAll(async () => {
    for (const p of started.reverse()) await p.stop();
  });

  const run = (mcu: CheckSetup['mcu']) =>
    runOne(janusChecks(context(checkInputs({}, { mcu }), realCheckIO)), 'mcu-proxy').then(shown);

  it("the server's own key: accepted, the proxy's country shown", async () => {
    const o = await run({
      type: 'proxy',
      urls: [proxyUrl],
      tokenId: HOST,
      tokenKey: path.join(root, ETC, 'proxy-token.key'),
    });
    expect(o).toMatchObject({ status: 'pass' });
    expect(o.detail).toBe(`the proxies accept token "${HOST}": ${proxyUrl} (DE)`);
  });

  it('a wrong token key: "proxy token rejected", with the fix; the key never shown', async () => {
    const wrong = path.join(tempDir('proxy-wrong-key-'), 'wrong.key');
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    writeFileSync(wrong, privateKey, { mode: 0o600 });
    const o = await run({ type: 'proxy', urls: [proxyUrl], tokenId: HOST, tokenKey: wrong });
    expect(o.status).toBe('fail');
    expect(o.detail).toMatch(new RegExp(`^proxy token rejected by ${proxyUrl.replace(/\./g, '\\.')} \\(auth_failed`));
    expect(o.fix).toContain(`"${HOST} = ${path.join(path.dirname(wrong), 'wrong.pub')}" under [tokens]`);
    const body = readFileSync(wrong, 'utf8').split('\n')[1] ?? '';
    expect(`${o.detail}${o.fix}`).not.toContain(body);
  });

  it('an unknown token id: rejected too', async () => {
    const o = await run({
      type: 'proxy',
      urls: [proxyUrl],
      tokenId: 'other-node',
      tokenKey: path.join(root, ETC, 'proxy-token.key'),
    });
    expect(o.status).toBe('fail');
    expect(o.detail).toMatch(/^proxy token rejected by /);
  });

  it('a proxy that is down: named, with its start fix', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const o = await run({
      type: 'proxy',
      urls: [down],
      tokenId: HOST,
      tokenKey: path.join(root, ETC, 'proxy-token.key'),
    });
    expect(o.status).toBe('fail');
    expect(o.detail).toMatch(new RegExp(`^proxy ${down.replace(/\./g, '\\.')} not answering`));
    expect(o.fix).toContain('systemctl start nextcloud-spreed-signaling-proxy');
  });
});
