// Proves the written Caddy files load: `caddy validate` on a throwaway Caddyfile (admin endpoint
// and automatic HTTPS off, storage in the throwaway directory) that imports a copy of the written
// site block, the certificate paths of its `tls` line alone pointed at the staged files or a
// temporary pair; or the written handle_path block inside a throwaway site block.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { Layout } from '../model/layout.js';
import type { Target } from '../io/target.js';
import type { FileChange } from '../plan/plan.js';
import { temporaryCertificate, type NginxValidation } from './validateNginx.js';

const TLS_LINE = /^(\s*tls\s+)"([^"]+)"\s+"([^"]+)"/gm;

export async function validateCaddy(target: Target, layout: Layout, written: FileChange[]): Promise<NginxValidation> {
  const files = written.filter((c) => c.role === 'caddy');
  if (files.length === 0) return { ok: true };
  const cl = layout.caddy;
  if (!cl.binary) return { ok: true, skipped: 'Caddy is not installed here: its files were not validated' };
  const dir = mkdtempSync(path.join(tmpdir(), 'spreed-setup-caddy-'));
  try {
    const notices: string[] = [];
    const imports: string[] = [];
    const site = files.find((c) => c.path === cl.sitePath && c.content !== undefined);
    if (site) {
      const found = [...site.content!.matchAll(TLS_LINE)].flatMap((m) => [m[2]!, m[3]!]);
      const missing = found.filter((p) => !existsSync(target.path(p)));
      let pair: { cert: string; key: string } | undefined;
      if (missing.length) {
        pair = await temporaryCertificate(dir);
        notices.push(
          `${missing.join(' and ')} ${missing.length > 1 ? 'do' : 'does'} not exist yet: Caddy checked the site with a temporary certificate in their place, and will not load it until the certificate exists`,
        );
      }
      const copy = site.content!.replace(
        TLS_LINE,
        (_m, head: string, c: string, k: string) =>
          `${head}"${pair ? pair.cert : target.path(c)}" "${pair ? pair.key : target.path(k)}"`,
      );
      writeFileSync(path.join(dir, 'site.caddy'), copy);
      imports.push(`import ${path.join(dir, 'site.caddy')}`);
    }
    const snippet = files.find((c) => c.path === cl.snippetPath && c.content !== undefined);
    if (snippet) {
      writeFileSync(path.join(dir, 'handle.caddy'), snippet.content!);
      imports.push(`http://spreed-setup-validation:9 {\n\timport ${path.join(dir, 'handle.caddy')}\n}`);
    }
    const conf = path.join(dir, 'Caddyfile');
    writeFileSync(
      conf,
      `{\n\tadmin off\n\tauto_https off\n\tstorage file_system ${dir}/data\n}\n${imports.join('\n')}\n`,
    );
    const r = await execa(cl.binary, ['validate', '--config', conf, '--adapter', 'caddyfile'], {
      reject: false,
      timeout: 20000,
      env: { HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
    });
    if (r.exitCode === 0) return { ok: true, ...(notices.length ? { notices } : {}) };
    const err = `${String(r.stderr ?? '')}\n${String(r.stdout ?? '')}`
      .trim()
      .split('\n')
      .filter((l) => /error|Error/.test(l))
      .slice(-2)
      .join(' | ');
    return {
      ok: false,
      message: `Caddy rejects the written files: ${err.split(dir).join('<tmp>')}`,
      fix: 'fix the problem Caddy names above, then run again',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
