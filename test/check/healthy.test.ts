/**
 * `spreed-setup check` on a healthy setup rendered by the product, for each real server version,
 * behind the rendered nginx site over TLS, against a stand-in Nextcloud 30: everything passes
 * except the version verdict, which names UPDATE_REQUIRED for servers older than 2.0. Through the
 * built CLI: its exit codes 0 and 1 are part of the verdict.
 */
import { chmodSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNALING_VERSIONS, skipUnless } from '../harness/components.js';
import { cleanupAll } from '../harness/processes.js';
import { tempDir } from '../harness/tmp.js';
import { checkCli, dump, makeCerts, startEnv, type Certs } from './env.js';

let tmp = '';
let certs: Certs;

beforeAll(() => {
  tmp = tempDir('spreed-check-ok-');
  chmodSync(tmp, 0o755);
  certs = makeCerts(path.join(tmp, 'tls'));
});

afterAll(async () => {
  await cleanupAll();
});

for (const version of SIGNALING_VERSIONS) {
  const d = skipUnless({ signaling: [version], components: ['nginx', 'openssl', 'nats-server', 'janus'] });
  describe.skipIf(d.skip)(`healthy setup on ${version}${d.suffix}`, () => {
    it('passes every check except the version verdict, which depends on the version', async () => {
      const env = await startEnv(tmp, certs, { version, nats: 'external', janus: true });
      try {
        const { code, report, byId } = await checkCli(env);
        const msg = dump(report);
        const verdict = byId('server.talk');
        for (const c of report.checks) {
          if (c.id === 'server.talk' || c.id === 'registration') continue;
          // Before 2.0.3 no server reports its MCU's live state (serverinfo): an info, not a pass.
          if (c.id === 'mcu-live' && version !== '2.1.1') {
            expect(c.status, `${c.id}\n${msg}`).toBe('info');
            continue;
          }
          expect(c.status, `${c.id}\n${msg}`).toBe('pass');
        }
        expect(byId('registration').status).toBe('skip');
        if (version === '2.0.2' || version === '2.1.1') {
          expect(verdict.status, msg).toBe('pass');
          expect(code, msg).toBe(0);
          expect(report.ok).toBe(true);
        } else {
          expect(verdict.status, msg).toBe('fail');
          expect(verdict.detail).toContain('UPDATE_REQUIRED');
          expect(verdict.detail).toContain('Nextcloud 30');
          expect(verdict.detail).toContain('federation');
          expect(verdict.fix).toContain('2.0');
          expect(code, msg).toBe(1);
        }
        // Exactly one signed probe reached Nextcloud, and it matched.
        expect(env.nc.backendRequests).toEqual([{ authenticated: true, type: 'setup-probe', code: 'unknown_type' }]);
        expect(env.nc.bruteForceAttempts).toBe(0);
      } finally {
        await env.stop();
      }
    });
  });
}

const d2 = skipUnless({ signaling: ['1.2.4'], components: ['nginx', 'openssl'] });
describe.skipIf(d2.skip)(`version verdict when Nextcloud's version is known or not${d2.suffix}`, () => {
  it('1.2.4 against Nextcloud 29 passes (federation became required with 30); unknown version warns', async () => {
    const env29 = await startEnv(tmp, certs, {
      version: '1.2.4',
      nextcloud: { version: { major: 29, minor: 0, micro: 9 } },
    });
    try {
      const r = await checkCli(env29);
      expect(r.byId('server.talk').status, dump(r.report)).toBe('pass');
    } finally {
      await env29.stop();
    }
    const envUnknown = await startEnv(tmp, certs, { version: '1.2.4', nextcloud: { version: null } });
    try {
      const r = await checkCli(envUnknown);
      const v = r.byId('server.talk');
      expect(v.status, dump(r.report)).toBe('warn');
      expect(v.detail).toContain('UPDATE_REQUIRED');
      expect(v.detail).toContain('unknown');
    } finally {
      await envUnknown.stop();
    }
  });
});
