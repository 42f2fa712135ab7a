// Secrets: one file each, hex only (the one alphabet goconf can never misread), reused on every
// re-run from the secret file or an existing server.conf, generated only when absent, rotated
// only on request. Values never leave this module except into rendered files.
import { createHash, randomBytes } from 'node:crypto';
import type { Deployment } from '../model/deployment.js';

/** Values from the upstream template: a config still holding them runs with public keys. */
export const PUBLIC_PLACEHOLDERS = new Set([
  'the-secret-for-session-checksums',
  '-encryption-key-',
  'the-shared-secret-for-internal-clients',
  'the-shared-secret',
  'the-shared-secret-for-allowall',
  'the-api-key-for-the-rest-service',
  '6d1c17a7-c736-4e22-b02c-e2955b7ecc64',
]);

export interface SecretSpec {
  /** Stable name, also the file name in the secrets directory and the --rotate argument. */
  name: string;
  section: string;
  key: string;
  /** Length in hex characters of a generated value. */
  hexLength: number;
  /** A problem with an existing value, or undefined when the server accepts it. */
  check(value: string): string | undefined;
}

const nonEmpty = (v: string) => (v.length === 0 ? 'is empty' : undefined);

export const HASHKEY: SecretSpec = {
  name: 'hashkey',
  section: 'sessions',
  key: 'hashkey',
  hexLength: 64,
  check: (v) =>
    v.length === 32 || v.length === 64 ? undefined : `is ${v.length} characters; the server wants 32 or 64`,
};
export const BLOCKKEY: SecretSpec = {
  name: 'blockkey',
  section: 'sessions',
  key: 'blockkey',
  hexLength: 32,
  check: (v) =>
    [16, 24, 32].includes(Buffer.byteLength(v))
      ? undefined
      : `is ${Buffer.byteLength(v)} bytes; the server exits unless it is 16, 24 or 32`,
};
export const INTERNALSECRET: SecretSpec = {
  name: 'internalsecret',
  section: 'clients',
  key: 'internalsecret',
  hexLength: 64,
  check: nonEmpty,
};
export const TURN_APIKEY: SecretSpec = {
  name: 'turn-apikey',
  section: 'turn',
  key: 'apikey',
  hexLength: 32,
  check: nonEmpty,
};
export const TURN_SECRET: SecretSpec = {
  name: 'turn-secret',
  section: 'turn',
  key: 'secret',
  hexLength: 64,
  check: nonEmpty,
};
/** The secret a backend shares with its Nextcloud: also its file name and --rotate argument. */
export const backendSecretName = (id: string): string => `backend-${id}`;
export const backendSecretSpec = (id: string): SecretSpec => ({
  name: backendSecretName(id),
  section: id,
  key: 'secret',
  hexLength: 64,
  check: nonEmpty,
});

export function secretSpecsFor(d: Pick<Deployment, 'backends' | 'turn'>): SecretSpec[] {
  return [
    HASHKEY,
    BLOCKKEY,
    INTERNALSECRET,
    ...d.backends.map((b) => backendSecretSpec(b.id)),
    ...(d.turn ? [TURN_APIKEY, TURN_SECRET] : []),
  ];
}

export type SecretOrigin = 'file' | 'config' | 'generated' | 'rotated' | 'adopted';

export interface ResolvedSecret {
  spec: SecretSpec;
  value: string;
  origin: SecretOrigin;
}

/** name -> resolved secret */
export type Secrets = Map<string, ResolvedSecret>;

export interface SecretSources {
  /** Current content of the secret file (trimmed), undefined when absent. */
  fromFile(spec: SecretSpec): string | undefined;
  /** Value in the existing server.conf, undefined when absent. */
  fromConfig(spec: SecretSpec): string | undefined;
  /** Names to generate anew even when a value exists ("all" rotates everything). */
  rotate: ReadonlySet<string>;
  /** Values to take over on purpose (e.g. Nextcloud's secret, by `register`), by secret name. */
  adopt?: ReadonlyMap<string, string>;
  generate?: (hexLength: number) => string;
}

export interface SecretProblem {
  message: string;
  fix: string;
}

export function generateHex(hexLength: number): string {
  return randomBytes(Math.ceil(hexLength / 2))
    .toString('hex')
    .slice(0, hexLength);
}

const SAFE_SECRET = /^[\x21-\x7e]+$/;

/** Why a value cannot be written as a secret into server.conf, or undefined. */
function unsafeSecret(v: string, origin: 'file' | 'config' | 'adopted'): string | undefined {
  if (v.length > 1024) return `is ${v.length} characters long; a secret here holds at most 1024`;
  if (!SAFE_SECRET.test(v)) return 'contains spaces or control characters';
  if (v.includes('%(')) return 'contains "%(", which the server\'s config parser would replace';
  // From server.conf, `$(VAR)` was already read as the server reads it.
  if (origin !== 'config' && v.includes('$('))
    return 'contains "$(", which the server may replace from its environment';
  return undefined;
}

/**
 * Picks each secret's value: rotated > existing server.conf (what the running server uses) >
 * secret file > generated. Placeholders count as absent; an invalid existing value is a problem,
 * never silently replaced.
 */
