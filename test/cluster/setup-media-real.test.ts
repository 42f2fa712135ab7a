// A cluster with a media node, on the real components: two signaling nodes and one media node set
// up by the built CLI into three --root trees (the bundle copied from the front node's), the real
// proxy 2.0.2 started from the media node's rendered proxy.conf in front of a real Janus, and both
// real 2.0.2 servers from their rendered server.conf: each connects to the proxy with its own token
// (its own key from the bundle, its public half in the proxy's [tokens] under its node name).
// Adapted for loopback only: the key files' --root (the configs name system paths).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { fetchWelcome } from '../../src/probe/signaling.js';
import { runCli, scratch } from '../cli/run.js';
import { componentPath, signalingBinary, skipUnless } from '../harness/components.js';
import { freePort, portAnswers } from '../harness/ports.js';
import { startJanus, startProcess, startProxy, startSignaling, type ManagedProcess } from '../harness/processes.js';
import { tempDir } from '../harness/tmp.js';

const gate = skipUnless({ signaling: ['2.0.2'], components: ['janus', 'nats-server'], proxy: true });
const ETC = 'etc/nextcloud-spreed-signaling';
const BUNDLE = 'etc/spreed-setup/cluster-media';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(gate.skip)(`a cluster's media node on the real proxy 2.0.2 and Janus${gate.suffix}`, () => {
  const started: ManagedProcess[] = [];
  afterAll(async () => {
    for (const p of started.reverse()) await p.stop();
  });

  it('both signaling nodes reach the proxy with their own tokens', async () => {
    const work = scratch('spreed-cluster-media-');
    const roots = { sig1: path.join(work, 'sig1'), sig2: path.join(work, 'sig2'), media1: path.join(work, 'media1') };
    for (const r of Object.values(roots)) mkdirSync(r);
    const janusPort = await freePort();
    const proxyPort = await freePort();
    const node = async (name: string) => ({
      name,
      address: '127.0.0.1',
      httpPort: await freePort(),
      grpcPort: await freePort(),
      natsPort: await freePort(),
      natsClusterPort: await freePort(),
      natsMonitorPort: await freePort(),
    });
    const nodes = [await node('sig1'), await node('sig2')];
    const file = path.join(work, 'cluster.yaml');
    writeFileSync(
      file,
      stringify({
        hostname: 'hpb.example.org',
        backends: [{ id: 'nextcloud', urls: ['https://cloud.example.org'] }],
        nginx: { mode: 'none' },
        cluster: {
          name: 'media',
          nodes,
          media: [
            {
              name: 'media1',
              address: '127.0.0.1',
              proxyPort,
              janusUrl: `ws://127.0.0.1:${janusPort}`,
              country: 'DE',
            },
          ],
        },
      }),
    );
    const setup = (n: keyof typeof roots) =>
      runCli([
        'setup',
        '--cluster',
        file,
        '--node',
        n,
        '--server-version',
        '2.0.2',
        '--yes',
        '--no-start',
        '--root',
        roots[n],
      ]);
    const first = await setup('sig1');
    expect(first.code, first.all).toBe(0);
    for (const n of ['sig2', 'media1'] as const) {
      mkdirSync(path.join(roots[n], 'etc/spreed-setup'), { recursive: true });
      execFileSync('cp', ['-a', path.join(roots.sig1, BUNDLE), path.join(roots[n], 'etc/spreed-setup/')]);
      const r = await setup(n);
      expect(r.code, r.all).toBe(0);
    }

    // The configs name system paths: point them at each machine's --root.
    const rooted = (root: string, text: string) => text.replaceAll(` = /${ETC}/`, ` = ${path.join(root, ETC)}/`);
    const proxyConf = path.join(work, 'proxy.conf');
    writeFileSync(proxyConf, rooted(roots.media1, readFileSync(path.join(roots.media1, ETC, 'proxy.conf'), 'utf8')));
    expect(readFileSync(proxyConf, 'utf8')).toContain(`sig2 = ${path.join(roots.media1, ETC)}/proxy-token-sig2.pub`);

    for (const n of nodes) {
      const p = startProcess(
        `nats-${n.name}`,
        componentPath('nats-server'),
        ['-c', path.join(roots[n.name as 'sig1'], 'etc/nats-server.conf'), '-P', path.join(work, `nats-${n.name}.pid`)],
        { stopSignal: 'SIGTERM' },
      );
      started.push(p);
    }
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(50))
      if ((await Promise.all(nodes.map((n) => portAnswers(n.natsPort)))).every(Boolean)) break;

    started.push(await startJanus(tempDir('cluster-janus-'), janusPort));
    const proxy = await startProxy(proxyConf, proxyPort);
    started.push(proxy);
    for (const n of nodes) {
      const root = roots[n.name as 'sig1'];
      const conf = path.join(work, `server-${n.name}.conf`);
      writeFileSync(conf, rooted(root, readFileSync(path.join(root, ETC, 'server.conf'), 'utf8')), { mode: 0o600 });
      const server = await startSignaling(signalingBinary('2.0.2'), conf, n.httpPort, { name: `signaling-${n.name}` });
      started.push(server);
      let features: string[] = [];
      for (let i = 0; i < 40 && !features.includes('mcu'); i++) {
        features = (await fetchWelcome(server.baseUrl, { timeoutMs: 2000 })).features ?? [];
        if (!features.includes('mcu')) await sleep(250);
      }
      expect(features, `${server.log()}\n---\n${proxy.log()}`).toContain('mcu');
      // The proxy took this node's token (a session), and reports the media node's country.
      expect(server.log()).toMatch(
        new RegExp(`Received session \\S+ from http://127\\.0\\.0\\.1:${proxyPort} \\(in DE\\)`),
      );
    }
  }, 120_000);
});
