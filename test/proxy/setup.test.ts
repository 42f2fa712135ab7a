// `setup --janus proxy` (media farms, janus-facts §7): [mcu] type proxy with the proxies' URLs,
// this server's token id and the path of its RSA private key (a secret file, never printed); with
// --proxy-node, proxy.conf for the media node here lists that key's public half in [tokens]. A
// re-run reuses the key pair and changes nothing; bad proxy input exits 2 with nothing written.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { serviceCommands } from '../../src/apply/services.js';
import { getValue, parseGoconf } from '../../src/goconf/parse.js';
import { runInProcess } from '../cli/inProcess.js';
import { scratch, treeState } from '../cli/run.js';

const HOST = 'hpb.example.org';
const CONF = 'etc/nextcloud-spreed-signaling/server.conf';
const PROXY_CONF = 'etc/nextcloud-spreed-signaling/proxy.conf';
const KEY = 'etc/nextcloud-spreed-signaling/proxy-token.key';
const PUB = 'etc/nextcloud-spreed-signaling/proxy-token.pub';

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

describe('setup --janus proxy', () => {
  it('renders [mcu] proxy, the token key pair and proxy.conf; a re-run changes nothing', async () => {
    const root = scratch('spreed-proxy-');
    const args = setupArgs(
      root,
      '--janus',
      'proxy',
      '--proxy-url',
      'http://127.0.0.1:9091,https://media2.example.org/proxy/',
      '--proxy-node',
      'local',
      '--proxy-country',
      'de',
      '--proxy-bandwidth',
      '1000,800',
    );
    const r = await runInProcess(args);
    expect(r.code, r.all).toBe(0);
    const conf = parseGoconf(read(root, CONF));
    expect(getValue(conf, 'mcu', 'type')).toBe('proxy');
    expect(getValue(conf, 'mcu', 'url')).toBe('http://127.0.0.1:9091 https://media2.example.org/proxy/');
    expect(getValue(conf, 'mcu', 'token_id')).toBe(HOST);
    expect(getValue(conf, 'mcu', 'token_key')).toBe(`/${KEY}`);

    const priv = read(root, KEY);
    expect(createPrivateKey(priv).asymmetricKeyType).toBe('rsa');
    expect(statSync(path.join(root, KEY)).mode & 0o077 & ~0o040).toBe(0);
    expect(read(root, PUB).trim()).toBe(
      createPublicKey(priv).export({ type: 'spki', format: 'pem' }).toString().trim(),
    );
    // The private key never appears in what the run printed.
    const body = priv.split('\n')[1] ?? '';
    expect(body.length).toBeGreaterThan(20);
    expect(r.all).not.toContain(body);

    const pc = parseGoconf(read(root, PROXY_CONF));
    expect(getValue(pc, 'http', 'listen')).toBe('127.0.0.1:9091');
    expect(getValue(pc, 'app', 'country')).toBe('DE');
    expect(getValue(pc, 'bandwidth', 'incoming')).toBe('1000');
    expect(getValue(pc, 'bandwidth', 'outgoing')).toBe('800');
    expect(getValue(pc, 'tokens', HOST)).toBe(`/${PUB}`);
    expect(getValue(pc, 'mcu', 'type')).toBe('janus');
    expect(getValue(pc, 'mcu', 'url')).toBe('ws://127.0.0.1:8188');

    const before = treeState(root);
    const again = await runInProcess(args);
    expect(again.code, again.all).toBe(0);
    expect(treeState(root)).toEqual(before);
  });

  it('lists other signaling servers from the answers file; --rotate proxy-token makes a new pair', async () => {
    const root = scratch('spreed-proxy-more-');
    const answers = path.join(root, 'answers.yaml');
    writeFileSync(
      answers,
      'proxyNode:\n  tokens:\n    - id: hpb2\n      publicKey: /etc/nextcloud-spreed-signaling/hpb2.pub\n',
    );
    const args = setupArgs(root, '--janus', 'proxy', '--proxy-url', 'http://127.0.0.1:9091', '--answers', answers);
    const r = await runInProcess([...args, '--proxy-node', 'local']);
    expect(r.code, r.all).toBe(0);
    const pc = parseGoconf(read(root, PROXY_CONF));
    expect(getValue(pc, 'tokens', HOST)).toBe(`/${PUB}`);
    expect(getValue(pc, 'tokens', 'hpb2')).toBe('/etc/nextcloud-spreed-signaling/hpb2.pub');
    const pub = read(root, PUB);
    const rot = await runInProcess([...args, '--rotate', 'proxy-token']);
    expect(rot.code, rot.all).toBe(0);
    expect(read(root, PUB)).not.toBe(pub);
    expect(read(root, PUB).trim()).toBe(
      createPublicKey(read(root, KEY)).export({ type: 'spki', format: 'pem' }).toString().trim(),
    );
  });

  it('restarts the proxy before the server when its files change', () => {
    const layout = {
      unit: 'nextcloud-spreed-signaling',
      nginx: {},
      apache: {},
      caddy: {},
      haproxy: {},
      traefik: {},
    } as Parameters<typeof serviceCommands>[0];
    const cmds = serviceCommands(layout, [
      { path: '/etc/nextcloud-spreed-signaling/proxy.conf', role: 'proxy' },
      { path: '/etc/nextcloud-spreed-signaling/server.conf', role: 'server-config' },
    ] as Parameters<typeof serviceCommands>[1]).map((c) => c.join(' '));
    expect(cmds.indexOf('restart nextcloud-spreed-signaling-proxy')).toBeGreaterThanOrEqual(0);
    expect(cmds.indexOf('restart nextcloud-spreed-signaling-proxy')).toBeLessThan(
      cmds.indexOf('restart nextcloud-spreed-signaling'),
    );
  });

  it.each([
    [['--janus', 'proxy', '--proxy-url', 'ws://127.0.0.1:9091'], /proxy URLs must be http/],
    [['--janus', 'proxy', '--proxy-url', 'https://m.example.org/sig'], /must end in "\/"/],
    [['--janus', 'proxy'], /at least one proxy URL/],
    [
      [
        '--janus',
        'proxy',
        '--proxy-url',
        'http://127.0.0.1:9091',
        '--proxy-node',
        'local',
        '--proxy-country',
        'Germany',
      ],
      /ISO 3166/,
    ],
    [['--janus', 'local', '--proxy-node', 'local'], /needs the proxy MCU/],
  ])('refuses %j: exit 2, nothing written', async (more, why) => {
    const root = scratch('spreed-proxy-bad-');
    const r = await runInProcess(setupArgs(root, ...more));
    expect(r.code, r.all).toBe(2);
    expect(r.all).toMatch(why);
    expect(existsSync(path.join(root, CONF))).toBe(false);
  });
});
