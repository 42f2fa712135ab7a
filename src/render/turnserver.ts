// coturn for Talk (turn-facts §2): turnserver.conf as a block we own inside Debian's file, so the
// options an admin adds outside it survive every run; /etc/default/coturn with TURNSERVER_ENABLED;
// a certbot deploy hook that gives coturn a renewed certificate; the firewall ports to open.
import { janusRtpPorts, type Deployment, type TurnSetup } from '../model/deployment.js';
import { COTURN } from '../model/defaults.js';
import { DENIED_PEER_RANGES } from '../model/turn.js';
import { defaultCertificatePaths } from './nginx.js';

type LocalTurn = Extract<TurnSetup, { mode: 'local' }>;

export const BLOCK_BEGIN =
  '# BEGIN spreed-setup (managed: rewritten on every run; add your own options outside this block)';
export const BLOCK_END = '# END spreed-setup';

/** Options coturn reads once: an active one outside our block would fight ours, so it is commented out. */
const SINGLE_KEYS = new Set([
  'use-auth-secret',
  'static-auth-secret',
  'lt-cred-mech',
  'realm',
  'listening-port',
  'tls-listening-port',
  'cert',
  'pkey',
  'min-port',
  'max-port',
  'no-tls',
  'no-dtls',
  'cli-password',
]);

/** The certificate and key coturn uses for TLS: the site's (nginx's) own. */
export function turnCertificatePaths(d: Deployment): { certificate: string; key: string } {
  return {
    ...defaultCertificatePaths(d.hostname),
    ...(d.nginx.certificate ? { certificate: d.nginx.certificate } : {}),
    ...(d.nginx.key ? { key: d.nginx.key } : {}),
  };
}

/** The peers relayed clients may reach despite the denied ranges (this host's Janus). */
export function allowedPeers(t: LocalTurn): string[] {
  return [...new Set(t.allowedPeers)];
}

/** Our block of turnserver.conf, without the begin/end lines. */
export function renderTurnBlock(d: Deployment, t: LocalTurn, secret: string): string[] {
  const lines = [
    "# REST credentials (Talk, the signaling server for Janus): the secret is spreed-setup's turn-secret file.",
    'use-auth-secret',
    `static-auth-secret=${secret}`,
    `realm=${d.hostname}`,
    `listening-port=${t.port}`,
  ];
  if (t.tlsPort !== undefined) {
    const c = turnCertificatePaths(d);
    lines.push(`tls-listening-port=${t.tlsPort}`, `cert=${c.certificate}`, `pkey=${c.key}`);
  } else lines.push('no-tls', 'no-dtls');
  lines.push('no-tlsv1', 'no-tlsv1_1');
  if (t.externalIp) lines.push(`external-ip=${t.externalIp}`);
  lines.push(
    `min-port=${t.relayPorts.min}`,
    `max-port=${t.relayPorts.max}`,
    'fingerprint',
    'no-cli',
    'no-multicast-peers',
    'stale-nonce=600',
    'no-software-attribute',
    '# Relayed clients reach no private, loopback or link-local address (a-b ranges: coturn drops CIDR).',
    ...DENIED_PEER_RANGES.map((r) => `denied-peer-ip=${r}`),
  );
  const allowed = allowedPeers(t);
  if (allowed.length) {
    lines.push("# ... except this host's Janus (allowed wins over denied).");
    lines.push(...allowed.map((ip) => `allowed-peer-ip=${ip}`));
  }
  return lines;
}

const keyOf = (line: string): string | undefined => {
  const m = /^\s*(?:--)?([A-Za-z0-9_-]+)\s*(?:[=\s]|$)/.exec(line);
  return m && !line.trimStart().startsWith('#') ? m[1]!.toLowerCase() : undefined;
};

/**
 * turnserver.conf: what was there (Debian's commented file, an admin's options) kept line for line
 * outside our block, the block replaced; an active single-valued option of ours outside it is
 * commented out, saying so.
 */
export function renderTurnserverConf(d: Deployment, t: LocalTurn, secret: string, existing?: string): string {
  const block = [BLOCK_BEGIN, ...renderTurnBlock(d, t, secret), BLOCK_END];
  if (existing === undefined || existing.trim() === '')
    return [`# coturn for Nextcloud Talk on ${d.hostname}, written by spreed-setup.`, '', ...block, ''].join('\n');
  const out: string[] = [];
  let inBlock = false;
  let placed = false;
  for (const line of existing.replace(/\n$/, '').split('\n')) {
    if (line.trim() === BLOCK_BEGIN) {
      inBlock = true;
      continue;
    }
    if (inBlock) {
      if (line.trim() === BLOCK_END) {
        inBlock = false;
        if (!placed) out.push(...block);
        placed = true;
      }
      continue;
    }
    const k = keyOf(line);
    if (k && SINGLE_KEYS.has(k)) out.push(`# (spreed-setup: set in its block) ${line}`);
    else out.push(line);
  }
  if (!placed) out.push('', ...block);
  return out.join('\n') + '\n';
}

