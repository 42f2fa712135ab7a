// `setup --turn` writes coturn's files through the plan (under --root), keeps an admin's own coturn
// options, rotates the one TURN secret everywhere; `register` puts the TURN and STUN entries into
// the stand-in occ once; bad TURN input exits 2 with one line and nothing written.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { getValue, parseGoconf } from '../../src/goconf/parse.js';
import { BLOCK_BEGIN } from '../../src/render/turnserver.js';
import { runInProcess } from '../cli/inProcess.js';
import { scratch, treeState } from '../cli/run.js';
import { FAKE_OCC, fakeOccExec, readTalk, writeOccState } from '../fakes/occState.js';

const HOST = 'hpb.example.org';
const CONF = 'etc/nextcloud-spreed-signaling/server.conf';
const SECRET_FILE = 'etc/nextcloud-spreed-signaling/secrets/turn-secret';
const TURNCONF = 'etc/turnserver.conf';

const setupArgs = (root: string, ...more: string[]) => [
  'setup',
  '--hostname',
  HOST,
  '--nextcloud',
  'https://cloud.example.org',
  '--janus',
  'ws://127.0.0.1:8188',
  '--yes',
  '--root',
  root,
  ...more,
];
const read = (root: string, f: string) => readFileSync(path.join(root, f), 'utf8');
const staticSecret = (root: string) => /^static-auth-secret=(.*)$/m.exec(read(root, TURNCONF))?.[1];
const confTurn = (root: string, key: string) => getValue(parseGoconf(read(root, CONF)), 'turn', key);

beforeAll(() => chmodSync(FAKE_OCC, 0o755));

