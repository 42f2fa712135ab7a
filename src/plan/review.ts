// What the admin would otherwise learn the hard way, shown with the plan (setup and the wizard's
// review): the certificate the site needs and how to get it, the ports to open, where the logs are.
import { JANUS, PROXY } from '../model/defaults.js';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { certbotCommand, defaultCertificatePaths } from '../render/nginx.js';
import { WEB_SERVER_LABEL } from '../model/defaults.js';
import { webServerOf } from '../model/layout.js';
import type { Prepared } from './prepare.js';

export function adminFacts(p: Prepared): string[] {
  const d = p.deployment;
  const lines: string[] = [];
  if (p.mediaNode)
    return [
      `media node ${p.mediaNode}: the signaling proxy (${d.proxyNode?.listen ?? ''}) in front of its Janus; no signaling server on this machine`,
      `logs: journalctl -u ${PROXY.unit}; journalctl -u ${JANUS.unit}`,
    ];
  const site = d.nginx.mode === 'site';
  if (site) {
    const cert = d.nginx.certificate ?? defaultCertificatePaths(d.hostname).certificate;
    const have = existsSync(p.target.path(cert));
    lines.push(
      have
        ? `certificate: ${cert} (present; renewals keep ${d.nginx.acmeWebroot} reachable on port ${d.nginx.httpPort})`
        : isIP(d.hostname)
          ? `certificate: ${cert} is missing; Let's Encrypt issues none for an IP address: use your own (--tls-cert, --tls-key)`
          : `certificate: ${cert} is missing; get it first: ${certbotCommand(d)}`,
    );
  }
  if (d.nginx.mode !== 'none') {
    const ports = site
      ? [`${d.nginx.httpPort}/tcp (HTTP, certificate renewals)`, `${d.nginx.httpsPort}/tcp (HTTPS and the websocket)`]
      : ["your site's HTTPS port"];
    lines.push(`ports to open to the internet: ${ports.join(', ')}`);
  }
  const front = d.nginx.mode === 'none' ? undefined : d.nginx.server;
  const frontLog =
    front === 'nginx'
      ? p.layout.nginx.binary
        ? '; nginx: /var/log/nginx/error.log'
        : ''
      : front === 'apache'
        ? '; Apache: /var/log/apache2/error.log'
        : front
          ? `; ${WEB_SERVER_LABEL[front]}: journalctl -u ${webServerOf(p.layout, front).unit}`
          : '';
  lines.push(`logs: journalctl -u ${p.layout.unit}${frontLog}`);
  return lines;
}
