// The defaults a deployment starts from: where the server listens, where a local nats-server or
// Janus answers, the public base path. Everything that needs one of these imports it from here.

export const DEFAULT_BASE_PATH = '/standalone-signaling';
export const DEFAULT_LISTEN = '127.0.0.1:8080';
export const DEFAULT_LOCAL_NATS = 'nats://127.0.0.1:4222';
export const DEFAULT_JANUS_URL = 'ws://127.0.0.1:8188';
/** nats-server's and Janus's own default ports, for URLs given without one. */
export const NATS_PORT = 4222;
/** Concurrent sessions `setup` sizes nginx and the services' open-files limits for (--sessions). */
export const DEFAULT_SESSIONS = 10000;
export const SESSIONS_MIN = 100;
export const SESSIONS_MAX = 1_000_000;

/** TURN (coturn on this host): its ports and the relay range (coturn's own defaults, turn-facts §2). */
export const TURN_PORT = 3478;
export const TURN_TLS_PORT = 5349;
export const TURN_RELAY_MIN = 49152;
export const TURN_RELAY_MAX = 65535;
/** Janus's RTP range as janus-facts recommends it (`rtp_port_range = "20000-40000"`), kept apart from the relay range. */
export const JANUS_RTP_MIN = 20000;
export const JANUS_RTP_MAX = 40000;
/** Debian's coturn: config, the sysvinit defaults file, the unit, the user it runs as. */
export const COTURN = {
  configPath: '/etc/turnserver.conf',
  defaultsPath: '/etc/default/coturn',
  unit: 'coturn',
  user: 'turnserver',
  group: 'turnserver',
  /** certbot runs every file here after each renewal. */
  deployHookPath: '/etc/letsencrypt/renewal-hooks/deploy/spreed-setup-coturn',
} as const;
/** Talk's default STUN server (seeded by its install migration). */
export const TALK_DEFAULT_STUN = 'stun.nextcloud.com:443';
/** Debian's Janus (janus-facts §2): its config folder, the files we render there, its unit. */
export const JANUS = {
  configDir: '/etc/janus',
  mainFile: 'janus.jcfg',
  websocketsFile: 'janus.transport.websockets.jcfg',
  eventsFile: 'janus.eventhandler.wsevh.jcfg',
  unit: 'janus',
  /** Janus's own websocket port, for a URL given without one. */
  wsPort: 8188,
  /** Container and VM bridges whose addresses must not be offered as candidates (aio #7893). */
  iceIgnoreList: ['vmnet', 'docker', 'br-', 'veth', 'virbr', 'lxcbr', 'cni', 'flannel'],
  /** The REST transport: all interfaces by default, and nothing the signaling server needs. */
  disabledTransports: ['libjanus_http.so'],
} as const;
/**
 * The signaling proxy of a media node (janus-facts §7): Debian's package, its config and unit; its
 * listener on loopback, apart from the `[grpc] listen` example's 9090; the RSA key pair this
 * signaling server signs its proxy tokens with (the public half goes into every proxy's [tokens]).
 */
export const PROXY = {
  configPath: '/etc/nextcloud-spreed-signaling/proxy.conf',
  unit: 'nextcloud-spreed-signaling-proxy',
  listen: '127.0.0.1:9091',
  tokenKeyPath: '/etc/nextcloud-spreed-signaling/proxy-token.key',
  /** The public key beside the private one. */
  publicKeyPath: (tokenKey: string): string => `${tokenKey.replace(/\.key$/, '')}.pub`,
  keyBits: 2048,
} as const;

/** The web servers spreed-setup renders the front end for (frontends-facts.md). */
export const WEB_SERVERS = ['nginx', 'apache', 'caddy', 'haproxy', 'traefik'] as const;
export type WebServer = (typeof WEB_SERVERS)[number];

/**
 * Where a cluster's secrets bundle lives by default (`setup --cluster`, `check --cluster`): the
 * secrets every node shares; its layout is secrets/clusterBundle.ts's.
 */
export const CLUSTER_BUNDLE = {
  dir: (clusterName: string): string => `/etc/spreed-setup/cluster-${clusterName}`,
} as const;

/** Debian's nats-server (its unit runs `nats-server -c /etc/nats-server.conf` as nats). */
export const NATS_SERVER = {
  configPath: '/etc/nats-server.conf',
  unit: 'nats-server',
  /** Signaling payloads in large meetings exceed nats-server's 1 MB default (cluster-facts §2). */
  maxPayload: '8MB',
  writeDeadline: '10s',
} as const;

/** The engines `spreed-setup render` writes a cluster for (render/engines/). */
export const ENGINES = ['compose', 'kubernetes', 'nixos'] as const;
export type Engine = (typeof ENGINES)[number];

/** The names the user reads. */
export const WEB_SERVER_LABEL: Record<WebServer, string> = {
  nginx: 'nginx',
  apache: 'Apache',
  caddy: 'Caddy',
  haproxy: 'HAProxy',
  traefik: 'Traefik',
};
