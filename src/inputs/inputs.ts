// Non-interactive answers: flags fill the model on top of what an answers file (answers.ts) and an
// existing install already say. Order of precedence: flags > answers file > existing config > defaults.
// Imports no package: the wizard merges its first answers with this before anything heavy loads.
import type { SetupFlags } from '../options/setup.js';
import type { DeploymentInput } from '../model/deployment.js';
import { WEB_SERVERS, type WebServer } from '../model/defaults.js';
import { backendIdFor } from '../model/backendIds.js';
import { normalizeHostname, normalizeNextcloudUrl, nextcloudUrlProblem } from '../model/urls.js';
import { problem, quote, type Problem } from '../errors.js';
import {
  DEFAULT_JANUS_URL,
  DEFAULT_LOCAL_NATS,
  DEFAULT_SESSIONS,
  SESSIONS_MAX,
  SESSIONS_MIN,
} from '../model/defaults.js';
import { withoutUrlPassword } from '../secrets/secrets.js';

type Input = Partial<DeploymentInput>;

/** `nats://user@host` or `tls://user@host`: a user name and no password. */
const USER_WITHOUT_PASSWORD = /^(?:nats|tls):\/\/[^:@/\s]+@/i;

/**
 * NATS URLs given without their password (an answers file from --answers-out leaves it out) take
 * the password of the same URL in the installed server.conf. With none installed, a URL the answers
 * file says lost its password is refused: written without it, the server could not log in.
 */
export function keepNatsPasswords(
  input: Input,
  installed: Input,
  opts: { answersFile?: string; leftOut?: boolean },
): { input: Input; problems: Problem[]; notices: string[] } {
  const problems: Problem[] = [];
  const notices: string[] = [];
  if (input.nats?.mode !== 'external' || !Array.isArray(input.nats.urls)) return { input, problems, notices };
  const have = installed.nats?.mode === 'external' && Array.isArray(installed.nats.urls) ? installed.nats.urls : [];
  const urls = input.nats.urls.map((u) => {
    if (typeof u !== 'string' || !USER_WITHOUT_PASSWORD.test(u)) return u;
    const withPassword = have.find((h) => h !== u && withoutUrlPassword(h).url === u);
    if (withPassword) {
      notices.push(`NATS URL ${u}: keeping the password the installed server.conf has for it`);
      return withPassword;
    }
    if (opts.leftOut)
      problems.push(
        problem(
          `NATS URL ${quote(u)} has no password: the answers file ${opts.answersFile ?? ''} left it out, and the installed server.conf has none for it`,
          "put the password into the URL in server.conf's [nats] url (or into the answers file, kept private), then run again",
        ),
      );
    return u;
  });
  return { input: { ...input, nats: { ...input.nats, urls } }, problems, notices };
}

