// The nginx validation tests the bytes that are written: the throwaway copy it hands to nginx -t
// differs from the written site only in the two certificate path tokens (and, unprivileged, the
// listen addresses), and a hostile TLS path never reaches nginx at all. nginx here is the real
// one behind a wrapper (the run's nginx binary) that keeps a copy of what it was asked to check.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validationCopy } from '../../src/apply/validateNginx.js';
import { testSiteAnswers } from '../harness/answers.js';
import { componentPath, skipUnless } from '../harness/components.js';
import { freePort } from '../harness/ports.js';
import { selfSignedCert } from '../harness/processes.js';
import { tempDir } from '../harness/tmp.js';
import { treeState } from './run.js';
import { captureOutput, type CliResult } from './inProcess.js';
import { parseSetupArgs } from '../../src/options/setup.js';
import { prepareSetup } from '../../src/plan/prepare.js';
import { applyPrepared } from '../../src/apply/applySetup.js';
import { UserError } from '../../src/errors.js';

/** `setup ARGV` in this process, with `nginx` as the nginx binary of the detected layout. */
async function setupWith(nginx: string, argv: string[]): Promise<CliResult> {
  const { out, result } = captureOutput();
  const flags = parseSetupArgs(argv.slice(1));
  try {
    const prepared = await prepareSetup(flags, 'test');
    (prepared.layout.nginx as { binary?: string }).binary = nginx;
    return result(await applyPrepared(prepared, flags, out));
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    out.problems(err.problems);
    return result(err.exitCode);
  }
}

const SITE = 'etc/nginx/sites-available/spreed-signaling.conf';
const need = skipUnless({ components: ['nginx', 'openssl'] });

/** A directory holding `nginx`: the real one, after copying the config and site it was given into `capture`. */
function nginxWrapper(): { bin: string; capture: string } {
  const bin = tempDir('spreed-fake-bin-');
  const capture = tempDir('spreed-nginx-capture-');
  const script = `#!/bin/sh
echo "$*" >> "${capture}/calls"
prev=
for a in "$@"; do
  if [ "$prev" = "-c" ]; then
    cp "$a" "${capture}/nginx.conf"
    [ -f "$(dirname "$a")/site.conf" ] && cp "$(dirname "$a")/site.conf" "${capture}/site.conf"
  fi
  prev="$a"
done
exec ${componentPath('nginx')} "$@"
`;
  writeFileSync(path.join(bin, 'nginx'), script);
  chmodSync(path.join(bin, 'nginx'), 0o755);
  return { bin: path.join(bin, 'nginx'), capture };
}

/** Line-by-line differences (same line count expected): [written, checked]. */
function differingLines(written: string, checked: string): Array<[string, string]> {
  const a = written.split('\n');
  const b = checked.split('\n');
  expect(b.length).toBe(a.length);
  return a.flatMap((l, i) => (l === b[i] ? [] : [[l, b[i]!] as [string, string]]));
}

/** Each differing line is a certificate directive whose path token alone changed. */
function expectOnlyCertTokens(diff: Array<[string, string]>, tokens: Record<string, string>) {
  expect(diff.length).toBe(2);
  for (const [w, c] of diff) {
    const m = /^(\s*)(ssl_certificate(?:_key)?) (\S+);$/.exec(w);
    expect(m, w).not.toBeNull();
    expect(c).toBe(`${m![1]}${m![2]} ${tokens[m![2]!]};`);
  }
}

async function stage(root: string, opts: { cert: string; key: string }) {
  const answers = path.join(tempDir('spreed-answers-'), 'a.yaml');
  writeFileSync(
    answers,
    testSiteAnswers({
      listenPort: await freePort(),
      nextcloudUrl: 'https://cloud.example.org',
      cert: { cert: opts.cert, key: opts.key },
      httpPort: await freePort(),
      httpsPort: await freePort(),
      acmeWebroot: '/var/www/html',
    }),
  );
  return ['setup', '--yes', '--root', root, '--answers', answers, '--server-version', '2.0.2'];
}