describe('setup --turn local', () => {
  it('writes coturn, server.conf [turn] and one secret; a re-run changes nothing; own options survive', async () => {
    const root = scratch('spreed-turn-');
    const r = await runInProcess(
      setupArgs(root, '--turn', 'local', '--turn-external-ip', '203.0.113.7', '--turn-allow-peer', '10.1.2.3'),
    );
    expect(r.code, r.all).toBe(0);
    const secret = read(root, SECRET_FILE).trim();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(staticSecret(root)).toBe(secret);
    expect(confTurn(root, 'secret')).toBe(secret);
    expect(confTurn(root, 'servers')).toBe(`turn:${HOST}:3478?transport=udp, turn:${HOST}:3478?transport=tcp`);
    expect(confTurn(root, 'apikey')).toMatch(/^[0-9a-f]{32}$/);
    const tc = read(root, TURNCONF);
    for (const line of ['use-auth-secret', `realm=${HOST}`, 'listening-port=3478', 'external-ip=203.0.113.7'])
      expect(tc).toContain(`\n${line}\n`);
    expect(tc).toContain('allowed-peer-ip=10.1.2.3');
    expect(read(root, 'etc/default/coturn')).toBe('TURNSERVER_ENABLED=1\n');
    expect(r.all).not.toContain(secret);
    expect(r.all).toMatch(/3478\/udp.*3478\/tcp.*49152-65535\/udp.*20000-40000\/udp/);

    const before = treeState(root);
    const again = await runInProcess(
      setupArgs(root, '--turn', 'local', '--turn-external-ip', '203.0.113.7', '--turn-allow-peer', '10.1.2.3'),
    );
    expect(again.code, again.all).toBe(0);
    expect(treeState(root)).toEqual(before);

    // An admin's own options outside the block, and a conflicting one, on the next run.
    writeFileSync(path.join(root, TURNCONF), `verbose\nlistening-port=9999\n${tc}`);
    const third = await runInProcess(setupArgs(root));
    expect(third.code, third.all).toBe(0);
    const after = read(root, TURNCONF);
    expect(after.startsWith('verbose\n# (spreed-setup: set in its block) listening-port=9999\n')).toBe(true);
    expect(after.split(BLOCK_BEGIN)).toHaveLength(2);
    expect(staticSecret(root)).toBe(secret);
  });

  it('rotates the TURN secret in coturn, server.conf and (with register) Talk together', async () => {
    const root = scratch('spreed-turn-');
    const state = path.join(root, 'occ-state.json');
    writeOccState(state, {});
    const register = () =>
      runInProcess(['register', '--root', root, '--occ', FAKE_OCC, '--yes'], {
        exec: fakeOccExec({ stateFile: state }),
      });
    expect((await runInProcess(setupArgs(root, '--turn', 'local', '--turn-tls-port', '5349'))).code).toBe(0);
    expect(read(root, 'etc/letsencrypt/renewal-hooks/deploy/spreed-setup-coturn')).toContain(
      'systemctl reload-or-restart coturn',
    );
    const first = await register();
    expect(first.code, first.all).toBe(0);
    const second = await register();
    expect(second.code, second.all).toBe(0);
    const talk = () => {
      const spreed = readTalk(state).spreed;
      return {
        turn: JSON.parse(spreed.turn_servers ?? '[]') as Array<Record<string, string>>,
        stun: JSON.parse(spreed.stun_servers ?? '["stun.nextcloud.com:443"]') as string[],
      };
    };
    const old = read(root, SECRET_FILE).trim();
    expect(talk().turn).toEqual([
      { schemes: 'turn', server: `${HOST}:3478`, secret: old, protocols: 'udp,tcp' },
      { schemes: 'turns', server: `${HOST}:5349`, secret: old, protocols: 'tcp' },
    ]);
    expect(talk().stun.filter((s) => s === `${HOST}:3478`)).toHaveLength(1);
    expect(second.all).toContain('already in Talk');
    expect(first.all + second.all).not.toContain(old);

    const dry = await runInProcess(setupArgs(root, '--rotate', 'turn-secret', '--dry-run'));
    expect(dry.code, dry.all).toBe(0);
    expect(dry.all).toMatch(/-static-auth-secret=<secret 64 chars, sha256 \w+>\n\+static-auth-secret=<secret 64 chars/);
    expect(dry.all).not.toContain(old);
    expect(read(root, SECRET_FILE).trim()).toBe(old);
    const rot = await runInProcess(setupArgs(root, '--rotate', 'turn-secret'));
    expect(rot.code, rot.all).toBe(0);
    const fresh = read(root, SECRET_FILE).trim();
    expect(fresh).not.toBe(old);
    expect(staticSecret(root)).toBe(fresh);
    expect(confTurn(root, 'secret')).toBe(fresh);
    const third = await register();
    expect(third.code, third.all).toBe(0);
    expect(talk().turn.map((t) => t.secret)).toEqual([fresh, fresh]);
    expect(talk().turn).toHaveLength(2);

    const drop = await runInProcess(['register', '--root', root, '--occ', FAKE_OCC, '--yes', '--drop-default-stun'], {
      exec: fakeOccExec({ stateFile: state }),
    });
    expect(drop.code, drop.all).toBe(0);
    expect(talk().stun).toEqual([`${HOST}:3478`]);
  });

  it('--firewall ufw|nftables shows the commands for the ports, runs nothing', async () => {
    const root = scratch('spreed-turn-');
    const r = await runInProcess(setupArgs(root, '--turn', 'local', '--firewall', 'nftables', '--dry-run'));
    expect(r.code, r.all).toBe(0);
    expect(r.all).toContain('nft add rule inet filter input udp dport 49152-65535 accept comment "TURN relay range"');
    expect(r.all).toContain('nft add rule inet filter input tcp dport 3478 accept');
    const u = await runInProcess(setupArgs(root, '--turn', 'local', '--firewall', 'ufw', '--dry-run'));
    expect(u.all).toContain('ufw allow 20000:40000/udp comment "Janus RTP range"');
    const bad = await runInProcess(setupArgs(root, '--firewall', 'iptables'));
    expect(bad.code).toBe(2);
  });

  it('--turn none afterwards drops the [turn] section that pointed at coturn', async () => {
    const root = scratch('spreed-turn-');
    expect((await runInProcess(setupArgs(root, '--turn', 'local'))).code).toBe(0);
    expect(confTurn(root, 'servers')).toContain(HOST);
    const off = await runInProcess(setupArgs(root, '--turn', 'none'));
    expect(off.code, off.all).toBe(0);
    expect(confTurn(root, 'servers')).toBeUndefined();
    expect(read(root, 'etc/nextcloud-spreed-signaling/spreed-setup.yaml')).toMatch(/turnServer:\n\s+mode: none/);
  });

  it('external TURN servers take their secret from --turn-secret-file', async () => {
    const root = scratch('spreed-turn-');
    const file = path.join(root, 'turn.secret');
    writeFileSync(file, 'sh4red-s3cret-of-the-turn-cluster\n');
    const r = await runInProcess(
      setupArgs(root, '--turn', 'turn1.example.net:3478,turn2.example.net:443', '--turn-secret-file', file),
    );
    expect(r.code, r.all).toBe(0);
    expect(confTurn(root, 'secret')).toBe('sh4red-s3cret-of-the-turn-cluster');
    expect(confTurn(root, 'servers')).toContain('turn:turn2.example.net:443?transport=tcp');
    expect(existsSync(path.join(root, TURNCONF))).toBe(false);
    expect(r.all).not.toContain('sh4red-s3cret');
  });
});

