// `setup`'s options, declared once: parsing and the help text both come from SETUP_OPTIONS.
import { CLUSTER_BUNDLE, DEFAULT_JANUS_URL, DEFAULT_SESSIONS } from '../model/defaults.js';
import { COMMON, optionsHelp, parseCommandOptions, withHelp, type OptionTable } from './spec.js';

export interface SetupFlags {
  hostname?: string;
  nextcloud: string[];
  nats?: string;
  listen?: string;
  janus?: string;
  tlsCert?: string;
  tlsKey?: string;
  nginx?: string;
  webServer?: string;
  webMode?: string;
  serverVersion?: string;
  sessions?: string;
  answers?: string;
  answersOut?: string;
  /** One node of a cluster file (setup --cluster FILE --node NAME). */
  cluster?: string;
  node?: string;
  clusterSecrets?: string;
  turn?: string;
  turnSecretFile?: string;
  turnTlsPort?: string;
  turnExternalIp?: string;
  turnRelayPorts?: string;
  turnAllowPeer?: string[];
  janusRtpPorts?: string;
  janusPublicIp?: string;
  proxyUrl?: string;
  proxyTokenId?: string;
  proxyNode?: string;
  proxyCountry?: string;
  proxyBandwidth?: string;
  firewall?: string;
  config?: string;
  root?: string;
  rotate: string[];
  yes: boolean;
  dryRun: boolean;
  restart: boolean;
  debug: boolean;
  help: boolean;
}

/** The string options and the flag each fills. */
const STRINGS = {
  hostname: 'hostname',
  nats: 'nats',
  listen: 'listen',
  janus: 'janus',
  'tls-cert': 'tlsCert',
  'tls-key': 'tlsKey',
  nginx: 'nginx',
  'web-server': 'webServer',
  'web-mode': 'webMode',
  'server-version': 'serverVersion',
  sessions: 'sessions',
  answers: 'answers',
  'answers-out': 'answersOut',
  cluster: 'cluster',
  node: 'node',
  'cluster-secrets': 'clusterSecrets',
  turn: 'turn',
  'turn-secret-file': 'turnSecretFile',
  'turn-tls-port': 'turnTlsPort',
  'turn-external-ip': 'turnExternalIp',
  'turn-relay-ports': 'turnRelayPorts',
  'janus-rtp-ports': 'janusRtpPorts',
  'janus-public-ip': 'janusPublicIp',
  'proxy-url': 'proxyUrl',
  'proxy-token-id': 'proxyTokenId',
  'proxy-node': 'proxyNode',
  'proxy-country': 'proxyCountry',
  'proxy-bandwidth': 'proxyBandwidth',
  firewall: 'firewall',
  config: 'config',
  root: 'root',
} as const satisfies Record<string, keyof SetupFlags>;

