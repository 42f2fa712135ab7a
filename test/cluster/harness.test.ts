// The test cluster itself (test/harness/cluster.ts): the NATS mesh forms, every node answers its
// welcome from its own rendered server.conf, and a stopped nats-server comes back on its ports.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsRouteCount, startTestCluster, type TestCluster } from '../harness/cluster.js';
import { skipUnless } from '../harness/components.js';

const need = skipUnless({ signaling: ['2.0.2'], components: ['nats-server'] });

describe.skipIf(need.skip)(`test cluster harness${need.suffix}`, () => {
  let c: TestCluster;
  beforeAll(async () => {
    c = await startTestCluster({ nodes: 2, natsServers: 3 });
  }, 60_000);
  afterAll(async () => {
    await c?.stop();
  });

  it('forms a 3-member NATS mesh and starts both signaling nodes', async () => {
    for (const m of c.nats) expect(await natsRouteCount(m.monitorPort)).toBe(2);
    for (const n of c.nodes) {
      const res = await fetch(`http://127.0.0.1:${n.httpPort}/api/v1/welcome`);
      expect(res.status, c.logs()).toBe(200);
      const conf = readFileSync(n.confPath, 'utf8');
      expect(conf).toContain(`listen = 127.0.0.1:${n.httpPort}`);
      expect(conf).toContain(c.nats.map((m) => `nats://127.0.0.1:${m.port}`).join(', '));
    }
    expect(c.file.cluster.nats.mode).toBe('external');
  });

  it('restarts a stopped nats-server on the same ports', async () => {
    const port = c.nats[1]!.port;
    await c.stopNats(1);
    expect(await natsRouteCount(c.nats[1]!.monitorPort)).toBeUndefined();
    await c.restartNats(1);
    expect(c.nats[1]!.port).toBe(port);
    expect(await natsRouteCount(c.nats[1]!.monitorPort)).toBe(2);
  }, 30_000);
});