export function resolveSecrets(
  specs: SecretSpec[],
  src: SecretSources,
): { secrets: Secrets; problems: SecretProblem[]; notices: string[] } {
  const secrets: Secrets = new Map();
  const problems: SecretProblem[] = [];
  const notices: string[] = [];
  const gen = src.generate ?? generateHex;
  for (const spec of specs) {
    const where = `[${spec.section}] ${spec.key}`;
    const adopted = src.adopt?.get(spec.name);
    if (adopted !== undefined) {
      const problem = spec.check(adopted) ?? unsafeSecret(adopted, 'adopted');
      if (problem)
        problems.push({ message: `the value to adopt for ${where} ${problem}`, fix: 'choose another value' });
      else secrets.set(spec.name, { spec, value: adopted, origin: 'adopted' });
      continue;
    }
    if (src.rotate.has(spec.name) || src.rotate.has('all')) {
      secrets.set(spec.name, { spec, value: gen(spec.hexLength), origin: 'rotated' });
      continue;
    }
    const fromConf = usable(src.fromConfig(spec));
    const fromFile = usable(src.fromFile(spec));
    const candidate = fromConf ?? fromFile;
    if (candidate === undefined) {
      if (src.fromConfig(spec) && PUBLIC_PLACEHOLDERS.has(src.fromConfig(spec)!)) {
        notices.push(`${where} held the upstream template's public placeholder; a new random value replaces it`);
      }
      secrets.set(spec.name, { spec, value: gen(spec.hexLength), origin: 'generated' });
      continue;
    }
    const origin: SecretOrigin = fromConf !== undefined ? 'config' : 'file';
    const problem = spec.check(candidate) ?? unsafeSecret(candidate, origin);
    if (problem) {
      problems.push({
        message: `existing ${where} ${problem}`,
        fix: `correct it in ${origin === 'config' ? 'server.conf' : `the secret file ${spec.name}`}, or pass --rotate ${spec.name} to generate a new one`,
      });
      continue;
    }
    if (fromConf !== undefined && fromFile !== undefined && fromConf !== fromFile) {
      notices.push(
        `${where}: server.conf and the secret file ${spec.name} differ; keeping server.conf's value (the one the server uses) and updating the file`,
      );
    }
    secrets.set(spec.name, { spec, value: candidate, origin });
  }
  return { secrets, problems, notices };
}

function usable(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  if (t.length === 0 || PUBLIC_PLACEHOLDERS.has(t)) return undefined;
  return t;
}

/** A safe way to show a secret: never its characters, only its length and a short hash. */
export function fingerprint(value: string): string {
  return `${value.length} chars, sha256 ${createHash('sha256').update(value).digest('hex').slice(0, 8)}`;
}

/** server.conf keys whose value is a secret whatever it is (from the specs above). */
const SECRET_KEYS = [
  ...new Set([HASHKEY, BLOCKKEY, INTERNALSECRET, TURN_APIKEY, TURN_SECRET, backendSecretSpec('x')].map((s) => s.key)),
];
/** Keys of other sections that hold secrets too (a GeoIP license, passwords, tokens). */
const SECRET_LIKE_KEYS = ['license', 'password', 'passwd', 'token', 'static-auth-secret'];
const SECRET_LINE = new RegExp(
  `^(\\s*(?:${[...SECRET_KEYS, ...SECRET_LIKE_KEYS].join('|')})\\s*[=:]\\s*)(\\S.*)$`,
  'gim',
);
/** The password of a URL (`nats://user:PASSWORD@host`). */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)([^\s@/]+)(@)/gi;

/** Whether a config key (any section) names a secret: its value never goes into an answers file. */
export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase();
  return SECRET_KEYS.includes(k) || SECRET_LIKE_KEYS.some((s) => k.includes(s));
}

/** A URL with its password removed, and whether it had one. */
export function withoutUrlPassword(url: string): { url: string; had: boolean } {
  const out = url.replace(URL_PASSWORD, '$1$3').replace(/:@/, '@');
  return { url: out, had: out !== url };
}

/**
 * The one way a secret is hidden: every occurrence of every known value becomes
 * `<secret N chars, sha256 …>`. With `configLines`, the value of every secret key of a config file
 * is masked too, so old values we were never told of stay hidden.
 */
export function maskSecrets(
  text: string,
  values: Iterable<string | undefined>,
  opts: { configLines?: boolean } = {},
): string {
  let out = text;
  const sorted = [...new Set(values)]
    .filter((v): v is string => v !== undefined && v.length >= 4)
    .sort((a, b) => b.length - a.length);
  for (const v of sorted) out = out.split(v).join(`<secret ${fingerprint(v)}>`);
  out = out.replace(URL_PASSWORD, (_m, head: string, pw: string, at: string) =>
    pw.startsWith('<secret') ? head + pw + at : `${head}<secret ${fingerprint(pw)}>${at}`,
  );
  if (opts.configLines)
    out = out.replace(SECRET_LINE, (_m, head: string, value: string) =>
      value.startsWith('<secret') ? head + value : `${head}<secret ${fingerprint(value)}>`,
    );
  return out;
}

/**
 * A cluster's secrets bundle (`setup --cluster`): one file per shared secret, named by its spec
 * (hashkey, blockkey, internalsecret, backend-<id>, turn-apikey, turn-secret), and each signaling
 * node's proxy token key pair under tokens/ when the cluster has media nodes.
 */
export const CLUSTER_TOKENS_DIR = 'tokens';
export const clusterTokenKeyFile = (node: string): string => `${CLUSTER_TOKENS_DIR}/${node}.key`;
export const clusterTokenPubFile = (node: string): string => `${CLUSTER_TOKENS_DIR}/${node}.pub`;
