// Proves the written nginx files load: `nginx -t` on the system's configuration, or, under
// --root, on a throwaway main config that includes the staged files. The throwaway copy of the
// site is the written bytes except, token for token, (a) the listen addresses when not root (a
// normal user may not bind 80 or 443) and (b) the two certificate paths: the staged files under
// --root, or a temporary self-signed pair while the certificate does not exist yet (then nginx
// will not load the site until it does, and the result says so).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { execa } from 'execa';
import type { Layout } from '../model/layout.js';
import type { Target } from '../io/target.js';
import type { FileChange } from '../plan/plan.js';
import { parseNginxConf } from '../render/nginxMain.js';

export type NginxValidation =
  | { ok: true; skipped?: string; notices?: string[] }
  | { ok: false; message: string; fix?: string; notices?: string[] };

export async function validateNginx(target: Target, layout: Layout, written: FileChange[]): Promise<NginxValidation> {
  const nginxFiles = written.filter((c) => c.role === 'nginx');
  if (nginxFiles.length === 0) return { ok: true };
  const bin = layout.nginx.binary;
  if (!bin) return { ok: true, skipped: 'nginx is not installed here: its files were not validated' };
  if (!target.root) {
    const r = await execa(bin, ['-t'], { reject: false, timeout: 20000 });
    const warned = fatalWarnings(String(r.stderr ?? ''));
    if (r.exitCode === 0 && warned.length === 0) return { ok: true };
    return r.exitCode === 0
      ? { ok: false, message: `nginx -t accepted the syntax but warned: ${warned.join(' | ')}` }
      : { ok: false, message: `nginx -t failed: ${lastLines(String(r.stderr ?? ''))}` };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'spreed-setup-nginx-'));
  try {
    const includes: string[] = [];
    const upstream = target.path(layout.nginx.upstreamPath);
    if (existsSync(upstream)) includes.push(`include ${upstream};`);
    const snippet = target.path(layout.nginx.snippetPath);
    const site = nginxFiles.find((c) => c.path === layout.nginx.sitePath && c.content !== undefined);
    const notices: string[] = [];
    if (site) {
      // The bytes being written, not a re-read: what is tested is what goes to disk.
      const copy = await validationCopy(site.content!, {
        dir,
        exists: (p) => existsSync(target.path(p)),
        staged: (p) => target.path(p),
        unprivileged: process.getuid?.() !== 0,
      });
      notices.push(...copy.notices);
      const out = path.join(dir, 'site.conf');
      writeFileSync(out, copy.text);
      includes.push(`include ${out};`);
    }
    if (nginxFiles.some((c) => c.path === layout.nginx.snippetPath) && existsSync(snippet)) {
      includes.push(`server { listen 127.0.0.1:9; server_name spreed-setup-validation; include ${snippet}; }`);
    }
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
      .map((t) => `  ${t}_temp_path ${dir}/${t};`)
      .join('\n');
    // The staged main config's worker settings (its includes name the live system's paths).
    let main = '';
    let events = '';
    const mainConf = target.path(layout.nginx.mainConfPath);
    if (nginxFiles.some((c) => c.path === layout.nginx.mainConfPath) && existsSync(mainConf)) {
      const ds = parseNginxConf(readFileSync(mainConf, 'utf8'));
      const pick = (name: string, context: string) =>
        ds
          .filter((d) => d.name === name && d.context.join(' ') === context)
          .map((d) => `${name} ${d.args.map((a) => a.text).join(' ')};\n`)
          .join('');
      main = pick('worker_rlimit_nofile', '');
      events = pick('worker_connections', 'events');
    }
    const conf = path.join(dir, 'nginx.conf');
    writeFileSync(
      conf,
      `pid ${dir}/nginx.pid;\nerror_log stderr;\n${main}events {\n${events}}\nhttp {\n  access_log off;\n${temp}\n  ${includes.join('\n  ')}\n}\n`,
    );
    const r = await execa(bin, ['-t', '-q', '-p', `${dir}/`, '-c', conf, '-e', 'stderr'], {
      reject: false,
      timeout: 20000,
    });
    const warned = fatalWarnings(String(r.stderr ?? ''));
    if (r.exitCode === 0 && warned.length === 0) return { ok: true, ...(notices.length ? { notices } : {}) };
    if (r.exitCode === 0)
      return {
        ok: false,
        message: `nginx accepted the syntax of the written files but warned: ${warned.join(' | ').split(dir).join('<tmp>')}`,
      };
    return {
      ok: false,
      message: `nginx rejects the written files: ${lastLines(String(r.stderr ?? ''))
        .split(dir)
        .join('<tmp>')}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A `ssl_certificate`/`ssl_certificate_key` directive and its one path token. */
const CERT_DIRECTIVE = /^(\s*)(ssl_certificate(?:_key)?)(\s+)(\S+);/gm;

export interface ValidationCopyOptions {
  /** A scratch directory for the temporary certificate pair. */
  dir: string;
  /** Whether a certificate file exists where the server will find it. */
  exists(p: string): boolean;
  /** Where nginx -t finds a file that exists (under --root: inside the root). */
  staged(p: string): string;
  /** Not root: the listen addresses move to free loopback ports. */
  unprivileged: boolean;
}

/**
 * The site as nginx -t checks it: the given bytes with only the certificate path tokens (and, when
 * unprivileged, the listen addresses) replaced, token-exactly.
 */
export async function validationCopy(
  text: string,
  opts: ValidationCopyOptions,
): Promise<{ text: string; notices: string[] }> {
  const notices: string[] = [];
  const paths = [...text.matchAll(CERT_DIRECTIVE)].map((m) => m[4]!);
  const missing = paths.filter((p) => !opts.exists(p));
  let replacement: (directive: string, p: string) => string = (_d, p) => opts.staged(p);
  if (missing.length) {
    const { cert, key } = await temporaryCertificate(opts.dir);
    replacement = (directive) => (directive === 'ssl_certificate' ? cert : key);
    notices.push(
      `${missing.join(' and ')} ${missing.length > 1 ? 'do' : 'does'} not exist yet: nginx checked the site with a temporary certificate in their place, and will not load it until the certificate exists`,
    );
  }
  let out = text.replace(
    CERT_DIRECTIVE,
    (_m, indent: string, directive: string, space: string, p: string) =>
      `${indent}${directive}${space}${replacement(directive, p)};`,
  );
  // Unprivileged staging: nginx -t binds every listen address, and a normal user may not bind 80
  // or 443. Only then, the copy listens on free loopback ports; every other byte is the site's.
  if (opts.unprivileged) out = await onFreeLoopbackPorts(out);
  return { text: out, notices };
}

/** A throwaway self-signed pair in `dir`, standing in for a certificate that does not exist yet. */
export async function temporaryCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  await execa(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=spreed-setup-validation',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { timeout: 20000 },
  );
  return { cert, key };
}

/**
 * The warnings of `nginx -t` that mean a written directive does not take effect although the test
 * "is successful": a server_name another server block already has on the same listen address
 * (every request then goes to the first block), or a directive nginx ignores.
 */
export function fatalWarnings(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => /\[warn\]/.test(l) && /conflicting server name|\bignored\b/.test(l))
    .map((l) => l.replace(/^.*?\[warn\]\s*(?:\d+#\d+:\s*)?/, '').trim());
}

function lastLines(s: string, n = 3): string {
  return s.trim().split('\n').slice(-n).join(' | ');
}

/** A free TCP port on loopback, for a test bind that must not clash. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Each `listen` address of a config moved to a free loopback port (one per original port). */
async function onFreeLoopbackPorts(text: string): Promise<string> {
  const ports = new Map<string, number>();
  for (const m of text.matchAll(/^\s*listen\s+(\S+?)(?=[\s;])/gm)) {
    const port = /(\d+)$/.exec(m[1]!)?.[1];
    if (port && !ports.has(port)) ports.set(port, await freePort());
  }
  return text.replace(/^(\s*listen\s+)(\S+?)(?=[\s;])/gm, (whole, head: string, addr: string) => {
    const port = /(\d+)$/.exec(addr)?.[1];
    if (!port) return whole;
    return `${head}${addr.startsWith('[') ? '[::1]' : '127.0.0.1'}:${ports.get(port)}`;
  });
}
