// `check --cluster FILE`: the cluster as a whole (cluster-facts §4, §6). Every signaling node's
// welcome and version, every nats-server's routes, a message and a control from a session on one
// node to a session on each other node (NATS, and identical session keys), this node's secrets
// against the cluster's bundle (fingerprints only), gRPC peers (serverinfo, 2.0.3+), and each media
// node's proxy with this node's token. Each failure names the node and its fix.
import {
  hostPort,
  natsMembers,
  type Cluster,
  type MediaNode,
  type NatsMember,
  type SignalingNode,
} from '../../model/cluster.js';
import { PROXY } from '../../model/defaults.js';
import {
  formatVersion,
  parseVersion,
  reportsServerInfo,
  TRAIT_SINCE,
  versionFromFeatures,
} from '../../model/versions.js';
import { BLOCKKEY, fingerprint, HASHKEY, INTERNALSECRET } from '../../secrets/secrets.js';
import type { ClusterCheckSetup } from '../clusterSetup.js';
import type { CheckIO } from '../io.js';
import type { CheckDef, Outcome } from '../runner.js';
import { fail, info, noAnswer, pass, skip, warn } from './outcome.js';

export type ClusterIO = Pick<CheckIO, 'welcome' | 'request' | 'serverInfo' | 'proxyHello' | 'crossNodeMessage'>;

/** nats-server's systemd unit (Debian's), for fixes. */
const NATS_UNIT = 'nats-server';
/** Time the cross-node probe leaves the runner to close its sockets. */
const CLOSE_MARGIN_MS = 400;

const nodeBase = (n: SignalingNode) => `http://${hostPort(n.address, n.httpPort)}`;
const nodeWs = (n: SignalingNode) => `ws://${hostPort(n.address, n.httpPort)}/spreed`;
const welcomeId = (n: SignalingNode) => `cluster.node.${n.name}`;

interface WelcomeData {
  version?: string;
  reported: string;
  features: string[];
}

/** The node whose sessions send the cross-node messages: this machine's (--node), else the first. */
function senderNode(c: Cluster, node: string | undefined): SignalingNode {
  return c.nodes.find((n) => n.name === node) ?? c.nodes[0]!;
}