describe("the stand-in occ's TURN and STUN commands, as Talk's", () => {
  it('stun:add parses like parse_url; stun:delete of the last puts the default back; turn:delete matches all three', async () => {
    const root = scratch('spreed-turn-occ-');
    const state = path.join(root, 'occ-state.json');
    writeOccState(state, {});
    const exec = fakeOccExec({ stateFile: state });
    const occ = (...args: string[]) => exec(FAKE_OCC, args, { timeoutMs: 10_000 });
    const stun = () => JSON.parse(readTalk(state).spreed.stun_servers ?? '["stun.nextcloud.com:443"]');
    expect((await occ('talk:stun:add', '[::1]:3478')).exitCode).toBe(0);
    expect((await occ('talk:stun:add', 'stun://h.example.org:3478')).exitCode).toBe(0);
    expect((await occ('talk:stun:add', 'h.example.org:3478')).stdout).toContain('Server already exists.');
    expect((await occ('talk:stun:add', 'h.example.org')).stdout).toContain('Incorrect value');
    expect(stun()).toEqual(['stun.nextcloud.com:443', '[::1]:3478', 'h.example.org:3478']);
    for (const s of stun()) expect((await occ('talk:stun:delete', s)).exitCode).toBe(0);
    expect(stun()).toEqual(['stun.nextcloud.com:443']);
    await occ('talk:turn:add', 'turn', 'h:3478', 'udp,tcp', '--secret=a');
    await occ('talk:turn:add', 'turns', 'h:3478', 'udp,tcp', '--secret=a');
    expect((await occ('talk:turn:delete', 'turn', 'h:3478', 'udp')).stdout).toContain('There is nothing to delete.');
    expect((await occ('talk:turn:delete', 'turn', 'h:3478', 'udp,tcp')).stdout).toContain('Deleted h:3478.');
    expect(JSON.parse(readTalk(state).spreed.turn_servers!)).toEqual([
      { schemes: 'turns', server: 'h:3478', secret: 'a', protocols: 'udp,tcp' },
    ]);
  });
});

describe('bad TURN input: exit 2, one line, nothing written', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['a URL with a scheme', ['--turn', 'turn:turn.example.net:3478'], /has a scheme/],
    ['a URL with a path', ['--turn', 'turn.example.net:3478/turn'], /has a path/],
    ['an empty relay range', ['--turn', 'local', '--turn-relay-ports', '50000-49999'], /range is empty/],
    ['a relay range overlapping Janus', ['--turn', 'local', '--turn-relay-ports', '30000-50000'], /overlaps Janus/],
    ['a port out of range', ['--turn', 'local', '--turn-tls-port', '70000'], /1-65535/],
    ['an external port out of range', ['--turn', 'turn.example.net:65536'], /1-65535/],
  ];
  for (const [what, args, message] of cases)
    it(what, async () => {
      const root = scratch('spreed-turn-bad-');
      const r = await runInProcess(setupArgs(root, ...args));
      expect(r.code, r.all).toBe(2);
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
      expect(errors, r.stderr).toHaveLength(1);
      expect(errors[0]).toMatch(message);
      expect(Object.keys(treeState(root))).toEqual([]);
    });
});
