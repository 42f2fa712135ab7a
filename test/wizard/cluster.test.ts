// The wizard's "several servers" path (issue 15): on the customize path it asks the machines,
// writes the cluster file (shared settings + cluster:, no secrets) instead of setting up this
// machine, reads it back with loadClusterFile and prints the commands for each node. A bad answer
// is refused at its prompt with the cluster schema's own message; Ctrl-C writes nothing.
import { existsSync, lstatSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWizard } from '../../src/ask/wizard.js';
import { parseSetupArgs } from '../../src/options/setup.js';
import { runSetup } from '../../src/commands/setup.js';
import type { Output } from '../../src/io/output.js';
import { loadClusterFile } from '../../src/inputs/clusterFile.js';
import { MediaNodeSchema, SignalingNodeSchema } from '../../src/model/cluster.js';
import { getValue, parseGoconf } from '../../src/goconf/parse.js';
import { ScriptedPrompter, type Step } from './scripted.js';
import { runInProcess } from '../cli/inProcess.js';
import { scratch, secretValues, treeState } from '../cli/run.js';

const machine = { fqdn: 'vm.example.net', letsEncryptHosts: [], nginxServerNames: [] };
const V = ['--server-version', '2.0.2'];

function output(): Output {
  const none = () => undefined;
  return { info: none, notice: none, success: none, problems: none, raw: none };
}

async function wizard(args: string[], steps: Step[]) {
  const prompter = new ScriptedPrompter(steps);
  const code = await runWizard(parseSetupArgs(args), {
    prompter,
    out: output(),
    toolVersion: 'test',
    environment: machine,
  });
  expect(prompter.remaining, `unused steps; asked: ${prompter.asked.join(' | ')}`).toBe(0);
  return { code, prompter, shown: prompter.shown.join('\n') };
}