export function clusterChecks(s: ClusterCheckSetup, io: ClusterIO): CheckDef[] {
  const c = s.file.cluster;
  const defs: CheckDef[] = [];
  const bundleFix = `copy them from the cluster secrets (${s.bundle.where})`;

  // ------------------------------------------------------------------ every node's welcome
  for (const n of c.nodes) {
    defs.push({
      id: welcomeId(n),
      title: `Node ${n.name}`,
      timeoutFix: `${n.name} accepts connections on ${hostPort(n.address, n.httpPort)} but does not answer: restart it there (systemctl restart ${s.unit})`,
      async run(ctx) {
        const base = nodeBase(n);
        const w = await io.welcome(base, { timeoutMs: ctx.left() });
        if (!w.ok) {
          const a = noAnswer(w, base);
          return fail(
            a.detail,
            a.kind === 'refused'
              ? `start the signaling server on ${n.name}: systemctl start ${s.unit} (it listens only once NATS answers; journalctl -u ${s.unit} says why it stopped)`
              : a.kind === 'dns'
                ? `correct ${n.name}'s address in ${s.filePath}, or make ${n.address} resolve from here`
                : `check that this host reaches ${hostPort(n.address, n.httpPort)} (firewall) and that ${n.name}'s [http] listen is that address`,
          );
        }
        const json = w.json as { 'nextcloud-spreed-signaling'?: unknown; version?: unknown } | undefined;
        if (w.status !== 200 || json?.['nextcloud-spreed-signaling'] !== 'Welcome')
          return fail(
            `${base} answers HTTP ${w.status}, not as the signaling server`,
            `make ${n.name}'s [http] listen ${hostPort(n.address, n.httpPort)} (the cluster file's httpPort), or correct httpPort in ${s.filePath}`,
          );
        const reported = typeof json.version === 'string' ? json.version : 'unknown';
        const v = parseVersion(reported);
        const data: WelcomeData = { reported, features: w.features, ...(v ? { version: formatVersion(v) } : {}) };
        // A build without a version ("unreleased": go install, NixOS) is judged by its features.
        const shown = v ? reported : `${reported} (features say ${versionFromFeatures(w.features)} or newer)`;
        return pass(`welcome from ${base}, version ${shown}`, { ...data });
      },
    });
  }

  // ------------------------------------------------------------------ the versions agree
  defs.push({
    id: 'cluster.versions',
    title: 'Same version',
    async run(ctx) {
      const seen = await Promise.all(c.nodes.map((n) => ctx.outcome(welcomeId(n))));
      const versions = c.nodes
        .map((n, i) => ({ n, d: seen[i]?.status === 'pass' ? (seen[i]!.data as unknown as WelcomeData) : undefined }))
        .filter((x) => x.d !== undefined);
      if (versions.length < 2) return skip(`skipped: fewer than two nodes answered`);
      const distinct = new Set(versions.map((x) => x.d!.version ?? x.d!.reported));
      if (distinct.size === 1) return pass(`every answering node runs ${[...distinct][0]}`);
      return warn(
        `the nodes run different versions: ${versions.map((x) => `${x.n.name} ${x.d!.reported}`).join(', ')}`,
        'upgrade every node to the same release (nodes of different versions connect but warn "running different version")',
      );
    },
  });

  // ------------------------------------------------------------------ NATS routes
  const members = natsMembers(c);
  const memberName = (m: NatsMember, i: number) =>
    m.node ? `node ${m.node}'s nats-server` : `NATS member ${i + 1} (${m.monitorUrl})`;
  if (members.length === 0) {
    defs.push({
      id: 'cluster.nats',
      title: 'NATS cluster',
      async run() {
        return info(
          `routes not checked: the cluster file gives no monitorUrls for the external NATS cluster (${c.nats.mode === 'external' ? c.nats.urls.join(', ') : ''})`,
        );
      },
    });
  }
  members.forEach((m, i) => {
    const want = members.length - 1;
    const where = m.node ? m.node : `the NATS member at ${m.monitorUrl}`;
    defs.push({
      id: `cluster.nats.${m.node ?? i + 1}`,
      title: m.node ? `NATS on ${m.node}` : `NATS member ${i + 1}`,
      async run(ctx) {
        const url = `${m.monitorUrl}/routez`;
        const r = await io.request(url, {
          method: 'GET',
          headers: { Accept: 'application/json' },
          timeoutMs: ctx.left(),
        });
        if (!r.ok) {
          const a = noAnswer(r, m.monitorUrl);
          return fail(
            a.kind === 'refused'
              ? `${memberName(m, i)} is not running: nothing listens on its monitoring port (${m.monitorUrl})`
              : `${memberName(m, i)}: ${a.detail}`,
            a.kind === 'refused'
              ? `start it on ${where}: systemctl start ${NATS_UNIT} (its config needs the monitoring port and routes to the other members)`
              : `check that this host reaches ${m.monitorUrl} (firewall) and that ${where}'s nats-server runs with -m / http_port`,
          );
        }
        let routes: { remote_id?: unknown }[] | undefined;
        try {
          routes = (JSON.parse(r.body) as { routes?: { remote_id?: unknown }[] }).routes ?? [];
        } catch {
          routes = undefined;
        }
        if (r.status !== 200 || routes === undefined)
          return fail(
            `${memberName(m, i)}: ${url} answers HTTP ${r.status}, not nats-server's /routez`,
            `point the monitoring port of ${where} at nats-server (-m PORT), or correct it in ${s.filePath}`,
          );
        const peers = new Set(routes.map((x) => String(x.remote_id))).size;
        if (peers < want)
          return fail(
            `${memberName(m, i)} routes to ${peers} of the ${want} other NATS server${want === 1 ? '' : 's'}: the NATS cluster is split`,
            `on ${where}, give nats-server the cluster name "${c.name}" and routes to every other member's route port (and open those ports); then restart it: systemctl restart ${NATS_UNIT}`,
          );
        return pass(`${peers} route${peers === 1 ? '' : 's'} (cluster of ${members.length})`);
      },
    });
  });

  // ------------------------------------------------------------------ message and control across nodes
  const from = senderNode(c, s.node);
  const internal = s.local?.values.get(INTERNALSECRET.name) ?? s.bundle.values.get(INTERNALSECRET.name);
  const secretWhere = s.local?.values.has(INTERNALSECRET.name) ? s.local.where : s.bundle.where;
  for (const to of c.nodes.filter((n) => n.name !== from.name)) {
    defs.push({
      id: `cluster.message.${from.name}.${to.name}`,
      title: `${from.name} → ${to.name}`,
      needs: [welcomeId(from), welcomeId(to)],
      timeoutFix: `a node accepted the websocket but never answered the hello: restart the signaling servers (systemctl restart ${s.unit})`,
      async run(ctx) {
        if (!internal)
          return skip(
            `skipped: no internal secret to open sessions with (${s.local?.error ?? s.bundle.error ?? 'none found'}); give --node NAME on a signaling node, or --cluster-secrets DIR`,
          );
        if (!s.backendUrl) return skip('skipped: the cluster file has no backend URL');
        const r = await io.crossNodeMessage(nodeWs(from), nodeWs(to), {
          secret: internal,
          backend: s.backendUrl,
          timeoutMs: Math.max(500, ctx.left() - CLOSE_MARGIN_MS),
        });
        if (!r.ok) {
          const node = r.side === 'sender' ? from : to;
          if (r.code === 'invalid_token')
            return fail(
              `node ${node.name} refuses the internal secret of ${secretWhere}`,
              `node ${node.name}'s [clients] internalsecret differs: copy internalsecret from the cluster secrets (${s.bundle.where}) into its server.conf and restart it (systemctl restart ${s.unit})`,
            );
          if (r.code === 'invalid_backend')
            return fail(
              `node ${node.name} does not know the backend ${s.backendUrl}`,
              `render ${node.name} from the same cluster file: spreed-setup setup --cluster ${s.filePath} --node ${node.name}`,
            );
          return fail(
            `no session on node ${node.name}: ${r.code}${r.message ? ` (${r.message})` : ''}`,
            `check ${node.name}'s websocket at ${nodeWs(node)} (journalctl -u ${s.unit} on ${node.name})`,
          );
        }
        if (!r.message)
          return fail(
            `a message from a session on ${from.name} did not reach a session on ${to.name} within ${(r.ms / 1000).toFixed(1)} s`,
            `${from.name} and ${to.name} do not share one NATS cluster: give both the same [nats] url (every node's NATS) and check the NATS checks above`,
          );
        if (!r.control)
          return fail(
            `node ${to.name}'s session keys differ from node ${from.name}'s: a message arrived, but the control message was dropped (${from.name} cannot decode ${to.name}'s session ids)`,
            `copy hashkey and blockkey from the cluster secrets (${s.bundle.where}/${HASHKEY.name}, ${s.bundle.where}/${BLOCKKEY.name}) into [sessions] of every node's server.conf, then restart the signaling servers`,
          );
        return pass(`a message and a control message arrived (${r.ms} ms): one NATS cluster, the same session keys`);
      },
    });
  }

  // ------------------------------------------------------------------ this node's secrets against the bundle
  defs.push({
    id: 'cluster.secrets',
    title: 'Shared secrets',
    async run() {
      if (!s.local)
        return skip('skipped: give --node NAME on a signaling node to compare its secrets with the cluster secrets');
      if (s.local.error || s.local.values.size === 0)
        return skip(`skipped: ${s.node}'s server.conf is not readable (${s.local.error ?? 'no secrets'})`);
      if (s.bundle.values.size === 0)
        return skip(`skipped: the cluster secrets are not readable (${s.bundle.error ?? s.bundle.where})`);
      const names = [...s.bundle.values.keys()].filter((k) => s.local!.values.has(k));
      const differ = names.filter((k) => s.local!.values.get(k) !== s.bundle.values.get(k));
      if (differ.length) {
        const keys = differ.includes(HASHKEY.name) || differ.includes(BLOCKKEY.name);
        return fail(
          `${s.node}'s ${differ
            .map((k) => `${k} (${fingerprint(s.local!.values.get(k)!)})`)
            .join(', ')} differ${differ.length === 1 ? 's' : ''} from the cluster secrets' (${differ
            .map((k) => fingerprint(s.bundle.values.get(k)!))
            .join(', ')})`,
          `${keys ? 'the session keys must be identical on every node (cluster-facts §4): ' : ''}${bundleFix} into ${s.local.where}, then restart it: systemctl restart ${s.unit}`,
        );
      }
      const hk = s.bundle.values.get(HASHKEY.name);
      return pass(
        `${names.join(', ')} of ${s.node} match the cluster secrets${hk ? ` (hashkey ${fingerprint(hk)})` : ''}`,
      );
    },
  });

  // ------------------------------------------------------------------ gRPC peers (serverinfo, 2.0.3+)
  for (const n of c.nodes) {
    defs.push({
      id: `cluster.grpc.${n.name}`,
      title: `gRPC of ${n.name}`,
      needs: [welcomeId(n)],
      async run(ctx): Promise<Outcome> {
        const w = (await ctx.outcome(welcomeId(n)))?.data as unknown as WelcomeData | undefined;
        if (!w || !reportsServerInfo(w.features ?? [], w.version))
          return info(
            `${n.name} runs ${w?.reported ?? 'an unknown version'}: gRPC connections are not reported before ${TRAIT_SINCE.serverInfo} (serverinfo)`,
          );
        const url = `${nodeBase(n)}/api/v1/serverinfo`;
        const r = await io.serverInfo(nodeBase(n), { timeoutMs: ctx.left() });
        if (!r.ok) return fail(`${n.name}: ${noAnswer(r, url).detail}`, `check ${n.name}'s [http] listen`);
        if (r.status === 403)
          return fail(
            `${n.name} does not let this host read ${url} (HTTP 403)`,
            `add this host's address${r.localAddress ? ` (${r.localAddress})` : ''} to [stats] allowed_ips on ${n.name}`,
          );
        const grpc = r.info?.grpc ?? (r.info ? [] : undefined);
        if (r.status !== 200 || !grpc)
          return fail(`${n.name}: ${url} answers HTTP ${r.status}`, `check ${n.name}'s server`);
        const down = grpc.filter((g) => g.connected !== true).map((g) => String(g.target));
        const want = c.nodes.length - 1;
        if (down.length)
          return fail(
            `${n.name} is not connected to gRPC target${down.length === 1 ? '' : 's'} ${down.join(', ')}`,
            `make sure ${n.name} reaches ${down.join(', ')} and that the node there has [grpc] listen on that address (right after a node starts, gRPC retries with a backoff: run check again in a few seconds); then restart ${n.name}`,
          );
        if (grpc.length < want)
          return fail(
            `${n.name} has ${grpc.length} gRPC peer${grpc.length === 1 ? '' : 's'}, the cluster has ${want} other node${want === 1 ? '' : 's'}`,
            `give ${n.name} every node in [grpc] targets (or the cluster's discovery), as setup --cluster renders it`,
          );
        return pass(`connected to ${grpc.map((g) => String(g.target)).join(', ')}`);
      },
    });
  }

  // ------------------------------------------------------------------ media nodes with this node's token
  for (const m of c.media) defs.push(mediaCheck(s, io, m));
  return defs;
}

