// Caddy 2's files for the front end: the site block in its own file and one `import` line added to
// the Caddyfile (every other byte kept), or the handle_path block alone to import inside an
// existing site block. Pure over HostFacts.
import type { Deployment } from '../model/deployment.js';
import type { CaddyLayout } from '../model/layout.js';
import type { HostFacts } from '../io/host.js';
import { renderCaddy, withImport } from '../render/caddy.js';
import { PUBLIC_FILE, type DesiredFile } from './plan.js';

export function caddyFiles(
  d: Deployment,
  host: HostFacts,
  cl: CaddyLayout,
): { desired: DesiredFile[]; notices: string[] } {
  const desired: DesiredFile[] = [];
  const notices: string[] = [];
  const files = renderCaddy(d);
  if (files.site !== undefined) {
    desired.push({ path: cl.sitePath, role: 'caddy', content: files.site, ownership: PUBLIC_FILE });
    let f: ReturnType<HostFacts['file']>;
    try {
      f = host.file(cl.caddyfile);
    } catch {
      f = { kind: 'other' };
    }
    if (f?.kind === 'file' || f === undefined) {
      const next = withImport(f?.content ?? '', cl.sitePath);
      if (next !== undefined)
        desired.push({
          path: cl.caddyfile,
          role: 'caddy',
          content: next,
          ownership: f ? { mode: f.mode, label: 'as it was' } : PUBLIC_FILE,
        });
    } else {
      notices.push(
        `add "import ${cl.sitePath}" to ${cl.caddyfile} (not a regular file: spreed-setup leaves it as it is)`,
      );
    }
    if (!(d.nginx.certificate && d.nginx.key))
      notices.push(
        `Caddy gets and renews the certificate for ${d.hostname} itself (automatic HTTPS); ports 80 and 443 must reach it`,
      );
  }
  if (files.snippet !== undefined) {
    desired.push({ path: cl.snippetPath, role: 'caddy', content: files.snippet, ownership: PUBLIC_FILE });
    notices.push(`add "import ${cl.snippetPath}" inside the site block of ${d.hostname} in ${cl.caddyfile}`);
  }
  return { desired, notices };
}
