// The per-backend group (backend.ID.nextcloud, .secret, .server) against fake Nextcloud and
// signed-request probes.
import { describe, expect, it } from 'vitest';
import { backendChecks } from '../../../src/check/groups/backends.js';
import type { CheckIO } from '../../../src/check/io.js';
import type { CheckSetup } from '../../../src/check/setup.js';
import { parseGoconf } from '../../../src/goconf/parse.js';
import type { CapabilitiesAnswer } from '../../../src/probe/nextcloud.js';
import { BACKEND_SECRET, checkInputs, context, NEXTCLOUD, refused, RESTART_FIX, runOne, shown } from './fixture.js';

function checks(io: Partial<CheckIO>, setup: Partial<CheckSetup> = {}) {
  const defs = backendChecks(context(checkInputs({}, setup), io));
  return (id: string) => runOne(defs, id);
}

const caps = (over: Partial<CapabilitiesAnswer> = {}): CapabilitiesAnswer => ({
  status: 200,
  body: '{}',
  version: { major: 30, minor: 0, micro: 5, string: '30.0.5' },
  spreed: { version: '20.1.0' },
  date: 'Wed, 01 Jan 2025 12:00:00 GMT',
  ...over,
});

describe('backend.ID.nextcloud', () => {
  it('passes with the versions of Nextcloud and Talk, and hands on the major version and date', async () => {
    const seen: unknown[] = [];
    const run = checks({ capabilities: async (url, opts) => (seen.push({ url, opts }), { ok: true, ...caps() }) });
    const o = await run('backend.cloud.nextcloud');
    expect(shown(o)).toEqual({ status: 'pass', detail: 'Nextcloud 30.0.5, Talk 20.1.0 reachable from this host' });
    expect(o.data).toEqual({ major: 30, date: 'Wed, 01 Jan 2025 12:00:00 GMT', talk: '20.1.0' });
    expect(seen).toEqual([{ url: NEXTCLOUD, opts: { insecure: false, timeoutMs: 1000 } }]);
  });

  it('does not verify the certificate with [backend] skipverify = true, as the server', async () => {
    const seen: { insecure?: boolean }[] = [];
    const run = checks(
      { capabilities: async (_url, opts) => (seen.push(opts), { ok: true, ...caps() }) },
      { doc: parseGoconf('[backend]\nskipverify = true\n') },
    );
    await run('backend.cloud.nextcloud');
    expect(seen[0]!.insecure).toBe(true);
  });

  it('fails without Talk', async () => {
    const run = checks({ capabilities: async () => ({ ok: true, ...caps({ spreed: undefined }) }) });
    expect(shown(await run('backend.cloud.nextcloud'))).toEqual({
      status: 'fail',
      detail: `Nextcloud 30.0.5 at ${NEXTCLOUD} has no Talk capabilities: Talk is not installed or not enabled`,
      fix: 'occ app:install spreed (or occ app:enable spreed)',
    });
  });

  it('fails on a redirect: the server does not follow it', async () => {
    const run = checks({ capabilities: async () => ({ ok: true, ...caps({ status: 301, version: undefined }) }) });
    expect(shown(await run('backend.cloud.nextcloud'))).toEqual({
      status: 'fail',
      detail: `${NEXTCLOUD} redirects (HTTP 301): the server does not follow redirects`,
      fix: "set [cloud] url to Nextcloud's final base URL (its overwrite.cli.url)",
    });
  });

  it('fails on an untrusted certificate with the skipverify way out', async () => {
    const run = checks({
      capabilities: async () => ({
        ok: false,
        code: 'tls_failed',
        message: 'DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate',
      }),
    });
    expect(shown(await run('backend.cloud.nextcloud'))).toEqual({
      status: 'fail',
      detail: `x509: this host does not trust ${NEXTCLOUD}'s certificate (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate)`,
      fix: 'install its CA on this host (update-ca-certificates), or set [backend] skipverify = true for a self-signed Nextcloud',
    });
  });

  it('fails when Nextcloud cannot be reached', async () => {
    const run = checks({ capabilities: async () => refused('192.0.2.20:443') });
    expect(shown(await run('backend.cloud.nextcloud'))).toEqual({
      status: 'fail',
      detail: `Nextcloud not reachable from this host: nothing listening at ${NEXTCLOUD} (connection refused)`,
      fix: 'make cloud.example.org reachable from here (firewall; with hairpin NAT an /etc/hosts entry for its internal address)',
    });
  });
});