const START: Step[] = [
  { expect: /Public hostname/, text: ['hpb.example.org'] },
  { expect: /Nextcloud URL/, text: ['https://cloud.example.org'] },
  { expect: /other settings/, choose: 'customize' },
  { expect: /One server, or several servers as one HPB \(a cluster\)\?/, choose: 'several' },
];
const TWO_NODES: Step[] = [
  { expect: /Signaling node 1: its name/, text: [''] },
  { expect: /Address the other machines reach sig1 at/, text: ['10.0.0.11'] },
  { expect: /Signaling node 2: its name/, text: [''] },
  { expect: /Address the other machines reach sig2 at/, text: ['10.0.0.12'] },
  { expect: /Add another signaling node/, confirm: false },
];
const ONE_MEDIA: Step[] = [
  { expect: /Media nodes too/, confirm: true },
  { expect: /Media node 1: its name/, text: [''] },
  { expect: /Address the signaling nodes reach media1 at/, text: ['10.0.0.21'] },
  { expect: /Country media1 stands in/, text: ['DE'] },
  { expect: /Add another media node/, confirm: false },
];
const SHARED_REST: Step[] = [
  { expect: /NATS \(the message bus joining/, choose: 'own' },
  { expect: /find each other \(gRPC\)/, choose: 'static' },
  { expect: /TURN on every signaling node/, confirm: false },
  { expect: /nginx in front/, choose: 'site' },
  { expect: /TLS certificate/, text: [''] },
  { expect: /TLS private key/, text: [''] },
];

describe('wizard: several servers (a cluster file)', () => {
  it('writes the cluster file (nodes, media, NATS as answered; no secret), reads it back, names the commands, touches nothing else', async () => {
    const root = scratch();
    const r = await wizard(
      ['--root', root, ...V],
      [...START, ...TWO_NODES, ...ONE_MEDIA, ...SHARED_REST, { expect: /Where to write the cluster file/, text: [''] }],
    );
    expect(r.code).toBe(0);
    const file = path.join(root, 'cluster.yaml');
    // The default is under --root; nothing else was written there.
    expect(r.prompter.texts.find((t) => /Where to write/.test(t.message))?.defaultValue).toBe(file);
    expect(Object.keys(treeState(root))).toEqual(['cluster.yaml']);
    const back = loadClusterFile(file);
    expect(back.problems).toEqual([]);
    const c = back.cluster!;
    expect(c.cluster.nodes.map((n) => [n.name, n.address])).toEqual([
      ['sig1', '10.0.0.11'],
      ['sig2', '10.0.0.12'],
    ]);
    expect(c.cluster.media.map((m) => [m.name, m.address, m.country])).toEqual([['media1', '10.0.0.21', 'DE']]);
    expect(c.cluster.nats).toEqual({ mode: 'own' });
    expect(c.cluster.grpc).toEqual({ discovery: 'static' });
    expect(c.cluster.front).toBe('sig1');
    expect(c.shared).toMatchObject({
      hostname: 'hpb.example.org',
      backends: [{ urls: ['https://cloud.example.org'] }],
      serverVersion: '2.0.2',
    });
    // What each node decides for itself is not a shared setting.
    for (const k of ['listen', 'nats', 'mcu', 'grpc']) expect(c.shared).not.toHaveProperty(k);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(/hashkey|blockkey|internalsecret|secret:/);
    const commands = r.shown.slice(r.shown.indexOf('Next: set up each machine'));
    const order = [
      `scp ${file} root@10.0.0.12:cluster.yaml`,
      'spreed-setup setup --cluster cluster.yaml --node sig1 --yes',
      'rsync -a /etc/spreed-setup/cluster-spreed/ root@10.0.0.12:/etc/spreed-setup/cluster-spreed/',
      'rsync -a /etc/spreed-setup/cluster-spreed/ root@10.0.0.21:/etc/spreed-setup/cluster-spreed/',
      'spreed-setup setup --cluster cluster.yaml --node sig2 --yes',
      'spreed-setup setup --cluster cluster.yaml --node media1 --yes',
      'spreed-setup register',
      'spreed-setup check --cluster cluster.yaml',
    ];
    const at = order.map((line) => commands.indexOf(line));
    expect(
      at.every((i) => i >= 0),
      commands,
    ).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(r.shown).toContain('Nothing else was changed on this machine');

    // The file is what `setup --cluster FILE --node NAME` sets the front node up from.
    const sig1 = scratch();
    const setup = await runInProcess([
      'setup',
      '--cluster',
      file,
      '--node',
      'sig1',
      '--yes',
      '--no-start',
      '--root',
      sig1,
    ]);
    expect(setup.code, setup.all).toBe(0);
    const conf = parseGoconf(readFileSync(path.join(sig1, 'etc/nextcloud-spreed-signaling/server.conf'), 'utf8'));
    expect(getValue(conf, 'http', 'listen')).toBe('10.0.0.11:8080');
    expect(getValue(conf, 'mcu', 'type')).toBe('proxy');
  });

  it("a reconfigure: none of the install's secrets, nor a secret pass-through key or a NATS password, goes in the file", async () => {
    const root = scratch();
    const setup = await runSetup(
      parseSetupArgs([
        '--hostname',
        'hpb.example.org',
        '--nextcloud',
        'https://cloud.example.org',
        '--yes',
        '--root',
        root,
        ...V,
      ]),
      { out: output(), toolVersion: 'test' },
    );
    expect(setup).toBe(0);
    const conf = path.join(root, 'etc/nextcloud-spreed-signaling/server.conf');
    writeFileSync(
      conf,
      `${readFileSync(conf, 'utf8')}\n[geoip]\nlicense = by-hand-licence-value\nurl = https://geo.example.org/db\n`,
    );
    const secrets = [...secretValues(root), 'by-hand-licence-value', 'n4ts-pa55word'];
    const before = treeState(root);
    const r = await wizard(
      ['--root', root, ...V],
      [
        { expect: /Public hostname/, text: [''] },
        { expect: /Nextcloud URL/, pick: ['https://cloud.example.org'] },
        { expect: /other settings/, choose: 'customize' },
        { expect: /One server, or several/, choose: 'several' },
        ...TWO_NODES,
        { expect: /Media nodes too/, confirm: false },
        { expect: /NATS \(the message bus joining/, choose: 'external' },
        {
          expect: /URLs of the existing NATS cluster/,
          text: ['nats://hpb:n4ts-pa55word@10.0.0.5:4222, nats://10.0.0.6:4222'],
        },
        { expect: /find each other \(gRPC\)/, choose: 'static' },
        { expect: /TURN on every signaling node/, confirm: false },
        { expect: /nginx in front/, choose: 'site' },
        { expect: /TLS certificate/, text: [''] },
        { expect: /TLS private key/, text: [''] },
        { expect: /Where to write the cluster file/, text: [''] },
      ],
    );
    expect(r.code).toBe(0);
    const file = path.join(root, 'cluster.yaml');
    const text = readFileSync(file, 'utf8');
    expect(secrets.length).toBeGreaterThan(3);
    for (const s of secrets) expect(text).not.toContain(s);
    for (const s of secrets) expect(r.shown).not.toContain(s);
    expect(text).toContain('Left out, being secrets');
    const c = loadClusterFile(file).cluster!;
    expect(c.cluster.nats).toEqual({ mode: 'external', urls: ['nats://hpb@10.0.0.5:4222', 'nats://10.0.0.6:4222'] });
    expect(c.shared.extra).toEqual({ geoip: { url: 'https://geo.example.org/db' } });
    // The install itself is as it was.
    const after = treeState(root);
    delete after['cluster.yaml'];
    expect(after).toEqual(before);
  });

  it("a bad node address or name is refused at its prompt with the cluster schema's message, and asked again", async () => {
    const root = scratch();
    const badAddress = '10.0.0.11:8080';
    const r = await wizard(
      ['--root', root, ...V],
      [
        ...START,
        { expect: /Signaling node 1: its name/, text: ['Sig_1', 'sig1'] },
        { expect: /Address the other machines reach sig1 at/, text: [badAddress, '10.0.0.11'] },
        { expect: /Signaling node 2: its name/, text: ['sig1', 'sig2'] },
        { expect: /Address the other machines reach sig2 at/, text: ['10.0.0.11', '10.0.0.12'] },
        { expect: /Add another signaling node/, confirm: false },
        { expect: /Media nodes too/, confirm: true },
        { expect: /Media node 1: its name/, text: [''] },
        { expect: /Address the signaling nodes reach media1 at/, text: ['10.0.0.21'] },
        { expect: /Country media1 stands in/, text: ['germany', ''] },
        { expect: /Add another media node/, confirm: false },
        ...SHARED_REST,
        { expect: /Where to write the cluster file/, text: [''] },
      ],
    );
    expect(r.code).toBe(0);
    const schemaSays = (s: { safeParse(v: string): { error?: { issues: { message: string }[] } } }, v: string) =>
      s.safeParse(v).error!.issues[0]!.message;
    expect(r.prompter.validationErrors).toEqual([
      `"Sig_1" ${schemaSays(SignalingNodeSchema.shape.name, 'Sig_1')}`,
      `"${badAddress}" ${schemaSays(SignalingNodeSchema.shape.address, badAddress)}`,
      '"sig1" duplicate node name "sig1"',
      `"10.0.0.11" 10.0.0.11:8080 is already node sig1's HTTP port`,
      `"germany" ${schemaSays(MediaNodeSchema.shape.country, 'germany')}`,
    ]);
    expect(r.prompter.validationErrors[1]).toContain('must be an IP address or a host name (no port)');
    // Asked again: the address prompt shown once per node, the accepted answer in the file.
    expect(r.prompter.asked.filter((m) => /reach sig1 at/.test(m))).toHaveLength(1);
    const c = loadClusterFile(path.join(root, 'cluster.yaml')).cluster!;
    expect(c.cluster.nodes.map((n) => n.address)).toEqual(['10.0.0.11', '10.0.0.12']);
    expect(c.cluster.media[0]).not.toHaveProperty('country');
  });

  it('one signaling node is not a cluster: a second is asked for before "another?"', async () => {
    const root = scratch();
    const r = await wizard(
      ['--root', root, ...V],
      [...START, ...TWO_NODES, { expect: /Media nodes too/, cancel: true }],
    );
    expect(r.code).toBe(130);
    expect(r.prompter.asked.filter((m) => /Add another signaling node/.test(m))).toHaveLength(1);
  });

  it('Ctrl-C at the path, or "no" to replacing a file and Ctrl-C after, leaves nothing written', async () => {
    const root = scratch();
    const r = await wizard(
      ['--root', root, ...V],
      [
        ...START,
        ...TWO_NODES,
        { expect: /Media nodes too/, confirm: false },
        ...SHARED_REST,
        { expect: /Where to write/, cancel: true },
      ],
    );
    expect(r.code).toBe(130);
    expect(r.shown).toContain('Cancelled: nothing was changed.');
    expect(treeState(root)).toEqual({});

    const mine = path.join(root, 'mine.yaml');
    writeFileSync(mine, 'kept: true\n');
    const again = await wizard(
      ['--root', root, ...V],
      [
        ...START,
        ...TWO_NODES,
        { expect: /Media nodes too/, confirm: false },
        ...SHARED_REST,
        { expect: /Where to write/, text: [mine] },
        { expect: /mine\.yaml exists\. Replace it\?/, confirm: false },
        { expect: /Where to write/, cancel: true },
      ],
    );
    expect(again.code).toBe(130);
    expect(readFileSync(mine, 'utf8')).toBe('kept: true\n');
    expect(Object.keys(treeState(root))).toEqual(['mine.yaml']);
  });

  it('a symbolic link at the path is refused at the prompt; another path is taken', async () => {
    const root = scratch();
    const elsewhere = path.join(root, 'elsewhere.yaml');
    writeFileSync(elsewhere, 'other: file\n');
    const link = path.join(root, 'link.yaml');
    symlinkSync(elsewhere, link);
    const r = await wizard(
      ['--root', root, ...V],
      [
        ...START,
        ...TWO_NODES,
        { expect: /Media nodes too/, confirm: false },
        ...SHARED_REST,
        { expect: /Where to write/, text: [link, path.join(root, 'nodir', 'c.yaml'), ''] },
      ],
    );
    expect(r.code).toBe(0);
    expect(r.prompter.validationErrors).toEqual([
      `"${link}" is a symbolic link: the cluster file is not written through one`,
      expect.stringContaining('does not exist (create it first'),
    ]);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(elsewhere, 'utf8')).toBe('other: file\n');
    expect(existsSync(path.join(root, 'cluster.yaml'))).toBe(true);
  });

  it('--dry-run shows the file (DNS discovery here) and writes nothing; --answers-out is not written either', async () => {
    const root = scratch();
    const answersOut = path.join(root, 'answers.yaml');
    const r = await wizard(
      ['--root', root, ...V, '--dry-run', '--answers-out', answersOut],
      [
        ...START,
        ...TWO_NODES,
        { expect: /Media nodes too/, confirm: false },
        { expect: /NATS \(the message bus joining/, choose: 'own' },
        { expect: /find each other \(gRPC\)/, choose: 'dns' },
        {
          expect: /DNS name resolving to every signaling node/,
          text: ['grpc:9090', 'spreed-grpc.hpb.svc.cluster.local'],
        },
        ...SHARED_REST.slice(2),
      ],
    );
    expect(r.code).toBe(0);
    expect(r.prompter.validationErrors).toEqual([
      `"grpc:9090" ${SignalingNodeSchema.shape.address.safeParse('grpc:9090').error!.issues[0]!.message}`,
    ]);
    expect(r.shown).toContain('The cluster file (dry run: not written)');
    expect(r.shown).toMatch(/grpc:\n\s+discovery: dns\n\s+name: spreed-grpc\.hpb\.svc\.cluster\.local/);
    expect(r.shown).toContain(`--answers-out ${answersOut}: not written`);
    expect(r.shown).toContain('Dry run: nothing was written.');
    expect(treeState(root)).toEqual({});
  });

  it('"one server" keeps the flow as it was: the same questions and this machine set up', async () => {
    const root = scratch();
    const r = await wizard(
      ['--root', root, ...V],
      [
        { expect: /Public hostname/, text: ['hpb.example.org'] },
        { expect: /Nextcloud URL/, text: ['https://cloud.example.org'] },
        { expect: /other settings/, choose: 'customize' },
        { expect: /One server, or several/, choose: 'one' },
        { expect: /NATS \(message bus/, choose: 'loopback' },
        { expect: /MCU/, choose: 'none' },
        { expect: /TURN on this host/, confirm: false },
        { expect: /nginx in front/, choose: 'site' },
        { expect: /TLS certificate/, text: [''] },
        { expect: /TLS private key/, text: [''] },
        { expect: /listens/, text: [''] },
        { expect: /Write these files/, choose: 'write' },
        { expect: /Register this server/, confirm: false },
      ],
    );
    expect(r.code).toBe(0);
    expect(existsSync(path.join(root, 'etc/nextcloud-spreed-signaling/server.conf'))).toBe(true);
    expect(existsSync(path.join(root, 'cluster.yaml'))).toBe(false);
  });
});
