// From a validated deployment to a plan: resolve secrets, render every file for the target
// version, prove server.conf reads back as meant, and compare with what is on the host. Pure: the
// host (files already there, uid, groups, nginx version) comes in through the HostFacts door.
import { isIpAddress } from '../model/urls.js';
import path from 'node:path';
import type { Deployment } from '../model/deployment.js';
import type { ServerTraits } from '../model/versions.js';
import type { Layout } from '../model/layout.js';
import { UnreadableFile, type FileFact, type HostFacts } from '../io/host.js';
import type { ExistingInstall } from '../detect/existing.js';
import { resolveSecrets, secretSpecsFor, TURN_APIKEY, TURN_SECRET, type Secrets } from '../secrets/secrets.js';
import { compatibilityProblems, readBackDifferences, renderServerConf } from '../render/serverConf.js';
import { certbotCommand, defaultCertificatePaths, renderNginx } from '../render/nginx.js';
import { problem, type Problem } from '../errors.js';
import { renderState, statePath } from '../detect/installed.js';
import type { MachineLimits } from '../model/capacity.js';
import { planChanges, PUBLIC_FILE, type DesiredFile, type Ownership, type Plan } from './plan.js';
import { capacityFiles, UNKNOWN_MACHINE } from './capacityPlan.js';
import { coturnFiles } from './coturnPlan.js';
import { janusFiles } from './janusPlan.js';
import { proxyFiles } from './proxyPlan.js';
import { PROXY_TOKEN_SECRET, resolveTokenKey } from '../secrets/tokenKey.js';
import { bundleDesired, signalingBundle, type ClusterNodeContext } from './clusterBundle.js';
import { NATS_SERVER, PROXY } from '../model/defaults.js';
import { NatsConfigError, renderNatsServerConf } from '../render/natsServer.js';
import { apacheSitesServing, siteName, sitesServing } from './nginxSites.js';
import { apacheFiles } from './apachePlan.js';
import { caddyFiles } from './caddyPlan.js';
import { haproxyFiles } from './haproxyPlan.js';
import { traefikFiles } from './traefikPlan.js';
import { firewallRules, renderNftables, renderUfw } from '../render/turnserver.js';

export interface PlanContext {
  host: HostFacts;
  layout: Layout;
  traits: ServerTraits;
  existing: ExistingInstall;
  rotate: ReadonlySet<string>;
  /** Secret values to take over on purpose (see resolveSecrets). */
  adopt?: ReadonlyMap<string, string>;
  toolVersion: string;
  /** The installed server's version, as detected now (recorded with what was rendered). */
  installedVersion?: string;
  /** CPUs and open-files caps, for sizing to --sessions (default: UNKNOWN_MACHINE). */
  machine?: MachineLimits;
  /** Show the firewall commands for these ports (--firewall). */
  firewall?: 'ufw' | 'nftables';
  /** One node of a cluster (setup --cluster FILE --node NAME): its shared secrets come from the bundle. */
  cluster?: ClusterNodeContext;
}

export interface BuiltPlan {
  plan: Plan;
  secrets: Secrets;
  notices: string[];
  problems: Problem[];
}

/** Secrets: 0640 root:<service group> when we can give the service its group, else 0600. */
export function secretOwnership(layout: Layout, host: HostFacts): Ownership {
  const gid = host.groupId(layout.serviceGroup);
  const isRoot = host.uid === 0;
  if (isRoot && gid !== undefined) return { mode: 0o640, uid: 0, gid, label: `root:${layout.serviceGroup}` };
  return { mode: 0o600, label: isRoot ? 'root:root' : 'current user' };
}

function exists(host: HostFacts, p: string): boolean {
  try {
    return host.file(p) !== undefined;
  } catch {
    return true; // there, though unreadable to us: the web server may still read it
  }
}

