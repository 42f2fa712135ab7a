// `setup --janus local` writes Janus's files through the plan (under --root): [mcu] type janus on
// loopback, janus.jcfg's nat/media settings and the websockets transport on loopback; a re-run
// changes nothing; an admin's own settings in those files survive; bad Janus input exits 2 with
// one line and nothing written.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getValue, parseGoconf } from '../../src/goconf/parse.js';
import { parseLibconfig, type LcGroup } from '../../src/render/libconfig.js';
import { serviceCommands } from '../../src/apply/services.js';
import { runInProcess } from '../cli/inProcess.js';
import { scratch, treeState } from '../cli/run.js';

const HOST = 'hpb.example.org';
const CONF = 'etc/nextcloud-spreed-signaling/server.conf';
const JCFG = 'etc/janus/janus.jcfg';
const WS = 'etc/janus/janus.transport.websockets.jcfg';

const setupArgs = (root: string, ...more: string[]) => [
  'setup',
  '--hostname',
  HOST,
  '--nextcloud',
  'https://cloud.example.org',
  '--yes',
  '--root',
  root,
  ...more,
];
const read = (root: string, f: string) => readFileSync(path.join(root, f), 'utf8');
const lc = (root: string, f: string, g: string) => parseLibconfig(read(root, f))[g] as LcGroup;

