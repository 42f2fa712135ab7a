// Renders Traefik's dynamic file configuration (frontends-facts.md §5; file provider, v2 and v3):
// a router for Host(`name`) && PathPrefix(`/base/`), a stripPrefix middleware, and a service
// pointing at the server's listen. Traefik passes websocket upgrades by itself, talks HTTP/1.1 to
// http:// servers and sets X-Real-Ip and X-Forwarded-For. Every string is written as a
// double-quoted YAML scalar (JSON's quoting, a subset of YAML's), and the values inside the rule
// must be plain tokens: a backtick or quote would end Traefik's rule string.
import type { Deployment } from '../model/deployment.js';
import { listenBase } from '../model/urls.js';
import { defaultCertificatePaths } from './nginx.js';

export const TRAEFIK_NAME = 'spreed-signaling';
/** The entry point name of Traefik's docs and most installs for :443. */
export const TRAEFIK_ENTRYPOINT = 'websecure';

/** A value that may go into a Traefik rule or the file, or an error (the model keeps these out). */
export function traefikToken(value: string, what: string): string {
  if (value === '' || /[\s`'"\\#\x00-\x1f\x7f]/.test(value))
    throw new Error(
      `${what} cannot go into Traefik's configuration: ${JSON.stringify(value)} has a space, quote, backtick, # or backslash`,
    );
  return value;
}

const q = (s: string) => JSON.stringify(s);

/** The dynamic configuration, or undefined for --web-mode none. */
export function renderTraefik(d: Deployment): string | undefined {
  const n = d.nginx;
  if (n.mode === 'none') return undefined;
  const host = traefikToken(d.hostname, 'the hostname');
  const basePath = traefikToken(d.basePath, 'the base path');
  const url = traefikToken(listenBase(d.listen), 'the listen address');
  const le = defaultCertificatePaths(d.hostname);
  const cert = n.mode === 'site' ? traefikToken(n.certificate ?? le.certificate, 'the certificate path') : undefined;
  const key = n.mode === 'site' ? traefikToken(n.key ?? le.key, 'the key path') : undefined;
  const lines = [
    `# Nextcloud Talk High Performance Backend at https://${host}${basePath} (written by spreed-setup).`,
    '# Traefik dynamic configuration (file provider): the prefix is stripped, the websocket on',
    `# ${basePath}/spreed passes by itself, HTTP/1.1 to the server.`,
    'http:',
    '  routers:',
    `    ${TRAEFIK_NAME}:`,
    `      rule: ${q(`Host(\`${host}\`) && PathPrefix(\`${basePath}/\`)`)}`,
    `      entryPoints: [${q(TRAEFIK_ENTRYPOINT)}]`,
    `      middlewares: [${q(`${TRAEFIK_NAME}-strip`)}]`,
    `      service: ${q(TRAEFIK_NAME)}`,
    '      tls: {}',
    '  middlewares:',
    `    ${TRAEFIK_NAME}-strip:`,
    '      stripPrefix:',
    `        prefixes: [${q(basePath)}]`,
    '  services:',
    `    ${TRAEFIK_NAME}:`,
    '      loadBalancer:',
    '        passHostHeader: true',
    '        servers:',
    `          - url: ${q(url)}`,
  ];
  if (cert && key) lines.push('tls:', '  certificates:', `    - certFile: ${q(cert)}`, `      keyFile: ${q(key)}`);
  return `${lines.join('\n')}\n`;
}
