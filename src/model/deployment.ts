// The one model of a deployment. Prompts, flags, answers files and an existing server.conf only
// fill it; renderers, registration and checks only read it. Secrets live beside it (see secrets/),
// never in it, so an answers file written from the model carries none.
import { z } from 'zod';

import {
  DEFAULT_BASE_PATH,
  DEFAULT_JANUS_URL,
  DEFAULT_LISTEN,
  DEFAULT_LOCAL_NATS,
  DEFAULT_SESSIONS,
  JANUS_RTP_MAX,
  JANUS_RTP_MIN,
  PROXY,
  SESSIONS_MAX,
  SESSIONS_MIN,
  TURN_PORT,
  TURN_RELAY_MAX,
  TURN_RELAY_MIN,
  WEB_SERVERS,
} from './defaults.js';
import { nonPublicReason, rangesOverlap } from './turn.js';
import {
  basePathProblem,
  hostnameProblem,
  hostPortProblem,
  IP_HOSTNAME_PROBLEM,
  isIpAddress,
  isValidHostname,
  nextcloudUrlProblem,
  turnHostPortProblem,
} from './urls.js';
import { RESERVED_BACKEND_IDS } from './backendIds.js';
import { textProblem } from './text.js';
import { isIP } from 'node:net';

export { backendIdFor, RESERVED_BACKEND_IDS } from './backendIds.js';

/** Characters that goconf would cut, interpolate or split on; never valid inside a value we write. */
const GOCONF_UNSAFE = /[\n\r]|[ \t][;#]|%\(/;
export const goconfSafe = (what: string) =>
  z.string().refine((s) => !GOCONF_UNSAFE.test(s) && s === s.trim(), {
    message: `${what} contains characters the server's config parser would cut or change (a space before # or ;, "%(", a line break, or surrounding spaces)`,
  });

export { MAX_VALUE_LENGTH, textProblem } from './text.js';

/** Adds one issue for each string (keys included) under `value` that no config file may hold. */
function checkTexts(value: unknown, at: PropertyKey[], ctx: z.RefinementCtx): void {
  const envAllowed = at[0] === 'extra';
  if (typeof value === 'string') {
    const p = textProblem(value, { envAllowed });
    if (p) ctx.addIssue({ code: 'custom', path: at, message: p });
  } else if (Array.isArray(value)) value.forEach((v, i) => checkTexts(v, [...at, i], ctx));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = textProblem(k, { envAllowed });
      if (p) ctx.addIssue({ code: 'custom', path: [...at, k], message: `the name ${p}` });
      else checkTexts(v, [...at, k], ctx);
    }
  }
}

