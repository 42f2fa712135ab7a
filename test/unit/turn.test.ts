// TURN pieces without a network: the model's refusals, turnserver.conf's managed block kept apart
// from an admin's lines, /etc/default/coturn, and the STUN encoding (RFC 5769's XOR-MAPPED-ADDRESS).
import { describe, expect, it } from 'vitest';
import { DeploymentSchema } from '../../src/model/deployment.js';
import { nonPublicReason } from '../../src/model/turn.js';
import {
  BLOCK_BEGIN,
  BLOCK_END,
  parseTurnserverConf,
  renderCoturnDefaults,
  renderTurnserverConf,
} from '../../src/render/turnserver.js';
import { decode, encode, readXorAddress, restCredentials, xorAddress } from '../../src/probe/stun.js';
import { createHmac } from 'node:crypto';
import { serviceCommands } from '../../src/apply/services.js';

const base = {
  hostname: 'hpb.example.org',
  backends: [{ id: 'cloud', urls: ['https://cloud.example.org'] }],
  mcu: { type: 'janus', url: 'ws://127.0.0.1:8188' },
};
const issues = (turnServer: unknown, extra: object = {}) => {
  const r = DeploymentSchema.safeParse({ ...base, turnServer, ...extra });
  return r.success ? [] : r.error.issues.map((i) => i.message);
};

describe('TURN model', () => {
  it('refuses schemes, paths, bad ports, empty or overlapping ranges, turns: on an IP', () => {
    expect(issues({ mode: 'external', servers: ['turns:turn.example.net:5349'] })[0]).toContain('scheme');
    expect(issues({ mode: 'external', servers: ['https://turn.example.net:5349'] })[0]).toContain('scheme');
    expect(issues({ mode: 'external', servers: ['turn.example.net:3478/x'] })[0]).toContain('path');
    expect(issues({ mode: 'external', servers: ['turn.example.net'] })[0]).toContain('HOST:PORT');
    expect(issues({ mode: 'external', servers: ['turn.example.net:0'] })[0]).toContain('1-65535');
    expect(issues({ mode: 'local', relayPorts: { min: 50000, max: 40000 } })[0]).toContain('empty');
    expect(issues({ mode: 'local', relayPorts: { min: 30000, max: 50000 } })[0]).toContain(
      "overlaps Janus's RTP range",
    );
    expect(issues({ mode: 'local', relayPorts: { min: 30000, max: 50000 } }, { mcu: { type: 'none' } })).toEqual([]);
    expect(issues({ mode: 'local', tlsPort: 65536 })[0]).toContain('1-65535');
    expect(issues({ mode: 'local', tlsPort: 5349 }, { hostname: '203.0.113.7' })[0]).toContain('domain name');
    expect(issues({ mode: 'local', externalIp: 'example.org' })[0]).toContain('IP');
    expect(issues({ mode: 'local', tlsPort: 5349, externalIp: '203.0.113.7', allowedPeers: ['10.1.2.3'] })).toEqual([]);
  });

  it('tells public relay addresses from private, CGNAT, loopback and link-local ones', () => {
    for (const ip of [
      '10.1.2.3',
      '172.17.0.2',
      '192.168.1.1',
      '100.64.0.1',
      '127.0.0.1',
      '169.254.1.1',
      'fd00::1',
      'fe80::1',
      '::1',
    ])
      expect(nonPublicReason(ip), ip).toBeDefined();
    for (const ip of ['198.51.100.9', '8.8.8.8', '2001:db8::1']) expect(nonPublicReason(ip), ip).toBeUndefined();
  });
});

describe('turnserver.conf', () => {
  const d = DeploymentSchema.parse({ ...base, turnServer: { mode: 'local' } });
  const t = d.turnServer as Extract<typeof d.turnServer, { mode: 'local' }>;
  it("keeps Debian's file and an admin's lines outside the block, replaces only the block", () => {
    const debian = '# TURN server name and realm\n#realm=mycompany.org\nsyslog\nno-rfc5780\n';
    const first = renderTurnserverConf(d, t, 'a'.repeat(64), debian);
    expect(first.startsWith(debian)).toBe(true);
    const edited = `${first}verbose\nrealm=other.example\n`;
    const second = renderTurnserverConf(d, t, 'b'.repeat(64), edited);
    expect(second).toContain('\nverbose\n');
    expect(second).toContain('# (spreed-setup: set in its block) realm=other.example');
    expect(second.split(BLOCK_BEGIN)).toHaveLength(2);
    expect(second.split(BLOCK_END)).toHaveLength(2);
    const conf = parseTurnserverConf(second);
    expect(conf.get('static-auth-secret')).toEqual(['b'.repeat(64)]);
    expect(conf.get('realm')).toEqual(['hpb.example.org']);
    expect(renderTurnserverConf(d, t, 'b'.repeat(64), second)).toBe(second);
  });

  it('/etc/default/coturn: TURNSERVER_ENABLED=1, other lines kept', () => {
    expect(renderCoturnDefaults('# comment\n#TURNSERVER_ENABLED=1\n')).toBe('# comment\nTURNSERVER_ENABLED=1\n');
    expect(renderCoturnDefaults(undefined)).toBe('TURNSERVER_ENABLED=1\n');
    expect(renderCoturnDefaults('EXTRA_OPTIONS=""\n')).toBe('EXTRA_OPTIONS=""\nTURNSERVER_ENABLED=1\n');
  });
});