/** Turns flags into model input; existing backends are matched by URL so ids and secrets stay. */
export function inputFromFlags(flags: SetupFlags, existing: Input): { input: Input; problems: Problem[] } {
  const input: Input = {};
  const problems: Problem[] = [];
  if (flags.hostname !== undefined) input.hostname = flags.hostname;
  if (flags.listen !== undefined) input.listen = flags.listen;
  if (flags.serverVersion !== undefined) input.serverVersion = flags.serverVersion;
  if (flags.sessions !== undefined) {
    if (/^\d{1,9}$/.test(flags.sessions)) input.sessions = Number(flags.sessions);
    else
      problems.push(
        problem(
          `--sessions ${JSON.stringify(flags.sessions)}: expected a whole number`,
          `e.g. --sessions ${DEFAULT_SESSIONS} (${SESSIONS_MIN}-${SESSIONS_MAX})`,
        ),
      );
  }
  if (flags.nextcloud.length) {
    const taken = new Set<string>();
    input.backends = flags.nextcloud.map((raw) => {
      // A URL with a problem stays as given, so the problem is shown (the URL parser would hide some).
      const url = nextcloudUrlProblem(raw.trim()) ? raw : normalizeNextcloudUrl(raw).value;
      const match = existing.backends?.find((b) => b.urls.some((u) => normalizeNextcloudUrl(u).value === url));
      const id =
        match && !taken.has(match.id)
          ? match.id
          : backendIdFor(url, new Set([...taken, ...(existing.backends ?? []).map((b) => b.id)]));
      taken.add(id);
      return match && match.id === id
        ? { ...match, urls: match.urls.includes(url) ? match.urls : [url] }
        : { id, urls: [url] };
    });
  }
  if (flags.nats !== undefined) {
    const v = flags.nats.trim();
    if (v === 'loopback') input.nats = { mode: 'loopback' };
    else if (v === 'local') input.nats = { mode: 'local', url: DEFAULT_LOCAL_NATS };
    else {
      const urls = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = urls.filter((u) => !/^(nats|tls):\/\/[^\s,]+$/.test(u));
      if (bad.length || urls.length === 0)
        problems.push(
          problem(
            `--nats ${quote(v)}: expected loopback, local, or nats:// URLs separated by commas`,
            'give --nats loopback, local or nats://HOST:PORT[,nats://…]',
          ),
        );
      else input.nats = { mode: 'external', urls };
    }
  }
  turnFromFlags(flags, existing, input, problems);
  if (flags.janus !== undefined && flags.janus !== 'proxy') {
    input.mcu =
      flags.janus === 'none'
        ? { type: 'none' }
        : flags.janus === 'local'
          ? { type: 'janus', url: DEFAULT_JANUS_URL }
          : { type: 'janus', url: flags.janus };
  }
  proxyFromFlags(flags, existing, input, problems);
  if (flags.janus === 'local' || flags.janusPublicIp !== undefined) {
    const had = existing.janus;
    if (flags.janus !== 'local' && !had)
      problems.push(
        problem('--janus-public-ip is for Janus on this host', 'add --janus local, or leave --janus-public-ip out'),
      );
    else
      input.janus = {
        ...(had ?? {}),
        ...(flags.janusPublicIp !== undefined
          ? {
              publicIps: flags.janusPublicIp
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean),
            }
          : {}),
      };
  }
  if (flags.webMode !== undefined && flags.nginx !== undefined && flags.webMode !== flags.nginx)
    problems.push(problem('--nginx and --web-mode disagree', 'give one of them'));
  const modeFlag = flags.webMode !== undefined ? '--web-mode' : '--nginx';
  const mode = flags.webMode ?? flags.nginx;
  if (flags.webServer !== undefined && !(WEB_SERVERS as readonly string[]).includes(flags.webServer))
    problems.push(
      problem(
        `--web-server ${quote(flags.webServer)}: expected ${WEB_SERVERS.join(' or ')}`,
        `give --web-server ${WEB_SERVERS.join(' or ')}`,
      ),
    );
  const serverOk = flags.webServer !== undefined && (WEB_SERVERS as readonly string[]).includes(flags.webServer);
  if (mode !== undefined || serverOk || flags.tlsCert !== undefined || flags.tlsKey !== undefined) {
    if (mode !== undefined && !['site', 'snippet', 'none'].includes(mode)) {
      problems.push(
        problem(`${modeFlag} ${quote(mode)}: expected site, snippet or none`, `give ${modeFlag} site, snippet or none`),
      );
    }
    if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
      problems.push(
        problem('--tls-cert and --tls-key go together', "give both, or neither for the Let's Encrypt paths"),
      );
    }
    const modeOk = mode !== undefined && ['site', 'snippet', 'none'].includes(mode);
    input.nginx = {
      ...(serverOk ? { server: flags.webServer as WebServer } : {}),
      ...(modeOk ? { mode: mode as 'site' } : {}),
      ...(flags.tlsCert !== undefined ? { certificate: flags.tlsCert } : {}),
      ...(flags.tlsKey !== undefined ? { key: flags.tlsKey } : {}),
    } as DeploymentInput['nginx'];
  }
  return { input, problems };
}

/** Shallow merge by top-level key; nginx and extra merge one level deeper. */
export function mergeInputs(...layers: Input[]): Input {
  const out: Input = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      if (k === 'nginx' || k === 'extra') {
        const prev = (out as Record<string, unknown>)[k] as Record<string, unknown> | undefined;
        (out as Record<string, unknown>)[k] =
          k === 'extra' ? mergeExtra(prev as never, v as never) : { ...(prev ?? {}), ...(v as object) };
      } else {
        (out as Record<string, unknown>)[k] = v;
      }
    }
  }
  return out;
}

function mergeExtra(a: Record<string, Record<string, string>> = {}, b: Record<string, Record<string, string>> = {}) {
  const out: Record<string, Record<string, string>> = { ...a };
  for (const [s, kv] of Object.entries(b)) out[s] = { ...(out[s] ?? {}), ...kv };
  return out;
}

