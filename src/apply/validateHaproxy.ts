// Proves the written HAProxy configuration loads: `haproxy -c -f` on the system's haproxy.cfg
// (our links in place) on the machine itself; under --root on a throwaway copy of the staged
// haproxy.cfg that differs only in its `crt` token, pointed at a pair of links to the staged
// certificate and key, or at a temporary self-signed pair while they do not exist yet.
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import type { Layout } from '../model/layout.js';
import type { Target } from '../io/target.js';
import type { FileChange } from '../plan/plan.js';
import { temporaryCertificate, type NginxValidation } from './validateNginx.js';

function lastLines(s: string, n = 3): string {
  return s
    .trim()
    .split('\n')
    .filter((l) => /ALERT|WARNING|error/i.test(l))
    .slice(-n)
    .join(' | ');
}

/** A link's target as staged (the file it would reach on the machine, read under the root). */
function stagedTarget(target: Target, link: string): string | undefined {
  try {
    const to = readlinkSync(target.path(link));
    const p = path.isAbsolute(to) ? to : path.resolve(path.dirname(link), to);
    return [target.path(p), p].find((c) => existsSync(c));
  } catch {
    return undefined;
  }
}

export async function validateHaproxy(target: Target, layout: Layout, written: FileChange[]): Promise<NginxValidation> {
  const files = written.filter((c) => c.role === 'haproxy');
  if (files.length === 0) return { ok: true };
  const hl = layout.haproxy;
  if (!hl.binary) return { ok: true, skipped: 'HAProxy is not installed here: its configuration was not validated' };
  const dir = mkdtempSync(path.join(tmpdir(), 'spreed-setup-haproxy-'));
  try {
    const notices: string[] = [];
    let conf = hl.configPath;
    if (target.root) {
      let text = readFileSync(target.path(hl.configPath), 'utf8');
      const crt = ` crt ${hl.certPath} `;
      if (text.includes(crt)) {
        const cert = stagedTarget(target, hl.certPath);
        const key = stagedTarget(target, `${hl.certPath}.key`);
        const pem = path.join(dir, 'crt.pem');
        if (cert && key) {
          symlinkSync(cert, pem);
          symlinkSync(key, `${pem}.key`);
        } else {
          const pair = await temporaryCertificate(dir);
          symlinkSync(pair.cert, pem);
          symlinkSync(pair.key, `${pem}.key`);
          notices.push(
            `the certificate or key behind ${hl.certPath} does not exist yet: HAProxy checked its configuration with a temporary certificate in their place, and will not start until it exists`,
          );
        }
        text = text.split(crt).join(` crt ${pem} `);
      }
      conf = path.join(dir, 'haproxy.cfg');
      writeFileSync(conf, text);
    }
    const r = await execa(hl.binary, ['-c', '-f', conf], { reject: false, timeout: 20000 });
    if (r.exitCode === 0) return { ok: true, ...(notices.length ? { notices } : {}) };
    // The backend alone (snippet) in a haproxy.cfg with no frontend yet: valid, nothing to start.
    if (r.exitCode === 2 && /no error but will not start \(no listener\)/.test(`${r.stderr}${r.stdout}`))
      return {
        ok: true,
        notices: [
          ...notices,
          `${hl.configPath} has no frontend yet: HAProxy accepts it but will not start until one exists`,
        ],
      };
    return {
      ok: false,
      message: `HAProxy rejects the written configuration: ${lastLines(
        `${String(r.stderr ?? '')}\n${String(r.stdout ?? '')}`,
      )
        .split(dir)
        .join('<tmp>')}`,
      fix: 'fix the problem HAProxy names above, then run again',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
