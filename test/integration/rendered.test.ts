/**
 * The product end to end against the real servers: `spreed-setup setup` renders server.conf and the
 * nginx site for each real version (0.4.1, 1.2.4, 2.0.2); the real server starts from that file;
 * welcome, the internal hello (direct and through the rendered nginx site over TLS) and the signed
 * room request behave as the facts sheet says.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchWelcome, internalHello, signedRoomRequest } from '../../src/probe/signaling.js';
import { SIGNALING_VERSIONS, signalingBinary, skipUnless, type SignalingVersion } from '../harness/components.js';
import { freePort } from '../harness/ports.js';
import {
  cleanupAll,
  selfSignedCert,
  startNats,
  startNginx,
  startSignaling,
  writeNginxMain,
  type StartedSignaling,
} from '../harness/processes.js';
import { secretValues } from '../cli/run.js';
import { runInProcess } from '../cli/inProcess.js';
import { testSiteAnswers } from '../harness/answers.js';
import { tempDir } from '../harness/tmp.js';

const NEXTCLOUD = 'https://cloud.example.org';
const SECRETS = 'etc/nextcloud-spreed-signaling/secrets';
let tmp = '';
let cert: { cert: string; key: string };
let ca: Buffer;

beforeAll(async () => {
  tmp = tempDir('spreed-rendered-');
  chmodSync(tmp, 0o755); // nginx workers (nobody) must traverse it
  cert = await selfSignedCert(path.join(tmp, 'tls'));
  ca = readFileSync(cert.cert);
});

afterAll(async () => {
  await cleanupAll();
});

interface Rendered {
  root: string;
  conf: string;
  listenPort: number;
  httpsPort: number;
  httpPort: number;
  acme: string;
  secret: (name: string) => string;
  output: string;
}

/** Runs setup (in-process) with an answers file for the test's ports, rendering for `version`. */
async function render(version: SignalingVersion, extraArgs: string[] = []): Promise<Rendered> {
  const root = tempDir(`root-${version}-`, tmp);
  chmodSync(root, 0o755);
  const listenPort = await freePort();
  const httpsPort = await freePort();
  const httpPort = await freePort();
  const answers = path.join(root, 'answers.yaml');
  const acme = path.join(root, 'acme');
  mkdirSync(path.join(acme, '.well-known/acme-challenge'), { recursive: true });
  chmodSync(root, 0o755);
  writeFileSync(path.join(acme, '.well-known/acme-challenge/token123'), 'proof\n');
  writeFileSync(
    answers,
    testSiteAnswers({ listenPort, nextcloudUrl: NEXTCLOUD, cert, httpPort, httpsPort, acmeWebroot: acme }),
  );
  const r = await runInProcess([
    'setup',
    '--answers',
    answers,
    '--server-version',
    version,
    '--yes',
    '--root',
    root,
    ...extraArgs,
  ]);
  expect(r.code, r.all).toBe(0);
  const secret = (name: string) => readFileSync(path.join(root, SECRETS, name), 'utf8').trim();
  for (const s of secretValues(root)) expect(r.all).not.toContain(s);
  return {
    root,
    conf: path.join(root, 'etc/nextcloud-spreed-signaling/server.conf'),
    listenPort,
    httpsPort,
    httpPort,
    acme,
    secret,
    output: r.all,
  };
}

async function startNginxFor(r: Rendered) {
  const prefix = path.join(r.root, 'nginx-prefix');
  const main = writeNginxMain(prefix, [
    path.join(r.root, 'etc/nginx/conf.d/spreed-signaling-upstream.conf'),
    path.join(r.root, 'etc/nginx/sites-available/spreed-signaling.conf'),
  ]);
  return startNginx(prefix, main, r.httpsPort);
}