export const SETUP_OPTIONS: OptionTable = [
  {
    name: 'hostname',
    type: 'string',
    arg: 'NAME',
    help: ['public host name of the signaling server (e.g. hpb.example.org)'],
  },
  {
    name: 'nextcloud',
    type: 'string',
    multiple: true,
    arg: 'URL',
    help: ['a Nextcloud base URL (repeat for several; each becomes a backend)'],
  },
  {
    name: 'nats',
    type: 'string',
    arg: 'MODE',
    help: [
      'loopback (in-process, default) | local (nats-server on 127.0.0.1:4222)',
      '| nats://host:4222[,nats://…] (external cluster)',
    ],
  },
  {
    name: 'listen',
    type: 'string',
    arg: 'HOST:PORT',
    help: ['where the signaling server listens (default 127.0.0.1:8080)'],
  },
  {
    name: 'janus',
    type: 'string',
    arg: 'local|URL|proxy|none',
    help: [
      `local: Janus on this host, its files written; or use Janus as MCU at URL (e.g. ${DEFAULT_JANUS_URL});`,
      'proxy: media farms, Janus behind signaling proxies (--proxy-url)',
    ],
  },
  {
    name: 'proxy-url',
    type: 'string',
    arg: 'URL[,URL]',
    help: ['with --janus proxy: the signaling proxies (http(s)://HOST:PORT[/PATH/])'],
  },
  {
    name: 'proxy-token-id',
    type: 'string',
    arg: 'ID',
    help: ["with --janus proxy: this server's token id at the proxies (default: the host name)"],
  },
  {
    name: 'proxy-node',
    type: 'string',
    arg: 'local|HOST:PORT',
    help: ["a media node here: write the proxy's proxy.conf (listening on 127.0.0.1:9091, or HOST:PORT)"],
  },
  { name: 'proxy-country', type: 'string', arg: 'CC', help: ["the media node's country (ISO 3166, e.g. DE)"] },
  {
    name: 'proxy-bandwidth',
    type: 'string',
    arg: 'IN,OUT',
    help: ["the media node's bandwidth limits in Mbit/s (0 = none)"],
  },
  {
    name: 'tls-cert',
    type: 'string',
    arg: 'PATH',
    help: ['certificate for the web server (default /etc/letsencrypt/live/HOST/fullchain.pem)'],
  },
  { name: 'tls-key', type: 'string', arg: 'PATH', help: ['its key (default /etc/letsencrypt/live/HOST/privkey.pem)'] },
  {
    name: 'nginx',
    type: 'string',
    arg: 'MODE',
    help: [
      'site (complete HTTPS site, default) | snippet (locations to include in',
      'an existing server block) | none',
    ],
  },
  {
    name: 'web-server',
    type: 'string',
    arg: 'NAME',
    help: [
      'the front end: nginx (default) | apache (Apache 2.4.47+, the Debian way) |',
      'caddy (Caddy 2) | haproxy (HAProxy 2.2+) | traefik (its file provider)',
    ],
  },
  {
    name: 'web-mode',
    type: 'string',
    arg: 'MODE',
    help: ['site | snippet | none, for any --web-server (the same as --nginx)'],
  },
  {
    name: 'server-version',
    type: 'string',
    arg: 'V',
    help: ['render for this server version instead of the detected one'],
  },
  {
    name: 'sessions',
    type: 'string',
    arg: 'N',
    help: [
      `concurrent sessions to size nginx (worker_connections, worker_rlimit_nofile)`,
      `and the services' open-files limits for (default ${DEFAULT_SESSIONS})`,
    ],
  },
  {
    name: 'turn',
    type: 'string',
    arg: 'MODE',
    help: [
      'local (coturn on this host) | none (default) | HOST:PORT[,HOST:PORT...]',
      '(TURN servers run elsewhere; their secret from --turn-secret-file)',
    ],
  },
  {
    name: 'turn-secret-file',
    type: 'string',
    arg: 'PATH',
    help: ["file holding the TURN servers' shared secret (default: generated once, reused)"],
  },
  {
    name: 'turn-tls-port',
    type: 'string',
    arg: 'N',
    help: ["coturn's TLS port with the site's certificate (5349 or 443)"],
  },
  {
    name: 'turn-external-ip',
    type: 'string',
    arg: 'IP',
    help: ['public address coturn reports as relay address (this host behind 1:1 NAT)'],
  },
  { name: 'turn-relay-ports', type: 'string', arg: 'MIN-MAX', help: ["coturn's relay range (default 49152-65535)"] },
  {
    name: 'turn-allow-peer',
    type: 'string',
    multiple: true,
    arg: 'IP',
    help: ["an address relayed clients may reach despite the private ranges (Janus's)"],
  },
  { name: 'janus-rtp-ports', type: 'string', arg: 'MIN-MAX', help: ["Janus's rtp_port_range (default 20000-40000)"] },
  {
    name: 'janus-public-ip',
    type: 'string',
    arg: 'IP[,IP]',
    help: ["this host's public address for Janus behind 1:1 NAT (nat_1_1_mapping)"],
  },
  {
    name: 'firewall',
    type: 'string',
    arg: 'ufw|nftables',
    help: ['also show the commands that open the ports this setup needs (nothing is run)'],
  },
  {
    name: 'answers',
    type: 'string',
    arg: 'FILE',
    help: ['read answers from a YAML or JSON file (see examples/answers.yaml)'],
  },
  {
    name: 'cluster',
    type: 'string',
    arg: 'FILE',
    help: ['set up one node of a cluster file (see examples/cluster.yaml); with --node'],
  },
  { name: 'node', type: 'string', arg: 'NAME', help: ['with --cluster: the node this machine is'] },
  {
    name: 'cluster-secrets',
    type: 'string',
    arg: 'DIR',
    help: [
      `with --cluster: the secrets every node shares (default ${CLUSTER_BUNDLE.dir('NAME')});`,
      "the front node's run makes it, every other machine needs a copy at the same path",
    ],
  },
  {
    name: 'answers-out',
    type: 'string',
    arg: 'FILE',
    help: ['save the choices (no secrets) as an answers file that replays this setup'],
  },
  withHelp(COMMON.config, 'server.conf path (default: detected; Debian layout when nothing is found)'),
  withHelp(COMMON.root, 'prefix every path read and written with DIR (stage an install unprivileged)'),
  {
    name: 'rotate',
    type: 'string',
    multiple: true,
    arg: 'NAME',
    help: [
      'generate a new value for a secret: hashkey, blockkey, internalsecret,',
      'backend-<id>, turn-apikey, turn-secret (coturn, server.conf and,',
      'with register, Talk), or all',
    ],
  },
  withHelp(COMMON.yes, 'do not ask anything; missing values are an error'),
  { name: 'dry-run', type: 'boolean', help: ['show the plan and the diff (secrets masked), write nothing'] },
  {
    name: 'no-start',
    type: 'boolean',
    help: [
      'write the files only: do not enable and restart the signaling server, reload the web server',
      'and wait for the welcome (the default with systemd, never under --root)',
    ],
  },
  { name: 'restart', type: 'boolean', help: ['(the default) start what changed after writing'] },
  withHelp(COMMON.debug, 'show stack traces for unexpected errors'),
  COMMON.help,
];

