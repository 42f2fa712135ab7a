// TURN: the server setup configured answers STUN over UDP and TCP, challenges an Allocate without
// credentials and grants one with REST credentials from our secret (so the secrets match), hands
// out a relay address clients can reach, refuses relaying to private peers but allows this host's
// Janus, serves a certificate coturn can read on its TLS port, and Talk lists it with the secret.
// Every request goes to the TURN server; CreatePermission names a peer but sends it nothing.
import { COTURN, TURN_PORT } from '../../model/defaults.js';
import type { TurnSetup } from '../../model/deployment.js';
import { nonPublicReason } from '../../model/turn.js';
import { turnEntriesFor } from '../../register/decide.js';
import { parseTurnList } from '../../register/talk.js';
import { parseTurnserverConf, turnCertificatePaths } from '../../render/turnserver.js';
import { TURN_SECRET } from '../../secrets/secrets.js';
import type { CheckIO } from '../io.js';
import { occComplaint } from '../occ.js';
import type { CheckDef } from '../runner.js';
import type { GroupContext } from './context.js';
import { fail, pass, skip, warn } from './outcome.js';

export type TurnIO = Pick<CheckIO, 'stunBinding' | 'turnAllocate' | 'tlsCertificate' | 'readableBy' | 'occ'>;

/** Private peers CreatePermission must be refused for (nothing is ever sent to them). */
export const PRIVATE_PROBE_PEERS = ['10.0.0.1', '192.168.1.1'];

interface TurnTarget {
  host: string;
  port: number;
  tlsPort?: number;
  externalIp?: string;
  janusPeers: string[];
  cert?: string;
  key?: string;
  where: string;
}

const RESTART = `systemctl restart ${COTURN.unit}`;

/** Where to reach the TURN server from here, and what its config says (local: as coturn reads it). */
function targetOf(t: TurnSetup, conf: Map<string, string[]> | undefined): TurnTarget | undefined {
  if (t.mode === 'none') return undefined;
  if (t.mode === 'external') {
    const hp = t.servers[0]!;
    const i = hp.lastIndexOf(':');
    return {
      host: hp.slice(0, i).replace(/^\[|\]$/g, ''),
      port: Number(hp.slice(i + 1)),
      janusPeers: [],
      where: hp,
    };
  }
  const first = (k: string) => conf?.get(k)?.at(-1);
  const ip = conf?.get('listening-ip')?.[0];
  const host = !ip || ip === '0.0.0.0' ? '127.0.0.1' : ip === '::' ? '::1' : ip;
  const port = Number(first('listening-port') ?? TURN_PORT);
  const tls = first('tls-listening-port');
  const ext = first('external-ip')?.split('/')[0];
  const allowed = conf?.get('allowed-peer-ip') ?? [];
  const peers = t.allowedPeers.length ? t.allowedPeers : allowed.filter((a) => !a.includes('-'));
  return {
    host,
    port,
    ...(tls !== undefined && !conf?.has('no-tls') ? { tlsPort: Number(tls) } : {}),
    ...(ext ? { externalIp: ext } : t.externalIp ? { externalIp: t.externalIp } : {}),
    janusPeers: peers,
    ...(first('cert') ? { cert: first('cert')! } : {}),
    ...(first('pkey') ? { key: first('pkey')! } : {}),
    where: `${host.includes(':') ? `[${host}]` : host}:${port}`,
  };
}

