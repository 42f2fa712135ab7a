// Proves the written Apache files load. On the machine itself: `apachectl configtest` on the
// system's whole configuration (the written files in place, every other vhost beside them).
// Under --root: `apache2 -t` on a throwaway main config that loads the needed modules and includes
// a copy of the written virtual host that differs only in the two certificate path tokens (the
// staged files, or a temporary self-signed pair while the certificate does not exist yet), or the
// written include inside a throwaway <VirtualHost>.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { Layout } from '../model/layout.js';
import type { Target } from '../io/target.js';
import { which } from '../io/target.js';
import type { FileChange } from '../plan/plan.js';
import { temporaryCertificate, type NginxValidation } from './validateNginx.js';

const CERT_DIRECTIVE = /^(\s*)(SSLCertificate(?:Key)?File)(\s+)"([^"]*)"/gm;

function lastLines(s: string, n = 4): string {
  return s.trim().split('\n').slice(-n).join(' | ');
}

export async function validateApache(target: Target, layout: Layout, written: FileChange[]): Promise<NginxValidation> {
  const files = written.filter((c) => c.role === 'apache');
  if (files.length === 0) return { ok: true };
  const al = layout.apache;
  const bin = al.binary;
  if (!bin) return { ok: true, skipped: 'Apache is not installed here: its files were not validated' };
  if (!target.root) {
    const ctl = which('apachectl') ?? which('apache2ctl');
    if (!ctl) return { ok: true, skipped: 'apachectl not found: the Apache files were not validated' };
    const r = await execa(ctl, ['configtest'], { reject: false, timeout: 20000 });
    return r.exitCode === 0
      ? { ok: true }
      : {
          ok: false,
          message: `apachectl configtest failed: ${lastLines(String(r.stderr ?? ''))}`,
          fix: 'fix the problem Apache names above, then run again',
        };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'spreed-setup-apache-'));
  try {
    const notices: string[] = [];
    // The modules: what mods-enabled will hold (staged), else the machine's own mods-available.
    const loads: string[] = [];
    const seen = new Set<string>();
    const enabledDir = target.path(al.modsEnabled);
    let names: string[] = [];
    try {
      names = readdirSync(enabledDir).filter((n) => n.endsWith('.load'));
    } catch {
      /* none staged */
    }
    for (const n of ['mpm_event.load', 'authz_core.load', ...names]) {
      if (seen.has(n)) continue;
      seen.add(n);
      const staged = path.join(enabledDir, n);
      const system = path.join(al.modsAvailable, n);
      const p = existsSync(staged) ? staged : existsSync(target.path(system)) ? target.path(system) : system;
      if (!existsSync(p)) continue;
      for (const m of readFileSync(p, 'utf8').matchAll(/^\s*LoadModule\s+\S+\s+\S+\s*$/gm)) loads.push(m[0].trim());
    }
    const includes: string[] = [];
    const site = files.find((c) => c.path === al.sitePath && c.content !== undefined);
    if (site) {
      const paths = [...site.content!.matchAll(CERT_DIRECTIVE)].map((m) => m[4]!);
      const missing = paths.filter((p) => !existsSync(target.path(p)));
      let swap = (_d: string, p: string) => target.path(p);
      if (missing.length) {
        const pair = await temporaryCertificate(dir);
        swap = (d) => (d === 'SSLCertificateFile' ? pair.cert : pair.key);
        notices.push(
          `${missing.join(' and ')} ${missing.length > 1 ? 'do' : 'does'} not exist yet: Apache checked the virtual host with a temporary certificate in their place, and will not load it until the certificate exists`,
        );
      }
      const copy = site.content!.replace(
        CERT_DIRECTIVE,
        (_m, indent: string, d: string, space: string, p: string) => `${indent}${d}${space}"${swap(d, p)}"`,
      );
      const out = path.join(dir, 'site.conf');
      writeFileSync(out, copy);
      includes.push(`Include "${out}"`);
    }
    const snippet = files.find((c) => c.path === al.snippetPath && c.content !== undefined);
    if (snippet) {
      const out = path.join(dir, 'include.conf');
      writeFileSync(out, snippet.content!);
      includes.push(
        `<VirtualHost 127.0.0.1:9>\n    ServerName spreed-setup-validation\n    Include "${out}"\n</VirtualHost>`,
      );
    }
    const conf = path.join(dir, 'apache2.conf');
    writeFileSync(
      conf,
      [
        `ServerRoot "${dir}"`,
        `DefaultRuntimeDir "${dir}"`,
        `PidFile "${dir}/apache2.pid"`,
        `ErrorLog "${dir}/error.log"`,
        'ServerName spreed-setup-validation',
        ...loads,
        ...includes,
        '',
      ].join('\n'),
    );
    const r = await execa(bin, ['-t', '-f', conf], { reject: false, timeout: 20000 });
    if (r.exitCode === 0) return { ok: true, ...(notices.length ? { notices } : {}) };
    return {
      ok: false,
      fix: 'fix the problem Apache names above, then run again',
      message: `Apache rejects the written files: ${lastLines(`${String(r.stderr ?? '')}\n${String(r.stdout ?? '')}`)
        .split(dir)
        .join('<tmp>')}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
