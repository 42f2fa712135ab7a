// nats-server's config for one signaling node of a cluster (cluster-facts §2): clients on the
// node's address, the route listener and a route to every other node (full mesh, core NATS), the
// monitoring port for /routez, and the payload limit and write deadline large meetings need.
// Every value is checked against nats-server's grammar here, whatever validated it before.
import { isIP } from 'node:net';
import { hostPort, natsRoutes, type Cluster, type SignalingNode } from '../model/cluster.js';
import { NATS_SERVER } from '../model/defaults.js';
import { isValidHostname } from '../model/urls.js';
import { renderTemplate } from './templates.js';

export class NatsConfigError extends Error {}

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const ROUTE = /^nats:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

function address(what: string, a: string): string {
  if (isIP(a) === 0 && !isValidHostname(a))
    throw new NatsConfigError(`${what} ${JSON.stringify(a)} is not an IP address or host name`);
  return a;
}
function port(what: string, p: number): number {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new NatsConfigError(`${what} ${p} is not a port (1-65535)`);
  return p;
}
function name(what: string, n: string): string {
  if (!NAME.test(n))
    throw new NatsConfigError(`${what} ${JSON.stringify(n)} is not 1-32 lower-case letters, digits and inner dashes`);
  return n;
}

export function renderNatsServerConf(c: Cluster, node: SignalingNode, opts: { toolVersion: string }): string {
  const at = (p: number, what: string) => hostPort(address(`node ${node.name}'s address`, node.address), port(what, p));
  const routes = natsRoutes(c, node).map((r) => {
    const m = ROUTE.exec(r);
    if (!m || (isIP(m[1]!.replace(/^\[|\]$/g, '')) === 0 && !isValidHostname(m[1]!)) || Number(m[2]) > 65535)
      throw new NatsConfigError(`the route ${JSON.stringify(r)} is not nats://HOST:PORT`);
    return r;
  });
  if (!/^[\x20-\x7e]*$/.test(opts.toolVersion) || /["\\]/.test(opts.toolVersion))
    throw new NatsConfigError('the tool version holds characters a comment cannot');
  return renderTemplate('nats-server.conf.mustache', {
    clusterName: name('the cluster name', c.name),
    node: name('the node name', node.name),
    serverName: `${c.name}-${node.name}`,
    toolVersion: opts.toolVersion,
    listen: at(node.natsPort, 'the NATS port'),
    monitor: at(node.natsMonitorPort, 'the NATS monitoring port'),
    clusterListen: at(node.natsClusterPort, 'the NATS route port'),
    routes,
    maxPayload: NATS_SERVER.maxPayload,
    writeDeadline: NATS_SERVER.writeDeadline,
  });
}
