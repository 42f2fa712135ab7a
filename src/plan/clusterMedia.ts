// A cluster's media node (setup --cluster FILE --node MEDIA): no signaling server on this machine,
// only the signaling proxy (proxy.conf with every signaling node's public key in [tokens], the
// keys themselves from the cluster secrets) and, when its Janus is on this machine, Janus's files
// as `--janus local` renders them. Pure over HostFacts.
import { problem, type Problem } from '../errors.js';
import type { HostFacts } from '../io/host.js';
import { nodeTokenKeyPath } from '../model/cluster.js';
import { PROXY } from '../model/defaults.js';
import type { Deployment } from '../model/deployment.js';
import { renderProxyConf } from '../render/proxyConf.js';
import { TURN_APIKEY } from '../secrets/secrets.js';
import { mediaBundle, type ClusterNodeContext } from './clusterBundle.js';
import { janusFiles } from './janusPlan.js';
import { linkProblems } from './buildPlan.js';
import { planChanges, PUBLIC_FILE, type DesiredFile, type Plan } from './plan.js';

export interface MediaPlan {
  plan: Plan;
  notices: string[];
  problems: Problem[];
}

export function buildMediaPlan(
  proxy: Deployment,
  janus: Deployment | undefined,
  ctx: { host: HostFacts; cluster: ClusterNodeContext; toolVersion: string; janusEvents: boolean },
): MediaPlan {
  const notices: string[] = [];
  const empty = (problems: Problem[]): MediaPlan => ({ plan: { changes: [], secretValues: [] }, notices, problems });
  const wantsTurnKey = janus?.turn !== undefined;
  const bundle = mediaBundle(ctx.cluster, ctx.host, wantsTurnKey ? [TURN_APIKEY] : []);
  if (bundle.problems.length) return empty(bundle.problems);
  const node = proxy.proxyNode;
  if (!node) return empty([problem('no media node to render', 'give a media node with --node')]);

  const desired: DesiredFile[] = [];
  for (const n of ctx.cluster.cluster.nodes) {
    const pem = bundle.pubs.get(n.name);
    if (pem === undefined) continue; // reported by mediaBundle
    desired.push({
      path: PROXY.publicKeyPath(nodeTokenKeyPath(n.name)),
      role: 'proxy',
      content: pem,
      ownership: PUBLIC_FILE,
    });
  }
  desired.push({
    path: PROXY.configPath,
    role: 'proxy',
    content: renderProxyConf(proxy, node, { toolVersion: ctx.toolVersion }),
    ownership: PUBLIC_FILE,
  });
  const problems: Problem[] = [];
  const turnKey = bundle.secrets.get(TURN_APIKEY.name);
  if (janus?.janus) {
    const j = janusFiles(janus, janus.janus, ctx.host, turnKey, ctx.janusEvents);
    desired.push(...j.desired);
    notices.push(...j.notices);
    problems.push(...j.problems);
  } else
    notices.push(
      `Janus of ${ctx.cluster.node} is not on this machine (${node.janusUrl}): its files are not written here`,
    );
  problems.push(...linkProblems(ctx.host, desired));
  if (problems.length) return empty(problems);
  notices.push(
    `open the proxy's port ${node.listen} to the signaling nodes (${ctx.cluster.cluster.nodes.map((n) => n.address).join(', ')}) only`,
  );
  return { plan: planChanges(ctx.host, desired, turnKey ? [turnKey] : []), notices, problems };
}