export function buildPlan(d: Deployment, ctx: PlanContext): BuiltPlan {
  const notices: string[] = [];
  const problems: Problem[] = compatibilityProblems(d, ctx.traits).map((m) =>
    problem(m, `change the setup, or render for a newer server with --server-version`),
  );
  const specs = secretSpecsFor(d);
  const rotateKnown = new Set([
    'all',
    ...specs.map((s) => s.name),
    ...(d.mcu.type === 'proxy' ? [PROXY_TOKEN_SECRET] : []),
  ]);
  for (const r of ctx.rotate)
    if (!rotateKnown.has(r))
      problems.push(problem(`--rotate ${r}: no such secret`, `one of ${[...rotateKnown].join(', ')}`));

  // A cluster node: the shared secrets from the bundle (the front node generates what it lacks).
  let ownKey: string | undefined;
  try {
    const f = d.mcu.type === 'proxy' ? ctx.host.file(d.mcu.tokenKey) : undefined;
    ownKey = f?.kind === 'file' ? f.content : undefined;
  } catch {
    /* reported by proxyFiles */
  }
  const bundle = ctx.cluster
    ? signalingBundle(ctx.cluster, ctx.host, specs, {
        rotate: ctx.rotate,
        ...(ownKey !== undefined ? { ownKey } : {}),
        rotateTokens: ctx.rotate.has('all') || ctx.rotate.has(PROXY_TOKEN_SECRET),
        resolveKey: (existing, rotate) => resolveTokenKey(existing, { rotate, bits: PROXY.keyBits }),
      })
    : undefined;
  if (bundle?.problems.length)
    return {
      plan: { changes: [], secretValues: [] },
      secrets: new Map(),
      notices,
      problems: [...problems, ...bundle.problems],
    };
  const adopt = bundle ? new Map([...bundle.adopt, ...(bundle.generator && ctx.adopt ? ctx.adopt : [])]) : ctx.adopt;
  const fileRead: Problem[] = [];
  const resolved = resolveSecrets(specs, {
    // The bundle's values stand; on the front node a rotation renews them in the bundle too.
    rotate: bundle && !bundle.generator ? new Set() : ctx.rotate,
    ...(adopt?.size ? { adopt } : {}),
    fromConfig: (s) => ctx.existing.reading?.secrets.get(s.name),
    fromFile: (s) => {
      const file = path.join(ctx.layout.secretsDir, s.name);
      try {
        const f = ctx.host.file(file);
        if (f?.kind === 'file') return f.content.trim();
        if (f?.kind === 'link') return undefined; // refused below with the other links
        if (f)
          fileRead.push(
            problem(`cannot read secret file ${file}: not a regular file`, 'make it a regular file, or move it away'),
          );
      } catch (err) {
        if (!(err instanceof UnreadableFile)) throw err;
        fileRead.push(
          problem(`cannot read secret file ${file}: ${err.code}`, 'run as root (sudo), or fix its permissions'),
        );
      }
      return undefined;
    },
  });
  problems.push(...fileRead, ...resolved.problems);
  notices.push(...resolved.notices);
  if (problems.length) return { plan: { changes: [], secretValues: [] }, secrets: resolved.secrets, notices, problems };

  for (const s of resolved.secrets.values()) {
    if (s.origin === 'rotated')
      notices.push(`${s.spec.name} rotated: every party that shares it must get the new value`);
    if (s.spec === TURN_SECRET && s.origin === 'generated' && d.turnServer.mode === 'none')
      notices.push(
        `a new TURN secret was generated: set coturn's static-auth-secret to the content of ${path.join(ctx.layout.secretsDir, TURN_SECRET.name)}`,
      );
  }

  const conf = renderServerConf(d, resolved.secrets, {
    traits: ctx.traits,
    secretsDir: ctx.layout.secretsDir,
    toolVersion: ctx.toolVersion,
  });
  const diffs = readBackDifferences(conf, d, resolved.secrets);
  if (diffs.length) {
    return {
      plan: { changes: [], secretValues: [] },
      secrets: resolved.secrets,
      notices,
      problems: diffs.map((m) =>
        problem(
          `the server would read the rendered config differently: ${m}`,
          "change the value so it survives the server's config parser",
        ),
      ),
    };
  }

  const secretOwn = secretOwnership(ctx.layout, ctx.host);
  const desired: DesiredFile[] = [
    { path: ctx.layout.configPath, role: 'server-config', content: conf, ownership: secretOwn },
    {
      path: statePath(ctx.layout),
      role: 'state',
      content: renderState(d, {
        ...(ctx.traits.known ? { version: ctx.traits.version } : {}),
        ...(ctx.installedVersion ? { installed: ctx.installedVersion } : {}),
      }),
      ownership: PUBLIC_FILE,
    },
  ];
  for (const s of resolved.secrets.values()) {
    desired.push({
      path: path.join(ctx.layout.secretsDir, s.spec.name),
      role: 'secret',
      content: s.value + '\n',
      ownership: secretOwn,
    });
  }

  const nl = ctx.layout.nginx;
  const onNginx = d.nginx.server === 'nginx';
  const serving = d.nginx.mode === 'none' || !onNginx ? [] : sitesServing(ctx.host, nl, d.hostname);
  const apacheServing =
    d.nginx.mode === 'none' || d.nginx.server !== 'apache'
      ? []
      : apacheSitesServing(ctx.host, ctx.layout.apache, d.hostname);
  if (d.nginx.mode === 'site' && apacheServing.length) {
    problems.push(
      problem(
        `${d.hostname} is already served by the Apache site ${apacheServing.map(siteName).join(', ')}: Apache would pick the first <VirtualHost> with that name, and a second one would never answer`,
        `use --web-mode snippet and Include ${ctx.layout.apache.snippetPath} inside that <VirtualHost>, or choose another --hostname`,
      ),
    );
  }
  if (d.nginx.mode === 'site' && serving.length) {
    problems.push(
      problem(
        `${d.hostname} is already served by the nginx site ${serving.map(siteName).join(', ')}: a second site with that server_name would be ignored by nginx ("conflicting server name"), and every request would still go to the first one`,
        `use --nginx snippet and include ${nl.snippetPath} inside that site's server block, or choose another --hostname`,
      ),
    );
  }
  if (d.nginx.server === 'caddy' && d.nginx.mode !== 'none') {
    const caddy = caddyFiles(d, ctx.host, ctx.layout.caddy);
    desired.push(...caddy.desired);
    notices.push(...caddy.notices);
    if (d.nginx.mode === 'site' && d.nginx.certificate && d.nginx.key) certificateCheck(d, ctx.host, notices, problems);
  }
  if (d.nginx.server === 'haproxy' && d.nginx.mode !== 'none') {
    const haproxy = haproxyFiles(d, ctx.host, ctx.layout.haproxy);
    desired.push(...haproxy.desired);
    notices.push(...haproxy.notices);
    problems.push(...haproxy.problems);
    if (d.nginx.mode === 'site') certificateCheck(d, ctx.host, notices, problems);
  }
  if (d.nginx.server === 'traefik' && d.nginx.mode !== 'none') {
    const traefik = traefikFiles(d, ctx.layout.traefik);
    desired.push(...traefik.desired);
    notices.push(...traefik.notices);
    if (d.nginx.mode === 'site') certificateCheck(d, ctx.host, notices, problems);
  }
  if (d.nginx.server === 'apache' && d.nginx.mode !== 'none') {
    const apache = apacheFiles(d, ctx.host, ctx.layout.apache, apacheServing.map(siteName));
    desired.push(...apache.desired);
    notices.push(...apache.notices);
    problems.push(...apache.problems);
    if (d.nginx.mode === 'site') certificateCheck(d, ctx.host, notices, problems);
  }
  if (onNginx && d.nginx.mode !== 'none') {
    const files = renderNginx(d, {
      layout: nl,
      ...(ctx.host.nginxVersion ? { nginxVersion: ctx.host.nginxVersion } : {}),
    });
    desired.push({ path: nl.upstreamPath, role: 'nginx', content: files.upstream, ownership: PUBLIC_FILE });
    if (files.site !== undefined) {
      desired.push({ path: nl.sitePath, role: 'nginx', content: files.site, ownership: PUBLIC_FILE });
      if (nl.enabledLink)
        desired.push({
          path: nl.enabledLink,
          role: 'nginx',
          linkTarget: path.relative(path.dirname(nl.enabledLink), nl.sitePath),
          ownership: PUBLIC_FILE,
        });
      certificateCheck(d, ctx.host, notices, problems);
    }
    if (files.snippet !== undefined) {
      desired.push({ path: nl.snippetPath, role: 'nginx', content: files.snippet, ownership: PUBLIC_FILE });
      notices.push(
        `add "include ${nl.snippetPath};" inside the server block of ${d.hostname}${serving.length ? ` in ${serving.map(siteName).join(', ')}` : ''} (the upstream is in ${nl.upstreamPath})`,
      );
    }
  }

  const turnSecret = resolved.secrets.get(TURN_SECRET.name)?.value;
  if (d.turnServer.mode === 'local' && turnSecret !== undefined) {
    const coturn = coturnFiles(d, d.turnServer, turnSecret, ctx.host);
    desired.push(...coturn.desired);
    notices.push(...coturn.notices);
    problems.push(...coturn.problems);
  }

  if (d.janus) {
    const janus = janusFiles(
      d,
      d.janus,
      ctx.host,
      resolved.secrets.get(TURN_APIKEY.name)?.value,
      ctx.traits.janusEvents,
    );
    desired.push(...janus.desired);
    notices.push(...janus.notices);
    problems.push(...janus.problems);
  }

  const ownPair = bundle && ctx.cluster ? bundle.tokenPairs.get(ctx.cluster.node) : undefined;
  const proxy = proxyFiles(d, ctx.host, {
    secretOwnership: secretOwn,
    rotate: ctx.rotate,
    toolVersion: ctx.toolVersion,
    ...(ownPair ? { tokenKeyPem: ownPair.privatePem } : {}),
  });
  desired.push(...proxy.desired);
  notices.push(...proxy.notices);
  problems.push(...proxy.problems);

  if (ctx.firewall) {
    const rules = firewallRules(d);
    const text = (ctx.firewall === 'ufw' ? renderUfw(rules) : renderNftables(rules)).trimEnd();
    for (const line of text.split('\n')) notices.push(`firewall (${ctx.firewall}), to run by hand: ${line}`);
  }

  const capacity = capacityFiles(d, { host: ctx.host, layout: ctx.layout, machine: ctx.machine ?? UNKNOWN_MACHINE });
  desired.push(...capacity.desired);
  notices.push(...capacity.notices);

  if (ctx.cluster && ctx.cluster.cluster.nats.mode === 'own') {
    const node = ctx.cluster.cluster.nodes.find((n) => n.name === ctx.cluster!.node);
    if (node) {
      try {
        desired.push({
          path: NATS_SERVER.configPath,
          role: 'nats',
          content: renderNatsServerConf(ctx.cluster.cluster, node, { toolVersion: ctx.toolVersion }),
          ownership: PUBLIC_FILE,
        });
      } catch (err) {
        if (!(err instanceof NatsConfigError)) throw err;
        problems.push(
          problem(`nats-server's config: ${err.message}`, `correct it in the cluster file ${ctx.cluster.file}`),
        );
      }
    }
  }
  if (bundle?.generator && ctx.cluster)
    desired.push(...bundleDesired(ctx.cluster.dir, resolved.secrets, bundle.tokenPairs, ctx.host));

  problems.push(...linkProblems(ctx.host, desired));
  if (problems.length) return { plan: { changes: [], secretValues: [] }, secrets: resolved.secrets, notices, problems };

  const secretValues = [
    ...(bundle ? [...bundle.tokenPairs.values()].map((p) => p.privatePem) : []),
    ...[...resolved.secrets.values()].map((s) => s.value),
    ...(ctx.existing.reading ? [...ctx.existing.reading.secrets.values()] : []),
    ...ctx.existing.secretFiles.values(),
    ...proxy.secretValues,
  ];
  const plan = planChanges(ctx.host, desired, secretValues);
  if (bundle?.generator && ctx.cluster) {
    const cn = ctx.cluster;
    const inBundle = (p: string) => p.startsWith(`${cn.dir}/`);
    if (plan.changes.some((c) => inBundle(c.path) && c.action !== 'unchanged')) {
      const others = [...cn.cluster.nodes, ...cn.cluster.media].map((n) => n.name).filter((n) => n !== cn.node);
      notices.push(
        `the cluster secrets in ${cn.dir} are new or changed: copy that directory (as it is: 0700, files 0600, root) to the same path on every other machine of the cluster (${others.join(', ')}) before setting them up, e.g. with scp -rp or rsync -a over ssh; its values are never printed`,
      );
    }
  }
  return { plan, secrets: resolved.secrets, notices, problems };
}

