// What the cross-node probe proves on real 2.0.2 servers (cluster-facts §4): between internal-client
// sessions on two nodes, with no room, a `message` travels over NATS whatever the session keys, and
// a `control` arrives only when the sending node can decode the recipient's session id, i.e. when
// both nodes have the same [sessions] hashkey and blockkey.
import { afterEach, describe, expect, it } from 'vitest';
import { crossNodeMessage } from '../../src/probe/signaling.js';
import { generateHex } from '../../src/secrets/secrets.js';
import { CLUSTER_BACKEND, startTestCluster, type TestCluster } from '../harness/cluster.js';
import { skipUnless } from '../harness/components.js';

const need = skipUnless({ signaling: ['2.0.2'], components: ['nats-server'] });
const ws = (c: TestCluster, name: string) => `ws://127.0.0.1:${c.node(name).httpPort}/spreed`;

describe.skipIf(need.skip)(`message and control between internal sessions on two nodes${need.suffix}`, () => {
  let c: TestCluster | undefined;
  afterEach(async () => {
    await c?.stop();
    c = undefined;
  });

  it('delivers both when the nodes share the session keys', async () => {
    c = await startTestCluster({ nodes: 2 });
    const r = await crossNodeMessage(ws(c, 'sig1'), ws(c, 'sig2'), {
      secret: c.secrets.internalsecret!,
      backend: CLUSTER_BACKEND.url,
      timeoutMs: 5000,
    });
    expect(r, c.logs()).toMatchObject({ ok: true, message: true, control: true });
  }, 60_000);

  it('delivers the message but drops the control when node B has other session keys', async () => {
    c = await startTestCluster({
      nodes: 2,
      override: { sig2: { hashkey: generateHex(64), blockkey: generateHex(32) } },
    });
    const r = await crossNodeMessage(ws(c, 'sig1'), ws(c, 'sig2'), {
      secret: c.secrets.internalsecret!,
      backend: CLUSTER_BACKEND.url,
      timeoutMs: 5000,
      controlGraceMs: 1000,
    });
    expect(r, c.logs()).toMatchObject({ ok: true, message: true, control: false });
    expect(c.node('sig1').proc!.log()).toContain('Unknown recipient in message');
  }, 60_000);

  it('names the recipient side when node B refuses the internal secret', async () => {
    c = await startTestCluster({ nodes: 2, override: { sig2: { internalsecret: generateHex(64) } } });
    const r = await crossNodeMessage(ws(c, 'sig1'), ws(c, 'sig2'), {
      secret: c.secrets.internalsecret!,
      backend: CLUSTER_BACKEND.url,
      timeoutMs: 5000,
    });
    expect(r).toMatchObject({ ok: false, side: 'recipient', code: 'invalid_token' });
  }, 60_000);
});
