// The real thing on loopback: `setup --janus local` renders Debian's Janus files (seeded with
// Debian's own /etc/janus as shipped) and server.conf; the real Janus 1.1.2 starts from the
// rendered files (only its websocket port and config folder adapted), the real 2.0.2 signaling
// server rendered by the tool starts against it, its welcome lists the mcu feature, and an internal
// hello succeeds.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { getValue, parseGoconf } from '../../src/goconf/parse.js';
import { fetchWelcome, internalHello } from '../../src/probe/signaling.js';
import { janusInfo } from '../../src/probe/janus.js';
import { parseLibconfig, type LcGroup } from '../../src/render/libconfig.js';
import { SIGNALING_VERSIONS, signalingBinary, skipUnless } from '../harness/components.js';
import { fetchServerInfo } from '../../src/probe/serverInfo.js';
import { freePort } from '../harness/ports.js';
import { startJanusRendered, startSignaling, type ManagedProcess } from '../harness/processes.js';
import { tempDir } from '../harness/tmp.js';
import { runInProcess } from '../cli/inProcess.js';

const gate = skipUnless({ signaling: ['2.0.2'], components: ['janus'] });
const DEBIAN_JANUS = '/etc/janus';
const NEXTCLOUD = 'https://cloud.example.org';

/** `setup --janus local` for VERSION into a new root seeded with Debian's /etc/janus as shipped. */
async function renderJanusLocal(
  version: string,
  more: string[],
): Promise<{ root: string; rendered: string; listenPort: number }> {
  const root = tempDir(`spreed-janus-${version}-`);
  const rendered = path.join(root, 'etc/janus');
  mkdirSync(rendered, { recursive: true });
  if (existsSync(DEBIAN_JANUS))
    for (const f of readdirSync(DEBIAN_JANUS).filter((n) => n.endsWith('.jcfg')))
      copyFileSync(path.join(DEBIAN_JANUS, f), path.join(rendered, f));
  const listenPort = await freePort();
  const r = await runInProcess([
    'setup',
    '--hostname',
    'hpb.example.org',
    '--nextcloud',
    NEXTCLOUD,
    '--listen',
    `127.0.0.1:${listenPort}`,
    '--nginx',
    'none',
    '--server-version',
    version,
    '--janus',
    'local',
    ...more,
    '--yes',
    '--root',
    root,
  ]);
  expect(r.code, r.all).toBe(0);
  return { root, rendered, listenPort };
}

