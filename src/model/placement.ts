// Where each part of the model lives on disk: server.conf (read by the server), the state file
// beside it (what server.conf cannot hold), or the secret files. The state file, the server.conf
// reader and check all derive what they read and write from these tables.
import type { DeploymentInput } from './deployment.js';

export type Home = 'server.conf' | 'state';

/** Every field of the model, and the file that holds it. Secrets are never fields (see secrets/). */
export const FIELD_HOME = {
  serverVersion: 'state',
  hostname: 'state',
  basePath: 'state',
  nginx: 'state',
  sessions: 'state',
  turnServer: 'state',
  janus: 'state',
  proxyNode: 'state',
  listen: 'server.conf',
  https: 'server.conf',
  trustedProxies: 'server.conf',
  backends: 'server.conf',
  nats: 'server.conf',
  mcu: 'server.conf',
  turn: 'server.conf',
  statsAllowedIps: 'server.conf',
  grpc: 'server.conf',
  etcd: 'server.conf',
  backendSkipVerify: 'server.conf',
  extra: 'server.conf',
} as const satisfies Record<keyof DeploymentInput, Home>;

type Field = keyof typeof FIELD_HOME;
const fieldsIn = <H extends Home>(home: H) =>
  (Object.keys(FIELD_HOME) as Field[]).filter((f) => FIELD_HOME[f] === home);

/** Fields server.conf carries. */
export const CONF_FIELDS = fieldsIn('server.conf');
/**
 * Fields the state file carries. serverVersion is recorded there as `renderedFor` (what the files
 * were rendered for), not as an answer, so a re-run still follows the installed server.
 */
export const STATE_FIELDS = fieldsIn('state').filter((f) => f !== 'serverVersion');

/** server.conf keys the model manages, per section ("*backend*" stands for every backend section). */
export const MANAGED_KEYS: Readonly<Record<string, readonly string[]>> = {
  http: ['listen'],
  https: ['listen', 'certificate', 'key'],
  app: ['trustedproxies'],
  sessions: ['hashkey', 'blockkey'],
  clients: ['internalsecret'],
  backend: ['backends', 'skipverify'],
  '*backend*': ['url', 'urls', 'secret', 'sessionlimit', 'maxstreambitrate', 'maxscreenbitrate'],
  nats: ['url'],
  mcu: ['type', 'url', 'urltype', 'token_id', 'token_key'],
  turn: ['apikey', 'secret', 'servers'],
  stats: ['allowed_ips'],
  grpc: ['listen', 'targets'],
  etcd: ['endpoints'],
};

/** Sections the server.conf template writes itself (every managed one). */
export const MANAGED_SECTIONS: ReadonlySet<string> = new Set(
  Object.keys(MANAGED_KEYS).filter((s) => s !== '*backend*'),
);
