// `setup --cluster FILE --node NAME` end to end (issue 15, the per-node half): the README's
// three-node cluster file (examples/cluster-three-nodes.yaml, every address moved to 127.0.0.1
// with free ports) set up by the built CLI into three --root trees, one per machine. The front
// node's run makes the cluster secrets; another node without them exits 2 with nothing written;
// with the copy, every node's files come out. Then the real components run from the rendered
// files: three nats-servers form the cluster (2 routes each on /routez), three signaling servers
// 2.0.2 answer their welcome, an internal session on one node messages a session on another,
// directly and through the front node's rendered nginx upstream of all three. A re-run changes
// nothing, and `register` from any node registers the one public URL.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { getValue, parseGoconf } from '../../src/goconf/parse.js';
import { crossNodeMessage } from '../../src/probe/signaling.js';
import { FAKE_OCC, readTalk } from '../fakes/occState.js';
import { runCli, scratch, treeState } from '../cli/run.js';
import { natsRouteCount } from '../harness/cluster.js';
import { componentPath, signalingBinary, skipUnless } from '../harness/components.js';
import { freePort, portAnswers } from '../harness/ports.js';
import {
  selfSignedCert,
  startNginx,
  startProcess,
  startSignaling,
  writeNginxMain,
  type ManagedProcess,
} from '../harness/processes.js';

const EXAMPLE = path.resolve(import.meta.dirname, '../../examples/cluster-three-nodes.yaml');
const CONF = 'etc/nextcloud-spreed-signaling/server.conf';
const NATS_CONF = 'etc/nats-server.conf';
const BUNDLE = 'etc/spreed-setup/cluster-hpb';
const SECRETS = 'etc/nextcloud-spreed-signaling/secrets';
const BACKEND = 'https://cloud.example.org';
const NODES = ['sig1', 'sig2', 'sig3'] as const;

