// proxy.conf of a media node on this host (janus-facts §7): the signaling proxy in front of its
// Janus, with the public key of every signaling server allowed to use it. No secret in this file.
import type { Deployment, ProxyNode } from '../model/deployment.js';
import { PROXY } from '../model/defaults.js';
import { renderTemplate } from './templates.js';

/** [tokens]: this server's own token id first, then the other signaling servers'. */
export function proxyTokens(d: Deployment, node: ProxyNode): { id: string; publicKey: string }[] {
  const own = d.mcu.type === 'proxy' ? [{ id: d.mcu.tokenId, publicKey: PROXY.publicKeyPath(d.mcu.tokenKey) }] : [];
  return [...own, ...node.tokens];
}

export function renderProxyConf(d: Deployment, node: ProxyNode, opts: { toolVersion: string }): string {
  return renderTemplate('proxy.conf.mustache', {
    hostname: d.hostname,
    toolVersion: opts.toolVersion,
    listen: node.listen,
    country: node.country,
    incoming: node.bandwidthIncoming ?? 0,
    outgoing: node.bandwidthOutgoing ?? 0,
    tokens: proxyTokens(d, node),
    janusUrl: node.janusUrl,
  });
}