/** The port of a URL (when it has one) is 1-65535. */
function portInRange(url: string): boolean {
  const m = /^[a-z]+:\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/]*)(?::(\d+))?(?:[/?#]|$)/i.exec(url);
  if (!m) return true; // the scheme check says what is wrong
  return m[1] === undefined || (Number(m[1]) >= 1 && Number(m[1]) <= 65535);
}

export const HostPortSchema = z.string().superRefine((s, ctx) => {
  const why = hostPortProblem(s);
  if (why) ctx.addIssue({ code: 'custom', message: why });
});

/** An IP address or CIDR range, as the server parses it. */
const IpOrCidrSchema = z.string().refine((s) => {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(s);
  const family = m ? isIP(m[1]!) : 0;
  return family !== 0 && (m![2] === undefined || Number(m![2]) <= (family === 4 ? 32 : 128));
}, 'must be an IP address or CIDR range');

const httpUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return (u.protocol === 'https:' || u.protocol === 'http:') && isValidHostname(u.hostname.replace(/^\[|\]$/g, ''));
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL');

export const NatsUrlSchema = z
  .string()
  .regex(/^(nats|tls):\/\/[^\s,]+$/, 'must be a nats:// or tls:// URL')
  .refine(portInRange, 'port out of range (1-65535)');
export const WsUrlSchema = z
  .string()
  .regex(/^wss?:\/\/[^\s]+$/, 'must be a ws:// or wss:// URL')
  .refine(portInRange, 'port out of range (1-65535)');
/** An absolute path that is one plain token to nginx and goconf alike (no spaces, quotes, ; { } # $ or \\). */
export const AbsPathSchema = z
  .string()
  .regex(
    /^\/[^\s;{}#$'"\\`\x00-\x1f\x7f]*$/,
    'must be an absolute path without spaces, quotes or any of ; { } # $ \\ (nginx would read them as syntax)',
  );

export const TurnServerSchema = z.string().regex(/^turns?:\S+$/, 'TURN servers look like turn:host:3478?transport=udp');

export const PortSchema = z
  .number({ message: 'must be a port number' })
  .int('must be a whole number')
  .min(1, 'a port is 1-65535')
  .max(65535, 'a port is 1-65535');
const IpSchema = z.string().refine((s) => isIP(s) !== 0, 'must be an IPv4 or IPv6 address');
/** An inclusive UDP port range (coturn's min-port/max-port, Janus's rtp_port_range). */
export const PortRangeSchema = z
  .object({ min: PortSchema, max: PortSchema })
  .refine((r) => r.min <= r.max, 'the range is empty (its first port is above its last)');
export type PortRange = z.infer<typeof PortRangeSchema>;

/** An external TURN server as Talk and Janus take it: HOST:PORT, no scheme, no path. */
export const TurnHostPortSchema = z.string().superRefine((s, ctx) => {
  const p = turnHostPortProblem(s);
  if (p) ctx.addIssue({ code: 'custom', message: p });
});

/**
 * The TURN server browsers (through Talk) and Janus (through server.conf's [turn]) use: none,
 * coturn on this host, or servers run elsewhere. One secret (turn-secret) is shared by all.
 */
export const TurnSetupSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('none') }),
  z.object({
    mode: z.literal('local'),
    /** UDP and TCP. */
    port: PortSchema.default(TURN_PORT),
    /** TLS (and DTLS) with the site's certificate; absent: no TLS listener. */
    tlsPort: PortSchema.optional(),
    /** The public address coturn reports as relay address (1:1 NAT); absent: its own address. */
    externalIp: IpSchema.optional(),
    relayPorts: PortRangeSchema.default({ min: TURN_RELAY_MIN, max: TURN_RELAY_MAX }),
    /** Addresses relayed clients may reach despite the private ranges: this host's Janus. */
    allowedPeers: z.array(IpSchema).default([]),
    /** Janus's rtp_port_range, kept apart from the relay range (only when Janus is on this host). */
    janusRtpPorts: PortRangeSchema.default({ min: JANUS_RTP_MIN, max: JANUS_RTP_MAX }),
  }),
  z.object({
    mode: z.literal('external'),
    servers: z.array(TurnHostPortSchema).min(1, 'give at least one HOST:PORT'),
    /** The servers also speak TLS on the same port (Talk's `turns` scheme). */
    tls: z.boolean().default(false),
  }),
]);
export type TurnSetup = z.infer<typeof TurnSetupSchema>;

export const BackendSchema = z.object({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, 'backend id: lower-case letters, digits, - and _ only (it names a config section)')
    .refine((id) => !(RESERVED_BACKEND_IDS as readonly string[]).includes(id), {
      message: 'is a reserved section name of the server; choose another backend id',
    }),
  urls: z.array(z.string()).min(1, 'a backend needs at least one Nextcloud URL'),
  sessionLimit: z.number().int().nonnegative().optional(),
  maxStreamBitrate: z.number().int().nonnegative().optional(),
  maxScreenBitrate: z.number().int().nonnegative().optional(),
});
export type Backend = z.infer<typeof BackendSchema>;

export const NatsSchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('loopback') }),
  z.object({ mode: z.literal('local'), url: NatsUrlSchema.default(DEFAULT_LOCAL_NATS) }),
  z.object({ mode: z.literal('external'), urls: z.array(NatsUrlSchema).min(1) }),
]);
export type Nats = z.infer<typeof NatsSchema>;

