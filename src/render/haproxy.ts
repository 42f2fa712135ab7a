// Renders the HAProxy 2.6 side (frontends-facts.md §6) as a managed block of haproxy.cfg (HAProxy
// has no include): a backend that strips the prefix (replace-path) with `timeout tunnel` above the
// server's ping, and, for a complete site, the TLS frontend that routes the base path to it and a
// plain-HTTP one that redirects. Every value that reaches the file is one plain token of HAProxy's
// grammar: no spaces, quotes, #, backslashes or control characters.
import type { Deployment } from '../model/deployment.js';
import { listenBase } from '../model/urls.js';
import { renderTemplate } from './templates.js';

export const HAPROXY_BLOCK_BEGIN =
  '# BEGIN spreed-setup (managed: rewritten on every run; add your own sections outside this block)';
export const HAPROXY_BLOCK_END = '# END spreed-setup';
/** Above the server's 54 s ping and 60 s pong wait (frontends-facts.md §1). */
export const HAPROXY_HTTP_TIMEOUT = '75s';
export const HAPROXY_TUNNEL_TIMEOUT = '1h';
/** The backend's name, for the lines an existing frontend needs. */
export const HAPROXY_BACKEND = 'spreed-signaling';

/** A value HAProxy reads as one word, or an error (the model's rules already keep these out). */
export function haproxyToken(value: string, what: string): string {
  if (value === '' || /[\s#'"\\`\x00-\x1f\x7f]/.test(value))
    throw new Error(`${what} cannot go into haproxy.cfg: ${JSON.stringify(value)} has a space, quote, # or backslash`);
  return value;
}

/** The path as a regular expression matching itself (the model allows . as the only metacharacter). */
function pathRegex(basePath: string): string {
  return basePath.replace(/[.]/g, '[.]');
}

/** The lines an existing frontend needs to send the base path to our backend (snippet mode). */
export function haproxyFrontendLines(d: Pick<Deployment, 'basePath'>): string[] {
  const p = haproxyToken(d.basePath, 'the base path');
  return [`acl spreed_signaling path_beg ${p}/`, `use_backend ${HAPROXY_BACKEND} if spreed_signaling`];
}

/** The managed block (BEGIN and END lines included), or undefined for --web-mode none. */
export function renderHaproxyBlock(d: Deployment, crt: string): string | undefined {
  const n = d.nginx;
  if (n.mode === 'none') return undefined;
  const bind = (port: number) =>
    n.bindAddress ? `${haproxyToken(n.bindAddress, 'the bind address')}:${port}` : `[::]:${port} v4v6`;
  const body = renderTemplate('haproxy-block.cfg.mustache', {
    hostname: haproxyToken(d.hostname, 'the hostname'),
    basePath: haproxyToken(d.basePath, 'the base path'),
    pathRegex: pathRegex(haproxyToken(d.basePath, 'the base path')),
    upstream: haproxyToken(listenBase(d.listen).replace(/^http:\/\//, ''), 'the listen address'),
    httpTimeout: HAPROXY_HTTP_TIMEOUT,
    tunnelTimeout: HAPROXY_TUNNEL_TIMEOUT,
    site:
      n.mode === 'site'
        ? { httpsBind: bind(n.httpsPort), httpBind: bind(n.httpPort), crt: haproxyToken(crt, 'the certificate path') }
        : undefined,
  });
  return `${HAPROXY_BLOCK_BEGIN}\n${body.trimEnd()}\n${HAPROXY_BLOCK_END}\n`;
}

/** haproxy.cfg with our block replaced in place (or appended), every other line kept. */
export function withHaproxyBlock(existing: string | undefined, block: string): string {
  const lines = (existing ?? '').replace(/\n$/, '').split('\n');
  if (existing === undefined || existing === '') return block;
  const b = lines.findIndex((l) => l.trim() === HAPROXY_BLOCK_BEGIN);
  const e = b < 0 ? -1 : lines.findIndex((l, i) => i > b && l.trim() === HAPROXY_BLOCK_END);
  const blockLines = block.replace(/\n$/, '').split('\n');
  if (b >= 0 && e > b) lines.splice(b, e - b + 1, ...blockLines);
  else lines.push('', ...blockLines);
  return `${lines.join('\n')}\n`;
}

/** The ports the frontends outside our block already bind (a second frontend on one would not start). */
export function haproxyBoundPorts(cfg: string): Set<number> {
  const ports = new Set<number>();
  let inBlock = false;
  for (const line of cfg.split('\n')) {
    const t = line.trim();
    if (t === HAPROXY_BLOCK_BEGIN) inBlock = true;
    if (inBlock) {
      if (t === HAPROXY_BLOCK_END) inBlock = false;
      continue;
    }
    const m = /^bind\s+(\S+)/.exec(t);
    if (!m) continue;
    for (const addr of m[1]!.split(',')) {
      const p = /:(\d+)$/.exec(addr);
      if (p) ports.add(Number(p[1]));
    }
  }
  return ports;
}
