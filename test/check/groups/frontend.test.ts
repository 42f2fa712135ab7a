// Proxy faults named with the front end: the Server header of what answered wins over the one
// the state file records; HAProxy and Traefik (no Server header) come from the state file;
// nginx and an unknown front end keep nginx's wording.
import { describe, expect, it } from 'vitest';
import { frontEndFrom } from '../../../src/check/frontEnd.js';
import { publicChecks } from '../../../src/check/groups/public.js';
import type { CheckIO } from '../../../src/check/io.js';
import { checkInputs, context, runOne, shown } from './fixture.js';

const upgrade400 = (server?: string): Partial<CheckIO> => ({
  websocketUpgrade: async () => ({
    ok: false,
    code: 'upgrade_failed',
    message: 'HTTP 400 instead of 101 Switching Protocols',
    status: 400,
    body: '',
    ...(server ? { server } : {}),
  }),
});
const run = (io: Partial<CheckIO>, nginx?: object) =>
  runOne(publicChecks(context(checkInputs({}, nginx ? { nginx: nginx as never } : {}), io)), 'public.upgrade');

describe('frontEndFrom', () => {
  it('nginx, Apache and Caddy by their Server header; else what setup wrote', () => {
    expect(frontEndFrom({ server: 'nginx/1.22.1' })).toBe('nginx');
    expect(frontEndFrom({ server: 'Apache/2.4.62 (Debian)' }, 'nginx')).toBe('apache');
    expect(frontEndFrom({ server: 'Caddy' })).toBe('caddy');
    expect(frontEndFrom({}, 'haproxy')).toBe('haproxy');
    expect(frontEndFrom(undefined)).toBeUndefined();
  });
});

describe('public.upgrade names the front end', () => {
  it("Apache's Server header over a state file that says nginx", async () => {
    const r = shown(await run(upgrade400('Apache/2.4.62 (Debian)'), { server: 'nginx' }));
    expect(r.detail).toMatch(/^Apache: mod_proxy_wstunnel not enabled/);
    expect(r.fix).toContain('a2enmod proxy_wstunnel');
  });
  it('HAProxy and Traefik from the state file', async () => {
    expect(shown(await run(upgrade400(), { server: 'haproxy' })).detail).toMatch(/^HAProxy: .*proto h2/);
    const t = shown(await run(upgrade400(), { server: 'traefik', mode: 'site' }));
    expect(t.detail).toMatch(/^Traefik: /);
    expect(t.fix).toContain('/etc/traefik/dynamic/spreed-signaling.yml');
  });
  it("nginx's wording for nginx and for an unknown front end", async () => {
    for (const r of [await run(upgrade400('nginx')), await run(upgrade400())])
      expect(shown(r).detail).toMatch(/400 instead of 101: the proxy drops the Upgrade\/Connection headers$/);
  });
});

describe('starting the front end names the one setup wrote for', () => {
  it('Caddy refused: start Caddy, not nginx', async () => {
    const defs = publicChecks(
      context(checkInputs({}, { nginx: { server: 'caddy' } as never }), {
        resolveDns: async () => ({ ok: true, addresses: ['192.0.2.10'] }),
        welcome: async () => ({ ok: false, code: 'connect_failed', message: 'connect ECONNREFUSED 192.0.2.10:443' }),
      }),
    );
    const r = shown(await runOne(defs, 'public.welcome'));
    expect(r.fix).toBe('start Caddy (systemctl start caddy) and open the HTTPS port in the firewall');
  });
});
