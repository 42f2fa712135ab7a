/**
 * Apache 2.4 in front of the real server, as rendered: `setup --web-server apache` (staged under
 * --root, with the machine's mods-available copied in) writes the TLS virtual host, its
 * sites-enabled link and the modules' mods-enabled links (as a2enmod makes them); the real Apache
 * then serves that exact virtual host on loopback ports over TLS in front of the real server:
 * welcome through the proxy, the websocket upgrade (101) and the internal hello through it.
 */
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchWelcome, internalHello } from '../../src/probe/signaling.js';
import { signalingBinary, skipUnless, TALK_RELEASES, type SignalingVersion } from '../harness/components.js';
import { freePort } from '../harness/ports.js';
import {
  cleanupAll,
  selfSignedCert,
  startApache,
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
const SITE = 'etc/apache2/sites-available/spreed-signaling.conf';
const MODS_AVAILABLE = '/etc/apache2/mods-available';
/** The release the validation and same-host tests below run against. */
const VERSION: SignalingVersion = '2.0.2';

// Every release current Talk accepts that the test bed has: 2.0.2, and upstream's 2.1.1 where it can be had.
for (const release of TALK_RELEASES) {
  const VERSION = release;
  const need = skipUnless({ signaling: [VERSION], components: ['apache2', 'openssl'] });

  describe.skipIf(need.skip)(`Apache 2.4 in front of the real ${VERSION} server${need.suffix}`, () => {
    let root = '';
    let httpsPort = 0;
    let output = '';
    let ca: Buffer;
    let server: StartedSignaling;
    let apache: ManagedProcess;
    const secret = (name: string) => readFileSync(path.join(root, SECRETS, name), 'utf8').trim();

    beforeAll(async () => {
      const tmp = tempDir('spreed-apache-');
      chmodSync(tmp, 0o755);
      const cert = await selfSignedCert(path.join(tmp, 'tls'));
      ca = readFileSync(cert.cert);
      root = tempDir('root-', tmp);
      chmodSync(root, 0o755);
      cpSync(MODS_AVAILABLE, path.join(root, MODS_AVAILABLE), { recursive: true });
      for (const d of ['etc/apache2/mods-enabled', 'etc/apache2/sites-available', 'etc/apache2/sites-enabled'])
        mkdirSync(path.join(root, d), { recursive: true });
      const listenPort = await freePort();
      httpsPort = await freePort();
      const acme = path.join(root, 'acme');
      mkdirSync(acme, { recursive: true });
      const answers = path.join(root, 'answers.yaml');
      writeFileSync(
        answers,
        testSiteAnswers({
          listenPort,
          nextcloudUrl: NEXTCLOUD,
          cert,
          httpPort: await freePort(),
          httpsPort,
          acmeWebroot: acme,
        }),
      );
      const r = await runInProcess([
        'setup',
        '--answers',
        answers,
        '--web-server',
        'apache',
        '--server-version',
        VERSION,
        '--yes',
        '--root',
        root,
      ]);
      output = r.all;
      expect(r.code, r.all).toBe(0);
      server = await startSignaling(
        signalingBinary(VERSION),
        path.join(root, 'etc/nextcloud-spreed-signaling/server.conf'),
        listenPort,
      );
      apache = await startApache(
        path.join(tmp, 'apache'),
        path.join(root, 'etc/apache2/mods-enabled'),
        [path.join(root, 'etc/apache2/sites-enabled/spreed-signaling.conf')],
        httpsPort,
      );
    });

    afterAll(async () => {
      await apache?.stop();
      await server?.stop();
      await cleanupAll();
    });

    it('writes the virtual host, enables it and the modules the Debian way, and no nginx file', () => {
      expect(readlinkSync(path.join(root, 'etc/apache2/sites-enabled/spreed-signaling.conf'))).toBe(
        '../sites-available/spreed-signaling.conf',
      );
      for (const m of ['proxy', 'proxy_http', 'headers', 'ssl', 'socache_shmcb', 'alias'])
        expect(readlinkSync(path.join(root, `etc/apache2/mods-enabled/${m}.load`))).toBe(`../mods-available/${m}.load`);
      expect(readlinkSync(path.join(root, 'etc/apache2/mods-enabled/proxy.conf'))).toBe('../mods-available/proxy.conf');
      expect(existsSync(path.join(root, 'etc/nginx'))).toBe(false);
      const site = readFileSync(path.join(root, SITE), 'utf8');
      expect(site).toMatch(/ProxyPass "http:\/\/127\.0\.0\.1:\d+\/" upgrade=websocket/);
      expect(site).toContain('<Location "/standalone-signaling/">');
      expect(output).toMatch(/Apache modules enabled \(as a2enmod does\): .*proxy_http/);
      for (const s of secretValues(root)) expect(output).not.toContain(s);
    });

    it('serves the welcome through the proxy over TLS (prefix stripped)', async () => {
      const w = await fetchWelcome(`https://127.0.0.1:${httpsPort}/standalone-signaling`, { ca });
      expect(w.status).toBe(200);
      expect(w.json).toMatchObject({ 'nextcloud-spreed-signaling': 'Welcome' });
    });

    it('upgrades the websocket (101) and carries the internal hello through it', async () => {
      const h = await internalHello(`wss://127.0.0.1:${httpsPort}/standalone-signaling/spreed`, {
        secret: secret('internalsecret'),
        backend: NEXTCLOUD,
        ca,
        timeoutMs: 5000,
      });
      expect(h).toMatchObject({ ok: true });
    });
  });
}

const needApache = skipUnless({ components: ['apache2', 'openssl'] });

describe.skipIf(needApache.skip)(`Apache validation and the include${needApache.suffix}`, () => {
  /** A staged root with the machine's mods-available; `broken`: headers.load names a missing module file. */
  function staged(opts: { broken?: boolean } = {}): string {
    const root = tempDir('spreed-apache-stage-');
    cpSync(MODS_AVAILABLE, path.join(root, MODS_AVAILABLE), { recursive: true });
    for (const d of ['etc/apache2/mods-enabled', 'etc/apache2/sites-available', 'etc/apache2/sites-enabled'])
      mkdirSync(path.join(root, d), { recursive: true });
    if (opts.broken)
      writeFileSync(
        path.join(root, MODS_AVAILABLE, 'headers.load'),
        'LoadModule headers_module /usr/lib/apache2/modules/mod_no_such_module.so\n',
      );
    return root;
  }
  const args = (root: string, extra: string[]) => [
    'setup',
    '--yes',
    '--root',
    root,
    '--hostname',
    'cloud.example.org',
    '--nextcloud',
    'https://cloud.example.org',
    '--server-version',
    VERSION,
    '--web-server',
    'apache',
    ...extra,
  ];

  it('--web-mode snippet: the include, validated inside a throwaway virtual host, and where to include it', async () => {
    const root = staged();
    const r = await runInProcess(args(root, ['--web-mode', 'snippet']));
    expect(r.code, r.all).toBe(0);
    expect(r.all).toContain('add "Include /etc/apache2/spreed-signaling-include.conf" inside the <VirtualHost *:443>');
    expect(readFileSync(path.join(root, 'etc/apache2/spreed-signaling-include.conf'), 'utf8')).toContain(
      'upgrade=websocket',
    );
    expect(existsSync(path.join(root, SITE))).toBe(false);
  });

  it('Apache rejecting the files: the error is shown and every file is put back', async () => {
    const root = staged({ broken: true });
    const before = treeState(root);
    const r = await runInProcess(args(root, []));
    expect(r.code, r.all).not.toBe(0);
    expect(r.all).toMatch(/Apache rejects the written files: .*mod_no_such_module\.so/);
    expect(r.all).toMatch(/Put back:/);
    expect(r.all).toMatch(/fix the problem Apache names above/);
    const after = Object.fromEntries(Object.entries(treeState(root)).filter(([k]) => !k.startsWith('var')));
    expect(after).toEqual(before);
  });
});

describe.skipIf(needApache.skip)(`a name Nextcloud's Apache virtual host already serves${needApache.suffix}`, () => {
  const NEXTCLOUD_VHOST =
    '<VirtualHost *:443>\n    ServerName cloud.example.org\n    DocumentRoot /var/www/nextcloud\n</VirtualHost>\n';
  function stagedWithNextcloud(): string {
    const root = tempDir('spreed-apache-nc-');
    cpSync(MODS_AVAILABLE, path.join(root, MODS_AVAILABLE), { recursive: true });
    for (const d of ['etc/apache2/mods-enabled', 'etc/apache2/sites-available', 'etc/apache2/sites-enabled'])
      mkdirSync(path.join(root, d), { recursive: true });
    writeFileSync(path.join(root, 'etc/apache2/sites-available/nextcloud.conf'), NEXTCLOUD_VHOST);
    symlinkSync('../sites-available/nextcloud.conf', path.join(root, 'etc/apache2/sites-enabled/nextcloud.conf'));
    return root;
  }
  const args = (root: string, extra: string[] = []) => [
    'setup',
    '--yes',
    '--root',
    root,
    '--hostname',
    'cloud.example.org',
    '--nextcloud',
    'https://cloud.example.org',
    '--server-version',
    VERSION,
    '--web-server',
    'apache',
    ...extra,
  ];

  it('by default gets the include, and the review names the virtual host file that must include it', async () => {
    const root = stagedWithNextcloud();
    const r = await runInProcess(args(root));
    expect(r.code, r.all).toBe(0);
    expect(r.all).toMatch(/already served by the Apache site \/etc\/apache2\/sites-available\/nextcloud\.conf/);
    expect(r.all).toMatch(
      /Include \/etc\/apache2\/spreed-signaling-include\.conf" inside the <VirtualHost \*:443> of cloud\.example\.org in \/etc\/apache2\/sites-available\/nextcloud\.conf/,
    );
    expect(existsSync(path.join(root, SITE))).toBe(false);
    expect(readFileSync(path.join(root, 'etc/apache2/sites-available/nextcloud.conf'), 'utf8')).toBe(NEXTCLOUD_VHOST);
  });

  it('--web-mode site is refused with the explanation, exit 2, nothing written', async () => {
    const root = stagedWithNextcloud();
    const before = treeState(root);
    const r = await runInProcess(args(root, ['--web-mode', 'site']));
    expect(r.code, r.all).toBe(2);
    expect(r.all).toMatch(
      /already served by the Apache site \/etc\/apache2\/sites-available\/nextcloud\.conf \(enabled as [^)]*\): Apache would pick the first <VirtualHost>/,
    );
    expect(treeState(root)).toEqual(before);
  });
});
