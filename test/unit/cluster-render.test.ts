// The per-node renderers of a cluster and the cluster secrets bundle, pure: nats-server's config
// (every value checked for its grammar), the nginx upstream of every node (the one-server default
// unchanged), and reading the bundle through the host door (links and open modes refused).
import { describe, expect, it } from 'vitest';
import { memoryHost, type FileFact } from '../../src/io/host.js';
import { ClusterSchema, nodeDeployment, type Cluster, type ClusterFile } from '../../src/model/cluster.js';
import { DeploymentSchema } from '../../src/model/deployment.js';
import { renderNginx } from '../../src/render/nginx.js';
import { NatsConfigError, renderNatsServerConf } from '../../src/render/natsServer.js';
import { readBundle, signalingBundle } from '../../src/plan/clusterBundle.js';
import { resolveTokenKey } from '../../src/secrets/tokenKey.js';
import { BLOCKKEY, HASHKEY } from '../../src/secrets/secrets.js';
import type { NginxLayout } from '../../src/model/layout.js';

const cluster = (over: Record<string, unknown> = {}): Cluster =>
  ClusterSchema.parse({
    name: 'hpb',
    nodes: [
      { name: 'sig1', address: '10.0.0.11' },
      { name: 'sig2', address: '10.0.0.12', natsClusterPort: 4244 },
      { name: 'sig3', address: 'fd00::13' },
    ],
    ...over,
  });
const file = (c: Cluster): ClusterFile => ({
  shared: { hostname: 'hpb.example.org', backends: [{ id: 'nextcloud', urls: ['https://cloud.example.org'] }] },
  cluster: c,
});
const LAYOUT: NginxLayout = {
  kind: 'debian',
  sitePath: '/etc/nginx/sites-available/spreed-signaling.conf',
  enabledLink: '/etc/nginx/sites-enabled/spreed-signaling.conf',
  upstreamPath: '/etc/nginx/conf.d/spreed-signaling-upstream.conf',
  snippetPath: '/etc/nginx/snippets/spreed-signaling.conf',
  mainConfPath: '/etc/nginx/nginx.conf',
  unit: 'nginx',
};

