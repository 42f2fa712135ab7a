import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGoconf, getValue } from '../../src/goconf/parse.js';
import { runCli, scratch, secretValues, treeState } from './run.js';
import { runInProcess } from './inProcess.js';

const CONF = 'etc/nextcloud-spreed-signaling/server.conf';
const BASIC = ['setup', '--hostname', 'hpb.example.org', '--nextcloud', 'https://cloud.example.org', '--yes'];

function expectNoSecrets(output: string, secrets: string[]) {
  expect(secrets.length).toBeGreaterThan(0);
  for (const s of secrets) {
    expect(output).not.toContain(s);
    expect(output).not.toContain(s.slice(0, 12));
  }
}

// Through the built CLI: the first install, the rollback (exit 1), bad input (exit 2), --help and
// --version; the other decisions run in-process (the same commands, no process start).
describe('spreed-setup setup (non-interactive)', () => {
  it('writes server.conf, secrets and the nginx site; a second run changes nothing', async () => {
    const root = scratch();
    const first = await runCli([...BASIC, '--root', root]);
    expect(first.code, first.all).toBe(0);
    for (const f of [
      CONF,
      'etc/nextcloud-spreed-signaling/secrets/hashkey',
      'etc/nextcloud-spreed-signaling/secrets/blockkey',
      'etc/nextcloud-spreed-signaling/secrets/internalsecret',
      'etc/nextcloud-spreed-signaling/secrets/backend-cloud-example-org',
      'etc/nginx/conf.d/spreed-signaling-upstream.conf',
      'etc/nginx/sites-available/spreed-signaling.conf',
    ]) {
      expect(existsSync(path.join(root, f)), f).toBe(true);
    }
    for (const f of [
      CONF,
      ...readdirSync(path.join(root, 'etc/nextcloud-spreed-signaling/secrets')).map(
        (n) => `etc/nextcloud-spreed-signaling/secrets/${n}`,
      ),
    ]) {
      const mode = statSync(path.join(root, f)).mode & 0o777;
      expect(mode & 0o007, `${f} must not be readable by others`).toBe(0);
    }
    expect(statSync(path.join(root, 'etc/nextcloud-spreed-signaling/secrets')).mode & 0o007).toBe(0);
    const doc = parseGoconf(readFileSync(path.join(root, CONF), 'utf8'));
    expect(getValue(doc, 'cloud-example-org', 'url')).toBe('https://cloud.example.org');
    expect(getValue(doc, 'sessions', 'blockkey')).toMatch(/^[0-9a-f]{32}$/);
    expect(getValue(doc, 'cloud-example-org', 'secret')).toBe(
      readFileSync(path.join(root, 'etc/nextcloud-spreed-signaling/secrets/backend-cloud-example-org'), 'utf8').trim(),
    );
    const before = treeState(root);
    const second = await runCli([...BASIC, '--root', root]);
    expect(second.code, second.all).toBe(0);
    expect(second.stdout).toContain('No changes');
    expect(treeState(root)).toEqual(before);
    expectNoSecrets(first.all + second.all, secretValues(root));
  });

  it('--dry-run writes nothing and shows a diff with every secret masked', async () => {
    const root = scratch();
    const fresh = await runInProcess([...BASIC, '--root', root, '--dry-run']);
    expect(fresh.code, fresh.all).toBe(0);
    expect(treeState(root)).toEqual({});
    expect(fresh.stdout).toContain('+hashkey = <secret 64 chars');
    expect(fresh.stdout).toContain('Dry run: nothing was written.');

    expect((await runInProcess([...BASIC, '--root', root])).code).toBe(0);
    const before = treeState(root);
    const dry = await runInProcess([
      ...BASIC,
      '--root',
      root,
      '--dry-run',
      '--listen',
      '127.0.0.1:9999',
      '--rotate',
      'internalsecret',
    ]);
    expect(dry.code, dry.all).toBe(0);
    expect(dry.stdout).toContain('+listen = 127.0.0.1:9999');
    expect(dry.stdout).toMatch(/-internalsecret = <secret 64 chars, sha256 [0-9a-f]{8}>/);
    expect(treeState(root)).toEqual(before);
    expectNoSecrets(fresh.all + dry.all, secretValues(root));
  });

  it('reconfigures without losing secrets or hand-added keys, and backs up what it replaces', async () => {
    const root = scratch();
    expect((await runInProcess([...BASIC, '--root', root])).code).toBe(0);
    const secretsBefore = secretValues(root);
    const confPath = path.join(root, CONF);
    writeFileSync(
      confPath,
      readFileSync(confPath, 'utf8').replace('[app]\n', '[app]\nallowsubscribeany = true\n') +
        '\n[geoip]\nlicense = hand-added\n',
    );
    const r = await runInProcess([...BASIC, '--root', root, '--listen', '127.0.0.1:8181', '--nats', 'local']);
    expect(r.code, r.all).toBe(0);
    const doc = parseGoconf(readFileSync(confPath, 'utf8'));
    expect(getValue(doc, 'app', 'allowsubscribeany')).toBe('true');
    expect(getValue(doc, 'geoip', 'license')).toBe('hand-added');
    expect(getValue(doc, 'http', 'listen')).toBe('127.0.0.1:8181');
    expect(getValue(doc, 'nats', 'url')).toBe('nats://127.0.0.1:4222');
    expect(secretValues(root)).toEqual(secretsBefore);
    expect(readFileSync(path.join(root, 'etc/nginx/conf.d/spreed-signaling-upstream.conf'), 'utf8')).toContain(
      'server 127.0.0.1:8181;',
    );
    const backups = path.join(root, 'var/backups/spreed-setup');
    const [stamp] = readdirSync(backups);
    const backup = path.join(backups, stamp!, CONF);
    expect(readFileSync(backup, 'utf8')).toContain('license = hand-added');
    expect(statSync(backup).mode & 0o777).toBe(statSync(confPath).mode & 0o777);
  });

  it('a re-run without flags reuses the recorded setup (hostname from the state file, the rest from server.conf)', async () => {
    const root = scratch();
    expect((await runInProcess([...BASIC, '--root', root, '--nginx', 'snippet'])).code).toBe(0);
    expect(readFileSync(path.join(root, 'etc/nextcloud-spreed-signaling/spreed-setup.yaml'), 'utf8')).toContain(
      'hostname: hpb.example.org',
    );
    const before = treeState(root);
    const again = await runInProcess(['setup', '--yes', '--root', root]);
    expect(again.code, again.all).toBe(0);
    expect(again.stdout).toContain('No changes');
    expect(treeState(root)).toEqual(before);
    const { loadInstalled } = await import('../../src/detect/installed.js');
    const installed = loadInstalled({ root });
    expect(installed.deployment.hostname).toBe('hpb.example.org');
    expect(installed.deployment.nginx.mode).toBe('snippet');
    expect(installed.secrets.get('backend-cloud-example-org')).toBe(
      readFileSync(path.join(root, 'etc/nextcloud-spreed-signaling/secrets/backend-cloud-example-org'), 'utf8').trim(),
    );
  });

  it('--rotate replaces only the named secret', async () => {
    const root = scratch();
    expect((await runInProcess([...BASIC, '--root', root])).code).toBe(0);
    const dir = path.join(root, 'etc/nextcloud-spreed-signaling/secrets');
    const read = (n: string) => readFileSync(path.join(dir, n), 'utf8');
    const hash = read('hashkey');
    const block = read('blockkey');
    const r = await runInProcess([...BASIC, '--root', root, '--rotate', 'blockkey']);
    expect(r.code, r.all).toBe(0);
    expect(read('hashkey')).toBe(hash);
    expect(read('blockkey')).not.toBe(block);
    expect(read('blockkey').trim()).toHaveLength(32);
    expect(r.stderr).toContain('blockkey rotated');
  });

  it('renders for the version asked: url vs urls, :loopback: vs nats://loopback', async () => {
    for (const [v, natsUrl, key] of [
      ['0.4.1', ':loopback:', 'url'],
      ['2.0.2', 'nats://loopback', 'url'],
      ['2.1.1', 'nats://loopback', 'urls'],
    ] as const) {
      const root = scratch();
      const r = await runInProcess([...BASIC, '--root', root, '--server-version', v]);
      expect(r.code, r.all).toBe(0);
      const doc = parseGoconf(readFileSync(path.join(root, CONF), 'utf8'));
      expect(getValue(doc, 'nats', 'url')).toBe(natsUrl);
      expect(getValue(doc, 'cloud-example-org', key)).toBe('https://cloud.example.org');
      if (v === '0.4.1') expect(r.stderr).toContain('UPDATE_REQUIRED');
    }
  });

  it('lower-cases hosts with a notice', async () => {
    const root = scratch();
    const r = await runInProcess([
      'setup',
      '--hostname',
      'HPB.Example.org',
      '--nextcloud',
      'https://Cloud.Example.org/',
      '--yes',
      '--root',
      root,
      '--dry-run',
    ]);
    expect(r.code, r.all).toBe(0);
    expect(r.stderr).toContain('lower-cased');
    expect(r.stdout).toContain('url = https://cloud.example.org');
    expect(r.stdout).toContain('server_name hpb.example.org;');
  });

  it('reads everything from an answers file (the shipped example)', async () => {
    const root = scratch();
    const r = await runInProcess([
      'setup',
      '--answers',
      path.resolve(import.meta.dirname, '../../examples/answers.yaml'),
      '--yes',
      '--root',
      root,
    ]);
    expect(r.code, r.all).toBe(0);
    const doc = parseGoconf(readFileSync(path.join(root, CONF), 'utf8'));
    expect(getValue(doc, 'backend', 'backends')).toBe('cloud');
    expect(getValue(doc, 'app', 'debug')).toBe('false');
  });

  it('follows the upstream layout when /etc/signaling/server.conf exists, and reads JSON answers', async () => {
    const root = scratch();
    mkdirSync(path.join(root, 'etc/signaling'), { recursive: true });
    writeFileSync(path.join(root, 'etc/signaling/server.conf'), '[app]\ndebug = false\n');
    const answers = path.join(root, 'answers.json');
    writeFileSync(
      answers,
      JSON.stringify({ hostname: 'hpb.example.org', backends: [{ id: 'nc', urls: ['https://cloud.example.org'] }] }),
    );
    const r = await runInProcess(['setup', '--answers', answers, '--yes', '--root', root]);
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toContain('upstream layout');
    const doc = parseGoconf(readFileSync(path.join(root, 'etc/signaling/server.conf'), 'utf8'));
    expect(getValue(doc, 'nc', 'secret')).toBe(
      readFileSync(path.join(root, 'etc/signaling/secrets/backend-nc'), 'utf8').trim(),
    );
    expect(getValue(doc, 'app', 'debug')).toBe('false');
    expect(existsSync(path.join(root, CONF))).toBe(false);
  });

  it('--config chooses a custom path; under --root nothing is started, and it says so', async () => {
    const root = scratch();
    const r = await runInProcess([...BASIC, '--root', root, '--config', '/opt/signaling/server.conf', '--restart']);
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toContain('custom layout');
    expect(existsSync(path.join(root, 'opt/signaling/server.conf'))).toBe(true);
    expect(existsSync(path.join(root, 'opt/signaling/secrets/hashkey'))).toBe(true);
    expect(r.stdout).toContain(`Staged under ${root}: nothing was started`);
    const again = await runInProcess([...BASIC, '--root', root, '--config', '/opt/signaling/server.conf']);
    expect(again.stdout).toContain('No changes');
  });

  it('rolls the nginx files back when nginx rejects them, and exits 1', async () => {
    const root = scratch();
    const bad = path.join(root, 'bad.pem');
    writeFileSync(bad, 'not a certificate\n');
    const r = await runCli([...BASIC, '--root', root, '--tls-cert', '/bad.pem', '--tls-key', '/bad.pem']);
    expect(r.code, r.all).toBe(1);
    expect(r.stderr).toContain('nginx');
    expect(existsSync(path.join(root, 'etc/nginx/sites-available/spreed-signaling.conf'))).toBe(false);
    expect(existsSync(path.join(root, 'etc/nginx/conf.d/spreed-signaling-upstream.conf'))).toBe(false);
  });
});

