// What check --cluster reads before probing (src/check/clusterSetup.ts): the cluster file (its
// problems are usage errors), the bundle, --node's server.conf and its proxy token; and the NATS
// members whose routes it asks (model/cluster.ts natsMembers).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterSecretValues, readClusterCheckSetup } from '../../src/check/clusterSetup.js';
import { UserError } from '../../src/errors.js';
import { ClusterSchema, natsMembers } from '../../src/model/cluster.js';
import { tempDir } from '../harness/tmp.js';

const FILE = [
  'hostname: hpb.example.org',
  'backends:',
  '  - id: nextcloud',
  '    urls: [https://cloud.example.org]',
  'cluster:',
  '  name: hpb',
  '  nodes:',
  '    - {name: sig1, address: 10.0.0.11}',
  '    - {name: sig2, address: 10.0.0.12}',
  '',
];

function write(dir: string, lines = FILE): string {
  const f = path.join(dir, 'cluster.yaml');
  writeFileSync(f, lines.join('\n'));
  return f;
}

const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof UserError) return err.problems.map((p) => p.message);
    throw err;
  }
  return [];
};

describe('readClusterCheckSetup', () => {
  it('reads the bundle under --root by default, and its token of the first node without --node', () => {
    const root = tempDir('spreed-ccheck-root-');
    const bundle = path.join(root, 'etc/spreed-setup/cluster-hpb');
    mkdirSync(path.join(bundle, 'tokens'), { recursive: true });
    writeFileSync(path.join(bundle, 'hashkey'), `${'a'.repeat(64)}\n`);
    writeFileSync(path.join(bundle, 'internalsecret'), 'c'.repeat(64));
    writeFileSync(path.join(bundle, 'tokens', 'sig1.key'), 'PEM-SIG1');
    const s = readClusterCheckSetup({ cluster: write(root), root });
    expect(s.bundle.where).toBe(bundle);
    expect([...s.bundle.values.keys()].sort()).toEqual(['hashkey', 'internalsecret']);
    expect(s.bundle.values.get('hashkey')).toBe('a'.repeat(64));
    expect(s.backendUrl).toBe('https://cloud.example.org');
    expect(s.token).toMatchObject({ id: 'sig1', privateKeyPem: 'PEM-SIG1' });
    expect(s.local).toBeUndefined();
    expect(clusterSecretValues(s)).toEqual(expect.arrayContaining(['a'.repeat(64), 'c'.repeat(64), 'PEM-SIG1']));
  });

  it("with --node, reads that node's server.conf and says why when it cannot", () => {
    const dir = tempDir('spreed-ccheck-');
    const conf = path.join(dir, 'server.conf');
    writeFileSync(conf, `[sessions]\nhashkey = ${'e'.repeat(64)}\nblockkey = ${'f'.repeat(32)}\n`);
    const s = readClusterCheckSetup({
      cluster: write(dir),
      node: 'sig2',
      bundle: path.join(dir, 'none'),
      config: conf,
    });
    expect(s.node).toBe('sig2');
    expect(s.local?.values.get('hashkey')).toBe('e'.repeat(64));
    expect(s.bundle.error).toContain('no secret files in');
    expect(s.tokenError).toContain('no token key for sig2');
    const missing = readClusterCheckSetup({
      cluster: write(dir),
      node: 'sig2',
      bundle: dir,
      config: path.join(dir, 'absent.conf'),
    });
    expect(missing.local?.error).toContain('no server.conf');
  });

  it('turns a wrong cluster file into usage problems (exit 2), one per problem', () => {
    const dir = tempDir('spreed-ccheck-');
    expect(problemsOf(() => readClusterCheckSetup({ cluster: write(dir), node: 'sig9' }))).toEqual([
      `--node sig9: ${path.join(dir, 'cluster.yaml')} has no node of that name`,
    ]);
    const badPort = write(dir, [
      ...FILE.slice(0, -1),
      '  nats: {mode: own}',
      '  media: [{name: m1, address: 10.0.0.21, proxyPort: 0}]',
      '',
    ]);
    expect(problemsOf(() => readClusterCheckSetup({ cluster: badPort }))).toEqual([
      `cluster file ${badPort}: cluster.media[0].proxyPort a port is 1-65535`,
    ]);
    const noCluster = write(dir, FILE.slice(0, 4));
    expect(problemsOf(() => readClusterCheckSetup({ cluster: noCluster }))).toEqual([
      `cluster file ${noCluster} has no "cluster" key`,
    ]);
  });
});

describe('natsMembers', () => {
  const nodes = [
    { name: 'sig1', address: '10.0.0.11' },
    { name: 'sig2', address: 'fd00::12', natsMonitorPort: 9222 },
  ];
  it("is every node's monitoring port in own mode", () => {
    expect(natsMembers(ClusterSchema.parse({ nodes }))).toEqual([
      { node: 'sig1', monitorUrl: 'http://10.0.0.11:8222' },
      { node: 'sig2', monitorUrl: 'http://[fd00::12]:9222' },
    ]);
  });
  it("is the external cluster's monitoring URLs, which must be http(s)://HOST:PORT", () => {
    const ext = { mode: 'external', urls: ['nats://n1:4222'], monitorUrls: ['http://n1:8222/'] };
    expect(natsMembers(ClusterSchema.parse({ nodes, nats: ext }))).toEqual([{ monitorUrl: 'http://n1:8222' }]);
    expect(natsMembers(ClusterSchema.parse({ nodes, nats: { mode: 'external', urls: ['nats://n1:4222'] } }))).toEqual(
      [],
    );
    const bad = ClusterSchema.safeParse({ nodes, nats: { ...ext, monitorUrls: ['http://n1:8222/routez'] } });
    expect(bad.success).toBe(false);
  });
});