describe('STUN encoding', () => {
  it("reads RFC 5769's sample XOR-MAPPED-ADDRESS (192.0.2.1:32853)", () => {
    const tid = Buffer.from('b7e7a701bc34d686fa87dfae', 'hex');
    expect(readXorAddress(Buffer.from('0001a147e112a643', 'hex'), tid)).toEqual({ ip: '192.0.2.1', port: 32853 });
    expect(xorAddress('192.0.2.1', 32853, tid).toString('hex')).toBe('0001a147e112a643');
    const v6 = xorAddress('2001:db8:1234:5678:11:2233:4455:6677', 32853, tid);
    expect(readXorAddress(v6, tid)).toEqual({ ip: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 });
  });

  it('signs with MESSAGE-INTEGRITY over the header counting it, then FINGERPRINT', () => {
    const tid = Buffer.alloc(12, 7);
    const key = Buffer.from('k');
    const msg = encode({ method: 0x003, tid, attrs: [{ type: 0x0019, value: Buffer.from([17, 0, 0, 0]) }] }, key);
    const m = decode(msg)!;
    expect(m.method).toBe(0x003);
    expect(m.attrs.map((a) => a.type)).toEqual([0x0019, 0x0008, 0x8028]);
    const upToMi = Buffer.from(msg.subarray(0, 20 + 8));
    upToMi.writeUInt16BE(8 + 24, 2);
    expect(m.attrs[1]!.value).toEqual(createHmac('sha1', key).update(upToMi).digest());
  });

  it('REST credentials: expiry:user and base64 HMAC-SHA1 of it', () => {
    const c = restCredentials('s3cret', { now: 1_700_000_000_000, ttlSeconds: 60, user: 'u' });
    expect(c.username).toBe('1700000060:u');
    expect(c.password).toBe(createHmac('sha1', 's3cret').update('1700000060:u').digest('base64'));
  });
});

describe('services after writing coturn', () => {
  const layout = {
    kind: 'debian',
    configPath: '/etc/nextcloud-spreed-signaling/server.conf',
    secretsDir: '/etc/nextcloud-spreed-signaling/secrets',
    serviceUser: '_signaling',
    serviceGroup: '_signaling',
    unit: 'nextcloud-spreed-signaling',
    nginx: { binary: '/usr/sbin/nginx', unit: 'nginx' },
    apache: { binary: '/usr/sbin/apache2', unit: 'apache2' },
    caddy: { unit: 'caddy' },
    haproxy: { binary: '/usr/sbin/haproxy', unit: 'haproxy' },
  } as never;
  const change = (path: string, role: string) => ({ path, role }) as never;
  it('reloads Apache for its files, and nothing else', () => {
    expect(serviceCommands(layout, [change('/etc/apache2/sites-enabled/spreed-signaling.conf', 'apache')])).toEqual([
      ['reload-or-restart', 'apache2'],
    ]);
  });
  it('reloads HAProxy for its configuration and certificate links, and nothing else', () => {
    expect(
      serviceCommands(layout, [
        change('/etc/haproxy/haproxy.cfg', 'haproxy'),
        change('/etc/haproxy/certs/spreed-signaling.pem', 'haproxy'),
      ]),
    ).toEqual([['reload-or-restart', 'haproxy']]);
  });
  it('restarts coturn for its files, the signaling server only for its own', () => {
    expect(serviceCommands(layout, [change('/etc/turnserver.conf', 'coturn')])).toEqual([
      ['enable', 'coturn'],
      ['restart', 'coturn'],
    ]);
    expect(
      serviceCommands(layout, [
        change('/etc/nextcloud-spreed-signaling/server.conf', 'server-config'),
        change('/etc/letsencrypt/renewal-hooks/deploy/spreed-setup-coturn', 'coturn'),
      ]),
    ).toEqual([
      ['enable', 'nextcloud-spreed-signaling'],
      ['restart', 'nextcloud-spreed-signaling'],
    ]);
  });
});
