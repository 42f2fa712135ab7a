// coturn's files for a TURN server on this host: turnserver.conf (0640 root:turnserver, it holds
// the secret), /etc/default/coturn, and with TLS the certbot deploy hook. Pure over HostFacts.
import type { Deployment, TurnSetup } from '../model/deployment.js';
import { COTURN } from '../model/defaults.js';
import { problem, type Problem } from '../errors.js';
import type { HostFacts } from '../io/host.js';
import {
  firewallRules,
  renderCertbotHook,
  renderCoturnDefaults,
  renderTurnserverConf,
  turnCertificatePaths,
} from '../render/turnserver.js';
import type { DesiredFile, Ownership } from './plan.js';

type LocalTurn = Extract<TurnSetup, { mode: 'local' }>;

function current(host: HostFacts, p: string): string | undefined {
  const f = host.file(p);
  return f?.kind === 'file' ? f.content : f?.kind === 'link' ? f.resolved?.content : undefined;
}

export function coturnFiles(
  d: Deployment,
  t: LocalTurn,
  secret: string,
  host: HostFacts,
): { desired: DesiredFile[]; notices: string[]; problems: Problem[] } {
  const notices: string[] = [];
  const problems: Problem[] = [];
  const gid = host.groupId(COTURN.group);
  const isRoot = host.uid === 0;
  const confOwn: Ownership =
    isRoot && gid !== undefined
      ? { mode: 0o640, uid: 0, gid, label: `root:${COTURN.group}` }
      : { mode: 0o600, label: isRoot ? 'root:root' : 'current user' };
  if (gid === undefined)
    notices.push(
      `coturn is not installed (no group ${COTURN.group}): apt install coturn, then run setup again so ${COTURN.configPath} is readable to it`,
    );
  let existingConf: string | undefined;
  try {
    existingConf = current(host, COTURN.configPath);
  } catch {
    problems.push(problem(`cannot read ${COTURN.configPath}`, 'run as root (sudo)'));
  }
  const desired: DesiredFile[] = [
    {
      path: COTURN.configPath,
      role: 'coturn',
      content: renderTurnserverConf(d, t, secret, existingConf),
      ownership: confOwn,
    },
    {
      path: COTURN.defaultsPath,
      role: 'coturn',
      content: renderCoturnDefaults(current(host, COTURN.defaultsPath)),
      ownership: { mode: 0o644, label: 'public' },
    },
  ];
  if (t.tlsPort !== undefined) {
    desired.push({
      path: COTURN.deployHookPath,
      role: 'coturn',
      content: renderCertbotHook(d),
      ownership: { mode: 0o755, label: 'public, executable' },
    });
    const c = turnCertificatePaths(d);
    notices.push(
      `coturn (user ${COTURN.user}) must read ${c.certificate} and ${c.key}: run ${COTURN.deployHookPath} once now; certbot runs it after every renewal`,
    );
  }
  if (t.allowedPeers.length === 0 && d.mcu.type === 'janus')
    notices.push(
      "Janus's address is not among coturn's allowed peers: relayed participants lose media when Janus advertises a private address; give --turn-allow-peer IP",
    );
  const rules = firewallRules(d);
  notices.push(`open in the firewall: ${rules.map((r) => `${r.port}/${r.proto}`).join(', ')}`);
  return { desired, notices, problems };
}