export function turnChecks(g: GroupContext<TurnIO>): CheckDef[] {
  const { setup, io, inputs } = g;
  const t = setup.turnServer;
  if (!t || t.mode === 'none') return [];
  const conf = setup.coturnConf && 'text' in setup.coturnConf ? parseTurnserverConf(setup.coturnConf.text) : undefined;
  const target = targetOf(t, conf);
  if (!target) return [];
  const secret = setup.secrets.get(TURN_SECRET.name);
  const at = { host: target.host, port: target.port };
  const defs: CheckDef[] = [];

  defs.push({
    id: 'turn.stun',
    title: 'TURN: STUN Binding (UDP, TCP)',
    timeoutFix: `the TURN port answers nothing: ${RESTART}, and open ${target.port}/udp and /tcp`,
    async run(ctx) {
      if (setup.coturnConf && 'error' in setup.coturnConf)
        return fail(
          `cannot read ${COTURN.configPath}: ${setup.coturnConf.error}`,
          'run as root (sudo), or spreed-setup setup --turn local to write it',
        );
      const [udp, tcp] = await Promise.all([
        io.stunBinding({ ...at, transport: 'udp', timeoutMs: Math.min(ctx.left(), 3000) }),
        io.stunBinding({ ...at, transport: 'tcp', timeoutMs: Math.min(ctx.left(), 3000) }),
      ]);
      if (!udp.ok && !tcp.ok)
        return fail(
          `no STUN answer from ${target.where} over UDP (${udp.message}) or TCP (${tcp.message}): coturn is not running or the port is closed`,
          t.mode === 'local'
            ? `start it: ${RESTART} (journalctl -u ${COTURN.unit} says why it stopped); open ${target.port}/udp and ${target.port}/tcp`
            : `is the TURN server at ${target.where} up, and ${target.port}/udp and /tcp open to this host?`,
        );
      if (!udp.ok || !tcp.ok)
        return fail(
          `STUN over ${udp.ok ? 'TCP' : 'UDP'} to ${target.where} got no answer (${udp.ok ? (tcp.ok ? '' : tcp.message) : udp.message}); the other transport answers`,
          `open ${target.port}/${udp.ok ? 'tcp' : 'udp'} in the firewall${t.mode === 'local' ? ' and remove no-udp/no-tcp from turnserver.conf' : ''}`,
        );
      return pass(
        `Binding answered over UDP and TCP at ${target.where}${udp.mapped ? ` (mapped ${udp.mapped.ip})` : ''}`,
      );
    },
  });

  defs.push({
    id: 'turn.allocate',
    title: 'TURN: Allocate with the shared secret',
    needs: ['turn.stun'],
    timeoutFix: `coturn answers Binding but not Allocate: ${RESTART}`,
    async run(ctx) {
      if (!secret)
        return fail(
          'no TURN secret: neither server.conf [turn] secret nor the turn-secret file holds one',
          'spreed-setup setup --turn local (or --turn HOST:PORT --turn-secret-file PATH)',
        );
      const peers = [...PRIVATE_PROBE_PEERS, ...target.janusPeers];
      const r = await io.turnAllocate({
        ...at,
        transport: 'udp',
        secret,
        peers,
        timeoutMs: Math.min(ctx.left(), 3000),
      });
      if (!r.ok)
        return fail(
          `Allocate at ${target.where} got no answer: ${r.message}`,
          `${RESTART}; see journalctl -u ${COTURN.unit}`,
        );
      if (r.challenge.status === 'success')
        return fail(
          `${target.where} granted an Allocate without credentials: anyone can relay through it`,
          'set use-auth-secret and static-auth-secret in turnserver.conf: spreed-setup setup --turn local, then ' +
            RESTART,
        );
      if (r.challenge.status !== 401 || !r.challenge.realm)
        return fail(
          `an Allocate without credentials got ${r.challenge.status} instead of a 401 challenge with a realm`,
          'set realm= in turnserver.conf (spreed-setup setup --turn local)',
        );
      const a = r.allocate;
      if (a?.status !== 'success')
        return fail(
          `Allocate with REST credentials from our TURN secret was refused (${a?.status ?? '?'}${a?.reason ? ` ${a.reason}` : ''}): the TURN server's static-auth-secret is not ours (wrong secret)`,
          t.mode === 'local'
            ? `spreed-setup setup (rewrites static-auth-secret in ${COTURN.configPath} from the turn-secret file), then ${RESTART}`
            : "give the TURN servers' secret: spreed-setup setup --turn-secret-file PATH",
        );
      return pass(`401 challenge (realm ${r.challenge.realm}), then an allocation: the secret matches`, {
        relayed: a.relayed?.ip,
        permissions: r.permissions,
      });
    },
  });

  defs.push({
    id: 'turn.relay',
    title: 'TURN: relay address reachable',
    needs: ['turn.allocate'],
    async run(ctx) {
      const o = await ctx.outcome('turn.allocate');
      const relayed = o?.data?.relayed as string | undefined;
      if (!relayed) return warn('the allocation named no relay address', "look at coturn's log");
      const fix =
        t.mode === 'local'
          ? `behind NAT set coturn's public address: spreed-setup setup --turn-external-ip PUBLIC_IP (external-ip in ${COTURN.configPath}), then ${RESTART}`
          : 'set external-ip on the TURN server to its public address';
      const why = nonPublicReason(relayed);
      if (why)
        return fail(
          `the relay address ${relayed} is ${why} (relay address private): clients elsewhere cannot reach it${target.externalIp ? ` (setup configured external-ip ${target.externalIp})` : ''}`,
          fix,
        );
      if (target.externalIp && relayed !== target.externalIp)
        return fail(`the relay address is ${relayed}, not the configured external-ip ${target.externalIp}`, fix);
      return pass(`relay address ${relayed}${target.externalIp ? ' (the configured external-ip)' : ''}`);
    },
  });

  defs.push({
    id: 'turn.peers',
    title: 'TURN: peer filter (private peers refused, Janus allowed)',
    needs: ['turn.allocate'],
    async run(ctx) {
      const o = await ctx.outcome('turn.allocate');
      const perms = (o?.data?.permissions as Array<{ peer: string; status: number | 'success' }>) ?? [];
      const open = perms.filter((p) => PRIVATE_PROBE_PEERS.includes(p.peer) && p.status === 'success');
      if (open.length)
        return fail(
          `CreatePermission to ${open.map((p) => p.peer).join(', ')} was granted: relayed clients can reach private addresses (denied-peer list missing)`,
          t.mode === 'local'
            ? `spreed-setup setup (writes the denied-peer-ip ranges into ${COTURN.configPath}), then ${RESTART}`
            : 'add denied-peer-ip ranges for private addresses to the TURN server',
        );
      const janus = perms.filter((p) => target.janusPeers.includes(p.peer));
      const refused = janus.filter((p) => p.status !== 'success');
      if (refused.length)
        return fail(
          `CreatePermission to Janus's address ${refused.map((p) => p.peer).join(', ')} was refused (${refused[0]!.status}): relayed participants get no media (peer filter too strict)`,
          `allow it: spreed-setup setup --turn-allow-peer ${refused[0]!.peer} (allowed-peer-ip), then ${RESTART}`,
        );
      if (setup.mcu?.type === 'janus' && target.janusPeers.length === 0)
        return warn(
          `private peers are refused, but no allowed-peer-ip names Janus's address: relayed participants lose media when Janus advertises a private one`,
          'spreed-setup setup --turn-allow-peer JANUS_IP (the address Janus advertises)',
        );
      return pass(
        `private peers refused (${PRIVATE_PROBE_PEERS.join(', ')})${janus.length ? `; Janus's ${janus.map((p) => p.peer).join(', ')} allowed` : ''}`,
      );
    },
  });

  if (target.tlsPort !== undefined && t.mode === 'local') {
    const tlsPort = target.tlsPort;
    defs.push({
      id: 'turn.tls',
      title: 'TURN: TLS certificate (turns)',
      needs: ['turn.stun'],
      async run(ctx) {
        // The files setup pointed coturn at (system paths; --root applies), else what the file says.
        const paths: { certificate?: string; key?: string } = setup.hostname
          ? turnCertificatePaths({ hostname: setup.hostname, nginx: setup.nginx ?? {} } as never)
          : { ...(target.cert ? { certificate: target.cert } : {}), ...(target.key ? { key: target.key } : {}) };
        for (const f of [paths.certificate, paths.key]) {
          if (!f) continue;
          const a = io.readableBy(setup.target.path(f), COTURN.user);
          if (!a.ok)
            return fail(
              `certificate unreadable by ${COTURN.user}: ${a.reason}; coturn then runs without TLS`,
              `run ${COTURN.deployHookPath} once (it gives group ${COTURN.group} read access and restarts coturn)`,
            );
        }
        const c = await io.tlsCertificate(
          `https://${target.host.includes(':') ? `[${target.host}]` : target.host}:${tlsPort}`,
          {
            ...g.tlsOpts(ctx),
            insecure: true,
          },
        );
        if (!c.ok)
          return fail(
            `no TLS handshake on ${target.host}:${tlsPort}: ${c.message}`,
            `coturn did not start its TLS listener: see journalctl -u ${COTURN.unit} ("certificate file is not set properly"), then ${RESTART}`,
          );
        const to = c.cert.validTo;
        const days = to ? Math.floor((to.getTime() - Date.now()) / 86_400_000) : undefined;
        if (days !== undefined && days < 0)
          return fail(
            `the TURN TLS certificate expired on ${to!.toISOString().slice(0, 10)}`,
            `renew it (certbot renew); the deploy hook restarts coturn`,
          );
        if (days !== undefined && days < 14)
          return warn(
            `the TURN TLS certificate expires in ${days} days`,
            'check that certbot renews it (certbot renew --dry-run)',
          );
        return pass(`TLS on port ${tlsPort}${days !== undefined ? `, certificate valid ${days} more days` : ''}`);
      },
    });
  }

  defs.push({
    id: 'turn.talk',
    title: "TURN: Talk's TURN servers",
    async run(ctx) {
      if (!inputs.occ || inputs.occ.length === 0)
        return skip("not checked: pass --occ to compare Talk's TURN servers (talk:turn:list)");
      if (!setup.hostname) return skip('skipped: no host name recorded by setup');
      const exec = inputs.occExec ?? io.occ;
      const r = await exec([...inputs.occ, 'talk:turn:list', '--output=json', '--no-warnings'], ctx.left());
      if (r.exitCode !== 0) return fail(`occ talk:turn:list failed: ${occComplaint(r)}`, 'run it by hand to see why');
      let listed: ReturnType<typeof parseTurnList>;
      try {
        listed = parseTurnList(r.stdout);
      } catch {
        return fail('occ talk:turn:list printed no JSON', 'is Talk (spreed) enabled? occ app:enable spreed');
      }
      const wants = turnEntriesFor({ hostname: setup.hostname, turnServer: t });
      const missing = wants.filter(
        (w) => !listed.some((l) => l.schemes === w.schemes && l.server === w.server && l.protocols === w.protocols),
      );
      if (missing.length)
        return fail(
          `Talk does not list ${missing.map((m) => `${m.schemes}:${m.server}`).join(', ')}`,
          'spreed-setup register',
        );
      const other = wants.filter((w) =>
        listed.some(
          (l) => l.schemes === w.schemes && l.server === w.server && l.protocols === w.protocols && l.secret !== secret,
        ),
      );
      if (other.length)
        return fail(
          `Talk holds another secret for ${other.map((m) => `${m.schemes}:${m.server}`).join(', ')}: browsers get credentials the TURN server refuses`,
          'spreed-setup register (replaces the entry with the current secret)',
        );
      return pass(`Talk lists ${wants.map((w) => `${w.schemes}:${w.server}`).join(', ')} with the TURN secret`);
    },
  });
  return defs;
}
