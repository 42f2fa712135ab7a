// Check groups without a network: a setup as readCheckSetup would hand it over, a fake IO whose
// unopened doors throw (a group may use only the IO it declares), and one check run by id.
import { groupContext, type CheckInputs, type GroupContext } from '../../../src/check/groups/context.js';
import { DEBIAN_APACHE, DEBIAN_CADDY, DEBIAN_HAPROXY, TRAEFIK } from '../../../src/detect/layout.js';
import type { CheckIO } from '../../../src/check/io.js';
import type { OccRun } from '../../../src/check/occ.js';
import type { CheckDef, Outcome } from '../../../src/check/runner.js';
import type { CheckSetup } from '../../../src/check/setup.js';
import { Target } from '../../../src/io/target.js';
import type { Layout } from '../../../src/model/layout.js';

export const UNIT = 'nextcloud-spreed-signaling';
export const SITE = '/etc/nginx/sites-available/spreed-signaling.conf';
export const RESTART_FIX = `restart the signaling server so it reads server.conf again: systemctl restart ${UNIT}`;
export const PUBLIC_URL = 'https://hpb.example.org/standalone-signaling';
export const NEXTCLOUD = 'https://cloud.example.org';
export const BACKEND_SECRET = 'backend-secret-value';
export const INTERNAL_SECRET = 'internal-secret-value';

const LAYOUT: Layout = {
  kind: 'debian',
  configPath: '/etc/nextcloud-spreed-signaling/server.conf',
  secretsDir: '/etc/nextcloud-spreed-signaling/secrets',
  serviceUser: '_signaling',
  serviceGroup: '_signaling',
  unit: UNIT,
  apache: DEBIAN_APACHE,
  caddy: DEBIAN_CADDY,
  haproxy: DEBIAN_HAPROXY,
  traefik: TRAEFIK,
  nginx: {
    kind: 'debian',
    sitePath: SITE,
    upstreamPath: '/etc/nginx/conf.d/spreed-signaling-upstream.conf',
    snippetPath: '/etc/nginx/snippets/spreed-signaling.conf',
    mainConfPath: '/etc/nginx/nginx.conf',
    unit: 'nginx',
  },
};

/** One backend `cloud` at NEXTCLOUD, listening on 127.0.0.1:8080, secrets present. */
export function checkSetup(over: Partial<CheckSetup> = {}): CheckSetup {
  return {
    target: new Target(undefined),
    layout: LAYOUT,
    configPath: LAYOUT.configPath,
    listen: '127.0.0.1:8080',
    backends: [{ id: 'cloud', urls: [NEXTCLOUD] }],
    secrets: new Map([
      ['internalsecret', INTERNAL_SECRET],
      ['backend-cloud', BACKEND_SECRET],
    ]),
    secretsFromEnv: new Map(),
    env: {},
    ...over,
  };
}

export function checkInputs(over: Partial<CheckInputs> = {}, setup: Partial<CheckSetup> = {}): CheckInputs {
  return { setup: checkSetup(setup), publicUrl: PUBLIC_URL, tls: { insecure: false }, ...over };
}

/** A CheckIO with only the given doors; calling any other fails the test. */
export function fakeIO(doors: Partial<CheckIO>): CheckIO {
  return new Proxy(doors as CheckIO, {
    get(target, name) {
      if (typeof name !== 'string' || name === 'then') return undefined;
      if (name in target) return target[name as keyof CheckIO];
      return () => {
        throw new Error(`unexpected IO: ${name}`);
      };
    },
  });
}

export function context(inputs: CheckInputs, io: Partial<CheckIO>): GroupContext<CheckIO> {
  return groupContext(inputs, fakeIO(io));
}

/** Runs one check of a group; `outcomes` answer ctx.outcome() for the checks it reads. */
export async function runOne(defs: CheckDef[], id: string, outcomes: Record<string, Outcome> = {}): Promise<Outcome> {
  const def = defs.find((d) => d.id === id);
  if (!def) throw new Error(`no check ${id} in ${defs.map((d) => d.id).join(', ')}`);
  return def.run({ left: () => 1000, outcome: async (other) => outcomes[other] });
}

/** What a check ended with, as a report shows it (data left out). */
export const shown = (o: Outcome) => ({
  status: o.status,
  detail: o.detail,
  ...(o.fix !== undefined ? { fix: o.fix } : {}),
});

export const refused = (where: string) => ({
  ok: false as const,
  code: 'connect_failed' as const,
  message: `connect ECONNREFUSED ${where}`,
});

export const occRun = (stdout: string, over: Partial<OccRun> = {}): OccRun => ({
  exitCode: 0,
  stdout,
  stderr: '',
  timedOut: false,
  notFound: false,
  ...over,
});
