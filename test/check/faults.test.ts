/**
 * The fault matrix: each fault is injected on purpose into a healthy setup rendered by the product
 * (real signaling server 2.0.2, nginx with TLS, nats-server, Janus, stand-in Nextcloud), and
 * `spreed-setup check` must fail naming its cause. A fresh server per fault: 2.0.2 throttles
 * failed hellos and room requests per IP from the first failure.
 */
import { chmodSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnless } from '../harness/components.js';
import { cleanupAll } from '../harness/processes.js';
import { tempDir } from '../harness/tmp.js';
import { probeNextcloudSecret } from '../../src/probe/nextcloud.js';
import { check, dump, makeCerts, startEnv, type Certs, type EnvOptions } from './env.js';

let tmp = '';
let certs: Certs;

beforeAll(() => {
  tmp = tempDir('spreed-check-faults-');
  chmodSync(tmp, 0o755);
  certs = makeCerts(path.join(tmp, 'tls'));
});

afterAll(async () => {
  await cleanupAll();
});

const newHex = (n: number) => 'c0ffee'.repeat(20).slice(0, n);

async function withEnv(
  opts: Omit<EnvOptions, 'version'> & { version?: EnvOptions['version'] },
  fn: (env: Awaited<ReturnType<typeof startEnv>>) => Promise<void>,
): Promise<void> {
  const env = await startEnv(tmp, certs, { version: '2.0.2', ...opts });
  try {
    await fn(env);
  } finally {
    await env.stop();
  }
}

