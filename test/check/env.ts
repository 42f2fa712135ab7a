/**
 * A complete local High Performance Backend for `check` tests, built the way a user would:
 * `spreed-setup setup --answers … --server-version V --yes --root DIR` (in-process) renders
 * server.conf and the nginx site for a stand-in Nextcloud URL; the real signaling server, nginx
 * (TLS) and, on request, nats-server and Janus start from the rendered files. Faults are injected
 * by the tests. `check` runs `check --json` in-process, `checkCli` through the built CLI.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import { CheckReportSchema, type CheckReport, type CheckResult } from '../../src/check/schema.js';
import { signalingBinary, type SignalingVersion } from '../harness/components.js';
import { freePort } from '../harness/ports.js';
import {
  startJanus,
  startNats,
  startNginx,
  startSignaling,
  writeNginxMain,
  type ManagedProcess,
  type StartedSignaling,
} from '../harness/processes.js';
import { runCli, secretValues } from '../cli/run.js';
import { runInProcess, type CliResult } from '../cli/inProcess.js';
import { testSiteAnswers } from '../harness/answers.js';
import { tempDir } from '../harness/tmp.js';
import { startFakeNextcloud, type FakeNextcloud, type FakeNextcloudOptions } from '../fakes/nextcloud.js';

export const SECRETS_DIR = 'etc/nextcloud-spreed-signaling/secrets';
export const CONF = 'etc/nextcloud-spreed-signaling/server.conf';
export const SITE = 'etc/nginx/sites-available/spreed-signaling.conf';
export const UPSTREAM = 'etc/nginx/conf.d/spreed-signaling-upstream.conf';

export interface Certs {
  /** Valid 90 days, for 127.0.0.1 and localhost. */
  good: { cert: string; key: string };
  /** Expired in 2020. */
  expired: { cert: string; key: string };
}

/** Self-signed certificates: a good one (90 days: no "expires soon" warning) and an expired one. */
export function makeCerts(dir: string): Certs {
  mkdirSync(dir, { recursive: true });
  const good = { cert: path.join(dir, 'good.pem'), key: path.join(dir, 'good.key') };
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '90',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      good.key,
      '-out',
      good.cert,
    ],
    { stdio: 'ignore' },
  );
  // `req -x509` cannot back-date; `ca -selfsign` takes explicit dates.
  const db = path.join(dir, 'ca-db');
  mkdirSync(db, { recursive: true });
  writeFileSync(path.join(db, 'index.txt'), '');
  writeFileSync(path.join(db, 'serial'), '01\n');
  const cnf = path.join(dir, 'ca.cnf');
  writeFileSync(
    cnf,
    `[ca]\ndefault_ca = x\n[x]\ndatabase = ${db}/index.txt\nserial = ${db}/serial\nnew_certs_dir = ${db}\ndefault_md = sha256\npolicy = p\ncopy_extensions = copy\nunique_subject = no\n[p]\ncommonName = supplied\n`,
  );
  const expired = { cert: path.join(dir, 'expired.pem'), key: path.join(dir, 'expired.key') };
  const csr = path.join(dir, 'expired.csr');
  execFileSync(
    'openssl',
    [
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      expired.key,
      '-out',
      csr,
    ],
    { stdio: 'ignore' },
  );
  execFileSync(
    'openssl',
    [
      'ca',
      '-batch',
      '-config',
      cnf,
      '-selfsign',
      '-keyfile',
      expired.key,
      '-in',
      csr,
      '-out',
      expired.cert,
      '-startdate',
      '20200101000000Z',
      '-enddate',
      '20200201000000Z',
      '-notext',
    ],
    { stdio: 'ignore' },
  );
  return { good, expired };
}

export interface EnvOptions {
  version: SignalingVersion;
  /** in-process NATS (default) or a real nats-server. */
  nats?: 'loopback' | 'external';
  janus?: boolean;
  /** The harness Janus's options (the injected Janus faults). */
  janusOptions?: { fullTrickle?: boolean; plugins?: string[] };
  cert?: 'good' | 'expired';
  /** Nextcloud's base URL as given to setup; `{port}` is replaced by the stand-in's port. */
  nextcloudUrl?: string;
  nextcloud?: Omit<FakeNextcloudOptions, 'secret'>;
  /** Rewrite the rendered nginx site before nginx starts (the injected proxy faults). */
  site?: (text: string) => string;
}

export interface Env {
  root: string;
  conf: string;
  version: SignalingVersion;
  publicUrl: string;
  caFile: string;
  nginxMain: string;
  nextcloudUrl: string;
  nc: FakeNextcloud;
  server: StartedSignaling;
  nginx: ManagedProcess;
  nats?: ManagedProcess;
  janus?: ManagedProcess;
  secret(name: string): string;
  /** Every secret value written (for "never printed" assertions). */
  secrets(): string[];
  /** Replace a key's value in the rendered server.conf (the running server keeps the old one). */
  editConf(section: string, key: string, value: string): void;
  stop(): Promise<void>;
}