const need = skipUnless({ signaling: ['2.0.2'], components: ['nats-server', 'nginx', 'openssl'] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface NodePorts {
  httpPort: number;
  grpcPort: number;
  natsPort: number;
  natsClusterPort: number;
  natsMonitorPort: number;
}

describe.skipIf(need.skip)(`setup --cluster FILE --node NAME, three nodes on loopback${need.suffix}`, () => {
  const work = scratch('spreed-cluster-setup-');
  const roots = Object.fromEntries(NODES.map((n) => [n, path.join(work, n)])) as Record<string, string>;
  const ports: Record<string, NodePorts> = {};
  const clusterFile = path.join(work, 'cluster.yaml');
  const running: ManagedProcess[] = [];
  let httpsPort = 0;
  const outputs: string[] = [];
  const setup = (node: string, ...more: string[]) =>
    runCli([
      'setup',
      '--cluster',
      clusterFile,
      '--node',
      node,
      '--server-version',
      '2.0.2',
      '--yes',
      '--no-start',
      '--root',
      roots[node]!,
      ...more,
    ]);
  const bundleValues = () =>
    readdirSync(path.join(roots.sig1!, BUNDLE))
      .filter((f) => f !== 'tokens')
      .map((f) => readFileSync(path.join(roots.sig1!, BUNDLE, f), 'utf8').trim());
  const logs = () => running.map((p) => `--- ${p.name} ---\n${p.tail(20)}`).join('\n');

  beforeAll(async () => {
    chmodSync(work, 0o755);
    for (const r of Object.values(roots)) mkdirSync(r, { recursive: true });
    // The README's file, as it is, but for the addresses and ports (one loopback for three machines).
    const doc = parse(readFileSync(EXAMPLE, 'utf8')) as {
      cluster: { nodes: Array<{ name: string; address: string } & Partial<NodePorts>> };
      nginx?: unknown;
    };
    for (const n of doc.cluster.nodes) {
      const p: NodePorts = {
        httpPort: await freePort(),
        grpcPort: await freePort(),
        natsPort: await freePort(),
        natsClusterPort: await freePort(),
        natsMonitorPort: await freePort(),
      };
      ports[n.name] = p;
      Object.assign(n, { address: '127.0.0.1' }, p);
    }
    const certDir = path.join(work, 'tls');
    mkdirSync(certDir, { recursive: true });
    const cert = await selfSignedCert(certDir);
    httpsPort = await freePort();
    doc.nginx = {
      certificate: cert.cert,
      key: cert.key,
      bindAddress: '127.0.0.1',
      httpPort: await freePort(),
      httpsPort,
      acmeWebroot: path.join(work, 'acme'),
    };
    writeFileSync(clusterFile, stringify(doc));
  });

  afterAll(async () => {
    for (const p of running.reverse()) await p.stop();
  });

  it('refuses a node without the cluster secrets (exit 2, nothing written)', async () => {
    const r = await setup('sig2');
    expect(r.code, r.all).toBe(2);
    expect(r.stderr).toContain(`no cluster secrets at /${BUNDLE}`);
    expect(r.stderr).toContain(`copy /${BUNDLE} to the same path here`);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(readdirSync(roots.sig2!)).toEqual([]);
  });

  it("writes the front node's files and the bundle, then every other node's from its copy", async () => {
    const first = await setup('sig1');
    expect(first.code, first.all).toBe(0);
    outputs.push(first.all);
    expect(first.all).toContain(`copy that directory (as it is: 0700, files 0600, root)`);
    const bundle = path.join(roots.sig1!, BUNDLE);
    expect(statSync(bundle).mode & 0o777).toBe(0o700);
    for (const f of ['hashkey', 'blockkey', 'internalsecret', 'backend-nextcloud'])
      expect(statSync(path.join(bundle, f)).mode & 0o777).toBe(0o600);
    expect(existsSync(path.join(bundle, 'tokens'))).toBe(false); // no media nodes: no token keys

    for (const n of ['sig2', 'sig3']) {
      // The operator's copy: the directory as it is, to the same path on the other machine.
      mkdirSync(path.join(roots[n]!, 'etc/spreed-setup'), { recursive: true });
      execFileSync('cp', ['-a', bundle, path.join(roots[n]!, 'etc/spreed-setup/')]);
      const r = await setup(n);
      expect(r.code, r.all).toBe(0);
      outputs.push(r.all);
      expect(r.all).not.toContain('copy that directory');
    }
    // The same shared secrets on every node (fingerprints aside, by value here in the test only).
    for (const f of ['hashkey', 'blockkey', 'internalsecret', 'backend-nextcloud']) {
      const want = readFileSync(path.join(bundle, f), 'utf8');
      for (const n of NODES) expect(readFileSync(path.join(roots[n]!, SECRETS, f), 'utf8')).toBe(want);
    }
    for (const out of outputs) for (const v of bundleValues()) expect(out).not.toContain(v);

    for (const n of NODES) {
      const conf = parseGoconf(readFileSync(path.join(roots[n]!, CONF), 'utf8'));
      expect(getValue(conf, 'http', 'listen')).toBe(`127.0.0.1:${ports[n]!.httpPort}`);
      expect(getValue(conf, 'nats', 'url')).toBe(NODES.map((m) => `nats://127.0.0.1:${ports[m]!.natsPort}`).join(', '));
      expect(getValue(conf, 'grpc', 'listen')).toBe(`127.0.0.1:${ports[n]!.grpcPort}`);
      const nats = readFileSync(path.join(roots[n]!, NATS_CONF), 'utf8');
      expect(nats).toContain(`listen: "127.0.0.1:${ports[n]!.natsPort}"`);
      expect(nats).toContain('max_payload: 8MB');
      for (const m of NODES.filter((x) => x !== n))
        expect(nats).toContain(`"nats://127.0.0.1:${ports[m]!.natsClusterPort}"`);
    }
    // The web server only on the front node, its upstream every node.
    const upstream = readFileSync(path.join(roots.sig1!, 'etc/nginx/conf.d/spreed-signaling-upstream.conf'), 'utf8');
    for (const n of NODES) expect(upstream).toContain(`server 127.0.0.1:${ports[n]!.httpPort};`);
    for (const n of ['sig2', 'sig3']) expect(existsSync(path.join(roots[n]!, 'etc/nginx'))).toBe(false);
  }, 120_000);

  it('changes nothing on a re-run of any node', async () => {
    for (const n of NODES) {
      const before = treeState(roots[n]!);
      const r = await setup(n);
      expect(r.code, r.all).toBe(0);
      expect(r.stdout).toContain('No changes');
      expect(treeState(roots[n]!)).toEqual(before);
    }
  }, 120_000);

  it('runs: the NATS cluster forms, every server answers, a message crosses nodes, directly and through nginx', async () => {
    for (const n of NODES) {
      const p = startProcess(
        `nats-server-${n}`,
        componentPath('nats-server'),
        ['-c', path.join(roots[n]!, NATS_CONF), '-P', path.join(work, `nats-${n}.pid`)],
        { stopSignal: 'SIGTERM' },
      );
      running.push(p);
    }
    // Each nats-server's /routez shows the two others (bounded wait).
    let counts: (number | undefined)[] = [];
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      counts = await Promise.all(NODES.map((n) => natsRouteCount(ports[n]!.natsMonitorPort)));
      if (counts.every((c) => c === 2)) break;
      await sleep(100);
    }
    expect(counts, logs()).toEqual([2, 2, 2]);
    for (const n of NODES) expect(await portAnswers(ports[n]!.natsPort)).toBe(true);

    const bin = signalingBinary('2.0.2');
    for (const n of NODES)
      running.push(
        await startSignaling(bin, path.join(roots[n]!, CONF), ports[n]!.httpPort, { name: `signaling-${n}` }),
      );
    const secret = readFileSync(path.join(roots.sig1!, BUNDLE, 'internalsecret'), 'utf8').trim();
    const ws = (n: string) => `ws://127.0.0.1:${ports[n]!.httpPort}/spreed`;
    const direct = await crossNodeMessage(ws('sig1'), ws('sig2'), { secret, backend: BACKEND, timeoutMs: 5000 });
    expect(direct, logs()).toMatchObject({ ok: true, message: true, control: true });

    const prefix = path.join(work, 'nginx-prefix');
    // Which node nginx sent each websocket to (logged when it closes).
    const upstreamLog = path.join(prefix, 'upstreams.log');
    const main = writeNginxMain(
      prefix,
      [
        path.join(roots.sig1!, 'etc/nginx/conf.d/spreed-signaling-upstream.conf'),
        path.join(roots.sig1!, 'etc/nginx/sites-available/spreed-signaling.conf'),
      ],
      { extraHttp: `    log_format upstreams '$upstream_addr';\n    access_log ${upstreamLog} upstreams;` },
    );
    running.push(await startNginx(prefix, main, httpsPort));
    const front = `wss://127.0.0.1:${httpsPort}/standalone-signaling/spreed`;
    const viaFrontToSig3 = await crossNodeMessage(front, ws('sig3'), {
      secret,
      backend: BACKEND,
      timeoutMs: 5000,
      insecure: true,
    });
    expect(viaFrontToSig3, logs()).toMatchObject({ ok: true, message: true, control: true });
    const sig2ToFront = await crossNodeMessage(ws('sig2'), front, {
      secret,
      backend: BACKEND,
      timeoutMs: 5000,
      insecure: true,
    });
    expect(sig2ToFront, logs()).toMatchObject({ ok: true, message: true, control: true });
    const bothViaFront = await crossNodeMessage(front, front, {
      secret,
      backend: BACKEND,
      timeoutMs: 5000,
      insecure: true,
    });
    expect(bothViaFront, logs()).toMatchObject({ ok: true, message: true, control: true });
    // Four websockets through the front node: its upstream sent them to every one of the three nodes.
    const want = NODES.map((n) => `127.0.0.1:${ports[n]!.httpPort}`).sort();
    let seen: string[] = [];
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await sleep(100)) {
      seen = existsSync(upstreamLog) ? readFileSync(upstreamLog, 'utf8').split('\n').filter(Boolean) : [];
      if (seen.length >= 4) break;
    }
    expect(seen).toHaveLength(4);
    expect([...new Set(seen)].sort()).toEqual(want);
  }, 120_000);

  it('registers the one public URL, from the front node and again from another node', async () => {
    chmodSync(FAKE_OCC, 0o755);
    const state = path.join(work, 'occ-state.json');
    const env = { FAKE_OCC_STATE: state, FAKE_OCC_LOG: path.join(work, 'occ-calls.log') };
    const secret = readFileSync(path.join(roots.sig1!, BUNDLE, 'backend-nextcloud'), 'utf8').trim();
    const first = await runCli(['register', '--root', roots.sig1!, '--occ', FAKE_OCC, '--yes'], env);
    expect(first.code, first.all).toBe(0);
    // The front node's public URL (its nginx on a loopback port here).
    const url = `https://hpb.example.org:${httpsPort}/standalone-signaling`;
    expect(readTalk(state).servers).toEqual([{ server: url, verify: true }]);
    expect(readTalk(state).secret).toBe(secret);
    const again = await runCli(['register', '--root', roots.sig3!, '--occ', FAKE_OCC, '--yes'], env);
    expect(again.code, again.all).toBe(0);
    expect(again.stdout).toContain('Already registered');
    expect(readTalk(state).servers).toEqual([{ server: url, verify: true }]);
    expect(first.all + again.all).not.toContain(secret);
  }, 60_000);
});
