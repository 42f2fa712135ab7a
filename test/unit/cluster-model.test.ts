import { describe, expect, it } from 'vitest';
import {
  ClusterSchema,
  clusterNatsUrls,
  etcdGrpcKeys,
  natsRoutes,
  nodeDeployment,
  upstreamServers,
} from '../../src/model/cluster.js';

const node = (name: string, n: number) => ({
  name,
  address: '127.0.0.1',
  httpPort: 8080 + n,
  grpcPort: 9190 + n,
  natsPort: 4300 + n,
  natsClusterPort: 6300 + n,
  natsMonitorPort: 8300 + n,
});
const shared = { hostname: 'hpb.example.org', backends: [{ id: 'nc', urls: ['https://cloud.example.org'] }] };

describe('cluster model', () => {
  it('derives each node: its own listen and gRPC listen, every node as NATS URL and gRPC target', () => {
    const cluster = ClusterSchema.parse({
      nodes: [node('a', 1), node('b', 2)],
      media: [{ name: 'm1', address: '127.0.0.1', proxyPort: 9391 }],
    });
    const b = nodeDeployment({ cluster, shared }, 'b');
    expect(b.listen).toBe('127.0.0.1:8082');
    expect(b.grpc).toEqual({ listen: '127.0.0.1:9192', targets: ['127.0.0.1:9191', '127.0.0.1:9192'] });
    expect(b.nats).toEqual({ mode: 'external', urls: ['nats://127.0.0.1:4301', 'nats://127.0.0.1:4302'] });
    expect(b.mcu).toMatchObject({ type: 'proxy', tokenId: 'b', urls: ['http://127.0.0.1:9391'] });
    expect(b.nginx.mode).toBe('none');
    expect(nodeDeployment({ cluster, shared }, 'a').nginx.mode).toBe('site');
    expect(natsRoutes(cluster, cluster.nodes[0]!)).toEqual(['nats://127.0.0.1:6302']);
    expect(upstreamServers(cluster)).toEqual(['127.0.0.1:8081', '127.0.0.1:8082']);
    expect(clusterNatsUrls(cluster)).toHaveLength(2);
  });

  it('dns and etcd discovery become [grpc] extras; etcd keys name every node', () => {
    const dns = ClusterSchema.parse({
      nodes: [node('a', 1), node('b', 2)],
      grpc: { discovery: 'dns', name: 'sig.example.org' },
    });
    const a = nodeDeployment({ cluster: dns, shared }, 'a');
    expect(a.grpc?.targets).toEqual(['sig.example.org:9090']);
    expect(a.extra.grpc).toEqual({ dnsdiscovery: 'true' });
    const etcd = ClusterSchema.parse({ nodes: [node('a', 1), node('b', 2)], grpc: { discovery: 'etcd' } });
    expect(nodeDeployment({ cluster: etcd, shared }, 'a').extra.grpc).toEqual({
      targettype: 'etcd',
      targetprefix: '/signaling/cluster/grpc',
    });
    expect(etcdGrpcKeys(etcd)[1]).toEqual({ key: '/signaling/cluster/grpc/b', value: '{"address":"127.0.0.1:9192"}' });
  });

  it('refuses duplicate names, a front that is no node, one node, and two services on one port', () => {
    const bad = (input: unknown) => ClusterSchema.safeParse(input).error?.issues.map((i) => i.message) ?? [];
    expect(bad({ nodes: [node('a', 1), node('a', 2)] })).toContain('duplicate node name "a"');
    expect(bad({ nodes: [node('a', 1), node('b', 2)], front: 'c' })[0]).toMatch(/"c" is not a signaling node/);
    expect(bad({ nodes: [node('a', 1)] })[0]).toMatch(/at least two/);
    expect(bad({ nodes: [node('a', 1), { ...node('b', 2), httpPort: 8081 }] })[0]).toMatch(
      /127.0.0.1:8081 is already node a's HTTP port/,
    );
    expect(bad({ nodes: [node('a', 1), { ...node('b', 2), name: 'B c' }] })[0]).toMatch(/node names/);
  });
});

describe('cluster file', () => {
  it('reads examples/cluster.yaml and names a bad node field by its path', async () => {
    const { loadClusterFile, unknownNodeProblem } = await import('../../src/inputs/clusterFile.js');
    const { mkdtempSync, writeFileSync, readFileSync, rmSync } = await import('node:fs');
    const ok = loadClusterFile('examples/cluster.yaml');
    expect(ok.problems).toEqual([]);
    expect(ok.cluster?.cluster.nodes.map((n) => n.name)).toEqual(['sig1', 'sig2']);
    expect(nodeDeployment(ok.cluster!, 'sig2').grpc?.listen).toBe('10.0.0.12:9090');
    expect(unknownNodeProblem(ok.cluster!, 'sig3', 'x.yaml')?.fix).toBe('give one of: sig1, sig2, media1');
    const dir = mkdtempSync('/tmp/cluster-file-');
    const bad = `${dir}/bad.yaml`;
    writeFileSync(
      bad,
      readFileSync('examples/cluster.yaml', 'utf8').replace('address: 10.0.0.12', 'address: "10.0.0.12:80"'),
    );
    expect(loadClusterFile(bad).problems[0]?.message).toMatch(/cluster\.nodes\[1\]\.address must be an IP address/);
    writeFileSync(bad, 'hostname: a.example.org\n');
    expect(loadClusterFile(bad).problems[0]?.message).toMatch(/has no "cluster" key/);
    rmSync(dir, { recursive: true });
  });
});