describe.skipIf(need.skip)(`nginx validation checks the written bytes${need.suffix}`, () => {
  it('certificates not there yet: only the two path tokens differ, and the output says nginx will not load the site', async () => {
    const root = tempDir('spreed-stage-');
    const { bin, capture } = nginxWrapper();
    const r = await setupWith(bin, await stage(root, { cert: '/etc/ssl/hpb/cert.pem', key: '/etc/ssl/hpb/key.pem' }));
    expect(r.code, r.all).toBe(0);
    expect(r.stderr).toMatch(
      /notice: \/etc\/ssl\/hpb\/cert\.pem and \/etc\/ssl\/hpb\/key\.pem do not exist yet: .*will not load it until the certificate exists/,
    );
    const written = readFileSync(path.join(root, SITE), 'utf8');
    const checked = readFileSync(path.join(capture, 'site.conf'), 'utf8');
    const tmp = /ssl_certificate (\S+)\/cert\.pem;/.exec(checked)?.[1];
    expect(tmp).toMatch(/spreed-setup-nginx-/);
    expectOnlyCertTokens(differingLines(written, checked), {
      ssl_certificate: `${tmp}/cert.pem`,
      ssl_certificate_key: `${tmp}/key.pem`,
    });
    // The main config includes that copy, and nothing of the site is left out.
    expect(readFileSync(path.join(capture, 'nginx.conf'), 'utf8')).toContain(`include ${tmp}/site.conf;`);
  });

  it('certificates staged under --root: only the two path tokens differ (pointing into the root); no notice', async () => {
    const root = tempDir('spreed-stage-');
    const pair = await selfSignedCert(path.join(root, 'etc/ssl/hpb'));
    const { bin, capture } = nginxWrapper();
    const r = await setupWith(bin, await stage(root, { cert: '/etc/ssl/hpb/cert.pem', key: '/etc/ssl/hpb/key.pem' }));
    expect(r.code, r.all).toBe(0);
    expect(r.stderr).not.toMatch(/does not exist yet|do not exist yet/);
    const diff = differingLines(
      readFileSync(path.join(root, SITE), 'utf8'),
      readFileSync(path.join(capture, 'site.conf'), 'utf8'),
    );
    expectOnlyCertTokens(diff, { ssl_certificate: pair.cert, ssl_certificate_key: pair.key });
  });

  it.each([
    [
      '--tls-key closing the server block',
      ['--tls-cert', '/etc/ssl/c.pem', '--tls-key', '/etc/ssl/k.pem;}server{break'],
    ],
    ['--tls-cert with a directive after a space', ['--tls-cert', '/etc/ssl/c.pem; return 200', '--tls-key', '/k.pem']],
    ['--tls-cert with an nginx variable', ['--tls-cert', '/etc/ssl/$host.pem', '--tls-key', '/k.pem']],
  ])('a hostile TLS path never reaches nginx: %s', async (_name, tls) => {
    const root = tempDir('spreed-stage-');
    const { bin, capture } = nginxWrapper();
    const before = treeState(root);
    const r = await setupWith(bin, [
      'setup',
      '--yes',
      '--root',
      root,
      '--hostname',
      'hpb.example.org',
      '--nextcloud',
      'https://cloud.example.org',
      ...tls,
    ]);
    expect(r.code, r.all).toBe(2);
    expect(treeState(root)).toEqual(before);
    const calls = existsSync(path.join(capture, 'calls')) ? readFileSync(path.join(capture, 'calls'), 'utf8') : '';
    expect(calls).not.toMatch(/-t/);
    expect(existsSync(path.join(capture, 'site.conf'))).toBe(false);
  });

  it('a hostile certificate path in the state file never reaches nginx', async () => {
    const root = tempDir('spreed-stage-');
    const dir = path.join(root, 'etc/nextcloud-spreed-signaling');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'spreed-setup.yaml'),
      'hostname: hpb.example.org\nnginx:\n  certificate: "/etc/ssl/c.pem;}server{listen 81;}"\n  key: /k.pem\n',
    );
    const { bin, capture } = nginxWrapper();
    const r = await setupWith(bin, ['setup', '--yes', '--root', root, '--nextcloud', 'https://cloud.example.org']);
    expect(r.code, r.all).toBe(2);
    expect(r.stderr).toMatch(
      /nginx\.certificate.*absolute path without.* — fix: correct nginx\.certificate in .*spreed-setup\.yaml/,
    );
    expect(
      existsSync(path.join(capture, 'calls')) ? readFileSync(path.join(capture, 'calls'), 'utf8') : '',
    ).not.toMatch(/-t/);
  });
});

describe.skipIf(need.skip)(`the throwaway copy, unprivileged${need.suffix}`, () => {
  it('differs from the site only in listen addresses and the certificate tokens', async () => {
    const site = [
      'server {',
      '    listen 80;',
      '    listen [::]:80;',
      '    server_name hpb.example.org;',
      '    location / { return 301 https://$host$request_uri; }',
      '}',
      'server {',
      '    listen 443 ssl;',
      '    listen [::]:443 ssl;',
      '    ssl_certificate /etc/letsencrypt/live/hpb.example.org/fullchain.pem;',
      '    ssl_certificate_key /etc/letsencrypt/live/hpb.example.org/privkey.pem;',
      '    ssl_protocols TLSv1.2 TLSv1.3;',
      '}',
      '',
    ].join('\n');
    const dir = tempDir('spreed-copy-');
    const copy = await validationCopy(site, { dir, exists: () => false, staged: (p) => p, unprivileged: true });
    expect(copy.notices.join('\n')).toMatch(/will not load it until the certificate exists/);
    const diff = differingLines(site, copy.text);
    expect(diff.length).toBe(6);
    for (const [w, c] of diff) {
      if (/listen/.test(w)) {
        // Only the address token: "listen 443 ssl;" -> "listen 127.0.0.1:PORT ssl;"
        const [, rest] = /^\s*listen \S+?((?: ssl)?;)$/.exec(w)!;
        expect(c).toMatch(new RegExp(`^    listen (127\\.0\\.0\\.1|\\[::1\\]):\\d+${rest!.replace(/[;]/g, '\\;')}$`));
      } else {
        expect(c).toMatch(new RegExp(`^    (ssl_certificate|ssl_certificate_key) ${dir}/(cert|key)\\.pem;$`));
      }
    }
    // A certificate that exists is left as written (outside --root, staged() is the identity).
    const kept = await validationCopy(site, { dir, exists: () => true, staged: (p) => p, unprivileged: false });
    expect(kept).toEqual({ text: site, notices: [] });
  });
});