describe("backend.ID.secret: Talk's secret", () => {
  it('passes on unknown_type, with one probe signed with the backend secret', async () => {
    const secrets: string[] = [];
    const run = checks({
      talkSecret: async (_url, opts) => (
        secrets.push(opts.secret), { ok: true, status: 200, code: 'unknown_type', body: '' }
      ),
    });
    expect(shown(await run('backend.cloud.secret'))).toEqual({
      status: 'pass',
      detail: `Talk at ${NEXTCLOUD} accepts requests signed with backend-cloud's secret`,
    });
    expect(secrets).toEqual([BACKEND_SECRET]);
  });

  it('fails on invalid_request: the secrets differ', async () => {
    const run = checks({ talkSecret: async () => ({ ok: true, status: 200, code: 'invalid_request', body: '' }) });
    expect(shown(await run('backend.cloud.secret'))).toEqual({
      status: 'fail',
      detail:
        "invalid_request: Talk's signaling secret differs from [cloud] secret (Nextcloud counted one failed attempt from this host)",
      fix: "set Talk's secret to this backend's: spreed-setup register (or Talk's admin page, High-performance backend, Shared secret = content of secrets/backend-cloud)",
    });
  });

  it('names the throttling when the backend endpoint holds the probe until the timeout', async () => {
    const run = checks({
      talkSecret: async () => ({ ok: false, code: 'timeout', message: 'no answer', localAddress: '192.0.2.7' }),
    });
    const o = await run('backend.cloud.secret');
    expect(o.status).toBe('fail');
    expect(o.detail).toContain('Nextcloud throttles this host');
    expect(o.fix).toContain('occ security:bruteforce:reset 192.0.2.7');
  });

  it('warns when Nextcloud delayed a matching probe (its throttle header), naming the reset', async () => {
    const run = checks({
      talkSecret: async () => ({ ok: true, status: 200, code: 'unknown_type', body: '', ms: 900, throttledMs: 800 }),
    });
    const o = await run('backend.cloud.secret');
    expect(o.status).toBe('warn');
    expect(o.detail).toContain('0.8 s');
    expect(o.fix).toContain('occ security:bruteforce:reset <this host IP>');
  });

  it('fails on throttling (429)', async () => {
    const run = checks({ talkSecret: async () => ({ ok: true, status: 429, body: '' }) });
    expect(shown(await run('backend.cloud.secret'))).toEqual({
      status: 'fail',
      detail: 'Nextcloud throttles this host (HTTP 429) after failed attempts',
      fix: 'wait, or on Nextcloud: occ security:bruteforce:reset <this host IP>',
    });
  });

  it('fails when the probe gets no answer', async () => {
    const run = checks({
      talkSecret: async () => ({
        ok: false,
        code: 'timeout',
        message: 'no answer from cloud.example.org within 1000 ms',
      }),
    });
    expect(shown(await run('backend.cloud.secret'))).toEqual({
      status: 'fail',
      detail: `probe to Talk's backend endpoint failed: ${NEXTCLOUD} accepts connections but never answers`,
      fix: 'check Nextcloud and the firewall',
    });
  });

  it('skips, without probing, when the secret is set from the server environment', async () => {
    const env = {
      section: 'cloud',
      key: 'secret',
      written: '$(NC_SECRET)',
      names: ['NC_SECRET'],
      secret: 'backend-cloud',
    };
    const run = checks({}, { secrets: new Map(), secretsFromEnv: new Map([['backend-cloud', env]]) });
    for (const id of ['backend.cloud.secret', 'backend.cloud.server'])
      expect(shown(await run(id))).toEqual({
        status: 'skip',
        detail: 'skipped: [cloud] secret is set from the environment ($(NC_SECRET)), which this check cannot see',
      });
  });

  it('does not verify the certificate with skipverify = Yes (any goconf spelling)', async () => {
    const seen: { insecure?: boolean }[] = [];
    const run = checks(
      { capabilities: async (_url, opts) => (seen.push(opts), { ok: true, ...caps() }) },
      { doc: parseGoconf('[backend]\nskipverify = Yes\n') },
    );
    await run('backend.cloud.nextcloud');
    expect(seen[0]?.insecure).toBe(true);
  });

  it('fails without a secret, without probing', async () => {
    const run = checks({}, { secrets: new Map() });
    expect(shown(await run('backend.cloud.secret'))).toEqual({
      status: 'fail',
      detail: 'no secret for backend cloud in server.conf or secrets/backend-cloud',
      fix: 'spreed-setup setup --rotate backend-cloud --yes, then spreed-setup register',
    });
  });
});

