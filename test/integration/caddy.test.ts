/**
 * Caddy 2 in front of the real server, as rendered: `setup --web-server caddy` (staged under
 * --root) writes the site block and adds one import line to the Caddyfile (every other byte kept);
 * the real Caddy then serves that site file on loopback ports over TLS in front of the real
 * server: welcome through the proxy (prefix stripped), the websocket upgrade and the internal
 * hello through it. A broken site is refused by `caddy validate` with every file put back.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchWelcome, internalHello } from '../../src/probe/signaling.js';
import { signalingBinary, skipUnless, TALK_RELEASES } from '../harness/components.js';
import { freePort } from '../harness/ports.js';
import {
  cleanupAll,
  selfSignedCert,
  startCaddy,
  startSignaling,
  type ManagedProcess,
  type StartedSignaling,
} from '../harness/processes.js';
import { secretValues, treeState } from '../cli/run.js';
import { runInProcess } from '../cli/inProcess.js';
import { testSiteAnswers } from '../harness/answers.js';
import { tempDir } from '../harness/tmp.js';

const NEXTCLOUD = 'https://cloud.example.org';
const SECRETS = 'etc/nextcloud-spreed-signaling/secrets';
const SITE = 'etc/caddy/spreed-signaling.caddy';
const CADDYFILE = 'etc/caddy/Caddyfile';
const ADMINS = ':80 {\n\troot * /usr/share/caddy\n\tfile_server\n}\n';
// Every release current Talk accepts that the test bed has: 2.0.2, and upstream's 2.1.1 where it can be had.
for (const VERSION of TALK_RELEASES) {
  const need = skipUnless({ signaling: [VERSION], components: ['caddy', 'openssl'] });

  describe.skipIf(need.skip)(`Caddy 2 in front of the real ${VERSION} server${need.suffix}`, () => {
    let root = '';
    let tmp = '';
    let httpsPort = 0;
    let output = '';
    let ca: Buffer;
    let cert: { cert: string; key: string };
    let server: StartedSignaling;
    let caddy: ManagedProcess;
    const secret = (name: string) => readFileSync(path.join(root, SECRETS, name), 'utf8').trim();

    async function stage(): Promise<{ root: string; answers: string; listenPort: number; httpsPort: number }> {
      const r = tempDir('root-', tmp);
      chmodSync(r, 0o755);
      mkdirSync(path.join(r, 'etc/caddy'), { recursive: true });
      writeFileSync(path.join(r, CADDYFILE), ADMINS);
      const listenPort = await freePort();
      const https = await freePort();
      const answers = path.join(r, 'answers.yaml');
      writeFileSync(
        answers,
        testSiteAnswers({
          listenPort,
          nextcloudUrl: NEXTCLOUD,
          cert,
          httpPort: await freePort(),
          httpsPort: https,
          acmeWebroot: path.join(r, 'acme'),
          // Caddy routes by the site address: the name the test connects to.
        }).replace('hostname: localhost', 'hostname: 127.0.0.1'),
      );
      return { root: r, answers, listenPort, httpsPort: https };
    }
    const setupArgs = (s: { root: string; answers: string }) => [
      'setup',
      '--answers',
      s.answers,
      '--web-server',
      'caddy',
      '--server-version',
      VERSION,
      '--yes',
      '--root',
      s.root,
    ];

    beforeAll(async () => {
      tmp = tempDir('spreed-caddy-');
      chmodSync(tmp, 0o755);
      cert = await selfSignedCert(path.join(tmp, 'tls'));
      ca = readFileSync(cert.cert);
      const s = await stage();
      root = s.root;
      httpsPort = s.httpsPort;
      const r = await runInProcess(setupArgs(s));
      output = r.all;
      expect(r.code, r.all).toBe(0);
      server = await startSignaling(
        signalingBinary(VERSION),
        path.join(root, 'etc/nextcloud-spreed-signaling/server.conf'),
        s.listenPort,
      );
      caddy = await startCaddy(path.join(tmp, 'caddy'), path.join(root, SITE), {
        https: httpsPort,
        http: await freePort(),
      });
    });

    afterAll(async () => {
      await caddy?.stop();
      await server?.stop();
      await cleanupAll();
    });

    it('writes the site block and imports it from the Caddyfile, every other byte kept', () => {
      const site = readFileSync(path.join(root, SITE), 'utf8');
      expect(site).toContain('handle_path /standalone-signaling/* {');
      expect(site).toMatch(/reverse_proxy http:\/\/127\.0\.0\.1:\d+ \{\n\t+header_up X-Real-IP \{remote_host\}/);
      expect(site).toContain(`tls "${cert.cert}" "${cert.key}"`);
      const caddyfile = readFileSync(path.join(root, CADDYFILE), 'utf8');
      expect(caddyfile.startsWith(ADMINS)).toBe(true);
      expect(caddyfile).toContain('\nimport /etc/caddy/spreed-signaling.caddy\n');
      expect(existsSync(path.join(root, 'etc/nginx'))).toBe(false);
      for (const s of secretValues(root)) expect(output).not.toContain(s);
    });

    it('serves the welcome through the proxy over TLS (prefix stripped)', async () => {
      const w = await fetchWelcome(`https://127.0.0.1:${httpsPort}/standalone-signaling`, { ca });
      expect(w.status).toBe(200);
      expect(w.json).toMatchObject({ 'nextcloud-spreed-signaling': 'Welcome' });
    });

    it('upgrades the websocket and carries the internal hello through it', async () => {
      const h = await internalHello(`wss://127.0.0.1:${httpsPort}/standalone-signaling/spreed`, {
        secret: secret('internalsecret'),
        backend: NEXTCLOUD,
        ca,
        timeoutMs: 5000,
      });
      expect(h).toMatchObject({ ok: true });
    });

    it('a second run changes nothing (the import is there once)', async () => {
      const answers = path.join(root, 'answers.yaml');
      const before = readFileSync(path.join(root, CADDYFILE), 'utf8');
      const r = await runInProcess(setupArgs({ root, answers }));
      expect(r.code, r.all).toBe(0);
      expect(readFileSync(path.join(root, CADDYFILE), 'utf8')).toBe(before);
    });

    it('caddy validate refusing the site: the error is shown and every file is put back', async () => {
      const s = await stage();
      // The injected fault: a staged certificate file that is not PEM, which Caddy cannot load.
      const bad = '/etc/ssl/bad.pem';
      mkdirSync(path.join(s.root, 'etc/ssl'), { recursive: true });
      writeFileSync(path.join(s.root, bad), 'not a certificate\n');
      writeFileSync(path.join(s.root, '/etc/ssl/bad.key'), 'not a key\n');
      writeFileSync(
        s.answers,
        readFileSync(s.answers, 'utf8')
          .replace(`certificate: ${cert.cert}`, `certificate: ${bad}`)
          .replace(`key: ${cert.key}`, 'key: /etc/ssl/bad.key'),
      );
      const before = treeState(s.root);
      const r = await runInProcess(setupArgs(s));
      expect(r.code, r.all).not.toBe(0);
      expect(r.all).toMatch(/Caddy rejects the written files: .*(certificate|PEM)/i);
      expect(r.all).toMatch(/Put back:/);
      const after = Object.fromEntries(Object.entries(treeState(s.root)).filter(([k]) => !k.startsWith('var')));
      expect(after).toEqual(before);
    });
  });
}
