// The cluster group (check --cluster) against fakes: each link broken alone is named with its node
// and its fix; secret values never reach a detail or a fix.
import { describe, expect, it } from 'vitest';
import type { ClusterCheckSetup } from '../../../src/check/clusterSetup.js';
import { clusterChecks, type ClusterIO } from '../../../src/check/groups/cluster.js';
import type { CheckIO } from '../../../src/check/io.js';
import type { Outcome } from '../../../src/check/runner.js';
import { ClusterSchema } from '../../../src/model/cluster.js';
import type { ProbeResult } from '../../../src/probe/result.js';
import type { CrossNodeResult, WelcomeAnswer } from '../../../src/probe/signaling.js';
import { fakeIO, refused, runOne, shown } from './fixture.js';

const BUNDLE = '/etc/spreed-setup/cluster-hpb';
const HASH = 'a'.repeat(64);
const BLOCK = 'b'.repeat(32);
const INTERNAL = 'c'.repeat(64);
const BACKEND = 'd'.repeat(64);
const SECRETS = [HASH, BLOCK, INTERNAL, BACKEND, 'e'.repeat(64), 'f'.repeat(32)];

function setup(over: Partial<ClusterCheckSetup> = {}, cluster: Record<string, unknown> = {}): ClusterCheckSetup {
  const c = ClusterSchema.parse({
    name: 'hpb',
    nodes: [
      { name: 'sig1', address: '10.0.0.11' },
      { name: 'sig2', address: '10.0.0.12' },
    ],
    media: [{ name: 'media1', address: '10.0.0.21' }],
    ...cluster,
  });
  return {
    filePath: '/root/cluster.yaml',
    file: {
      shared: { hostname: 'hpb.example.org', backends: [{ id: 'nextcloud', urls: ['https://cloud.example.org'] }] },
      cluster: c,
    },
    unit: 'nextcloud-spreed-signaling',
    bundle: {
      where: BUNDLE,
      values: new Map([
        ['hashkey', HASH],
        ['blockkey', BLOCK],
        ['internalsecret', INTERNAL],
        ['backend-nextcloud', BACKEND],
      ]),
    },
    backendUrl: 'https://cloud.example.org',
    token: { id: 'sig1', privateKeyPem: 'PEM', where: '/etc/nextcloud-spreed-signaling/proxy-token-sig1.key' },
    ...over,
  };
}

const welcome = (version: string): ProbeResult<WelcomeAnswer> => ({
  ok: true,
  status: 200,
  headers: {},
  body: '',
  json: { 'nextcloud-spreed-signaling': 'Welcome', version },
  features: [],
});
const passed = (version: string): Outcome => ({
  status: 'pass',
  detail: '',
  data: { reported: version, version: version.replace(/-.*/, '') },
});
const json = (status: number, body: unknown) => ({
  ok: true as const,
  status,
  headers: {},
  body: JSON.stringify(body),
});

function run(s: ClusterCheckSetup, io: Partial<ClusterIO>, id: string, outcomes: Record<string, Outcome> = {}) {
  return runOne(clusterChecks(s, fakeIO(io as Partial<CheckIO>)), id, outcomes).then((o) => {
    const text = `${o.detail} ${o.fix ?? ''}`;
    for (const v of SECRETS) expect(text.includes(v), 'a secret value in a detail or fix').toBe(false);
    return o;
  });
}