for (const version of SIGNALING_VERSIONS) {
  const d = skipUnless({ signaling: [version], components: ['nginx', 'openssl'] });
  describe.skipIf(d.skip)(`rendered for ${version}${d.suffix}`, () => {
    let r: Rendered;
    let server: StartedSignaling;
    let publicUrl = '';

    beforeAll(async () => {
      r = await render(version);
      server = await startSignaling(signalingBinary(version), r.conf, r.listenPort);
      await startNginxFor(r);
      publicUrl = `https://127.0.0.1:${r.httpsPort}/standalone-signaling`;
    });

    it('starts the real server: welcome answers', async () => {
      const w = await fetchWelcome(server.baseUrl);
      expect(w.status).toBe(200);
      expect(w.json).toMatchObject({ 'nextcloud-spreed-signaling': 'Welcome' });
    });

    it('accepts the internal hello directly', async () => {
      const h = await internalHello(server.wsUrl, {
        secret: r.secret('internalsecret'),
        backend: `${NEXTCLOUD}/`,
        timeoutMs: 5000,
      });
      expect(h).toMatchObject({ ok: true });
    });

    it('serves welcome and the internal hello through the rendered nginx site over TLS', async () => {
      const w = await fetchWelcome(publicUrl, { ca });
      expect(w.status).toBe(200);
      expect(w.json).toMatchObject({ 'nextcloud-spreed-signaling': 'Welcome' });
      const h = await internalHello(`wss://127.0.0.1:${r.httpsPort}/standalone-signaling/spreed`, {
        secret: r.secret('internalsecret'),
        backend: NEXTCLOUD,
        ca,
        timeoutMs: 5000,
      });
      expect(h).toMatchObject({ ok: true });
    });

    it('accepts a room request signed with the backend secret and refuses a wrong one', async () => {
      const ok = await signedRoomRequest(server.baseUrl, { backend: NEXTCLOUD, secret: r.secret('backend-cloud') });
      expect(ok.status).toBe(400);
      expect(ok.body).toContain('Unsupported request type');
      const viaNginx = await signedRoomRequest(publicUrl, {
        backend: NEXTCLOUD,
        secret: r.secret('backend-cloud'),
        ca,
      });
      expect(viaNginx.status).toBe(400);
      const wrong = await signedRoomRequest(server.baseUrl, { backend: NEXTCLOUD, secret: 'f'.repeat(64) });
      expect(wrong.status).toBe(403);
    });

    it('detects the version of the running server', async () => {
      const { detectServerVersion } = await import('../../src/detect/version.js');
      const found = await detectServerVersion(undefined, `127.0.0.1:${r.listenPort}`, { packageManager: false });
      // A `go install` build (2.1.1) says "unreleased": its features tell 2.1.0 at least, no more.
      expect(found?.version).toBe(version === '2.1.1' ? '2.1.0' : version);
      expect(found?.source).toContain('running server');
      const fromBinary = await detectServerVersion(signalingBinary(version), undefined, { packageManager: false });
      // 0.4.1's binary says "unreleased" too: only the package manager or the running server tell.
      expect(fromBinary?.version).toBe(version === '0.4.1' || version === '2.1.1' ? undefined : version);
    });

    it('redirects plain HTTP to HTTPS but keeps the ACME challenge path on HTTP', async () => {
      const redirect = await httpGet(`http://127.0.0.1:${r.httpPort}/standalone-signaling/api/v1/welcome`);
      expect(redirect.status).toBe(301);
      expect(redirect.location).toBe(`https://localhost:${r.httpsPort}/standalone-signaling/api/v1/welcome`);
      const acme = await httpGet(`http://127.0.0.1:${r.httpPort}/.well-known/acme-challenge/token123`);
      expect(acme.status).toBe(200);
      expect(acme.body).toBe('proof\n');
    });
  });
}

for (const version of SIGNALING_VERSIONS) {
  const d = skipUnless({ signaling: [version], components: ['nats-server'] });
  describe.skipIf(d.skip)(`rendered for ${version} with an external nats-server${d.suffix}`, () => {
    it('starts against nats-server and accepts the internal hello', async () => {
      const natsPort = await freePort();
      const nats = await startNats(natsPort);
      const r = await render(version, ['--nats', `nats://127.0.0.1:${natsPort}`]);
      expect(readFileSync(r.conf, 'utf8')).toContain(`url = nats://127.0.0.1:${natsPort}`);
      const server = await startSignaling(signalingBinary(version), r.conf, r.listenPort);
      const h = await internalHello(server.wsUrl, {
        secret: r.secret('internalsecret'),
        backend: NEXTCLOUD,
        timeoutMs: 5000,
      });
      expect(h).toMatchObject({ ok: true });
      await server.stop();
      await nats.stop();
    });
  });
}

function httpGet(url: string): Promise<{ status: number; location?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { Host: 'localhost' }, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          ...(res.headers.location ? { location: res.headers.location } : {}),
          body,
        }),
      );
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}
