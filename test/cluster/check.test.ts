// `check --cluster FILE` against real clusters on loopback (test/harness/cluster.ts): healthy, one
// node with other session keys, one node's nats-server killed and restored, and wrong cluster files.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckReportSchema, type CheckReport, type CheckResult } from '../../src/check/schema.js';
import { generateHex } from '../../src/secrets/secrets.js';
import { runInProcess } from '../cli/inProcess.js';
import { runCli } from '../cli/run.js';
import { startTestCluster, type TestCluster } from '../harness/cluster.js';
import { SIGNALING_VERSIONS, skipUnless } from '../harness/components.js';
import { tempDir } from '../harness/tmp.js';

const need = skipUnless({ signaling: ['2.0.2'], components: ['nats-server'] });

async function checkCluster(
  c: TestCluster,
  extra: string[] = [],
): Promise<{ code: number; report: CheckReport; all: string }> {
  const r = await runInProcess([
    'check',
    '--cluster',
    c.filePath,
    '--cluster-secrets',
    c.bundleDir,
    '--timeout',
    '5',
    '--json',
    ...extra,
  ]);
  let report: CheckReport;
  try {
    report = CheckReportSchema.parse(JSON.parse(r.stdout));
  } catch (err) {
    throw new Error(`no JSON report (exit ${r.code}): ${r.all}\n${(err as Error).message}`);
  }
  return { code: r.code, report, all: r.all };
}

const byId = (rep: CheckReport, id: string): CheckResult => {
  const found = rep.checks.find((x) => x.id === id);
  if (!found) throw new Error(`no check ${id} in ${rep.checks.map((x) => x.id).join(', ')}`);
  return found;
};

/** No secret value of the cluster (bundle or any node's) appears in the text. */
function expectNoSecrets(c: TestCluster, text: string): void {
  const values = new Set([...Object.values(c.secrets), ...c.nodes.flatMap((n) => Object.values(n.secrets))]);
  for (const v of values) expect(text.includes(v), 'a secret value in the output').toBe(false);
}