/** Lower-cases hosts and tidies URLs before validation, with a notice for each change. */
export function normalizeInput(input: Input): { input: Input; notices: string[] } {
  const notices: string[] = [];
  const out: Input = { ...input };
  if (typeof out.hostname === 'string') {
    const n = normalizeHostname(out.hostname);
    out.hostname = n.value;
    notices.push(...n.notices);
  }
  if (Array.isArray(out.backends)) {
    out.backends = out.backends.map((b) => {
      if (!b || !Array.isArray(b.urls)) return b;
      return {
        ...b,
        id: typeof b.id === 'string' ? b.id.trim().toLowerCase() : b.id,
        urls: b.urls.map((u) => {
          if (typeof u !== 'string' || nextcloudUrlProblem(u.trim())) return u;
          const n = normalizeNextcloudUrl(u);
          notices.push(...n.notices);
          return n.value;
        }),
      };
    });
  }
  return { input: out, notices };
}

const FLAG_FOR_PATH: Record<string, string> = {
  hostname: '--hostname',
  backends: '--nextcloud',
  listen: '--listen',
  nats: '--nats',
  'nats.urls': '--nats',
  'backends.urls': '--nextcloud',
  mcu: '--janus',
  turnServer: '--turn',
  'turnServer.servers': '--turn',
  'turnServer.tlsPort': '--turn-tls-port',
  'turnServer.externalIp': '--turn-external-ip',
  'turnServer.relayPorts': '--turn-relay-ports',
  'turnServer.allowedPeers': '--turn-allow-peer',
  'turnServer.janusRtpPorts': '--janus-rtp-ports',
  'mcu.url': '--janus',
  'mcu.urls': '--proxy-url',
  'mcu.tokenId': '--proxy-token-id',
  proxyNode: '--proxy-node',
  'proxyNode.listen': '--proxy-node',
  'proxyNode.country': '--proxy-country',
  'proxyNode.bandwidthIncoming': '--proxy-bandwidth',
  'proxyNode.bandwidthOutgoing': '--proxy-bandwidth',
  janus: '--janus',
  'janus.publicIps': '--janus-public-ip',
  'nginx.certificate': '--tls-cert',
  'nginx.key': '--tls-key',
  'nginx.mode': '--nginx',
  'nginx.server': '--web-server',
  serverVersion: '--server-version',
  sessions: '--sessions',
};

/** The flag that sets the field at a zod issue path, when one does. */
export function flagForPath(path: ReadonlyArray<PropertyKey>): string | undefined {
  const field = path
    .map(String)
    .filter((k) => !/^\d+$/.test(k))
    .join('.');
  return FLAG_FOR_PATH[field] ?? (field.startsWith('backends.') && field.endsWith('.urls') ? '--nextcloud' : undefined);
}

/**
 * Describes a zod issue path for a person: "--nextcloud", "nginx.key", "backends.0.id"…, with the
 * value (shortened) when it is a host name, URL or id. Flags are named only for values the
 * command line gave (`opts.flags`).
 */
export function describePath(path: PropertyKey[], input: Input, opts: { flags?: boolean } = {}): string {
  const head = String(path[0] ?? '');
  if (head === 'backends' && path.length >= 3 && path[2] === 'urls') {
    const url = input.backends?.[Number(path[1])]?.urls?.[Number(path[3])];
    return `Nextcloud URL${typeof url === 'string' ? ` ${quote(url)}` : ''}`;
  }
  if (head === 'backends' && path[2] === 'id') {
    const id = input.backends?.[Number(path[1])]?.id;
    return `backend id${typeof id === 'string' ? ` ${quote(id)}` : ''}`;
  }
  if (head === 'hostname') return `hostname${typeof input.hostname === 'string' ? ` ${quote(input.hostname)}` : ''}`;
  const flag = opts.flags !== false ? flagForPath(path) : undefined;
  return flag ?? path.map((k) => (String(k).length > 40 ? quote(String(k)) : String(k))).join('.');
}

type TurnInput = NonNullable<Input['turnServer']>;