/** The proxy base URL the server joins "proxy" to: a path must end in "/" (janus-facts §7). */
export const ProxyUrlSchema = z
  .string()
  .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, 'proxy URLs must be http(s)://HOST[:PORT][/PATH/]')
  .refine((s) => !/^https?:\/\/[^/]+\/.*[^/]$/.test(s), {
    message: 'a proxy URL with a path must end in "/" (else the server replaces its last segment)',
  });

/**
 * A media node on this host (janus-facts §7): the signaling proxy in front of one Janus. Its
 * [tokens] hold this server's public key and those of the other signaling servers given here.
 */
export const ProxyNodeSchema = z.object({
  listen: HostPortSchema.default(PROXY.listen),
  janusUrl: WsUrlSchema.default(DEFAULT_JANUS_URL),
  /** ISO 3166 country of this node, for the servers' placement by country. */
  country: z
    .string()
    .regex(/^[A-Z]{2}$/, 'must be a two-letter ISO 3166 country code (DE)')
    .optional(),
  /** Mbit/s above which the proxy sends publishers elsewhere (0 = no limit). */
  bandwidthIncoming: z.number().int().nonnegative().max(1_000_000).optional(),
  bandwidthOutgoing: z.number().int().nonnegative().max(1_000_000).optional(),
  /** Other signaling servers' token ids and public key files. */
  tokens: z
    .array(
      z.object({
        id: goconfSafe('token id').regex(/^[A-Za-z0-9._-]+$/, 'token ids are letters, digits, . _ -'),
        publicKey: AbsPathSchema,
      }),
    )
    .default([]),
});
export type ProxyNode = z.infer<typeof ProxyNodeSchema>;

export const McuSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  z.object({
    type: z.literal('janus'),
    url: WsUrlSchema.default(DEFAULT_JANUS_URL),
  }),
  z.object({
    type: z.literal('proxy'),
    urls: z.array(ProxyUrlSchema).default([]),
    urlType: z.enum(['static', 'etcd']).default('static'),
    tokenId: goconfSafe('mcu token id')
      .min(1)
      .regex(/^[A-Za-z0-9._-]+$/, 'token ids are letters, digits, . _ -'),
    tokenKey: AbsPathSchema.describe('path of the RSA private key file').default(PROXY.tokenKeyPath),
  }),
]);
export type Mcu = z.infer<typeof McuSchema>;

export const JanusLocalSchema = z.object({
  publicIps: z.array(IpSchema).default([]),
});
export type JanusLocal = z.infer<typeof JanusLocalSchema>;

/**
 * The front end in front of the server: which web server (nginx, or Apache 2.4), and whether it gets
 * a complete site (virtual host) or a snippet to include in an existing one. The section keeps its
 * name "nginx" (answers and state files of earlier runs say so); its fields serve either server.
 */
export const NginxSchema = z.object({
  server: z.enum(WEB_SERVERS).default('nginx'),
  mode: z.enum(['site', 'snippet', 'none']).default('site'),
  /** Defaults to Let's Encrypt's layout for the hostname. */
  certificate: AbsPathSchema.optional(),
  key: AbsPathSchema.optional(),
  /** Kept reachable over plain HTTP so certificate renewals keep working. */
  acmeWebroot: AbsPathSchema.default('/var/www/html'),
  httpPort: z.number().int().min(1).max(65535).default(80),
  httpsPort: z.number().int().min(1).max(65535).default(443),
  /** Listen only on this address (default: every IPv4 and IPv6 address). */
  bindAddress: z
    .string()
    .refine(
      (s) => isIP(s) === 4 || (/^\[.*\]$/.test(s) && isIP(s.slice(1, -1)) === 6),
      'must be an IPv4 address or an IPv6 address in brackets ([::1])',
    )
    .optional(),
  /**
   * The signaling servers the front end balances (a cluster's front node: every node's listen);
   * absent, the one server on this host (`listen`). nginx only.
   */
  upstreams: z.array(HostPortSchema).min(1, 'give at least one HOST:PORT').optional(),
});
export type NginxOptions = z.infer<typeof NginxSchema>;