describe('cluster: nodes', () => {
  it('passes a node that answers its welcome, with its version', async () => {
    const o = await run(setup(), { welcome: async () => welcome('2.0.2-2+b2.debian') }, 'cluster.node.sig2');
    expect(shown(o)).toEqual({
      status: 'pass',
      detail: 'welcome from http://10.0.0.12:8080, version 2.0.2-2+b2.debian',
    });
    expect(o.data).toMatchObject({ version: '2.0.2' });
  });

  it('names a node that is not running and how to start it', async () => {
    const o = await run(setup(), { welcome: async () => refused('10.0.0.12:8080') }, 'cluster.node.sig2');
    expect(shown(o)).toEqual({
      status: 'fail',
      detail: 'nothing listening at http://10.0.0.12:8080 (connection refused)',
      fix: 'start the signaling server on sig2: systemctl start nextcloud-spreed-signaling (it listens only once NATS answers; journalctl -u nextcloud-spreed-signaling says why it stopped)',
    });
  });

  it('warns when the nodes run different versions', async () => {
    const o = await run(setup(), {}, 'cluster.versions', {
      'cluster.node.sig1': passed('2.0.2'),
      'cluster.node.sig2': passed('2.1.1'),
    });
    expect(o.status).toBe('warn');
    expect(o.detail).toBe('the nodes run different versions: sig1 2.0.2, sig2 2.1.1');
  });
});

describe('cluster: NATS', () => {
  const routez = (n: number) =>
    json(200, { num_routes: n, routes: Array.from({ length: n }, (_, i) => ({ remote_id: `S${i}` })) });

  it("asks each node's monitoring port (own mode) and passes full routes", async () => {
    const asked: string[] = [];
    const o = await run(
      setup(),
      {
        request: async (url) => {
          asked.push(url);
          return routez(1);
        },
      },
      'cluster.nats.sig1',
    );
    expect(shown(o)).toEqual({ status: 'pass', detail: '1 route (cluster of 2)' });
    expect(asked).toEqual(['http://10.0.0.11:8222/routez']);
  });

  it("names node B's stopped nats-server with its fix", async () => {
    const o = await run(setup(), { request: async () => refused('10.0.0.12:8222') }, 'cluster.nats.sig2');
    expect(o.status).toBe('fail');
    expect(o.detail).toBe(
      "node sig2's nats-server is not running: nothing listens on its monitoring port (http://10.0.0.12:8222)",
    );
    expect(o.fix).toMatch(/^start it on sig2: systemctl start nats-server/);
  });

  it('names a split cluster', async () => {
    const o = await run(setup(), { request: async () => routez(0) }, 'cluster.nats.sig1');
    expect(o.status).toBe('fail');
    expect(o.detail).toBe("node sig1's nats-server routes to 0 of the 1 other NATS server: the NATS cluster is split");
    expect(o.fix).toContain('cluster name "hpb"');
  });

  it('checks an external cluster through its monitoring URLs, or says it cannot', async () => {
    const ext = setup(
      {},
      {
        nats: {
          mode: 'external',
          urls: ['nats://10.0.0.5:4222', 'nats://10.0.0.6:4222', 'nats://10.0.0.7:4222'],
          monitorUrls: ['http://10.0.0.5:8222', 'http://10.0.0.6:8222/', 'http://10.0.0.7:8222'],
        },
      },
    );
    const asked: string[] = [];
    const o = await run(ext, { request: async (url) => (asked.push(url), routez(2)) }, 'cluster.nats.2');
    expect(shown(o)).toEqual({ status: 'pass', detail: '2 routes (cluster of 3)' });
    expect(asked).toEqual(['http://10.0.0.6:8222/routez']);
    const none = setup({}, { nats: { mode: 'external', urls: ['nats://10.0.0.5:4222'] } });
    expect((await run(none, {}, 'cluster.nats')).status).toBe('info');
  });
});