/** The site's certificate and key must be there (under --root: a notice). */
function certificateCheck(d: Deployment, host: HostFacts, notices: string[], problems: Problem[]): void {
  const certs = {
    ...defaultCertificatePaths(d.hostname),
    ...(d.nginx.certificate ? { certificate: d.nginx.certificate } : {}),
    ...(d.nginx.key ? { key: d.nginx.key } : {}),
  };
  const missing = [certs.certificate, certs.key].filter((p) => !exists(host, p));
  if (!missing.length) return;
  const msg = `TLS certificate files not found: ${missing.join(', ')}`;
  // Let's Encrypt issues no certificate for an IP address: no certbot command for one.
  const fix = isIpAddress(d.hostname)
    ? 'put the certificate and its key there first (a public CA that issues for IP addresses, or your own), or pass --tls-cert and --tls-key'
    : `obtain them first (e.g. ${certbotCommand(d)}), or pass --tls-cert and --tls-key`;
  if (host.root) notices.push(`${msg} under ${host.root}; ${fix}`);
  else problems.push(problem(msg, `${fix}, or use --web-mode snippet|none`));
}

/** Where backups go; nothing may lead there through a link either. */
const BACKUP_ROOT = '/var/backups/spreed-setup';

/**
 * Every file is written where it is, never through a symbolic link: a link on the way (or a link
 * where a file belongs) could lead out of --root or out of the directories we manage. Our own
 * sites-enabled link is the one link we write.
 */
export function linkProblems(host: HostFacts, desired: DesiredFile[]): Problem[] {
  const out: Problem[] = [];
  const seen = new Set<string>();
  const report = (p: string, to: string, what: string) => {
    if (seen.has(p)) return;
    seen.add(p);
    out.push(
      problem(
        `${p} is a symbolic link (to ${to}): spreed-setup writes no ${what} through a link`,
        `replace the link by the ${what === 'file' ? 'file' : 'directory'} itself, then run again`,
      ),
    );
  };
  for (const d of [
    ...desired.map((f) => ({ path: f.path, isLink: f.linkTarget !== undefined })),
    { path: `${BACKUP_ROOT}/x`, isLink: false },
  ]) {
    const on = host.linkOnPath(d.path);
    if (on) report(on.path, on.target, 'directory');
    if (d.isLink || d.path.startsWith(`${BACKUP_ROOT}/`)) continue;
    let f: FileFact | undefined;
    try {
      f = host.file(d.path);
    } catch {
      continue; // unreadable: reported where it is read
    }
    if (f?.kind === 'link') report(d.path, f.target, 'file');
  }
  return out;
}