describe('nats-server config of a cluster node', () => {
  it('listens on the node, routes to every other node, monitors, and raises the payload limit', () => {
    const c = cluster();
    const text = renderNatsServerConf(c, c.nodes[0]!, { toolVersion: '1.0.0' });
    expect(text).toContain('listen: "10.0.0.11:4222"');
    expect(text).toContain('http: "10.0.0.11:8222"');
    expect(text).toContain('max_payload: 8MB');
    expect(text).toContain('write_deadline: "10s"');
    expect(text).toMatch(/cluster \{\n {2}name: "hpb"\n {2}listen: "10\.0\.0\.11:6222"/);
    expect(text).toContain('"nats://10.0.0.12:4244"');
    expect(text).toContain('"nats://[fd00::13]:6222"');
    expect(text).not.toContain('10.0.0.11:6222"\n  ]'); // never a route to itself
    const v6 = renderNatsServerConf(c, c.nodes[2]!, { toolVersion: '1.0.0' });
    expect(v6).toContain('listen: "[fd00::13]:4222"');
  });

  it.each([
    ['an address with a quote', { address: '10.0.0.11"\nauthorization { user: x }' }],
    ['an address with a space', { address: 'host name' }],
    ['a port out of range', { natsPort: 70000 }],
    ['a port of 0', { natsMonitorPort: 0 }],
    ['a node name with a quote', { name: 'sig"1' }],
  ])('refuses %s (the schema bypassed)', (_what, over) => {
    const c = cluster();
    const node = { ...c.nodes[0]!, ...over };
    expect(() =>
      renderNatsServerConf({ ...c, nodes: [node, ...c.nodes.slice(1)] }, node, { toolVersion: '1' }),
    ).toThrow(NatsConfigError);
  });

  it('refuses a hostile peer address and cluster name', () => {
    const c = cluster();
    const peer = { ...c.nodes[1]!, address: '10.0.0.12:1,nats://evil' };
    expect(() => renderNatsServerConf({ ...c, nodes: [c.nodes[0]!, peer] }, c.nodes[0]!, { toolVersion: '1' })).toThrow(
      NatsConfigError,
    );
    expect(() => renderNatsServerConf({ ...c, name: 'a" }' }, c.nodes[0]!, { toolVersion: '1' })).toThrow(
      NatsConfigError,
    );
  });
});

describe("the front node's nginx upstream", () => {
  it('lists every signaling node on the front node, and no web server on the others', () => {
    const f = file(cluster());
    const front = nodeDeployment(f, 'sig1');
    expect(front.nginx.upstreams).toEqual(['10.0.0.11:8080', '10.0.0.12:8080', '[fd00::13]:8080']);
    const { upstream } = renderNginx(front, { layout: LAYOUT });
    expect(upstream).toMatch(
      /upstream spreed_signaling \{\n.*\n {4}server 10\.0\.0\.11:8080;\n {4}server 10\.0\.0\.12:8080;\n {4}server \[fd00::13\]:8080;\n\}/,
    );
    expect(nodeDeployment(f, 'sig2').nginx.mode).toBe('none');
    expect(nodeDeployment(f, 'sig2').nginx.upstreams).toBeUndefined();
  });

  it('keeps the one-server upstream byte for byte without a list', () => {
    const d = DeploymentSchema.parse({
      hostname: 'hpb.example.org',
      backends: [{ id: 'a', urls: ['https://c.example.org'] }],
    });
    expect(renderNginx(d, { layout: LAYOUT }).upstream).toBe(
      '# Nextcloud Talk signaling server (written by spreed-setup; http context).\nupstream spreed_signaling {\n    server 127.0.0.1:8080;\n}\n',
    );
  });

  it('refuses a hostile upstream server, and a list for Apache', () => {
    const base = { hostname: 'hpb.example.org', backends: [{ id: 'a', urls: ['https://c.example.org'] }] };
    expect(DeploymentSchema.safeParse({ ...base, nginx: { upstreams: ['10.0.0.1:80; include /etc/x'] } }).success).toBe(
      false,
    );
    expect(DeploymentSchema.safeParse({ ...base, nginx: { upstreams: [] } }).success).toBe(false);
    const apache = DeploymentSchema.safeParse({ ...base, nginx: { server: 'apache', upstreams: ['10.0.0.1:80'] } });
    expect(apache.success).toBe(false);
    const d = DeploymentSchema.parse({ ...base, nginx: { upstreams: ['10.0.0.1:80'] } });
    expect(() =>
      renderNginx({ ...d, nginx: { ...d.nginx, upstreams: ['1.2.3.4:80;}'] } }, { layout: LAYOUT }),
    ).toThrow();
  });
});

describe('reading the cluster secrets bundle', () => {
  const DIR = '/etc/spreed-setup/cluster-hpb';
  const secret = (content: string, mode = 0o600, uid = 0): FileFact => ({ kind: 'file', content, mode, gid: 0, uid });
  const good = { [`${DIR}/hashkey`]: secret(`${'a'.repeat(64)}\n`), [`${DIR}/blockkey`]: secret('b'.repeat(32)) };
  const specs = [HASHKEY, BLOCKKEY];

  it('reads a complete bundle', () => {
    const r = readBundle(memoryHost({ files: good, uid: 0 }), DIR, specs, []);
    expect(r.problems).toEqual([]);
    expect(r.missing).toEqual([]);
    expect(r.secrets.get('hashkey')).toBe('a'.repeat(64));
  });

  it.each([
    ['a group-readable file', { [`${DIR}/hashkey`]: secret('a'.repeat(64), 0o640) }, /readable or writable by group/],
    ['an other-readable file', { [`${DIR}/hashkey`]: secret('a'.repeat(64), 0o604) }, /by group or others/],
    ['a file owned by another user', { [`${DIR}/hashkey`]: secret('a'.repeat(64), 0o600, 1000) }, /owned by uid 1000/],
    [
      'a symbolic link',
      { [`${DIR}/hashkey`]: { kind: 'link', target: '/tmp/x', resolved: { content: 'x', mode: 0o600, gid: 0 } } },
      /symbolic link/,
    ],
    ['a linked directory', { '/etc/spreed-setup': { kind: 'link', target: '/tmp' } }, /symbolic link/],
  ] as const)('refuses %s, and says how to fix it', (_what, bad, why) => {
    const r = readBundle(
      memoryHost({ files: { ...good, ...(bad as Record<string, FileFact>) }, uid: 0 }),
      DIR,
      specs,
      [],
    );
    expect(r.problems.length).toBeGreaterThan(0);
    expect(r.problems[0]!.message).toMatch(why);
    expect(r.problems[0]!.fix).toBeTruthy();
    // Never a value in a problem.
    expect(JSON.stringify(r.problems)).not.toContain('a'.repeat(16));
  });

  const cn = (node: string) => ({ cluster: cluster(), node, dir: DIR, file: 'c.yaml' });
  const key = (existing: string | undefined, rotate: boolean) => resolveTokenKey(existing, { rotate, bits: 1024 });
  it('another node needs the whole bundle; the front node generates what is absent', () => {
    const none = memoryHost({ uid: 0 });
    const other = signalingBundle(cn('sig2'), none, specs, { rotate: new Set(), rotateTokens: false, resolveKey: key });
    expect(other.problems.map((p) => p.message)).toEqual([
      `no cluster secrets at ${DIR}: every node takes the secrets the front node generated`,
    ]);
    expect(other.problems[0]!.fix).toContain(`copy ${DIR} to the same path here`);
    const partial = signalingBundle(
      cn('sig2'),
      memoryHost({ files: { [`${DIR}/hashkey`]: good[`${DIR}/hashkey`]! }, uid: 0 }),
      specs,
      {
        rotate: new Set(),
        rotateTokens: false,
        resolveKey: key,
      },
    );
    expect(partial.problems[0]!.message).toContain('lack blockkey');
    const front = signalingBundle(cn('sig1'), none, specs, { rotate: new Set(), rotateTokens: false, resolveKey: key });
    expect(front.problems).toEqual([]);
    expect(front.generator).toBe(true);
    const rotating = signalingBundle(cn('sig3'), memoryHost({ files: good, uid: 0 }), specs, {
      rotate: new Set(['hashkey']),
      rotateTokens: false,
      resolveKey: key,
    });
    expect(rotating.problems[0]!.message).toContain('--rotate on node sig3');
  });

  it.each([
    ['a space', `${'a'.repeat(30)} ${'a'.repeat(33)}`],
    ['a config reference', `%(x)s${'a'.repeat(59)}`],
    ['the wrong length', 'a'.repeat(40)],
  ])('refuses a bundle value with %s, without echoing it', (_what, value) => {
    const files = { ...good, [`${DIR}/hashkey`]: secret(`${value}\n`) };
    for (const node of ['sig1', 'sig2']) {
      const r = signalingBundle(cn(node), memoryHost({ files, uid: 0 }), specs, {
        rotate: new Set(),
        rotateTokens: false,
        resolveKey: key,
      });
      expect(r.problems).toHaveLength(1);
      expect(r.problems[0]!.message).toContain(`cluster secrets: ${DIR}/hashkey `);
      expect(JSON.stringify(r.problems)).not.toContain(value);
    }
  });

  it('gives the front node every node’s token pair when there are media nodes, another node only its own', () => {
    const c = cluster({ media: [{ name: 'media1', address: '10.0.0.21' }] });
    const opts = { rotate: new Set<string>(), rotateTokens: false, resolveKey: key };
    const front = signalingBundle({ ...cn('sig1'), cluster: c }, memoryHost({ uid: 0 }), specs, opts);
    expect([...front.tokenPairs.keys()]).toEqual(['sig1', 'sig2', 'sig3']);
    const files: Record<string, FileFact> = { ...good };
    for (const [n, p] of front.tokenPairs) {
      files[`${DIR}/tokens/${n}.key`] = secret(p.privatePem);
      files[`${DIR}/tokens/${n}.pub`] = secret(p.publicPem);
    }
    const other = signalingBundle({ ...cn('sig2'), cluster: c }, memoryHost({ files, uid: 0 }), specs, opts);
    expect(other.problems).toEqual([]);
    expect([...other.tokenPairs.keys()]).toEqual(['sig2']);
    expect(other.tokenPairs.get('sig2')!.privatePem).toBe(front.tokenPairs.get('sig2')!.privatePem);
    // A public half that is not the key's is refused.
    files[`${DIR}/tokens/sig2.pub`] = secret(front.tokenPairs.get('sig1')!.publicPem);
    const bad = signalingBundle({ ...cn('sig2'), cluster: c }, memoryHost({ files, uid: 0 }), specs, opts);
    expect(bad.problems[0]!.message).toContain('is not the public half');
  });
});