describe('cluster: message and control between nodes', () => {
  const cross = (r: CrossNodeResult, seen: string[][] = []) => ({
    crossNodeMessage: async (a: string, b: string, opts: { secret: string; backend: string }) => {
      seen.push([a, b, opts.secret === INTERNAL ? 'bundle secret' : 'other secret', opts.backend]);
      return r;
    },
  });

  it('passes when both arrive; the sender is the first node, or --node', async () => {
    const seen: string[][] = [];
    const o = await run(
      setup(),
      cross({ ok: true, message: true, control: true, ms: 42 }, seen),
      'cluster.message.sig1.sig2',
    );
    expect(o.status).toBe('pass');
    expect(seen).toEqual([
      ['ws://10.0.0.11:8080/spreed', 'ws://10.0.0.12:8080/spreed', 'bundle secret', 'https://cloud.example.org'],
    ]);
    const ids = clusterChecks(setup({ node: 'sig2' }), fakeIO({})).map((d) => d.id);
    expect(ids).toContain('cluster.message.sig2.sig1');
    expect(ids).not.toContain('cluster.message.sig1.sig2');
  });

  it("names node B's session keys when the message arrives and the control does not", async () => {
    const o = await run(
      setup(),
      cross({ ok: true, message: true, control: false, ms: 30 }),
      'cluster.message.sig1.sig2',
    );
    expect(shown(o)).toEqual({
      status: 'fail',
      detail:
        "node sig2's session keys differ from node sig1's: a message arrived, but the control message was dropped (sig1 cannot decode sig2's session ids)",
      fix: `copy hashkey and blockkey from the cluster secrets (${BUNDLE}/hashkey, ${BUNDLE}/blockkey) into [sessions] of every node's server.conf, then restart the signaling servers`,
    });
  });

  it('names NATS when not even the message arrives', async () => {
    const o = await run(
      setup(),
      cross({ ok: true, message: false, control: false, ms: 4600 }),
      'cluster.message.sig1.sig2',
    );
    expect(o.status).toBe('fail');
    expect(o.detail).toBe('a message from a session on sig1 did not reach a session on sig2 within 4.6 s');
    expect(o.fix).toContain('same [nats] url');
  });

  it('names the node that refuses the internal secret', async () => {
    const o = await run(
      setup(),
      cross({ ok: false, code: 'invalid_token', message: '', side: 'recipient' }),
      'cluster.message.sig1.sig2',
    );
    expect(o.detail).toBe(`node sig2 refuses the internal secret of ${BUNDLE}`);
    expect(o.fix).toMatch(
      /^node sig2's \[clients\] internalsecret differs: copy internalsecret from the cluster secrets/,
    );
  });

  it('prefers the local server.conf secret and skips without any', async () => {
    const seen: string[][] = [];
    const local = {
      where: '/etc/nextcloud-spreed-signaling/server.conf',
      values: new Map([['internalsecret', 'e'.repeat(64)]]),
    };
    await run(
      setup({ node: 'sig1', local }),
      cross({ ok: true, message: true, control: true, ms: 1 }, seen),
      'cluster.message.sig1.sig2',
    );
    expect(seen[0]![2]).toBe('other secret');
    const none = await run(
      setup({ bundle: { where: BUNDLE, values: new Map(), error: 'EACCES' } }),
      {},
      'cluster.message.sig1.sig2',
    );
    expect(none.status).toBe('skip');
    expect(none.detail).toContain('--node NAME');
  });
});

describe('cluster: shared secrets by fingerprint', () => {
  const local = (values: [string, string][]) => ({
    where: '/etc/nextcloud-spreed-signaling/server.conf',
    values: new Map(values),
  });

  it('passes when the local node holds the bundle values', async () => {
    const o = await run(
      setup({
        node: 'sig1',
        local: local([
          ['hashkey', HASH],
          ['blockkey', BLOCK],
          ['internalsecret', INTERNAL],
        ]),
      }),
      {},
      'cluster.secrets',
    );
    expect(o.status).toBe('pass');
    expect(o.detail).toMatch(
      /^hashkey, blockkey, internalsecret of sig1 match the cluster secrets \(hashkey 64 chars, sha256 [0-9a-f]{8}\)$/,
    );
  });

  it('names each differing secret by fingerprint, never by value', async () => {
    const o = await run(
      setup({
        node: 'sig2',
        local: local([
          ['hashkey', 'e'.repeat(64)],
          ['blockkey', 'f'.repeat(32)],
          ['internalsecret', INTERNAL],
        ]),
      }),
      {},
      'cluster.secrets',
    );
    expect(o.status).toBe('fail');
    expect(o.detail).toMatch(
      /^sig2's hashkey \(64 chars, sha256 \w{8}\), blockkey \(32 chars, sha256 \w{8}\) differ from the cluster secrets'/,
    );
    expect(o.fix).toBe(
      `the session keys must be identical on every node (cluster-facts §4): copy them from the cluster secrets (${BUNDLE}) into /etc/nextcloud-spreed-signaling/server.conf, then restart it: systemctl restart nextcloud-spreed-signaling`,
    );
  });

  it('skips without --node', async () => {
    expect((await run(setup(), {}, 'cluster.secrets')).status).toBe('skip');
  });
});

