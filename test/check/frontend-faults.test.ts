/**
 * `check` names the front end when it reports a proxy fault: each fault injected into the files
 * `setup --web-server apache|caddy` rendered (staged under --root), served by the real Apache 2.4
 * or Caddy 2 over TLS on loopback in front of the real 2.0.2 server; a fresh stack per fault.
 */
import { chmodSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckReportSchema, type CheckReport } from '../../src/check/schema.js';
import { signalingBinary, skipUnless } from '../harness/components.js';
import { freePort } from '../harness/ports.js';
import {
  cleanupAll,
  selfSignedCert,
  startApache,
  startCaddy,
  startSignaling,
  type ManagedProcess,
} from '../harness/processes.js';
import { runInProcess } from '../cli/inProcess.js';
import { secretValues } from '../cli/run.js';
import { testSiteAnswers } from '../harness/answers.js';
import { tempDir } from '../harness/tmp.js';

const VERSION = '2.0.2';
const APACHE_SITE = 'etc/apache2/sites-available/spreed-signaling.conf';
const CADDY_SITE = 'etc/caddy/spreed-signaling.caddy';

let tmp = '';
let cert: { cert: string; key: string };

beforeAll(async () => {
  tmp = tempDir('spreed-front-faults-');
  chmodSync(tmp, 0o755);
  cert = await selfSignedCert(path.join(tmp, 'tls'));
});
afterAll(async () => {
  await cleanupAll();
});

interface Checked {
  report: CheckReport;
  byId(id: string): { status: string; detail: string; fix?: string };
}

/** Stages setup for `server`, lets `fault` edit the rendered file, starts the stack, runs check. */
async function checkWithFault(server: 'apache' | 'caddy', fault: (text: string) => string): Promise<Checked> {
  const root = tempDir('root-', tmp);
  chmodSync(root, 0o755);
  if (server === 'apache') {
    cpSync('/etc/apache2/mods-available', path.join(root, 'etc/apache2/mods-available'), { recursive: true });
    for (const d of ['mods-enabled', 'sites-available', 'sites-enabled'])
      mkdirSync(path.join(root, 'etc/apache2', d), { recursive: true });
  } else {
    mkdirSync(path.join(root, 'etc/caddy'), { recursive: true });
    writeFileSync(path.join(root, 'etc/caddy/Caddyfile'), '');
  }
  const listenPort = await freePort();
  const httpsPort = await freePort();
  // Nothing listens there: the Nextcloud side fails, and is not what these tests look at.
  const nextcloud = `http://127.0.0.1:${await freePort()}`;
  const answers = path.join(root, 'answers.yaml');
  writeFileSync(
    answers,
    testSiteAnswers({
      listenPort,
      nextcloudUrl: nextcloud,
      cert,
      httpPort: await freePort(),
      httpsPort,
      acmeWebroot: path.join(root, 'acme'),
    }).replace('hostname: localhost', 'hostname: 127.0.0.1'),
  );
  const setup = await runInProcess([
    'setup',
    '--answers',
    answers,
    '--web-server',
    server,
    '--server-version',
    VERSION,
    '--yes',
    '--root',
    root,
  ]);
  expect(setup.code, setup.all).toBe(0);
  const site = path.join(root, server === 'apache' ? APACHE_SITE : CADDY_SITE);
  const healthy = readFileSync(site, 'utf8');
  const broken = fault(healthy);
  expect(broken, 'the fault changed nothing').not.toBe(healthy);
  writeFileSync(site, broken);
  const procs: ManagedProcess[] = [];
  try {
    procs.push(
      await startSignaling(
        signalingBinary(VERSION),
        path.join(root, 'etc/nextcloud-spreed-signaling/server.conf'),
        listenPort,
      ),
    );
    procs.push(
      server === 'apache'
        ? await startApache(
            path.join(root, 'run-apache'),
            path.join(root, 'etc/apache2/mods-enabled'),
            [site],
            httpsPort,
          )
        : await startCaddy(path.join(root, 'run-caddy'), site, { https: httpsPort, http: await freePort() }),
    );
    const r = await runInProcess([
      'check',
      '--root',
      root,
      '--url',
      `https://127.0.0.1:${httpsPort}/standalone-signaling`,
      '--ca',
      cert.cert,
      '--json',
      '--timeout',
      '5',
    ]);
    for (const s of secretValues(root)) expect(r.all, 'a secret appeared in the output').not.toContain(s);
    const report = CheckReportSchema.parse(JSON.parse(r.stdout));
    return {
      report,
      byId: (id) => {
        const c = report.checks.find((x) => x.id === id);
        if (!c) throw new Error(`no check ${id}`);
        return c as { status: string; detail: string; fix?: string };
      },
    };
  } finally {
    for (const p of procs.reverse()) await p.stop();
  }
}