describe('setup --janus local', () => {
  it('renders [mcu] and Janus for Talk; a re-run changes nothing; hand edits survive; --janus URL lets go', async () => {
    const root = scratch('spreed-janus-');
    // Debian's files as shipped (the parts that matter), with an admin's own setting.
    mkdirSync(path.join(root, 'etc/janus'), { recursive: true });
    writeFileSync(
      path.join(root, JCFG),
      'general: {\n\tdebug_level = 4\t# Debug/logging level\n\tadmin_secret = "janusoverlord"\n}\nmedia: {\n\t#ipv6 = true\n}\nnat: {\n\tnice_debug = false\n\tice_ignore_list = "vmnet,tun0"\n}\nplugins: {\n}\ntransports: {\n}\n',
    );
    writeFileSync(
      path.join(root, WS),
      'general: {\n\tjson = "indented"\n\tws = true\n\tws_port = 8188\n\twss = false\n}\nadmin: {\n\tadmin_ws = false\n}\n',
    );
    const args = setupArgs(root, '--janus', 'local', '--turn', 'local', '--janus-public-ip', '203.0.113.9');
    const r = await runInProcess(args);
    expect(r.code, r.all).toBe(0);
    const conf = parseGoconf(read(root, CONF));
    expect(getValue(conf, 'mcu', 'type')).toBe('janus');
    expect(getValue(conf, 'mcu', 'url')).toBe('ws://127.0.0.1:8188');
    const apikey = getValue(conf, 'turn', 'apikey');
    expect(apikey).toMatch(/^[0-9a-f]{32}$/);

    const nat = lc(root, JCFG, 'nat');
    expect(nat.full_trickle).toBe(true);
    expect(nat.nat_1_1_mapping).toBe('203.0.113.9');
    expect(String(nat.ice_ignore_list).split(',')).toEqual(
      expect.arrayContaining(['vmnet', 'tun0', 'docker', 'br-', 'veth']),
    );
    expect(nat.turn_rest_api).toBe('http://127.0.0.1:8080/turn/credentials');
    expect(nat.turn_rest_api_method).toBe('GET');
    expect(nat.turn_rest_api_key).toBe(apikey);
    expect(lc(root, JCFG, 'media').rtp_port_range).toBe('20000-40000');
    expect(String(lc(root, JCFG, 'transports').disable)).toContain('libjanus_http.so');
    expect(read(root, JCFG)).toContain('\tdebug_level = 4\t# Debug/logging level\n');
    expect(read(root, JCFG)).toContain('\t#ipv6 = true\n');
    expect(lc(root, WS, 'general')).toMatchObject({ ws: true, ws_port: 8188, ws_ip: '127.0.0.1', wss: false });
    expect(lc(root, WS, 'admin')).toMatchObject({ admin_ws: false, admin_wss: false });
    // The TURN REST key is a secret: in the file (0600), never in what the run printed.
    expect(r.all).not.toContain(String(apikey));

    const before = treeState(root);
    const again = await runInProcess(args);
    expect(again.code, again.all).toBe(0);
    expect(treeState(root)).toEqual(before);

    // An admin's own settings in our groups and elsewhere survive the next run (without the flags).
    const edited =
      read(root, JCFG).replace('nat: {\n', 'nat: {\n\tkeep_private_host = true\n') +
      'events: {\n\tbroadcast = true\n}\n';
    writeFileSync(path.join(root, JCFG), edited);
    const third = await runInProcess(setupArgs(root));
    expect(third.code, third.all).toBe(0);
    expect(read(root, JCFG)).toBe(edited);
    expect(lc(root, JCFG, 'nat').keep_private_host).toBe(true);

    // --janus URL keeps its meaning: Janus elsewhere, its files no longer ours.
    const away = await runInProcess(setupArgs(root, '--janus', 'ws://127.0.0.1:9188'));
    expect(away.code, away.all).toBe(0);
    expect(getValue(parseGoconf(read(root, CONF)), 'mcu', 'url')).toBe('ws://127.0.0.1:9188');
    expect(read(root, JCFG)).toBe(edited);
  });

  it('without Debian files: new ones, STUN from the local TURN server when no public address is given', async () => {
    const root = scratch('spreed-janus-');
    const r = await runInProcess(setupArgs(root, '--janus', 'local', '--turn', 'local'));
    expect(r.code, r.all).toBe(0);
    const nat = lc(root, JCFG, 'nat');
    expect(nat).toMatchObject({ stun_server: HOST, stun_port: 3478, ignore_unreachable_ice_server: true });
    expect(nat.nat_1_1_mapping).toBeUndefined();
    expect(r.all).toMatch(/--janus-public-ip/);
    expect(r.all).toMatch(/3478\/udp.*49152-65535\/udp.*20000-40000\/udp/);
    const alone = await runInProcess(setupArgs(scratch('spreed-janus-'), '--janus', 'local', '--dry-run'));
    expect(alone.code, alone.all).toBe(0);
    expect(alone.all).toContain('open in the firewall: 20000-40000/udp (Janus RTP range)');
  });

  it('a changed Janus file restarts janus before the signaling server', () => {
    const layout = {
      unit: 'nextcloud-spreed-signaling',
      nginx: {},
      apache: {},
      caddy: {},
      haproxy: {},
      traefik: {},
    } as never;
    const cmds = serviceCommands(layout, [
      { path: '/etc/janus/janus.jcfg', role: 'janus', content: '', ownership: { mode: 0o600, label: 'x' } },
      { path: '/etc/x/server.conf', role: 'server-config', content: '', ownership: { mode: 0o600, label: 'x' } },
    ] as never);
    const at = (unit: string) => cmds.findIndex((c) => c[0] === 'restart' && c[1] === unit);
    expect(at('janus')).toBeGreaterThanOrEqual(0);
    expect(at('janus')).toBeLessThan(at('nextcloud-spreed-signaling'));
  });
});

describe('bad Janus input: exit 2, one line, nothing written', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['an inverted RTP range', ['--janus', 'local', '--janus-rtp-ports', '40000-20000'], /range is empty/],
    [
      'an RTP range overlapping the relay range',
      ['--janus', 'local', '--turn', 'local', '--janus-rtp-ports', '40000-50000'],
      /overlaps Janus/,
    ],
    ['nat_1_1_mapping not an IP', ['--janus', 'local', '--janus-public-ip', 'janus.example.org'], /IPv4 or IPv6/],
    ['nat_1_1_mapping a private address', ['--janus', 'local', '--janus-public-ip', '10.0.0.5'], /private/],
    ['a Janus URL with a path', ['--janus', 'ws://127.0.0.1:8188/janus'], /no path/],
    ['a public IP without Janus on this host', ['--janus-public-ip', '203.0.113.9'], /--janus local/],
  ];
  for (const [what, args, message] of cases)
    it(what, async () => {
      const root = scratch('spreed-janus-bad-');
      const r = await runInProcess(setupArgs(root, ...args));
      expect(r.code, r.all).toBe(2);
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
      expect(errors, r.stderr).toHaveLength(1);
      expect(errors[0]).toMatch(message);
      expect(Object.keys(treeState(root))).toEqual([]);
    });
});