export const SETUP_HELP = `spreed-setup setup: write server.conf, the secret files and the web server's site (nginx, Apache, Caddy, HAProxy, Traefik)

Usage:
  spreed-setup setup [--hostname NAME] [--nextcloud URL]... [--nats loopback|local|URL[,URL...]]
                     [--listen HOST:PORT] [--janus local|URL|none] [--tls-cert PATH --tls-key PATH]
                     [--turn local|none|HOST:PORT[,...] [--turn-secret-file PATH]]
                     [--web-server NAME] [--nginx|--web-mode site|snippet|none] [--server-version X.Y.Z]
                     [--sessions N] [--answers FILE] [--answers-out FILE]
                     [--cluster FILE --node NAME [--cluster-secrets DIR]]
                     [--config PATH] [--root DIR] [--rotate NAME]... [--yes] [--dry-run] [--no-start]

Options:
${optionsHelp(SETUP_OPTIONS, 23)}
Interactive: on a terminal without --yes, the wizard asks for what the flags leave open
(every flag given is not asked again) and shows the plan before writing anything.

Non-interactive usage (automation):
  spreed-setup setup --hostname hpb.example.org --nextcloud https://cloud.example.org --yes
  spreed-setup setup --answers answers.yaml --yes --dry-run
  spreed-setup setup --cluster cluster.yaml --node sig1 --yes   (then each other node; see README)
  Without a terminal nothing is asked: missing values exit 2 with the flags that are needed.
  Secrets are never taken from flags; existing ones are reused from the secret files
  (next to server.conf, in secrets/) or from server.conf itself.

After writing (with systemd, not under --root) it enables and restarts the signaling server,
reloads nginx, and waits for the server's welcome; if the new server does not come up, every file
is put back and the previous server is started again.

Exit codes: 0 done (or nothing to change), 1 failed while applying or starting (files put back),
            2 bad input (nothing written), 130 aborted.
`;

export function parseSetupArgs(argv: string[]): SetupFlags {
  const o = parseCommandOptions(argv, SETUP_OPTIONS, 'setup');
  const flags: SetupFlags = {
    nextcloud: o
      .list('nextcloud')
      .flatMap((u) => u.split(/\s+/))
      .filter(Boolean),
    rotate: o.list('rotate'),
    turnAllowPeer: o.list('turn-allow-peer'),
    yes: o.bool('yes'),
    dryRun: o.bool('dry-run'),
    restart: !o.bool('no-start'),
    debug: o.bool('debug'),
    help: o.bool('help'),
  };
  for (const [opt, key] of Object.entries(STRINGS)) {
    const v = o.str(opt);
    if (v !== undefined) flags[key] = v;
  }
  return flags;
}
