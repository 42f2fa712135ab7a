// `setup --cluster` in-process on examples/cluster.yaml (two signaling nodes and a media node):
// the input errors (exit 2, one line each with its fix, nothing written), the token keys through
// the bundle (each node's own private key, every public key in the media node's [tokens]), a
// media-only machine (no server.conf), a changed secret on a node put back from the bundle and
// shown masked in the diff, and a bundle file others could read refused.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getValue, parseGoconf } from '../../src/goconf/parse.js';
import { loadClusterFile } from '../../src/inputs/clusterFile.js';
import { serviceCommands } from '../../src/apply/services.js';
import { runCli } from '../cli/run.js';
import { runInProcess } from '../cli/inProcess.js';
import { scratch, treeState } from '../cli/run.js';

const EXAMPLE = path.resolve(import.meta.dirname, '../../examples/cluster.yaml');
const BUNDLE = 'etc/spreed-setup/cluster-hpb';
const ETC = 'etc/nextcloud-spreed-signaling';
const setup = (root: string, ...more: string[]) =>
  runInProcess(['setup', '--cluster', EXAMPLE, '--yes', '--no-start', '--root', root, ...more]);
const read = (root: string, f: string) => readFileSync(path.join(root, f), 'utf8');
/** The operator's copy of the bundle from the front node's machine. */
function copyBundle(from: string, to: string): void {
  mkdirSync(path.join(to, 'etc/spreed-setup'), { recursive: true });
  execFileSync('cp', ['-a', path.join(from, BUNDLE), path.join(to, 'etc/spreed-setup/')]);
}

