// The rendered turnserver.conf run by the real coturn (Debian's 4.6.1), adapted only in listen
// ports and addresses: STUN Binding, the 401 challenge, Allocate with REST credentials from our
// secret, a wrong secret refused, CreatePermission refused for private peers and accepted for the
// allowed Janus address. Every request goes to coturn on 127.0.0.1; no peer is sent anything.
import { afterAll, describe, expect, it } from 'vitest';
import { DEBIAN_APACHE, DEBIAN_CADDY, DEBIAN_HAPROXY, TRAEFIK } from '../../src/detect/layout.js';
import { buildPlan } from '../../src/plan/buildPlan.js';
import { DeploymentSchema, withTurnFollowing, type DeploymentInput } from '../../src/model/deployment.js';
import type { Layout } from '../../src/model/layout.js';
import { traitsFor } from '../../src/model/versions.js';
import { memoryHost } from '../../src/io/host.js';
import { COTURN } from '../../src/model/defaults.js';
import { stunBinding, turnAllocate } from '../../src/probe/stun.js';
import { skipUnless } from '../harness/components.js';
import { cleanupAll, coturnConfForLoopback, startCoturnWithConfig } from '../harness/processes.js';
import { freePort } from '../harness/ports.js';
import { tempDir } from '../harness/tmp.js';

const layout: Layout = {
  kind: 'debian',
  configPath: '/etc/nextcloud-spreed-signaling/server.conf',
  secretsDir: '/etc/nextcloud-spreed-signaling/secrets',
  serviceUser: '_signaling',
  serviceGroup: '_signaling',
  unit: 'nextcloud-spreed-signaling',
  apache: DEBIAN_APACHE,
  caddy: DEBIAN_CADDY,
  haproxy: DEBIAN_HAPROXY,
  traefik: TRAEFIK,
  nginx: {
    kind: 'debian',
    sitePath: '/etc/nginx/sites-available/spreed-signaling',
    upstreamPath: '/etc/nginx/conf.d/spreed-signaling-upstream.conf',
    snippetPath: '/etc/nginx/snippets/spreed-signaling.conf',
    mainConfPath: '/etc/nginx/nginx.conf',
    unit: 'nginx',
  },
};

export function renderedCoturn(turn: Record<string, unknown>, extra: Partial<DeploymentInput> = {}) {
  const d = withTurnFollowing(
    DeploymentSchema.parse({
      hostname: 'hpb.example.test',
      backends: [{ id: 'cloud', urls: ['https://cloud.example.test'] }],
      mcu: { type: 'janus', url: 'ws://127.0.0.1:8188' },
      nginx: { mode: 'none' },
      turnServer: { mode: 'local', ...turn },
      ...extra,
    }),
  );
  const built = buildPlan(d, {
    host: memoryHost({ uid: 0, groups: { turnserver: 107, _signaling: 108 } }),
    layout,
    traits: traitsFor('2.0.2'),
    existing: { secretFiles: new Map() } as never,
    rotate: new Set(),
    toolVersion: 'test',
  });
  expect(built.problems).toEqual([]);
  const conf = built.plan.changes.find((c) => c.path === COTURN.configPath);
  const secret = built.secrets.get('turn-secret')!.value;
  return { d, built, conf: conf!.content!, secret };
}

const req = skipUnless({ components: ['turnserver'] });

describe.skipIf(req.skip)(`real coturn with the rendered turnserver.conf${req.suffix}`, () => {
  afterAll(cleanupAll);

  it('answers Binding, challenges, allocates with our secret only, and filters peers', async () => {
    const r = renderedCoturn({ externalIp: '203.0.113.7', allowedPeers: ['10.1.2.3'] });
    expect(r.conf).toContain('use-auth-secret');
    expect(r.conf).toContain('denied-peer-ip=10.0.0.0-10.255.255.255');
    expect(r.conf).not.toMatch(/denied-peer-ip=\S+\/\d+/);
    const port = await freePort();
    const turn = await startCoturnWithConfig(tempDir('coturn-'), coturnConfForLoopback(r.conf, { port }), port);
    const at = { host: '127.0.0.1', port, timeoutMs: 3000 };
    // coturn drops a line it cannot parse and keeps running: none may be dropped.
    expect(turn.tail()).not.toMatch(/Wrong address format|Bad configuration format|ERROR/);

    expect(await stunBinding({ ...at, transport: 'udp' })).toMatchObject({ ok: true, mapped: { ip: '127.0.0.1' } });
    expect(await stunBinding({ ...at, transport: 'tcp' })).toMatchObject({ ok: true, mapped: { ip: '127.0.0.1' } });

    const good = await turnAllocate({
      ...at,
      transport: 'udp',
      secret: r.secret,
      peers: ['10.0.0.1', '192.168.1.1', '10.1.2.3'],
    });
    if (!good.ok) throw new Error(`${good.message}\n${turn.tail()}`);
    expect(good.challenge).toMatchObject({ status: 401, realm: 'hpb.example.test' });
    expect(good.allocate).toMatchObject({ status: 'success', relayed: { ip: '203.0.113.7' } });
    expect(good.permissions).toEqual([
      expect.objectContaining({ peer: '10.0.0.1', status: 403 }),
      expect.objectContaining({ peer: '192.168.1.1', status: 403 }),
      { peer: '10.1.2.3', status: 'success' },
    ]);

    const tcp = await turnAllocate({ ...at, transport: 'tcp', secret: r.secret, peers: ['127.0.0.1'] });
    expect(tcp).toMatchObject({ ok: true, allocate: { status: 'success' } });
    if (tcp.ok) expect(tcp.permissions[0]).toMatchObject({ peer: '127.0.0.1', status: 403 });

    const wrong = await turnAllocate({ ...at, transport: 'udp', secret: 'not-the-secret' });
    expect(wrong).toMatchObject({ ok: true, challenge: { status: 401 }, allocate: { status: 401 } });
    await turn.stop();
  });
});
