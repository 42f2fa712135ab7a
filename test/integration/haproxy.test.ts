/**
 * HAProxy 2.6 in front of the real server, as rendered: `setup --web-server haproxy` (staged under
 * --root) adds its managed block to haproxy.cfg (every other line kept) and links the certificate
 * and key where HAProxy loads them; the real HAProxy then serves that configuration on loopback
 * ports over TLS in front of the real server: welcome through the proxy (prefix stripped), the
 * websocket upgrade and the internal hello through it. A configuration HAProxy refuses is
 * reported from `haproxy -c` with every file put back.
 */
import { chmodSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchWelcome, internalHello } from '../../src/probe/signaling.js';
import { signalingBinary, skipUnless, TALK_RELEASES } from '../harness/components.js';
import { freePort } from '../harness/ports.js';
import {
  cleanupAll,
  selfSignedCert,
  startHaproxy,
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
const CFG = 'etc/haproxy/haproxy.cfg';
const CRT = 'etc/haproxy/certs/spreed-signaling.pem';
const ADMINS = [
  'global',
  '    log stdout format raw local0',
  '',
  'defaults',
  '    mode http',
  '    timeout connect 5s',
  '    timeout client 30s',
  '    timeout server 30s',
  '',
].join('\n');
// Every release current Talk accepts that the test bed has: 2.0.2, and upstream's 2.1.1 where it can be had.
for (const VERSION of TALK_RELEASES) {
  const need = skipUnless({ signaling: [VERSION], components: ['haproxy', 'openssl'] });

  describe.skipIf(need.skip)(`HAProxy in front of the real ${VERSION} server${need.suffix}`, () => {
    let root = '';
    let tmp = '';
    let httpsPort = 0;
    let output = '';
    let ca: Buffer;
    let cert: { cert: string; key: string };
    let server: StartedSignaling;
    let haproxy: ManagedProcess;
    const secret = (name: string) => readFileSync(path.join(root, SECRETS, name), 'utf8').trim();

    async function stage(): Promise<{ root: string; answers: string; listenPort: number; httpsPort: number }> {
      const r = tempDir('root-', tmp);
      chmodSync(r, 0o755);
      mkdirSync(path.join(r, 'etc/haproxy'), { recursive: true });
      writeFileSync(path.join(r, CFG), ADMINS);
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
        }),
      );
      return { root: r, answers, listenPort, httpsPort: https };
    }
    const setupArgs = (s: { root: string; answers: string }) => [
      'setup',
      '--answers',
      s.answers,
      '--web-server',
      'haproxy',
      '--server-version',
      VERSION,
      '--yes',
      '--root',
      s.root,
    ];

    beforeAll(async () => {
      tmp = tempDir('spreed-haproxy-');
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
      // The staged haproxy.cfg as written; only its crt path is the staged link's (under the root).
      const conf = path.join(tmp, 'haproxy.cfg');
      writeFileSync(
        conf,
        readFileSync(path.join(root, CFG), 'utf8').replace(`crt /${CRT} `, `crt ${path.join(root, CRT)} `),
      );
      haproxy = await startHaproxy(conf, httpsPort);
    });

    afterAll(async () => {
      await haproxy?.stop();
      await server?.stop();
      await cleanupAll();
    });

    it('adds the managed block to haproxy.cfg, every other line kept, and links the certificate and key', () => {
      const cfg = readFileSync(path.join(root, CFG), 'utf8');
      expect(cfg.startsWith(ADMINS)).toBe(true);
      expect(cfg).toMatch(/^# BEGIN spreed-setup/m);
      expect(cfg).toContain(`bind 127.0.0.1:${httpsPort} ssl crt /${CRT} alpn h2,http/1.1`);
      expect(cfg).toContain("http-request replace-path '^/standalone-signaling(/.*)$' '\\1'");
      expect(cfg).toMatch(/^\s+timeout tunnel 1h$/m);
      expect(cfg).toMatch(/^\s+server signaling 127\.0\.0\.1:\d+$/m); // no proto h2
      expect(readlinkSync(path.join(root, CRT))).toBe(cert.cert);
      expect(readlinkSync(path.join(root, `${CRT}.key`))).toBe(cert.key);
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

    it('a second run changes nothing (the block is there once)', async () => {
      const answers = path.join(root, 'answers.yaml');
      const before = readFileSync(path.join(root, CFG), 'utf8');
      const r = await runInProcess(setupArgs({ root, answers }));
      expect(r.code, r.all).toBe(0);
      expect(readFileSync(path.join(root, CFG), 'utf8')).toBe(before);
      expect(before.match(/^# BEGIN spreed-setup/gm)).toHaveLength(1);
    });

    it('haproxy -c refusing the configuration: the error is shown and every file is put back', async () => {
      const s = await stage();
      // The injected fault: the admin's part of haproxy.cfg holds a keyword HAProxy does not know.
      writeFileSync(path.join(s.root, CFG), `${ADMINS}    no-such-keyword on\n`);
      const before = treeState(s.root);
      const r = await runInProcess(setupArgs(s));
      expect(r.code, r.all).not.toBe(0);
      expect(r.all).toMatch(/HAProxy rejects the written configuration: .*no-such-keyword/);
      expect(r.all).toMatch(/Put back:/);
      const after = Object.fromEntries(Object.entries(treeState(s.root)).filter(([k]) => !k.startsWith('var')));
      expect(after).toEqual(before);
    });

    it('a frontend of the admin already on the https port: site refused, exit 2, nothing written', async () => {
      const s = await stage();
      writeFileSync(
        path.join(s.root, CFG),
        `${ADMINS}frontend web\n    bind 127.0.0.1:${s.httpsPort}\n    default_backend none\n`,
      );
      const before = treeState(s.root);
      const r = await runInProcess(setupArgs(s));
      expect(r.code, r.all).toBe(2);
      expect(r.all).toMatch(/already has a frontend bound to port \d+.*--web-mode snippet/s);
      expect(treeState(s.root)).toEqual(before);
    });
  });
}