describe('setup --cluster: input errors', () => {
  it.each([
    [['--node', 'nope'], '--node nope: ', 'give one of: sig1, sig2, media1'],
    [['--node', 'sig1', '--answers', EXAMPLE], '--cluster and --answers both given', `give only --cluster ${EXAMPLE}`],
    [[], '--cluster without --node', 'add --node NAME (one of: sig1, sig2, media1)'],
  ])('%j exits 2 with the fix, nothing written', async (more, message, fix) => {
    const root = scratch('spreed-cluster-bad-');
    const r = await setup(root, ...more);
    expect(r.code, r.all).toBe(2);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
    expect(errors[0]).toContain(fix);
    expect(readdirSync(root)).toEqual([]);
  });

  it('--node without --cluster exits 2', async () => {
    const root = scratch('spreed-cluster-bad-');
    const r = await runInProcess([
      'setup',
      '--node',
      'sig1',
      '--hostname',
      'h.example.org',
      '--nextcloud',
      'https://c.example.org',
      '--yes',
      '--root',
      root,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--node without --cluster');
    expect(readdirSync(root)).toEqual([]);
  });

  it("the README's cluster file is the tested example, as it is", () => {
    const tested = readFileSync(path.resolve(import.meta.dirname, '../../examples/cluster-three-nodes.yaml'), 'utf8');
    const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
    expect(readme).toContain(`## Several servers`);
    expect(readme).toContain(`\`\`\`yaml\n${tested}\`\`\``);
  });

  it('restarts nats-server first, before the signaling server', () => {
    const layout = {
      unit: 'nextcloud-spreed-signaling',
      nginx: {},
      apache: {},
      caddy: {},
      haproxy: {},
      traefik: {},
    } as Parameters<typeof serviceCommands>[0];
    const cmds = serviceCommands(layout, [
      { path: '/etc/nextcloud-spreed-signaling/server.conf', role: 'server-config' },
      { path: '/etc/nats-server.conf', role: 'nats' },
    ] as Parameters<typeof serviceCommands>[1]).map((c) => c.join(' '));
    expect(cmds.slice(0, 2)).toEqual(['enable nats-server', 'restart nats-server']);
    expect(cmds).toContain('restart nextcloud-spreed-signaling');
  });

  it('writes nothing unconfirmed: without a terminal, --yes or --dry-run a cluster run exits 2', async () => {
    const root = scratch('spreed-cluster-noyes-');
    const r = await runCli(['setup', '--cluster', EXAMPLE, '--node', 'sig1', '--root', root]);
    expect(r.code, r.all).toBe(2);
    expect(readdirSync(root)).toEqual([]);
  });

  it('the example cluster file loads', () => {
    const r = loadClusterFile(EXAMPLE);
    expect(r.problems).toEqual([]);
    expect(r.cluster?.cluster.media.map((m) => m.name)).toEqual(['media1']);
  });
});

describe('setup --cluster examples/cluster.yaml: token keys and the media node', () => {
  const roots = { sig1: '', sig2: '', media1: '' };
  let front = '';
  beforeAll(async () => {
    roots.sig1 = scratch('spreed-cluster-sig1-');
    roots.sig2 = scratch('spreed-cluster-sig2-');
    roots.media1 = scratch('spreed-cluster-media1-');
    const r = await setup(roots.sig1, '--node', 'sig1');
    expect(r.code, r.all).toBe(0);
    front = r.all;
    copyBundle(roots.sig1, roots.sig2);
    copyBundle(roots.sig1, roots.media1);
  });

  it('gives each signaling node its own key from the bundle, and the proxy MCU', async () => {
    const r = await setup(roots.sig2, '--node', 'sig2');
    expect(r.code, r.all).toBe(0);
    for (const n of ['sig1', 'sig2'] as const) {
      const key = read(roots[n], `${ETC}/proxy-token-${n}.key`);
      expect(key).toBe(read(roots.sig1, `${BUNDLE}/tokens/${n}.key`));
      const conf = parseGoconf(read(roots[n], `${ETC}/server.conf`));
      expect(getValue(conf, 'mcu', 'type')).toBe('proxy');
      expect(getValue(conf, 'mcu', 'token_id')).toBe(n);
      expect(getValue(conf, 'mcu', 'url')).toBe('http://10.0.0.21:9091');
    }
    expect(existsSync(path.join(roots.sig2, `${ETC}/proxy-token-sig1.key`))).toBe(false);
    expect(r.stdout).toContain('register it once, from the front node sig1');
    expect(front).toContain("Talk's admin page");
    // No private key in what either run printed.
    for (const n of ['sig1', 'sig2']) {
      const body = read(roots.sig1, `${BUNDLE}/tokens/${n}.key`).split('\n')[1]!;
      expect(front + r.all).not.toContain(body);
    }
  });

  it("writes proxy.conf with every node's public key and Janus's files, no server.conf; a re-run changes nothing", async () => {
    const r = await setup(roots.media1, '--node', 'media1');
    expect(r.code, r.all).toBe(0);
    const pc = parseGoconf(read(roots.media1, `${ETC}/proxy.conf`));
    expect(getValue(pc, 'http', 'listen')).toBe('10.0.0.21:9091');
    expect(getValue(pc, 'app', 'country')).toBe('DE');
    for (const n of ['sig1', 'sig2']) {
      expect(getValue(pc, 'tokens', n)).toBe(`/${ETC}/proxy-token-${n}.pub`);
      expect(read(roots.media1, `${ETC}/proxy-token-${n}.pub`)).toBe(read(roots.sig1, `${BUNDLE}/tokens/${n}.pub`));
    }
    expect(existsSync(path.join(roots.media1, `${ETC}/server.conf`))).toBe(false);
    expect(existsSync(path.join(roots.media1, `${ETC}/secrets`))).toBe(false);
    expect(existsSync(path.join(roots.media1, 'etc/nats-server.conf'))).toBe(false);
    expect(read(roots.media1, 'etc/janus/janus.transport.websockets.jcfg')).toMatch(/ws_port = 8188/);
    expect(read(roots.media1, 'etc/janus/janus.jcfg')).toContain('rtp_port_range');
    const before = treeState(roots.media1);
    const again = await setup(roots.media1, '--node', 'media1');
    expect(again.code, again.all).toBe(0);
    expect(again.stdout).toContain('No changes');
    expect(treeState(roots.media1)).toEqual(before);
  });

  it("replaces a node's differing secret with the bundle's, masked in the diff", async () => {
    const hashFile = path.join(roots.sig2, `${ETC}/secrets/hashkey`);
    const shared = read(roots.sig1, `${BUNDLE}/hashkey`).trim();
    const mine = 'f'.repeat(64);
    const conf = path.join(roots.sig2, `${ETC}/server.conf`);
    writeFileSync(conf, read(roots.sig2, `${ETC}/server.conf`).replace(shared, mine));
    writeFileSync(hashFile, `${mine}\n`);
    const dry = await setup(roots.sig2, '--node', 'sig2', '--dry-run');
    expect(dry.code, dry.all).toBe(0);
    expect(dry.stdout).toMatch(/modify\s+\/etc\/nextcloud-spreed-signaling\/secrets\/hashkey/);
    expect(dry.stdout).toContain('<secret 64 chars, sha256');
    expect(dry.all).not.toContain(mine);
    expect(dry.all).not.toContain(shared);
    const r = await setup(roots.sig2, '--node', 'sig2');
    expect(r.code, r.all).toBe(0);
    expect(read(roots.sig2, `${ETC}/secrets/hashkey`).trim()).toBe(shared);
    expect(getValue(parseGoconf(read(roots.sig2, `${ETC}/server.conf`)), 'sessions', 'hashkey')).toBe(shared);
  });

  it('refuses a bundle file that group or others may read (exit 2, nothing written)', async () => {
    const root = scratch('spreed-cluster-open-');
    copyBundle(roots.sig1, root);
    chmodSync(path.join(root, BUNDLE, 'blockkey'), 0o644);
    const r = await setup(root, '--node', 'sig2');
    expect(r.code, r.all).toBe(2);
    expect(r.stderr).toContain(`/${BUNDLE}/blockkey is readable or writable by group or others (mode 0644)`);
    expect(r.stderr).toContain('chmod 600');
    expect(readdirSync(path.join(root, 'etc'))).toEqual(['spreed-setup']);
  });
});
