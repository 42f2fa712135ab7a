// Janus's files for Janus on this host: janus.jcfg (0600, Debian's Janus runs as root and the
// file may hold the TURN REST key) and the websockets transport. Pure over HostFacts.
import path from 'node:path';
import { janusRtpPorts, type Deployment, type JanusLocal } from '../model/deployment.js';
import { JANUS } from '../model/defaults.js';
import { problem, type Problem } from '../errors.js';
import type { HostFacts } from '../io/host.js';
import { LibconfigError } from '../render/libconfig.js';
import { renderJanusEvents, renderJanusJcfg, renderJanusWebsockets } from '../render/janus.js';
import type { DesiredFile, Ownership } from './plan.js';

function current(host: HostFacts, p: string): string | undefined {
  const f = host.file(p);
  return f?.kind === 'file' ? f.content : f?.kind === 'link' ? f.resolved?.content : undefined;
}

export const janusPaths = {
  main: path.posix.join(JANUS.configDir, JANUS.mainFile),
  websockets: path.posix.join(JANUS.configDir, JANUS.websocketsFile),
  events: path.posix.join(JANUS.configDir, JANUS.eventsFile),
};

export function janusFiles(
  d: Deployment,
  j: JanusLocal,
  host: HostFacts,
  turnApiKey?: string,
  /** The server takes Janus's event handler (2.1.0+): media metrics. */
  events = false,
): { desired: DesiredFile[]; notices: string[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const notices: string[] = [];
  const own: Ownership = { mode: 0o600, label: host.uid === 0 ? 'root:root' : 'current user' };
  const desired: DesiredFile[] = [];
  const files: Array<[string, (existing?: string) => string]> = [
    [janusPaths.main, (e) => renderJanusJcfg(d, j, e, turnApiKey, events)],
    [janusPaths.websockets, (e) => renderJanusWebsockets(d, e)],
    ...(events
      ? [[janusPaths.events, (e?: string) => renderJanusEvents(d, e)] as [string, (e?: string) => string]]
      : []),
  ];
  for (const [p, render] of files) {
    let existing: string | undefined;
    try {
      existing = current(host, p);
    } catch {
      problems.push(problem(`cannot read ${p}`, 'run as root (sudo)'));
      continue;
    }
    try {
      desired.push({ path: p, role: 'janus', content: render(existing), ownership: own });
    } catch (err) {
      if (!(err instanceof LibconfigError)) throw err;
      problems.push(
        problem(
          `${p} is not valid libconfig (${err.message})`,
          `fix that line (janus would not start either), then run again`,
        ),
      );
    }
  }
  if (current(host, janusPaths.main) === undefined)
    notices.push(`Janus is not configured here yet (no ${janusPaths.main}): apt install janus, then run setup again`);
  if (j.publicIps.length === 0)
    notices.push(
      'Janus offers its own addresses: behind 1:1 NAT (a cloud VM) give --janus-public-ip IP, else calls fail outside the LAN',
    );
  if (d.turnServer.mode !== 'local') {
    // (With coturn here, its notice lists every port, Janus's range included.)
    const r = janusRtpPorts(d);
    notices.push(`open in the firewall: ${r.min}-${r.max}/udp (Janus RTP range)`);
  }
  return { desired, notices, problems };
}