/** /etc/default/coturn with TURNSERVER_ENABLED=1 (Debian's init script starts nothing without it). */
export function renderCoturnDefaults(existing?: string): string {
  const text = (existing ?? '').replace(/\n$/, '');
  const lines = text === '' ? [] : text.split('\n');
  const i = lines.findIndex((l) => /^\s*#?\s*TURNSERVER_ENABLED\s*=/.test(l));
  if (i >= 0) lines[i] = 'TURNSERVER_ENABLED=1';
  else lines.push('TURNSERVER_ENABLED=1');
  return lines.join('\n') + '\n';
}

/**
 * certbot's deploy hook: after a renewal of this host's certificate, make it readable to
 * coturn's group and restart coturn (Debian's unit has no reload), so it serves the new one.
 */
export function renderCertbotHook(d: Deployment): string {
  const c = turnCertificatePaths(d);
  return `#!/bin/sh
# Written by spreed-setup: gives coturn (user ${COTURN.user}) the renewed certificate of ${d.hostname}.
set -e
case " \${RENEWED_DOMAINS:-${d.hostname}} " in
  *" ${d.hostname} "*) ;;
  *) exit 0 ;;
esac
for f in "${c.certificate}" "${c.key}"; do
  real=$(readlink -f "$f")
  chgrp ${COTURN.group} "$real" && chmod g+r "$real"
  dir=$(dirname "$f")
  while [ "$dir" != / ] && [ "$dir" != /etc ]; do chmod g+x,o+x "$dir" 2>/dev/null || true; dir=$(dirname "$dir"); done
  rdir=$(dirname "$real")
  while [ "$rdir" != / ] && [ "$rdir" != /etc ]; do chmod g+x,o+x "$rdir" 2>/dev/null || true; rdir=$(dirname "$rdir"); done
done
systemctl reload-or-restart ${COTURN.unit}
`;
}

export interface FirewallRule {
  port: string;
  proto: 'tcp' | 'udp';
  why: string;
}

/** Ports to open for this deployment: the site, TURN, its TLS port, the relay range, Janus's RTP range. */
export function firewallRules(d: Deployment): FirewallRule[] {
  const out: FirewallRule[] = [];
  if (d.nginx.mode !== 'none')
    out.push(
      { port: String(d.nginx.httpPort), proto: 'tcp', why: 'HTTP (certificate renewals)' },
      { port: String(d.nginx.httpsPort), proto: 'tcp', why: 'HTTPS (signaling)' },
    );
  const t = d.turnServer;
  if (t.mode === 'local') {
    out.push(
      { port: String(t.port), proto: 'udp', why: 'TURN/STUN' },
      { port: String(t.port), proto: 'tcp', why: 'TURN' },
    );
    if (t.tlsPort !== undefined)
      out.push(
        { port: String(t.tlsPort), proto: 'tcp', why: 'TURN over TLS' },
        { port: String(t.tlsPort), proto: 'udp', why: 'TURN over DTLS' },
      );
    out.push({ port: `${t.relayPorts.min}-${t.relayPorts.max}`, proto: 'udp', why: 'TURN relay range' });
  }
  // Janus on this host (ours, or a loopback MCU beside our coturn) takes media on its RTP range.
  if (d.janus || (t.mode === 'local' && d.mcu.type === 'janus' && /\/\/(127\.|localhost|\[::1\])/.test(d.mcu.url))) {
    const r = janusRtpPorts(d);
    out.push({ port: `${r.min}-${r.max}`, proto: 'udp', why: 'Janus RTP range' });
  }
  return out;
}

export function renderUfw(rules: FirewallRule[]): string {
  return rules.map((r) => `ufw allow ${r.port.replace('-', ':')}/${r.proto} comment "${r.why}"`).join('\n') + '\n';
}

export function renderNftables(rules: FirewallRule[]): string {
  return (
    rules.map((r) => `nft add rule inet filter input ${r.proto} dport ${r.port} accept comment "${r.why}"`).join('\n') +
    '\n'
  );
}

/** turnserver.conf as coturn reads it: every active option, by name, with its values in order. */
export function parseTurnserverConf(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:--)?([A-Za-z0-9_-]+)\s*(?:=\s*(.*)|\s+(.*))?$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const value = (m[2] ?? m[3] ?? '').trim().replace(/^"(.*)"$/, '$1');
    out.set(key, [...(out.get(key) ?? []), value]);
  }
  return out;
}
