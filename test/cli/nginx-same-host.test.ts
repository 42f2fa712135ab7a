// Same host as Nextcloud: a name an enabled nginx site already serves gets a snippet for that
// site's server block (the review names the file), a second site for it is refused with nothing
// written, and a `nginx -t` that "is successful" but warns of a conflicting server name fails the
// validation with every file put back. nginx here is the real one.
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { componentPath, skipUnless } from '../harness/components.js';
import { tempDir } from '../harness/tmp.js';
import { treeState } from './run.js';
import { captureOutput, type CliResult } from './inProcess.js';
import { parseSetupArgs } from '../../src/options/setup.js';
import { prepareSetup } from '../../src/plan/prepare.js';
import { applyPrepared } from '../../src/apply/applySetup.js';
import { UserError } from '../../src/errors.js';
import { validateNginx } from '../../src/apply/validateNginx.js';
import { Target } from '../../src/io/target.js';
import { detectLayout } from '../../src/detect/layout.js';

const need = skipUnless({ components: ['nginx', 'openssl'] });

async function setupWith(nginx: string, argv: string[]): Promise<CliResult> {
  const { out, result } = captureOutput();
  const flags = parseSetupArgs(argv.slice(1));
  try {
    const prepared = await prepareSetup(flags, 'test');
    (prepared.layout.nginx as { binary?: string }).binary = nginx;
    for (const n of prepared.notices) out.notice(n); // as the review shows them (commands/setup.ts)
    return result(await applyPrepared(prepared, flags, out));
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    out.problems(err.problems);
    return result(err.exitCode);
  }
}

const NEXTCLOUD_SITE = [
  'server {',
  '    listen 443 ssl;',
  '    server_name cloud.example.org;',
  '    root /var/www/nextcloud;',
  '}',
  '',
].join('\n');

/** A staged Debian nginx layout with Nextcloud's site enabled. */
function stagedWithNextcloud(): string {
  const root = tempDir('spreed-stage-');
  for (const d of ['etc/nginx/sites-available', 'etc/nginx/sites-enabled', 'etc/nginx/conf.d'])
    mkdirSync(path.join(root, d), { recursive: true });
  writeFileSync(path.join(root, 'etc/nginx/sites-available/nextcloud'), NEXTCLOUD_SITE);
  symlinkSync('../sites-available/nextcloud', path.join(root, 'etc/nginx/sites-enabled/nextcloud'));
  return root;
}

const ARGS = (root: string) => [
  'setup',
  '--yes',
  '--root',
  root,
  '--hostname',
  'cloud.example.org',
  '--nextcloud',
  'https://cloud.example.org',
  '--server-version',
  '2.0.2',
  '--listen',
  '127.0.0.1:18080',
];

describe.skipIf(need.skip)(`a name Nextcloud's nginx site already serves${need.suffix}`, () => {
  it('by default gets a snippet for that site, and the review names the file that must include it', async () => {
    const root = stagedWithNextcloud();
    const r = await setupWith(componentPath('nginx'), ARGS(root));
    expect(r.code, r.all).toBe(0);
    expect(r.all).toMatch(
      /cloud\.example\.org is already served by the nginx site \/etc\/nginx\/sites-available\/nextcloud/,
    );
    expect(r.all).toMatch(
      /include \/etc\/nginx\/snippets\/spreed-signaling\.conf;" inside the server block of cloud\.example\.org in \/etc\/nginx\/sites-available\/nextcloud/,
    );
    expect(existsSync(path.join(root, 'etc/nginx/snippets/spreed-signaling.conf'))).toBe(true);
    expect(existsSync(path.join(root, 'etc/nginx/sites-available/spreed-signaling.conf'))).toBe(false);
    expect(existsSync(path.join(root, 'etc/nginx/sites-enabled/spreed-signaling.conf'))).toBe(false);
    expect(readFileSync(path.join(root, 'etc/nginx/sites-available/nextcloud'), 'utf8')).toBe(NEXTCLOUD_SITE);
  });

  it('--nginx site is refused with the explanation, exit 2, nothing written', async () => {
    const root = stagedWithNextcloud();
    const before = treeState(root);
    const r = await setupWith(componentPath('nginx'), [...ARGS(root), '--nginx', 'site']);
    expect(r.code, r.all).toBe(2);
    expect(r.stderr).toMatch(/already served by the nginx site .*nextcloud.*conflicting server name/);
    expect(r.stderr).toMatch(/--nginx snippet and include \/etc\/nginx\/snippets\/spreed-signaling\.conf/);
    // The journal directory stays; every file of the plan is gone again.
    const after = Object.fromEntries(Object.entries(treeState(root)).filter(([k]) => !k.startsWith('var')));
    expect(after).toEqual(before);
  });
});

describe.skipIf(need.skip)(`nginx -t warnings fail the validation${need.suffix}`, () => {
  it('a conflicting server name in the checked bytes is a failure, with the warning shown', async () => {
    const root = tempDir('spreed-stage-');
    const target = new Target(root);
    const layout = detectLayout(target);
    (layout.nginx as { binary?: string }).binary = componentPath('nginx');
    const block = 'server {\n    listen 8443;\n    server_name dup.example.org;\n    return 204;\n}\n';
    const v = await validateNginx(target, layout, [
      {
        path: layout.nginx.sitePath,
        role: 'nginx',
        content: block + block,
        ownership: { mode: 0o644, label: 'public' },
        action: 'create',
        reasons: [],
      },
    ]);
    expect(v.ok).toBe(false);
    expect(v.ok ? '' : v.message).toMatch(/warned: conflicting server name "dup\.example\.org" on .*, ignored/);
    // The same site once passes: it is the warning that failed it.
    const once = await validateNginx(target, layout, [
      {
        path: layout.nginx.sitePath,
        role: 'nginx',
        content: block,
        ownership: { mode: 0o644, label: 'public' },
        action: 'create',
        reasons: [],
      },
    ]);
    expect(once).toEqual({ ok: true });
  });

  it('during setup: the warning is shown and every file is put back', async () => {
    const root = stagedWithNextcloud();
    // Real nginx, checking the copy it is given plus a second server block with our name (the
    // fault injected: what a stray duplicate site would do).
    const bin = tempDir('spreed-fake-bin-');
    const script = `#!/bin/sh
prev=
for a in "$@"; do
  if [ "$prev" = "-c" ]; then
    d="$(dirname "$a")"
    [ -f "$d/snippet-dup.conf" ] || printf 'server { listen 127.0.0.1:9; server_name spreed-setup-validation; }\\n' > "$d/snippet-dup.conf"
    sed -i "s|^http {|http {\\n  include $d/snippet-dup.conf;|" "$a"
  fi
  prev="$a"
done
exec ${componentPath('nginx')} "$@"
`;
    writeFileSync(path.join(bin, 'nginx'), script);
    chmodSync(path.join(bin, 'nginx'), 0o755);
    const before = treeState(root);
    const r = await setupWith(path.join(bin, 'nginx'), ARGS(root));
    expect(r.code, r.all).not.toBe(0);
    expect(r.all).toMatch(/warned: conflicting server name "spreed-setup-validation"/);
    expect(r.all).toMatch(/Put back:/);
    // The journal directory stays; every file of the plan is gone again.
    const after = Object.fromEntries(Object.entries(treeState(root)).filter(([k]) => !k.startsWith('var')));
    expect(after).toEqual(before);
  });
});