const dump = (r: CheckReport) =>
  r.checks
    .filter((c) => c.id.startsWith('public') || c.id === 'hello')
    .map((c) => `${c.id}: ${c.status}: ${c.detail}`)
    .join('\n');

const apache = skipUnless({ signaling: [VERSION], components: ['apache2', 'openssl'] });
describe.skipIf(apache.skip)(`check names Apache's proxy faults${apache.suffix}`, () => {
  it('ProxyPass without upgrade=websocket (and no mod_proxy_wstunnel): "Apache: mod_proxy_wstunnel not enabled…"', async () => {
    const r = await checkWithFault('apache', (t) => t.replace(/ upgrade=websocket/g, ''));
    const up = r.byId('public.upgrade');
    expect(up.status, dump(r.report)).toBe('fail');
    expect(up.detail).toMatch(/^Apache: mod_proxy_wstunnel not enabled, or ProxyPass without upgrade=websocket/);
    expect(up.detail).toContain('400 instead of 101');
    expect(up.fix).toContain('a2enmod proxy_wstunnel');
    expect(up.fix).toContain('systemctl reload apache2');
    expect(r.byId('public.welcome').status).toBe('pass');
    expect(r.byId('public.route').status).toBe('pass');
  });

  it('the websocket location missing (only /api/ proxied): named for Apache, the welcome still passes', async () => {
    const r = await checkWithFault('apache', (t) =>
      t
        .replace('<Location "/standalone-signaling/">', '<Location "/standalone-signaling/api/">')
        .replace(/(ProxyPass(?:Reverse)? "http:\/\/127\.0\.0\.1:\d+)\//g, '$1/api/'),
    );
    expect(r.byId('public.welcome').status, dump(r.report)).toBe('pass');
    const route = r.byId('public.route');
    expect(route.status, dump(r.report)).toBe('fail');
    expect(route.detail).toMatch(
      /^Apache: no ProxyPass covers \/standalone-signaling\/spreed \(the websocket location is missing\): 404 for /,
    );
    expect(route.fix).toContain('<Location "/standalone-signaling/">');
    expect(r.byId('public.upgrade').status).toBe('skip');
  });
});

const caddy = skipUnless({ signaling: [VERSION], components: ['caddy', 'openssl'] });
describe.skipIf(caddy.skip)(`check names Caddy's proxy faults${caddy.suffix}`, () => {
  it('handle instead of handle_path: "Caddy: the base path is not stripped (use handle_path)"', async () => {
    const r = await checkWithFault('caddy', (t) =>
      t.replace('handle_path /standalone-signaling/*', 'handle /standalone-signaling/*'),
    );
    const w = r.byId('public.welcome');
    expect(w.status, dump(r.report)).toBe('fail');
    expect(w.detail).toMatch(
      /^Caddy: the base path is not stripped \(use handle_path\): 404 from the signaling server/,
    );
    expect(w.fix).toContain('handle_path /standalone-signaling/* { reverse_proxy http://127.0.0.1:');
    expect(w.fix).toContain('systemctl reload caddy');
    const route = r.byId('public.route');
    expect(route.status).toBe('fail');
    expect(route.detail).toMatch(/^Caddy: the base path is not stripped/);
  });
});
