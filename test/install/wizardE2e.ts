// From Debian 12's 0.4.1 to "Working", as a newcomer runs it: the wizard in a real terminal, on a
// machine of its own (the sandbox: overlays over /etc, /var, /usr; the stand-in systemctl), sees
// the installed 0.4.1, offers the upgrade; choosing Debian's newer package through the pinned
// source installs the real 2.0.2 package with apt (from a signed local repository: the machine's
// own mirror here), renders for it, starts it, and the check passes.
import { chmodSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fetchWelcome } from '../../src/probe/signaling.js';
import { startFakeNextcloud, type FakeNextcloud } from '../fakes/nextcloud.js';
import { makeCerts } from '../check/env.js';
import { buildSignedRepo } from '../harness/aptSandbox.js';
import { testSiteAnswers } from '../harness/answers.js';
import { testbedDir } from '../harness/components.js';
import { freePort } from '../harness/ports.js';
import { sandboxUsable, startSandbox, type Sandbox } from '../harness/sandbox.js';
import { tempDir } from '../harness/tmp.js';
import { TmuxSession } from '../wizard/tmux.js';

const ARCHIVES = path.join(testbedDir(), 'apt', 'archives');
const debs = (() => {
  try {
    return readdirSync(ARCHIVES)
      .filter((n) => /^nextcloud-spreed-signaling(-common)?_2\.0\.2-.*\.deb$/.test(n))
      .map((n) => path.join(ARCHIVES, n));
  } catch {
    return [];
  }
})();
const why = sandboxUsable() ?? (debs.length !== 2 ? `the 2.0.2 .debs are not in ${ARCHIVES}` : undefined);
if (why && process.env.CI) throw new Error(`needed in CI: ${why}`);
const SECRET = 'b2'.repeat(32);

/**
 * Defined from apt.test.ts, so that it never runs beside that file's apt sandboxes: two signed
 * repositories built and trusted at the same moment interfered (NO_PUBKEY) on this machine.
 */
export function wizardEndToEnd(): void {
  describe.skipIf(!!why)('the wizard on a machine with 0.4.1: upgrade, write, start, check', () => {
    let sb: Sandbox | undefined;
    let nc: FakeNextcloud | undefined;
    let term: TmuxSession | undefined;
    afterAll(async () => {
      term?.close();
      await sb?.stop();
      await nc?.close();
    });

    // Retried for the same sandboxed-apt NO_PUBKEY as apt.test.ts's first test.
    it('offers the upgrade, installs 2.0.2 from the pinned source, and ends "Working"', {
      retry: 2,
      timeout: 400_000,
    }, async () => {
      const base = tempDir('e2e-');
      chmodSync(base, 0o755);
      const certs = makeCerts(path.join(base, 'tls'));
      sb = await startSandbox({});
      // The machine's own apt mirror is a signed local repository carrying Debian's 2.0.2 (no network).
      const repo = await buildSignedRepo(debs, { codename: 'sid', suite: 'unstable', parent: base });
      // Its key at a path of its own, named by the machine's source (install reuses both).
      const key = '/etc/apt/keyrings/spreed-setup-e2e-mirror.gpg';
      mkdirSync(sb.path('/etc/apt/keyrings'), { recursive: true });
      writeFileSync(sb.path(key), repo.keyring);
      for (const f of readdirSync(sb.path('/etc/apt/sources.list.d'))) rmSync(sb.path(`/etc/apt/sources.list.d/${f}`));
      writeFileSync(sb.path('/etc/apt/sources.list'), `deb [signed-by=${key}] ${repo.uri} bookworm main\n`);
      // Talk's secret is known before (the stand-in Nextcloud signs with it).
      nc = await startFakeNextcloud({ secret: SECRET });
      const listenPort = await freePort();
      const answers = path.join(base, 'answers.yaml');
      writeFileSync(
        answers,
        testSiteAnswers({
          listenPort,
          nextcloudUrl: `http://127.0.0.1:${nc.port}`,
          cert: certs.good,
          httpPort: await freePort(),
          httpsPort: await freePort(),
          acmeWebroot: '/var/www/html',
        }),
      );
      const secrets = sb.path('/etc/nextcloud-spreed-signaling/secrets');
      mkdirSync(secrets, { recursive: true });
      writeFileSync(path.join(secrets, 'backend-cloud'), `${SECRET}\n`, { mode: 0o640 });

      term = new TmuxSession(['--answers', answers], {
        prefix: sb.enter,
        env: {
          ...sb.env,
          NODE_EXTRA_CA_CERTS: certs.good.cert,
          SPREED_SETUP_START_TIMEOUT: '15',
        },
      });
      await term.waitFor('Install one it accepts now?', 20_000);
      term.send('Enter');
      await term.waitFor('How should it be installed?', 20_000);
      const choices = term.screen();
      expect(choices).toMatch(/pinned/i);
      term.send('Enter');
      await term.waitFor('Write these files and run these commands?', 20_000);
      expect(term.screen()).toContain('Pin-Priority: 990');
      term.send('Enter');
      const installed = await term.waitFor(/signaling server now: |The server was not installed/, 120_000);
      expect(installed).toMatch(/signaling server now: 2\.0\.2/);
      // The rest of the wizard: the answers file gave every value; take its defaults to the end.
      const deadline = Date.now() + 120_000;
      let last = '';
      for (let i = 0; i < 40 && Date.now() < deadline; i++) {
        const s = term.screen();
        last = s;
        if (/Working: /.test(s) || /Written, but checks fail/.test(s)) break;
        if (/◆ {2}Register this server in Nextcloud Talk now\?/.test(s)) {
          term.send('Right'); // No: there is no Nextcloud here to run occ on
          term.send('Enter');
        } else if (/◆ {2}/.test(s)) term.send('Enter');
        await new Promise((r) => setTimeout(r, 700));
      }
      const screen = await term.waitFor(/Working: |Written, but checks fail/, 60_000).catch((err: Error) => {
        throw new Error(`${err.message}\nlast screen:\n${last.split('\n').slice(-45).join('\n')}`);
      });
      expect(screen, screen).toContain('Working: ');
      expect(await term.exitCode(30_000)).toBe(0);
      const w = await fetchWelcome(`http://127.0.0.1:${listenPort}`);
      expect((w.json as { version: string }).version).toMatch(/^2\.0\.2/);
    });
  });
}