const commaList = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** --janus proxy and the media node on this host (janus-facts §7); the model validates the values. */
function proxyFromFlags(flags: SetupFlags, existing: Input, input: Input, problems: Problem[]): void {
  const had = existing.mcu?.type === 'proxy' ? existing.mcu : undefined;
  const proxyFlags = flags.proxyUrl !== undefined || flags.proxyTokenId !== undefined;
  if (flags.janus === 'proxy' || (proxyFlags && had)) {
    const tokenId = flags.proxyTokenId ?? had?.tokenId ?? flags.hostname ?? existing.hostname;
    input.mcu = {
      ...(had ?? {}),
      type: 'proxy',
      ...(flags.proxyUrl !== undefined ? { urls: commaList(flags.proxyUrl) } : {}),
      ...(tokenId !== undefined ? { tokenId } : {}),
    } as Input['mcu'];
  } else if (proxyFlags)
    problems.push(problem('--proxy-url and --proxy-token-id are for the proxy MCU', 'add --janus proxy'));
  const nodeFlags = [flags.proxyNode, flags.proxyCountry, flags.proxyBandwidth].some((v) => v !== undefined);
  if (!nodeFlags) return;
  if (flags.proxyNode === undefined && !existing.proxyNode) {
    problems.push(problem('--proxy-country and --proxy-bandwidth are for a media node here', 'add --proxy-node local'));
    return;
  }
  const node: Record<string, unknown> = { ...(existing.proxyNode ?? {}) };
  if (flags.proxyNode !== undefined && flags.proxyNode !== 'local') node.listen = flags.proxyNode;
  if (flags.proxyCountry !== undefined) node.country = flags.proxyCountry.toUpperCase();
  if (flags.proxyBandwidth !== undefined) {
    const m = /^(\d{1,7}),(\d{1,7})$/.exec(flags.proxyBandwidth.trim());
    if (!m)
      problems.push(
        problem(
          `--proxy-bandwidth ${quote(flags.proxyBandwidth)}: expected IN,OUT in Mbit/s`,
          'e.g. --proxy-bandwidth 1000,1000',
        ),
      );
    else {
      node.bandwidthIncoming = Number(m[1]);
      node.bandwidthOutgoing = Number(m[2]);
    }
  }
  input.proxyNode = node as Input['proxyNode'];
}

function portRange(flag: string, v: string, problems: Problem[]): { min: number; max: number } | undefined {
  const m = /^(\d{1,6})-(\d{1,6})$/.exec(v.trim());
  if (!m) {
    problems.push(problem(`--${flag} ${quote(v)}: expected MIN-MAX, e.g. 49152-65535`, `give --${flag} MIN-MAX`));
    return undefined;
  }
  return { min: Number(m[1]), max: Number(m[2]) };
}

/** --turn and its options: local, none, or HOST:PORT list; the local options refine coturn's setup. */
function turnFromFlags(flags: SetupFlags, existing: Input, input: Input, problems: Problem[]): void {
  const had = existing.turnServer as TurnInput | undefined;
  const local =
    flags.turnTlsPort !== undefined ||
    flags.turnExternalIp !== undefined ||
    flags.turnRelayPorts !== undefined ||
    flags.janusRtpPorts !== undefined ||
    (flags.turnAllowPeer ?? []).length > 0;
  let t: TurnInput | undefined;
  const v = flags.turn?.trim();
  if (v === 'none') t = { mode: 'none' };
  else if (v === 'local') t = had?.mode === 'local' ? { ...had } : { mode: 'local' };
  else if (v !== undefined) {
    const servers = v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    t = { mode: 'external', servers };
  } else if (local) {
    // coturn's own options imply coturn on this host.
    t = had?.mode === 'local' ? { ...had } : { mode: 'local' };
  }
  if (!t) return;
  if (local && t.mode !== 'local') {
    problems.push(
      problem(
        `coturn's options need --turn local, not --turn ${quote(v ?? '')}`,
        'add --turn local, or leave those options out',
      ),
    );
    return;
  }
  if (t.mode === 'local') {
    if (flags.turnTlsPort !== undefined) {
      if (/^\d{1,6}$/.test(flags.turnTlsPort)) t.tlsPort = Number(flags.turnTlsPort);
      else
        problems.push(
          problem(`--turn-tls-port ${quote(flags.turnTlsPort)}: expected a port number`, 'e.g. --turn-tls-port 5349'),
        );
    }
    if (flags.turnExternalIp !== undefined) t.externalIp = flags.turnExternalIp;
    if (flags.turnRelayPorts !== undefined) {
      const r = portRange('turn-relay-ports', flags.turnRelayPorts, problems);
      if (r) t.relayPorts = r;
    }
    if (flags.janusRtpPorts !== undefined) {
      const r = portRange('janus-rtp-ports', flags.janusRtpPorts, problems);
      if (r) t.janusRtpPorts = r;
    }
    if (flags.turnAllowPeer?.length) t.allowedPeers = flags.turnAllowPeer.flatMap((s) => s.split(',')).filter(Boolean);
  }
  input.turnServer = t;
}
