// The real thing on loopback: `setup --janus local` renders Debian's Janus files (seeded with
// Debian's own /etc/janus as shipped) and server.conf; the real Janus 1.1.2 starts from the
// rendered files (only its websocket port and config folder adapted), the real 2.0.2 signaling
// server rendered by the tool starts against it, its welcome lists the mcu feature, and an internal
// hello succeeds.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getValue, parseGoconf } from '../../src/goconf/parse.js';
import { fetchWelcome, internalHello } from '../../src/probe/signaling.js';
import { janusInfo } from '../../src/probe/janus.js';
import { signalingBinary, skipUnless } from '../harness/components.js';
import { freePort } from '../harness/ports.js';
import { startJanusRendered, startSignaling, type ManagedProcess } from '../harness/processes.js';
import { tempDir } from '../harness/tmp.js';
import { runInProcess } from '../cli/inProcess.js';

const gate = skipUnless({ signaling: ['2.0.2'], components: ['janus'] });
const DEBIAN_JANUS = '/etc/janus';
const NEXTCLOUD = 'https://cloud.example.org';

describe.skipIf(gate.skip)(`--janus local against the real Janus and signaling 2.0.2${gate.suffix}`, () => {
  const started: ManagedProcess[] = [];
  afterAll(async () => {
    for (const p of started.reverse()) await p.stop();
  });

  it('Janus starts from the rendered files; the rendered server connects: mcu in the welcome, internal hello ok', async () => {
    const root = tempDir('spreed-janus-real-');
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
      '2.0.2',
      '--janus',
      'local',
      '--turn',
      'local',
      '--janus-public-ip',
      '203.0.113.9',
      '--yes',
      '--root',
      root,
    ]);
    expect(r.code, r.all).toBe(0);

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
  }, 90_000);
});