const d = skipUnless({ signaling: ['2.0.2', '0.4.1'], components: ['nginx', 'openssl', 'nats-server', 'janus'] });
describe.skipIf(d.skip)(`fault matrix${d.suffix}`, () => {
  it('nginx without the Upgrade/Connection headers: the upgrade gets 400, named as missing Upgrade headers', async () => {
    const site = (t: string) =>
      t
        .split('\n')
        .filter((l) => !/proxy_set_header (Upgrade|Connection)/.test(l))
        .join('\n');
    await withEnv({ site }, async (env) => {
      const r = await check(env);
      const up = r.byId('public.upgrade');
      expect(up.status, dump(r.report)).toBe('fail');
      expect(up.detail).toContain('400');
      expect(up.detail).toContain('Upgrade/Connection headers');
      expect(up.fix).toContain('proxy_set_header Upgrade $http_upgrade');
      expect(r.byId('public.route').status).toBe('pass');
      expect(r.byId('public.welcome').status).toBe('pass');
      expect(r.byId('hello').status).toBe('skip');
      expect(r.byId('hello').detail).toContain('Websocket upgrade');
      expect(r.code).toBe(1);
    });
  });

  it('wrong proxy_pass path (no trailing slash): the server answers 404, named as the wrong proxy path', async () => {
    const site = (t: string) => t.replace(/proxy_pass (http:\/\/[^/;\s]+)\/;/, 'proxy_pass $1;');
    await withEnv({ site }, async (env) => {
      const r = await check(env);
      const w = r.byId('public.welcome');
      expect(w.status, dump(r.report)).toBe('fail');
      expect(w.detail).toContain('404 from the signaling server');
      expect(w.detail).toContain('wrong path');
      expect(w.fix).toContain('trailing slashes');
    });
  });

  it('signaling server stopped: not running locally, 502 through the proxy', async () => {
    await withEnv({}, async (env) => {
      await env.server.stop();
      const r = await check(env);
      const s = r.byId('server');
      expect(s.status, dump(r.report)).toBe('fail');
      expect(s.detail).toContain('signaling server not running');
      expect(s.detail).toContain('connection refused');
      expect(s.fix).toContain('systemctl start nextcloud-spreed-signaling');
      const w = r.byId('public.welcome');
      expect(w.status).toBe('fail');
      expect(w.detail).toContain('502');
      expect(w.detail).toContain('down');
      for (const id of ['server.talk', 'backend.cloud.server']) expect(r.byId(id).status).toBe('skip');
    });
  });

  it('NATS stopped: named, with the reason the server would not listen', async () => {
    await withEnv({ nats: 'external' }, async (env) => {
      await env.nats!.stop();
      const r = await check(env);
      const n = r.byId('nats');
      expect(n.status, dump(r.report)).toBe('fail');
      expect(n.detail).toContain('NATS not running');
      expect(n.fix).toContain('nats-server');
    });
  });

  it('wrong internal secret (server.conf changed, server not restarted): invalid_token', async () => {
    await withEnv({}, async (env) => {
      env.editConf('clients', 'internalsecret', newHex(64));
      const r = await check(env);
      const h = r.byId('hello');
      expect(h.status, dump(r.report)).toBe('fail');
      expect(h.detail).toContain('invalid_token');
      expect(h.detail).toContain('internalsecret');
      expect(h.fix).toContain('systemctl restart');
    });
  });

  it("backend URL differing in scheme: invalid_backend for the hello, 403 for Nextcloud's requests", async () => {
    await withEnv({}, async (env) => {
      const https = env.nextcloudUrl.replace(/^http:/, 'https:');
      env.editConf('cloud', 'url', https);
      const r = await check(env);
      const h = r.byId('hello');
      expect(h.status, dump(r.report)).toBe('fail');
      expect(h.detail).toContain('invalid_backend');
      expect(h.detail).toContain(https);
      expect(h.detail).toContain('scheme, host case');
      const s = r.byId('backend.cloud.server');
      expect(s.status).toBe('fail');
      expect(s.detail).toContain('403');
    });
  });

  it('backend URL differing in host case: invalid_backend, and the config check names the case', async () => {
    await withEnv({ nextcloudUrl: 'http://localhost:{port}' }, async (env) => {
      const upper = env.nextcloudUrl.replace('localhost', 'LocalHost');
      env.editConf('cloud', 'url', upper);
      const r = await check(env);
      const h = r.byId('hello');
      expect(h.status, dump(r.report)).toBe('fail');
      expect(h.detail).toContain('invalid_backend');
      expect(h.detail).toContain('LocalHost');
      const c = r.byId('config');
      expect(c.status).toBe('warn');
      expect(c.detail).toContain('case-sensitively');
      expect(c.fix).toContain(env.nextcloudUrl);
    });
  });

  it("wrong backend secret on the server's side: the signed room request gets 403", async () => {
    await withEnv({}, async (env) => {
      // server.conf (and Talk) now say S2; the running server still has S1.
      const s2 = newHex(64);
      env.editConf('cloud', 'secret', s2);
      env.nc.setSecret(s2);
      const r = await check(env);
      const s = r.byId('backend.cloud.server');
      expect(s.status, dump(r.report)).toBe('fail');
      expect(s.detail).toContain('403 Authentication check failed');
      expect(s.fix).toContain('restart');
      expect(r.byId('backend.cloud.secret').status).toBe('pass');
      expect(r.all).not.toContain(s2);
    });
  });

  it("wrong backend secret on Nextcloud's side: invalid_request, and only one probe was sent", async () => {
    await withEnv({}, async (env) => {
      env.nc.setSecret(newHex(64));
      const r = await check(env);
      const s = r.byId('backend.cloud.secret');
      expect(s.status, dump(r.report)).toBe('fail');
      expect(s.detail).toContain('invalid_request');
      expect(s.fix).toContain('spreed-setup register');
      expect(env.nc.bruteForceAttempts).toBe(1);
      expect(env.nc.backendRequests).toHaveLength(1);
      expect(r.byId('backend.cloud.server').status).toBe('pass');
    });
  });

  it("after 6 earlier failed-auth requests, check names Nextcloud's throttling and its fix, within its usual time bound", async () => {
    await withEnv({}, async (env) => {
      env.nc.setDelayScale(0);
      for (let i = 0; i < 6; i++) await probeNextcloudSecret(env.nextcloudUrl, { secret: 'wrong' });
      env.nc.setDelayScale(1); // now 0.1 s · 2^6 = 6.4 s before every request to Talk's backend endpoint
      const timeout = 3;
      const t0 = Date.now();
      const r = await check(env, ['--timeout', String(timeout)]);
      const ms = Date.now() - t0;
      const s = r.byId('backend.cloud.secret');
      expect(s.status, dump(r.report)).toBe('fail');
      expect(s.detail).toContain('throttles this host');
      expect(s.detail).not.toContain('never answers');
      expect(s.fix).toContain('occ security:bruteforce:reset 127.0.0.1');
      expect(r.byId('backend.cloud.nextcloud').status).toBe('pass');
      expect(env.nc.bruteForceAttempts).toBe(6); // check itself sent none that failed
      console.log(`throttled check: ${ms} ms with --timeout ${timeout}; secret check ${s.ms} ms`);
    });
  });

  it('self-signed certificate without --ca: named as self-signed (a warning with --insecure)', async () => {
    await withEnv({}, async (env) => {
      const r = await check(env, [], { ca: false });
      const t = r.byId('public.tls');
      expect(t.status, dump(r.report)).toBe('fail');
      expect(t.detail).toContain('self-signed');
      expect(t.fix).toContain('certbot');
      expect(r.byId('public.welcome').status).toBe('skip');
      const insecure = await check(env, ['--insecure'], { ca: false });
      expect(insecure.byId('public.tls').status).toBe('warn');
      expect(insecure.byId('hello').status, dump(insecure.report)).toBe('pass');
    });
  });

  it('expired certificate: named as expired with its date, even with --ca', async () => {
    await withEnv({ cert: 'expired' }, async (env) => {
      const r = await check(env);
      const t = r.byId('public.tls');
      expect(t.status, dump(r.report)).toBe('fail');
      expect(t.detail).toContain('expired on 2020-02-01');
      expect(t.fix).toContain('certbot renew');
    });
  });

  it('Janus down: named as not running', async () => {
    await withEnv({ janus: true }, async (env) => {
      await env.janus!.stop();
      const r = await check(env);
      const j = r.byId('janus');
      expect(j.status, dump(r.report)).toBe('fail');
      expect(j.detail).toContain('Janus not running');
      expect(j.fix).toContain('janus');
    });
  });

  it('a server too old for Talk (0.4.1) against Nextcloud 30: UPDATE_REQUIRED with the way to 2.0', async () => {
    await withEnv({ version: '0.4.1' }, async (env) => {
      const r = await check(env);
      const v = r.byId('server.talk');
      expect(v.status, dump(r.report)).toBe('fail');
      expect(v.detail).toContain('UPDATE_REQUIRED');
      expect(v.detail).toContain('hello-v2');
      expect(v.fix).toContain('2.0 or newer');
      expect(r.byId('hello').status).toBe('pass');
    });
  });
});