export async function startEnv(base: string, certs: Certs, opts: EnvOptions): Promise<Env> {
  const root = tempDir(`root-${opts.version}-`, base);
  chmodSync(root, 0o755);
  const [listenPort, httpsPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const nc = await startFakeNextcloud({ ...(opts.nextcloud ?? {}), secret: 'not-yet-known' });
  const nextcloudUrl = (opts.nextcloudUrl ?? 'http://127.0.0.1:{port}').replace('{port}', String(nc.port));
  const cert = opts.cert === 'expired' ? certs.expired : certs.good;
  let nats: ManagedProcess | undefined;
  let janus: ManagedProcess | undefined;
  const lines: string[] = [];
  if (opts.nats === 'external') {
    const port = await freePort();
    nats = await startNats(port);
    lines.push('nats:', '  mode: external', `  urls: [nats://127.0.0.1:${port}]`);
  }
  if (opts.janus) {
    const port = await freePort();
    janus = await startJanus(tempDir('janus-', base), port, opts.janusOptions ?? {});
    lines.push('mcu:', '  type: janus', `  url: ws://127.0.0.1:${port}`);
  }
  const answers = path.join(root, 'answers.yaml');
  writeFileSync(
    answers,
    testSiteAnswers({
      listenPort,
      nextcloudUrl,
      cert,
      httpPort,
      httpsPort,
      acmeWebroot: path.join(root, 'acme'),
      extra: lines,
    }),
  );
  const r = await runInProcess([
    'setup',
    '--answers',
    answers,
    '--server-version',
    opts.version,
    // The target the capacity check holds this env to: its nginx (1 worker × 4096) carries 2048.
    '--sessions',
    '2000',
    '--yes',
    '--root',
    root,
  ]);
  expect(r.code, r.all).toBe(0);
  const secret = (name: string) => readFileSync(path.join(root, SECRETS_DIR, name), 'utf8').trim();
  nc.setSecret(secret('backend-cloud'));
  const conf = path.join(root, CONF);
  const server = await startSignaling(signalingBinary(opts.version), conf, listenPort, {
    name: `signaling ${opts.version}`,
  });
  let site = path.join(root, SITE);
  if (opts.site) {
    const changed = opts.site(readFileSync(site, 'utf8'));
    site = path.join(root, 'site-with-fault.conf');
    writeFileSync(site, changed);
  }
  const prefix = path.join(root, 'nginx-prefix');
  const nginxMain = writeNginxMain(prefix, [path.join(root, UPSTREAM), site], { workerConnections: 4096 });
  const nginx = await startNginx(prefix, nginxMain, httpsPort);
  return {
    root,
    conf,
    version: opts.version,
    publicUrl: `https://127.0.0.1:${httpsPort}/standalone-signaling`,
    caFile: cert.cert,
    nginxMain,
    nextcloudUrl,
    nc,
    server,
    nginx,
    ...(nats ? { nats } : {}),
    ...(janus ? { janus } : {}),
    secret,
    secrets: () => secretValues(root),
    editConf(section, key, value) {
      const text = readFileSync(conf, 'utf8');
      let current = '';
      const out = text.split('\n').map((line) => {
        const s = /^\[([^\]]+)\]/.exec(line.trim());
        if (s) current = s[1]!.toLowerCase();
        if (current === section && new RegExp(`^${key}\\s*=`).test(line.trim())) return `${key} = ${value}`;
        return line;
      });
      writeFileSync(conf, out.join('\n'));
    },
    async stop() {
      await nginx.stop();
      await server.stop();
      await janus?.stop();
      await nats?.stop();
      await nc.close();
    },
  };
}

type Checked = { code: number | undefined; report: CheckReport; all: string; byId: (id: string) => CheckResult };

/** Runs `spreed-setup check --json` for the env in-process (trusting its certificate unless told otherwise). */
export async function check(env: Env, extra: string[] = [], opts: { ca?: boolean } = {}): Promise<Checked> {
  return checked(env, await runInProcess(checkArgs(env, extra, opts)));
}

/** The same through the built CLI, as a user runs it (its exit code as a shell sees it). */
export async function checkCli(env: Env, extra: string[] = [], opts: { ca?: boolean } = {}): Promise<Checked> {
  return checked(env, await runCli(checkArgs(env, extra, opts)));
}

function checkArgs(env: Env, extra: string[], opts: { ca?: boolean }): string[] {
  const args = [
    'check',
    '--root',
    env.root,
    '--url',
    env.publicUrl,
    '--json',
    '--timeout',
    '5',
    '--nginx-conf',
    env.nginxMain,
  ];
  if (opts.ca !== false) args.push('--ca', env.caFile);
  return [...args, ...extra];
}

function checked(env: Env, r: Pick<CliResult, 'stdout' | 'all'> & { code: number | undefined }): Checked {
  let report: CheckReport;
  try {
    report = CheckReportSchema.parse(JSON.parse(r.stdout));
  } catch (err) {
    throw new Error(`check --json did not print a valid report (${(err as Error).message}):\n${r.all}`);
  }
  for (const s of env.secrets()) expect(r.all, 'a secret appeared in the output').not.toContain(s);
  const byId = (id: string) => {
    const c = report.checks.find((x) => x.id === id);
    if (!c) throw new Error(`no check ${id} in ${report.checks.map((x) => x.id).join(', ')}`);
    return c;
  };
  return { code: r.code, report, all: r.all, byId };
}

/** A readable dump of a report for assertion messages. */
export function dump(report: CheckReport): string {
  return report.checks
    .map((c) => `${c.status.padEnd(4)} ${c.id}: ${c.detail}${c.fix ? `\n       fix: ${c.fix}` : ''}`)
    .join('\n');
}