const extraSchema = z.record(
  z.string().regex(/^[^\s[\]=:#;]+$/, 'section names cannot contain spaces, brackets, =, :, # or ;'),
  z.record(
    z.string().regex(/^[^\s=:#;[]+$/, 'keys cannot contain spaces, =, :, # or ;'),
    z
      .string()
      .refine(
        (s) => !/[\n\r]|[ \t][;#]/.test(s) && s === s.trim(),
        'values cannot span lines, have surrounding spaces or contain " #" or " ;" (the server would cut them there)',
      ),
  ),
);

export const DeploymentSchema = z
  .object({
    /** Target server version for rendering ("x.y.z"); resolved from detection when absent. */
    serverVersion: z
      .string()
      .regex(/^\d+\.\d+(\.\d+)?$/, 'must look like 2.0.2')
      .optional(),
    hostname: z.string().superRefine((h, ctx) => {
      const why = hostnameProblem(h);
      if (why) ctx.addIssue({ code: 'custom', message: why });
    }),
    basePath: z
      .string()
      .regex(/^\/[A-Za-z0-9._~/-]*[^/]$|^\/[A-Za-z0-9._~-]+$/, 'must start with / and not end with /')
      .superRefine((p, ctx) => {
        const problem = basePathProblem(p);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .default(DEFAULT_BASE_PATH),
    listen: HostPortSchema.default(DEFAULT_LISTEN),
    backends: z.array(BackendSchema).min(1, 'at least one Nextcloud (--nextcloud URL) is needed'),
    nats: NatsSchema.default({ mode: 'loopback' }),
    mcu: McuSchema.default({ type: 'none' }),
    /** TURN REST API for Janus; the API key and the secret shared with coturn are secret files. */
    turn: z.object({ servers: z.array(TurnServerSchema).min(1) }).optional(),
    /** The TURN server itself (coturn here, or elsewhere); fills `turn` (see janusTurnServers). */
    turnServer: TurnSetupSchema.default({ mode: 'none' }),
    /**
     * Janus on this host, its files rendered (janus-facts §2-3): the public addresses it rewrites
     * its host candidates to behind 1:1 NAT (nat_1_1_mapping). Absent: Janus is not ours to configure.
     */
    janus: JanusLocalSchema.optional(),
    /** A media node on this host: the signaling proxy's proxy.conf rendered (needs mcu type proxy). */
    proxyNode: ProxyNodeSchema.optional(),
    /** The signaling server's own TLS listener (rare: nginx normally terminates TLS). */
    https: z.object({ listen: HostPortSchema, certificate: AbsPathSchema, key: AbsPathSchema }).partial().optional(),
    statsAllowedIps: z.array(IpOrCidrSchema).optional(),
    trustedProxies: z.array(IpOrCidrSchema).optional(),
    grpc: z.object({ listen: HostPortSchema.optional(), targets: z.array(HostPortSchema).default([]) }).optional(),
    etcd: z.object({ endpoints: z.array(httpUrl).min(1) }).optional(),
    backendSkipVerify: z.boolean().default(false),
    nginx: NginxSchema.default({
      server: 'nginx',
      mode: 'site',
      acmeWebroot: '/var/www/html',
      httpPort: 80,
      httpsPort: 443,
    }),
    /** Concurrent sessions nginx's worker limits and the services' open-files limits are sized for. */
    sessions: z
      .number()
      .int('must be a whole number')
      .min(SESSIONS_MIN, `must be at least ${SESSIONS_MIN}`)
      .max(SESSIONS_MAX, `must be at most ${SESSIONS_MAX}`)
      .default(DEFAULT_SESSIONS),
    /** Any other section/key, written verbatim after the model's own keys. */
    extra: extraSchema.default({}),
  })
  .superRefine((d, ctx) => {
    const seen = new Set<string>();
    d.backends.forEach((b, i) => {
      if (seen.has(b.id))
        ctx.addIssue({ code: 'custom', path: ['backends', i, 'id'], message: `duplicate backend id "${b.id}"` });
      seen.add(b.id);
      b.urls.forEach((u, j) => {
        const problem = nextcloudUrlProblem(u);
        if (problem) ctx.addIssue({ code: 'custom', path: ['backends', i, 'urls', j], message: problem });
      });
    });
    if (d.https && d.https.listen !== undefined && !(d.https.certificate && d.https.key)) {
      ctx.addIssue({
        code: 'custom',
        path: ['https'],
        message: 'an https listener needs both certificate and key (the server exits otherwise)',
      });
    }
    for (const section of Object.keys(d.extra)) {
      if (
        d.backends.some((b) => b.id === section.toLowerCase()) &&
        Object.keys(d.extra[section] ?? {}).some((k) => ['url', 'urls', 'secret'].includes(k))
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['extra', section],
          message: `set backend "${section}" URLs through backends, not extra`,
        });
      }
    }
    const ts = d.turnServer;
    if (ts.mode === 'local') {
      if (ts.tlsPort !== undefined && isIP(d.hostname) !== 0)
        ctx.addIssue({
          code: 'custom',
          path: ['turnServer', 'tlsPort'],
          message: `TURN over TLS (turns:) needs a domain name; ${d.hostname} is an IP address (Talk refuses turns: with an IP)`,
        });
      if (ts.tlsPort === ts.port)
        ctx.addIssue({
          code: 'custom',
          path: ['turnServer', 'tlsPort'],
          message: `the TLS port ${ts.tlsPort} is the plain TURN port; give another one (5349 or 443)`,
        });
      if (d.mcu.type === 'janus' && rangesOverlap(ts.relayPorts, ts.janusRtpPorts))
        ctx.addIssue({
          code: 'custom',
          path: ['turnServer', 'relayPorts'],
          message: `the relay range ${ts.relayPorts.min}-${ts.relayPorts.max} overlaps Janus's RTP range ${ts.janusRtpPorts.min}-${ts.janusRtpPorts.max}; keep them apart`,
        });
      for (const p of [ts.port, ts.tlsPort])
        if (p !== undefined && p >= ts.relayPorts.min && p <= ts.relayPorts.max)
          ctx.addIssue({
            code: 'custom',
            path: ['turnServer', 'relayPorts'],
            message: `the relay range ${ts.relayPorts.min}-${ts.relayPorts.max} holds the listening port ${p}`,
          });
    }
    if (d.proxyNode) {
      if (d.mcu.type !== 'proxy')
        ctx.addIssue({
          code: 'custom',
          path: ['proxyNode'],
          message: 'a media node on this host needs the proxy MCU (--janus proxy)',
        });
      else if (
        d.proxyNode.tokens.some((t) => d.mcu.type === 'proxy' && t.id === d.mcu.tokenId) ||
        new Set(d.proxyNode.tokens.map((t) => t.id)).size !== d.proxyNode.tokens.length
      )
        ctx.addIssue({
          code: 'custom',
          path: ['proxyNode', 'tokens'],
          message: 'each signaling server needs a unique token id',
        });
      if (d.proxyNode.listen === d.listen || d.proxyNode.listen === d.grpc?.listen)
        ctx.addIssue({
          code: 'custom',
          path: ['proxyNode', 'listen'],
          message: `the proxy's listen address ${d.proxyNode.listen} is taken by the signaling server`,
        });
    }
    if (d.mcu.type === 'proxy' && d.mcu.urlType === 'static' && d.mcu.urls.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['mcu', 'urls'],
        message: 'the proxy MCU needs at least one proxy URL (--proxy-url)',
      });
    if (d.janus) {
      if (d.mcu.type !== 'janus')
        ctx.addIssue({
          code: 'custom',
          path: ['mcu'],
          message: 'Janus on this host needs the janus MCU (--janus local)',
        });
      else if (!isLoopbackWsUrl(d.mcu.url))
        ctx.addIssue({
          code: 'custom',
          path: ['mcu', 'url'],
          message: `Janus on this host listens on loopback only; ${d.mcu.url} is not a 127.0.0.1 URL`,
        });
      d.janus.publicIps.forEach((ip, i) => {
        const why = nonPublicReason(ip);
        if (why)
          ctx.addIssue({
            code: 'custom',
            path: ['janus', 'publicIps', i],
            message: `${ip} is ${why}: nat_1_1_mapping takes the address clients reach`,
          });
      });
    }
    if (d.nginx.upstreams && d.nginx.server !== 'nginx' && d.nginx.mode !== 'none')
      ctx.addIssue({
        code: 'custom',
        path: ['nginx', 'upstreams'],
        message: `a front end for several signaling servers is rendered for nginx only, not ${d.nginx.server}`,
      });
    // Last, so a field's own reason comes first (one problem per value is reported).
    checkTexts(d, [], ctx);
    // After the texts' own reasons (a reference, a control character) for the same value.
    if (d.mcu.type === 'janus' && /^wss?:\/\/[^/?#]+[/?#]./.test(d.mcu.url))
      ctx.addIssue({
        code: 'custom',
        path: ['mcu', 'url'],
        message: "Janus's websocket has no path (a path leads nowhere); give ws://HOST:PORT only",
      });
  });

export type Deployment = z.infer<typeof DeploymentSchema>;
export type DeploymentInput = z.input<typeof DeploymentSchema>;

/**
 * Why the nginx site has no certificate to use, or undefined: Let's Encrypt's paths are the
 * default, and Let's Encrypt issues none for an IP address. (Not in the schema: server.conf alone,
 * read back, cannot say which certificate nginx uses.)
 */
export function certificateProblem(d: Pick<Deployment, 'hostname' | 'nginx'>): string | undefined {
  if (isIpAddress(d.hostname) && d.nginx.mode === 'site' && !(d.nginx.certificate && d.nginx.key))
    return IP_HOSTNAME_PROBLEM;
  return undefined;
}

/**
 * What server.conf's [turn] servers says for a TURN setup (turn: URIs for Janus, UDP and TCP), or
 * undefined for none: the field `turn` follows `turnServer` whenever a TURN server is set up.
 */
export function janusTurnServers(d: Pick<Deployment, 'hostname' | 'turnServer'>): string[] | undefined {
  const ts = d.turnServer;
  const hostPorts = ts.mode === 'local' ? [`${d.hostname}:${ts.port}`] : ts.mode === 'external' ? ts.servers : [];
  if (hostPorts.length === 0) return undefined;
  return hostPorts.flatMap((hp) => [`turn:${hp}?transport=udp`, `turn:${hp}?transport=tcp`]);
}

/**
 * The deployment with `turn` following `turnServer` (when a TURN server is set up); switched to
 * none, a [turn] section that only pointed at the previous TURN setup goes too.
 */
export function withTurnFollowing(d: Deployment, previous?: unknown): Deployment {
  const servers = janusTurnServers(d);
  if (servers) return { ...d, turn: { servers } };
  const prev = TurnSetupSchema.safeParse(previous);
  if (d.turn && prev.success) {
    const was = janusTurnServers({ hostname: d.hostname, turnServer: prev.data });
    if (was && was.join(',') === d.turn.servers.join(',')) {
      const { turn: _dropped, ...rest } = d;
      return rest;
    }
  }
  return d;
}

/** A ws:// URL to this host's loopback (where Janus on this host listens). */
export const isLoopbackWsUrl = (u: string): boolean => /^ws:\/\/(127\.0\.0\.1|\[::1\]):\d+\/?$/.test(u);

/** Janus's rtp_port_range: the one kept apart from coturn's relay range, else the default. */
export function janusRtpPorts(d: Pick<Deployment, 'turnServer'>): PortRange {
  return d.turnServer.mode === 'local' ? d.turnServer.janusRtpPorts : { min: JANUS_RTP_MIN, max: JANUS_RTP_MAX };
}