describe.skipIf(gate.skip)(`--janus local against the real Janus and signaling 2.0.2${gate.suffix}`, () => {
  const started: ManagedProcess[] = [];
  afterAll(async () => {
    for (const p of started.reverse()) await p.stop();
  });

  it('Janus starts from the rendered files; the rendered server connects: mcu in the welcome, internal hello ok', async () => {
    const { root, rendered, listenPort } = await renderJanusLocal('2.0.2', [
      '--turn',
      'local',
      '--janus-public-ip',
      '203.0.113.9',
    ]);

    const janusPort = await freePort();
    const janus = await startJanusRendered(rendered, tempDir('janus-run-'), janusPort);
    started.push(janus);
    const info = await janusInfo(janus.url, { timeoutMs: 3000 });
    expect(info.ok, JSON.stringify(info)).toBe(true);
    const si = info.ok ? info.info : {};
    expect(Object.keys((si.plugins ?? {}) as object)).toContain('janus.plugin.videoroom');
    expect(si['full-trickle']).toBe(true);
    expect(si.data_channels).toBe(true);
    expect(janus.log()).toContain('full-trickle');
    expect(janus.log()).toContain('Using nat_1_1_mapping for public IP: 203.0.113.9');
    expect(janus.log()).toContain(`TURN REST API backend: http://127.0.0.1:${listenPort}/turn/credentials`);
    expect(janus.log()).not.toMatch(/Loading transport plugin 'libjanus_http\.so'/);

    // server.conf as rendered, adapted only in the Janus port.
    const confPath = path.join(root, 'etc/nextcloud-spreed-signaling/server.conf');
    const text = readFileSync(confPath, 'utf8');
    expect(getValue(parseGoconf(text), 'mcu', 'url')).toBe('ws://127.0.0.1:8188');
    const conf = path.join(root, 'server-loopback.conf');
    writeFileSync(conf, text.replace('url = ws://127.0.0.1:8188', `url = ws://127.0.0.1:${janusPort}`));
    const server = await startSignaling(signalingBinary('2.0.2'), conf, listenPort, {
      name: 'signaling 2.0.2 (janus)',
    });
    started.push(server);

    const welcome = await fetchWelcome(server.baseUrl, { timeoutMs: 3000 });
    expect(welcome.status).toBe(200);
    expect(welcome.features).toContain('mcu');
    expect(server.log()).toMatch(/Connected to Janus WebRTC Server/);

    const secret = getValue(parseGoconf(text), 'clients', 'internalsecret');
    expect(secret).toBeTruthy();
    const hello = await internalHello(server.wsUrl, { secret: String(secret), backend: NEXTCLOUD, timeoutMs: 5000 });
    expect(hello.ok, JSON.stringify(hello)).toBe(true);
    // Rendered for 2.0.2: no event handler (its /spreed takes none before 2.1.0).
    const wsevh = path.join(rendered, 'janus.eventhandler.wsevh.jcfg');
    if (existsSync(wsevh)) expect((parseLibconfig(readFileSync(wsevh, 'utf8')).general as LcGroup).enabled).toBe(false);
    expect(readFileSync(path.join(rendered, 'janus.jcfg'), 'utf8')).not.toMatch(/^\s*broadcast = true/m);
  }, 90_000);

  it('for 2.1.0+: the rendered event handler sends Janus events to /spreed with the janus-events subprotocol', async () => {
    const { rendered, listenPort } = await renderJanusLocal('2.1.1', ['--janus-public-ip', '203.0.113.9']);
    // A stand-in for the 2.1 server's /spreed on the rendered listen address: it records what Janus sends.
    const seen: { protocol?: string; path?: string; first?: string } = {};
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: listenPort,
      handleProtocols: (protocols) => (protocols.has('janus-events') ? 'janus-events' : false),
    });
    const got = new Promise<void>((resolve) => {
      wss.on('connection', (ws, req) => {
        seen.protocol = ws.protocol;
        seen.path = req.url;
        ws.once('message', (m) => {
          seen.first = String(m);
          resolve();
        });
      });
    });
    try {
      const janusPort = await freePort();
      const janus = await startJanusRendered(rendered, tempDir('janus-run-'), janusPort);
      started.push(janus);
      // A session makes events (Janus sends core events at start too).
      await janusInfo(janus.url, { timeoutMs: 3000 });
      await Promise.race([got, new Promise((res) => setTimeout(res, 15_000))]);
      expect(seen, janus.log()).toMatchObject({ protocol: 'janus-events', path: '/spreed' });
      expect(Array.isArray(JSON.parse(seen.first ?? 'null'))).toBe(true);
    } finally {
      for (const c of wss.clients) c.terminate();
      await new Promise((res) => wss.close(res));
    }
  }, 90_000);
});

// Upstream's 2.1.1 where the machine has it (SPREED_UPSTREAM_BIN_DIR; see test/harness/components.ts):
// the same rendered Janus and server.conf, the event handler connected to the real /spreed.
if (SIGNALING_VERSIONS.includes('2.1.1'))
  describe('--janus local against the real Janus and upstream 2.1.1', () => {
    const started: ManagedProcess[] = [];
    afterAll(async () => {
      for (const p of started.reverse()) await p.stop();
    });
    it('the rendered server connects to the rendered Janus: mcu, serverinfo connected, Janus events taken', async () => {
      const { root, rendered, listenPort } = await renderJanusLocal('2.1.1', []);
      const janusPort = await freePort();
      const text = readFileSync(path.join(root, 'etc/nextcloud-spreed-signaling/server.conf'), 'utf8');
      const conf = path.join(root, 'server-loopback.conf');
      writeFileSync(conf, text.replace('url = ws://127.0.0.1:8188', `url = ws://127.0.0.1:${janusPort}`));
      // Janus first: the server does not listen until its MCU answers.
      const janus = await startJanusRendered(rendered, tempDir('janus-run-'), janusPort);
      started.push(janus);
      const server = await startSignaling(signalingBinary('2.1.1'), conf, listenPort, {
        name: 'signaling 2.1.1 (janus)',
      });
      started.push(server);
      const welcome = await fetchWelcome(server.baseUrl, { timeoutMs: 3000 });
      expect(welcome.features).toContain('mcu');
      const info = await fetchServerInfo(server.baseUrl, { timeoutMs: 3000 });
      expect(info.ok && info.info?.sfu?.janus?.connected, JSON.stringify(info)).toBe(true);
      const secret = String(getValue(parseGoconf(text), 'clients', 'internalsecret'));
      const hello = await internalHello(server.wsUrl, { secret, backend: NEXTCLOUD, timeoutMs: 5000 });
      expect(hello.ok, JSON.stringify(hello)).toBe(true);
      // Janus's event handler (rendered for 2.1.0+) reaches the server's /spreed; Janus retries every few s.
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && !/Processing Janus events from 127\.0\.0\.1/.test(server.log()))
        await new Promise((res) => setTimeout(res, 250));
      expect(server.log(), janus.log()).toMatch(/Processing Janus events from 127\.0\.0\.1/);
    }, 90_000);
  });