describe.skipIf(need.skip)(`check --cluster on real servers${need.suffix}`, () => {
  let c: TestCluster | undefined;
  afterEach(async () => {
    await c?.stop();
    c = undefined;
  });

  it('passes on a healthy 2-node cluster with 3 nats-servers (exit 0), plain and --json', async () => {
    c = await startTestCluster({ nodes: 2, natsServers: 3 });
    const local = ['--node', 'sig1', '--config', c.node('sig1').confPath];
    const { code, report, all } = await checkCluster(c, local);
    expect(code, `${all}\n${c.logs()}`).toBe(0);
    for (const x of report.checks) expect(['pass', 'info'], `${x.id}: ${x.detail}`).toContain(x.status);
    expect(byId(report, 'cluster.node.sig1').detail).toMatch(/version 2\.0\.2/);
    expect(byId(report, 'cluster.versions').status).toBe('pass');
    for (const i of [1, 2, 3]) expect(byId(report, `cluster.nats.${i}`).detail).toContain('2 routes (cluster of 3)');
    expect(byId(report, 'cluster.message.sig1.sig2')).toMatchObject({ status: 'pass' });
    expect(byId(report, 'cluster.secrets').detail).toMatch(
      /^hashkey, blockkey, internalsecret, backend-nextcloud of sig1 match/,
    );
    // 2.0.2 has no serverinfo: an info, never a pass.
    expect(byId(report, 'cluster.grpc.sig2')).toMatchObject({ status: 'info' });
    expect(byId(report, 'cluster.grpc.sig2').detail).toContain('not reported before 2.0.3');
    expectNoSecrets(c, all);

    // The plain renderer of the built CLI shows the group (INFO lines too) and the same exit code.
    const plain = await runCli([
      'check',
      '--cluster',
      c.filePath,
      '--cluster-secrets',
      c.bundleDir,
      '--timeout',
      '5',
      ...local,
    ]);
    expect(plain.code, plain.all).toBe(0);
    expect(plain.stdout).toMatch(/^PASS {2}sig1 → sig2: a message and a control message arrived/m);
    expect(plain.stdout).toMatch(/^INFO {2}gRPC of sig1: /m);
    expect(plain.stdout).toMatch(/, 2 info \(/);
    expectNoSecrets(c, plain.all);
  }, 90_000);

  // Upstream's 2.1.1 where the test bed has it: serverinfo reports each gRPC peer, and the check passes on it.
  if (SIGNALING_VERSIONS.includes('2.1.1'))
    it('on 2.1.1: every gRPC peer connected, from serverinfo', async () => {
      c = await startTestCluster({ nodes: 2, version: '2.1.1' });
      // The first node dialled the second before it listened: gRPC retries with its backoff, so
      // the check is run again (bounded) until that connection is up, as an admin would.
      const args = ['--node', 'sig1', '--config', c.node('sig1').confPath];
      let r = await checkCluster(c, args);
      for (let i = 0; i < 20 && r.code !== 0; i++) {
        await new Promise((res) => setTimeout(res, 1000));
        r = await checkCluster(c, args);
      }
      const { code, report, all } = r;
      expect(code, `${all}\n${c.logs()}`).toBe(0);
      for (const x of report.checks) expect(['pass', 'info'], `${x.id}: ${x.detail}`).toContain(x.status);
      expect(byId(report, 'cluster.grpc.sig1').status, all).toBe('pass');
      expect(byId(report, 'cluster.grpc.sig2').status, all).toBe('pass');
      expect(byId(report, 'cluster.message.sig1.sig2')).toMatchObject({ status: 'pass' });
    }, 90_000);

  it("names node B's different session keys and the fix (exit 1)", async () => {
    c = await startTestCluster({
      nodes: 2,
      override: { sig2: { hashkey: generateHex(64), blockkey: generateHex(32) } },
    });
    const { code, report, all } = await checkCluster(c);
    expect(code, all).toBe(1);
    const m = byId(report, 'cluster.message.sig1.sig2');
    expect(m.status).toBe('fail');
    expect(m.detail).toContain("node sig2's session keys differ from node sig1's");
    expect(m.fix).toContain('copy hashkey and blockkey from the cluster secrets');
    expect(m.fix).toContain(c.bundleDir);
    // The rest of the cluster is fine: the failure is that one link.
    expect(report.checks.filter((x) => x.status === 'fail').map((x) => x.id)).toEqual(['cluster.message.sig1.sig2']);

    // On node B itself (--node sig2, its server.conf): its keys against the bundle, by fingerprint.
    const onB = await checkCluster(c, ['--node', 'sig2', '--config', c.node('sig2').confPath]);
    expect(onB.code).toBe(1);
    const sec = byId(onB.report, 'cluster.secrets');
    expect(sec.status).toBe('fail');
    expect(sec.detail).toMatch(
      /sig2's hashkey \(64 chars, sha256 [0-9a-f]{8}\), blockkey \(32 chars, sha256 [0-9a-f]{8}\) differ/,
    );
    expect(sec.fix).toContain('session keys must be identical on every node');
    // From B the sender is B: the message check names A's keys against B's.
    expect(byId(onB.report, 'cluster.message.sig2.sig1').detail).toContain(
      "node sig1's session keys differ from node sig2's",
    );
    expectNoSecrets(c, `${all}\n${onB.all}`);
  }, 90_000);

  it("names node B's stopped nats-server, and passes again once it is back", async () => {
    c = await startTestCluster({ nodes: 2 });
    expect(c.file.cluster.nats.mode).toBe('own');
    await c.stopNats(1);
    const down = await checkCluster(c, ['--node', 'sig1', '--config', c.node('sig1').confPath]);
    expect(down.code, down.all).toBe(1);
    const b = byId(down.report, 'cluster.nats.sig2');
    expect(b.status).toBe('fail');
    expect(b.detail).toContain("node sig2's nats-server is not running");
    expect(b.fix).toContain('start it on sig2: systemctl start nats-server');
    expect(byId(down.report, 'cluster.nats.sig1')).toMatchObject({ status: 'fail' });
    expect(byId(down.report, 'cluster.nats.sig1').detail).toContain('routes to 0 of the 1 other NATS server');
    expect(byId(down.report, 'cluster.secrets').status).toBe('pass');

    await c.restartNats(1);
    const back = await checkCluster(c);
    expect(back.code, `${back.all}\n${c.logs()}`).toBe(0);
    expect(byId(back.report, 'cluster.nats.sig2').status).toBe('pass');
    expect(byId(back.report, 'cluster.message.sig1.sig2').status).toBe('pass');
  }, 90_000);
});

describe('check --cluster with a wrong cluster file', () => {
  const base = [
    'hostname: hpb.example.org',
    'backends:',
    '  - id: nextcloud',
    '    urls: [https://cloud.example.org]',
    'cluster:',
    '  nodes:',
    '    - name: sig1',
    '      address: 127.0.0.1',
  ];
  const write = (lines: string[]) => {
    const f = path.join(tempDir('spreed-cluster-file-'), 'cluster.yaml');
    writeFileSync(f, [...lines, ''].join('\n'));
    return f;
  };

  it('exits 2 with one line for a bad port', async () => {
    const f = write([...base, '      httpPort: 70000', '    - name: sig2', '      address: 127.0.0.2']);
    const r = await runCli(['check', '--cluster', f]);
    expect(r.code).toBe(2);
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('error:'));
    expect(lines).toEqual([
      `error: cluster file ${f}: cluster.nodes[0].httpPort a port is 1-65535 — fix: correct cluster.nodes[0].httpPort in ${f}`,
    ]);
    expect(r.all).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('exits 2 with one line for an unknown node', async () => {
    const f = write([...base, '    - name: sig2', '      address: 127.0.0.2']);
    const r = await runCli(['check', '--cluster', f, '--node', 'sig9']);
    expect(r.code).toBe(2);
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('error:')),
    ).toEqual([`error: --node sig9: ${f} has no node of that name — fix: give one of: sig1, sig2`]);
    expect(r.stdout).toBe('');
  });

  it('exits 2 for --node without --cluster, and for flags that do nothing with it', async () => {
    const r = await runCli(['check', '--node', 'sig1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--node needs --cluster FILE');
    const f = write([...base, '    - name: sig2', '      address: 127.0.0.2']);
    const u = await runCli(['check', '--cluster', f, '--url', 'https://hpb.example.org/standalone-signaling']);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('--url has no effect with --cluster');
  });
});

const needMedia = skipUnless({ signaling: ['2.0.2'], components: ['nats-server', 'janus'], proxy: true });

describe.skipIf(needMedia.skip)(
  `check --cluster with a media node (real proxy 2.0.2 and Janus)${needMedia.suffix}`,
  () => {
    let c: TestCluster | undefined;
    afterEach(async () => {
      await c?.stop();
      c = undefined;
    });

    it("reaches the proxy with this node's token", async () => {
      c = await startTestCluster({ nodes: 2, media: 1 });
      const { code, report, all } = await checkCluster(c, ['--node', 'sig2', '--config', c.node('sig2').confPath]);
      expect(code, `${all}\n${c.logs()}`).toBe(0);
      expect(byId(report, 'cluster.media.media1')).toMatchObject({
        status: 'pass',
        detail: `the proxy at http://127.0.0.1:${c.media[0]!.proxyPort} accepts sig2's token (country DE)`,
      });
    }, 90_000);

    it("names the proxy that does not list this node's key, with the [tokens] line to add", async () => {
      c = await startTestCluster({ nodes: 2, media: 1, mediaTokens: ['sig1'] });
      const { code, report } = await checkCluster(c, ['--node', 'sig2', '--config', c.node('sig2').confPath]);
      expect(code).toBe(1);
      const m = byId(report, 'cluster.media.media1');
      expect(m.status).toBe('fail');
      expect(m.detail).toMatch(/^the proxy of media1 rejects sig2's token/);
      expect(m.fix).toContain("list sig2's public key in [tokens] of media1's proxy.conf");
      // Only that link is broken.
      expect(report.checks.filter((x) => x.status === 'fail').map((x) => x.id)).toEqual(['cluster.media.media1']);
    }, 90_000);
  },
);
