// The real media farm on loopback: `setup --janus proxy --proxy-node local` renders server.conf,
// the token key pair and proxy.conf; the real signaling proxy 2.0.2 starts from the rendered
// proxy.conf in front of the real Janus, and the real 2.0.2 signaling server rendered by the tool
// connects to it with its token: its log shows the proxy connection and the welcome lists "mcu".
// Adapted for loopback only: ports, and the key paths (under --root here).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fetchWelcome } from '../../src/probe/signaling.js';
import { signalingBinary, skipUnless, upstreamProxyBinary } from '../harness/components.js';
import { fetchServerInfo } from '../../src/probe/serverInfo.js';
import { freePort } from '../harness/ports.js';
import { startJanus, startProxy, startSignaling, type ManagedProcess } from '../harness/processes.js';
import { tempDir } from '../harness/tmp.js';
import { loopbackConfigs, renderFarm, HOST, ETC } from './farm.js';

const gate = skipUnless({ signaling: ['2.0.2'], components: ['janus'], proxy: true });

describe.skipIf(gate.skip)(
  `--janus proxy against the real proxy 2.0.2, Janus and signaling 2.0.2${gate.suffix}`,
  () => {
    const started: ManagedProcess[] = [];
    afterAll(async () => {
      for (const p of started.reverse()) await p.stop();
    });

    it('the rendered server connects to the rendered proxy with its token: mcu in the welcome', async () => {
      const { root, listenPort } = await renderFarm();
      const janusPort = await freePort();
      const janus = await startJanus(tempDir('proxy-janus-'), janusPort);
      started.push(janus);
      const proxyPort = await freePort();
      const { proxyConf, serverConf } = loopbackConfigs(root, { proxy: proxyPort, janus: janusPort });
      expect(readFileSync(proxyConf, 'utf8')).toContain(`${HOST} = ${path.join(root, ETC, 'proxy-token.pub')}`);
      const proxy = await startProxy(proxyConf, proxyPort);
      started.push(proxy);
      const server = await startSignaling(signalingBinary('2.0.2'), serverConf, listenPort, {
        name: 'signaling 2.0.2 (proxy)',
      });
      started.push(server);
      let features: string[] = [];
      for (let i = 0; i < 40 && !features.includes('mcu'); i++) {
        features = (await fetchWelcome(server.baseUrl, { timeoutMs: 2000 })).features ?? [];
        if (!features.includes('mcu')) await new Promise((res) => setTimeout(res, 250));
      }
      expect(features, `${server.log()}\n---\n${proxy.log()}`).toContain('mcu');
      const at = `http://127\\.0\\.0\\.1:${proxyPort}`;
      expect(server.log()).toMatch(new RegExp(`Connected to ${at}`));
      // The proxy accepted the token (a session) and reports the rendered country.
      expect(server.log()).toMatch(new RegExp(`Received session \\S+ from ${at} \\(in DE\\)`));
      expect(proxy.log(), proxy.log()).toMatch(/Connected to Janus/);
    }, 90_000);
  },
);

// Upstream's 2.1.1 server and proxy where the machine has them (SPREED_UPSTREAM_BIN_DIR).
const upstreamProxy = upstreamProxyBinary();
if (upstreamProxy)
  describe('--janus proxy against the real 2.1.1 proxy and server', () => {
    const started: ManagedProcess[] = [];
    afterAll(async () => {
      for (const p of started.reverse()) await p.stop();
    });
    it('the rendered 2.1.1 server connects to the rendered 2.1.1 proxy with its token: serverinfo shows it', async () => {
      const { root, listenPort } = await renderFarm('2.1.1');
      const janusPort = await freePort();
      started.push(await startJanus(tempDir('proxy-janus-'), janusPort));
      const proxyPort = await freePort();
      const { proxyConf, serverConf } = loopbackConfigs(root, { proxy: proxyPort, janus: janusPort });
      const proxy = await startProxy(proxyConf, proxyPort, { binary: upstreamProxy });
      started.push(proxy);
      const server = await startSignaling(signalingBinary('2.1.1'), serverConf, listenPort, {
        name: 'signaling 2.1.1 (proxy)',
      });
      started.push(server);
      let connected = false;
      let last = '';
      for (let i = 0; i < 40 && !connected; i++) {
        const info = await fetchServerInfo(server.baseUrl, { timeoutMs: 2000 });
        last = JSON.stringify(info);
        connected = info.ok && info.info?.sfu?.mode === 'proxy' && info.info.sfu.proxies?.[0]?.connected === true;
        if (!connected) await new Promise((res) => setTimeout(res, 250));
      }
      expect(connected, `${last}\n${server.log()}\n---\n${proxy.log()}`).toBe(true);
      expect((await fetchWelcome(server.baseUrl, { timeoutMs: 2000 })).features).toContain('mcu');
    }, 90_000);
  });