describe('bad input: one clear line per problem, exit 2, nothing written', () => {
  const cases: Array<[string, string[], RegExp, ((root: string) => void)?]> = [
    [
      'hostname with spaces',
      ['setup', '--hostname', 'hpb example.org', '--nextcloud', 'https://cloud.example.org'],
      /hostname "hpb example\.org": is not a valid host name/,
    ],
    [
      'ftp:// Nextcloud URL',
      ['setup', '--hostname', 'hpb.example.org', '--nextcloud', 'ftp://cloud.example.org'],
      /must use http:\/\/ or https:\/\//,
    ],
    [
      '/ocs/ path',
      ['setup', '--hostname', 'hpb.example.org', '--nextcloud', 'https://cloud.example.org/ocs/v2.php/apps/spreed'],
      /points at an \/ocs\/ endpoint/,
    ],
    ['missing values without a TTY', ['setup'], /missing --hostname NAME and --nextcloud URL/],
    ['unknown flag', ['setup', '--hostnme', 'x'], /Unknown option '--hostnme'/],
    [
      'bad --nats',
      ['setup', '--hostname', 'h.example.org', '--nextcloud', 'https://c.example.org', '--nats', 'http://x'],
      /--nats "http:\/\/x"/,
    ],
    [
      'reserved backend id (answers file)',
      ['setup', '--answers', 'ANSWERS'],
      /backend id "sessions": is a reserved section name/,
      (root) => {
        writeFileSync(
          path.join(root, 'answers.yaml'),
          'hostname: hpb.example.org\nbackends:\n  - id: sessions\n    urls: [https://cloud.example.org]\n',
        );
      },
    ],
    [
      'existing block key of the wrong length',
      ['setup', '--hostname', 'hpb.example.org', '--nextcloud', 'https://cloud.example.org'],
      /\[sessions\] blockkey is 64 bytes/,
      (root) => {
        writeExisting(root, `[sessions]\nhashkey = ${'a'.repeat(64)}\nblockkey = ${'b'.repeat(64)}\n`);
      },
    ],
    [
      'garbage lines in the existing config',
      ['setup', '--hostname', 'hpb.example.org', '--nextcloud', 'https://cloud.example.org'],
      /line 3: .*has no "="/,
      (root) => {
        writeExisting(root, `[http]\nlisten = 127.0.0.1:8080\nthis is not a setting\n`);
      },
    ],
    [
      'TURN servers without apikey and secret in the existing config',
      ['setup', '--hostname', 'hpb.example.org', '--nextcloud', 'https://cloud.example.org'],
      /\[turn\] servers is set without apikey and secret/,
      (root) => {
        writeExisting(root, `[turn]\nservers = turn:turn.example.org:3478?transport=udp\n`);
      },
    ],
    [
      'unknown key in the answers file',
      ['setup', '--answers', 'ANSWERS'],
      /unknown key "hostnme"/,
      (root) => {
        writeFileSync(path.join(root, 'answers.yaml'), '{"hostnme": "hpb.example.org"}');
      },
    ],
    [
      'unreadable existing config',
      ['setup', '--hostname', 'hpb.example.org', '--nextcloud', 'https://cloud.example.org'],
      /cannot read existing .*server\.conf: EISDIR/,
      (root) => {
        mkdirSync(path.join(root, CONF), { recursive: true });
      },
    ],
  ];

  it.each(cases)('%s', async (_name, args, pattern, prepare) => {
    const root = scratch();
    prepare?.(root);
    const before = treeState(root);
    const r = await runCli([
      ...args.map((a) => (a === 'ANSWERS' ? path.join(root, 'answers.yaml') : a)),
      '--yes',
      '--root',
      root,
    ]);
    expect(r.code, r.all).toBe(2);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace
    const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
    expect(errorLines.length).toBeGreaterThanOrEqual(1);
    expect(r.stderr).toContain('Nothing was written.');
    expect(treeState(root)).toEqual(before);
  });

  it('lists every problem at once', async () => {
    const root = scratch();
    const r = await runCli([
      'setup',
      '--hostname',
      'bad host',
      '--nextcloud',
      'ftp://x.example.org',
      '--nextcloud',
      'https://y.example.org/index.php',
      '--yes',
      '--root',
      root,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error: '))).toHaveLength(3);
  });
});

describe('help and version', () => {
  it('--help has a non-interactive section; --version prints the version', async () => {
    const h = await runCli(['setup', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('Non-interactive usage');
    expect(h.stdout).toContain('--nextcloud URL');
    const v = await runCli(['--version']);
    expect(v.stdout).toMatch(/^spreed-setup \d+\.\d+\.\d+$/);
  });
});

function writeExisting(root: string, text: string) {
  const p = path.join(root, CONF);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
  chmodSync(p, 0o640);
}