describe('backend.ID.server: the server accepts the backend', () => {
  const URLS = [NEXTCLOUD, 'https://cloud.example.org/nextcloud'];

  it('passes when every URL gets 400 (accepted, nothing changed)', async () => {
    const asked: { base: string; backend: string; secret: string }[] = [];
    const run = checks(
      {
        roomRequest: async (base, opts) => (
          asked.push({ base, backend: opts.backend, secret: opts.secret }),
          { ok: true, status: 400, body: 'Unsupported request type' }
        ),
      },
      { backends: [{ id: 'cloud', urls: URLS }] },
    );
    expect(shown(await run('backend.cloud.server'))).toEqual({
      status: 'pass',
      detail: `signed requests from ${URLS.join(', ')} accepted (400 Unsupported request type: nothing changed)`,
    });
    expect(asked).toEqual(URLS.map((backend) => ({ base: 'http://127.0.0.1:8080', backend, secret: BACKEND_SECRET })));
  });

  it('fails on 403 and stops at the first refusal', async () => {
    let calls = 0;
    const run = checks(
      { roomRequest: async () => (calls++, { ok: true, status: 403, body: 'Authentication check failed' }) },
      { backends: [{ id: 'cloud', urls: URLS }] },
    );
    expect(shown(await run('backend.cloud.server'))).toEqual({
      status: 'fail',
      detail: `403 Authentication check failed: the running server refuses requests for ${NEXTCLOUD} signed with [cloud] secret (it has another secret or URL loaded)`,
      fix: `${RESTART_FIX}; the url must be exactly Nextcloud's base URL (overwrite.cli.url), the secret the same as Talk's`,
    });
    expect(calls).toBe(1);
  });

  it('fails on an unexpected status', async () => {
    const run = checks({ roomRequest: async () => ({ ok: true, status: 200, body: '' }) });
    expect(shown(await run('backend.cloud.server'))).toEqual({
      status: 'fail',
      detail: `signed room request for ${NEXTCLOUD}: HTTP 200, expected 400 (accepted, nothing changed)`,
      fix: RESTART_FIX,
    });
  });

  it('fails when the request cannot be sent', async () => {
    const run = checks({
      roomRequest: async () => ({
        ok: false,
        code: 'request_failed',
        message: 'Invalid character in header content ["Spreed-Signaling-Backend"]',
      }),
    });
    expect(shown(await run('backend.cloud.server'))).toEqual({
      status: 'fail',
      detail:
        'signed room request failed: http://127.0.0.1:8080: Invalid character in header content ["Spreed-Signaling-Backend"]',
      fix: RESTART_FIX,
    });
  });
});