describe('cluster: gRPC', () => {
  it('is an info, not a pass, before 2.0.3', async () => {
    const o = await run(setup(), {}, 'cluster.grpc.sig1', { 'cluster.node.sig1': passed('2.0.2') });
    expect(shown(o)).toEqual({
      status: 'info',
      detail: 'sig1 runs 2.0.2: gRPC connections are not reported before 2.0.3 (serverinfo)',
    });
  });

  it('reads serverinfo on 2.0.3+ and names an unconnected target', async () => {
    const asked: string[] = [];
    const io = (grpc: { target: string; connected: boolean }[]) => ({
      serverInfo: async (base: string) => (
        asked.push(`${base}/api/v1/serverinfo`), { ok: true as const, status: 200, info: { version: '2.1.1', grpc } }
      ),
    });
    const ok = await run(setup(), io([{ target: '10.0.0.12:9090', connected: true }]), 'cluster.grpc.sig1', {
      'cluster.node.sig1': passed('2.1.1'),
    });
    expect(shown(ok)).toEqual({ status: 'pass', detail: 'connected to 10.0.0.12:9090' });
    expect(asked).toEqual(['http://10.0.0.11:8080/api/v1/serverinfo']);
    const down = await run(setup(), io([{ target: '10.0.0.12:9090', connected: false }]), 'cluster.grpc.sig1', {
      'cluster.node.sig1': passed('2.0.3'),
    });
    expect(down.status).toBe('fail');
    expect(down.detail).toBe('sig1 is not connected to gRPC target 10.0.0.12:9090');
    const none = await run(setup(), io([]), 'cluster.grpc.sig1', { 'cluster.node.sig1': passed('2.1.1') });
    expect(none.detail).toBe('sig1 has 0 gRPC peers, the cluster has 1 other node');
  });

  it('names [stats] allowed_ips when serverinfo is refused', async () => {
    const o = await run(
      setup(),
      { serverInfo: async () => ({ ok: true, status: 403, localAddress: '10.0.0.99' }) },
      'cluster.grpc.sig2',
      { 'cluster.node.sig2': passed('2.1.1') },
    );
    expect(o.fix).toBe("add this host's address (10.0.0.99) to [stats] allowed_ips on sig2");
  });
});

describe('cluster: media nodes', () => {
  it("reaches each proxy with this node's token", async () => {
    const asked: { url: string; id: string }[] = [];
    const o = await run(
      setup(),
      {
        proxyHello: async (url, opts) => {
          asked.push({ url, id: opts.tokenId });
          return { ok: true, sessionId: 'x', country: 'DE' };
        },
      },
      'cluster.media.media1',
    );
    expect(shown(o)).toEqual({
      status: 'pass',
      detail: "the proxy at http://10.0.0.21:9091 accepts sig1's token (country DE)",
    });
    expect(asked).toEqual([{ url: 'http://10.0.0.21:9091', id: 'sig1' }]);
  });

  it('names the proxy that rejects the token, and skips without a key', async () => {
    const o = await run(
      setup(),
      { proxyHello: async () => ({ ok: false, code: 'token_rejected', message: 'invalid_token' }) },
      'cluster.media.media1',
    );
    expect(o.status).toBe('fail');
    expect(o.detail).toBe("the proxy of media1 rejects sig1's token: invalid_token");
    expect(o.fix).toContain("[tokens] of media1's proxy.conf");
    const { token: _t, ...noToken } = setup();
    const skipped = await run({ ...noToken, tokenError: 'no token key for sig1' }, {}, 'cluster.media.media1');
    expect(shown(skipped)).toEqual({ status: 'skip', detail: 'skipped: no token key for sig1' });
  });
});