function mediaCheck(s: ClusterCheckSetup, io: ClusterIO, m: MediaNode): CheckDef {
  const base = `http://${hostPort(m.address, m.proxyPort)}`;
  return {
    id: `cluster.media.${m.name}`,
    title: `Media ${m.name}`,
    async run(ctx) {
      if (!s.token) return skip(`skipped: ${s.tokenError ?? 'no proxy token key'}`);
      const r = await io.proxyHello(base, {
        tokenId: s.token.id,
        privateKeyPem: s.token.privateKeyPem,
        timeoutMs: ctx.left(),
      });
      if (r.ok)
        return pass(`the proxy at ${base} accepts ${s.token.id}'s token${r.country ? ` (country ${r.country})` : ''}`);
      if (r.code === 'token_rejected')
        return fail(
          `the proxy of ${m.name} rejects ${s.token.id}'s token: ${r.message}`,
          `list ${s.token.id}'s public key in [tokens] of ${m.name}'s proxy.conf (${s.token.id} = the .pub beside ${s.token.where}) and restart the proxy there`,
        );
      if (r.code === 'bad_key')
        return fail(
          `${s.token.where} is not a usable RSA private key`,
          `render it again: spreed-setup setup --cluster ${s.filePath} --node ${s.token.id}`,
        );
      const a = noAnswer(r, base);
      return fail(
        `media node ${m.name}: ${a.detail}`,
        a.kind === 'refused'
          ? `start the signaling proxy on ${m.name}: systemctl start ${PROXY.unit}`
          : `check that this host reaches ${base} (firewall)`,
      );
    },
  };
}
