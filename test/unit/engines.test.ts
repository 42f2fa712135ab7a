// The engines' files for examples/cluster.yaml, against golden files reviewed by hand
// (test/golden/engines/; regenerate on purpose only: UPDATE_GOLDEN=1 npx vitest run test/unit/engines.test.ts),
// and every Kubernetes object validated against the API's schemas (kubernetes-models).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { tempDir } from '../harness/tmp.js';
import { describe, expect, it } from 'vitest';
import { Namespace, ConfigMap, Service } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { renderEngine } from '../../src/commands/render.js';
import { ENGINES } from '../../src/model/defaults.js';
import { nixString, nixValue } from '../../src/render/engines/nixos.js';
import { MANIFEST_FILE } from '../../src/render/engines/kubernetes.js';

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, read field by field
type Loose = any;
/** `${`, spelled so that no linter takes it for a template. */
const DOLLAR_BRACE = '$' + '{';

const ROOT = path.resolve(import.meta.dirname, '../..');
const EXAMPLE = path.join(ROOT, 'examples/cluster.yaml');
const GOLDEN = path.join(ROOT, 'test/golden/engines');
/** The tool version the golden files are rendered with (the real one changes with every release). */
const GOLDEN_VERSION = 'GOLDEN';

const render = (engine: (typeof ENGINES)[number], file = EXAMPLE) => {
  const r = renderEngine(file, engine, { toolVersion: GOLDEN_VERSION });
  expect(r.problems).toEqual([]);
  return r.files;
};

const listTree = (dir: string): string[] => {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory()) walk(path.join(d, e.name), `${rel}${e.name}/`);
      else out.push(`${rel}${e.name}`);
    }
  };
  walk(dir, '');
  return out;
};

describe('engine golden files (examples/cluster.yaml)', () => {
  for (const engine of ENGINES) {
    it(`${engine}: the same files, byte for byte`, () => {
      const files = render(engine);
      const dir = path.join(GOLDEN, engine);
      if (process.env.UPDATE_GOLDEN === '1') {
        rmSync(dir, { recursive: true, force: true });
        for (const f of files) {
          mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
          writeFileSync(path.join(dir, f.path), f.content);
        }
      }
      expect(files.map((f) => f.path).sort()).toEqual(listTree(dir).sort());
      for (const f of files) expect(f.content, f.path).toBe(readFileSync(path.join(dir, f.path), 'utf8'));
    });
  }
});

const KINDS: Record<string, new (o: never) => { validate(): void }> = {
  Namespace: Namespace as never,
  ConfigMap: ConfigMap as never,
  Service: Service as never,
  Deployment: Deployment as never,
  StatefulSet: StatefulSet as never,
  Ingress: Ingress as never,
};

describe('Kubernetes manifests', () => {
  const manifest = render('kubernetes').find((f) => f.path === MANIFEST_FILE)!;
  const objects = parseAllDocuments(manifest.content).map(
    (d) => d.toJS() as { kind: string; metadata: { name: string } },
  );

  it('every object passes the API schema of its kind (kubernetes-models)', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/hpb',
      'ConfigMap/hpb-nats',
      'Service/hpb-nats',
      'StatefulSet/hpb-nats',
      'Service/hpb-grpc',
      'Service/hpb-signaling',
      'Deployment/hpb-sig1',
      'Deployment/hpb-sig2',
      'ConfigMap/hpb-media1-janus',
      'Deployment/hpb-media1',
      'Ingress/hpb',
    ]);
    for (const o of objects) {
      const Model = KINDS[o.kind];
      expect(Model, o.kind).toBeDefined();
      expect(() => new Model!(o as never).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
    }
  });

  it('the validator does reject a broken object (the check above can fail)', () => {
    const sts = structuredClone(objects.find((o) => o.kind === 'StatefulSet')) as Loose;
    sts.spec.replicas = 'two';
    expect(() => new StatefulSet(sts as never).validate()).toThrow();
  });

  it('gRPC: a headless Service, and every server targets its DNS name with dnsdiscovery', () => {
    const grpc = objects.find((o) => o.metadata.name === 'hpb-grpc') as Loose;
    expect(grpc.spec.clusterIP).toBe('None');
    for (const name of ['hpb-sig1', 'hpb-sig2']) {
      const dep = objects.find((o) => o.metadata.name === name) as Loose;
      const env = Object.fromEntries(
        dep.spec.template.spec.containers[0].env.map((e: Loose) => [
          e.name,
          e.value ?? `secret:${e.valueFrom.secretKeyRef.key}`,
        ]),
      );
      expect(env.GRPC_TARGETS).toBe('hpb-grpc.hpb.svc.cluster.local:9090');
      expect(env.GRPC_DNS_DISCOVERY).toBe('true');
      expect(env.NATS_URL).not.toMatch(/loopback/);
      expect(env.HASH_KEY).toBe('secret:hashkey');
      expect(env.BACKEND_NEXTCLOUD_SHARED_SECRET).toBe('secret:backend-nextcloud');
      expect(env.BACKEND_NEXTCLOUD_SECRET).toBeUndefined();
      expect(dep.spec.template.spec.containers[0].readinessProbe.httpGet.path).toBe('/api/v1/welcome');
    }
    const media = objects.find((o) => o.metadata.name === 'hpb-media1') as Loose;
    expect(media.spec.template.spec.hostNetwork).toBe(true);
  });
});

describe('the secrets the files name are the bundle files the instructions bring in', () => {
  it('Kubernetes: every secretKeyRef and Secret item is a key the README kubectl commands create', () => {
    const files = render('kubernetes');
    const manifest = files.find((f) => f.path === MANIFEST_FILE)!.content;
    const readme = files.find((f) => f.path === 'README.md')!.content;
    const created = new Map<string, Set<string>>();
    for (const cmd of readme.split(/\n(?=kubectl)/)) {
      const name = /create secret generic (\S+)/.exec(cmd)?.[1];
      if (name) created.set(name, new Set([...cmd.matchAll(/--from-file=([^=\s]+)=/g)].map((m) => m[1]!)));
    }
    expect([...created.keys()]).toEqual(['hpb-secrets', 'hpb-tokens']);
    const refs = [...manifest.matchAll(/secretKeyRef:\n\s+name: (\S+)\n\s+key: (\S+)/g)].map(
      (m) => [m[1]!, m[2]!] as const,
    );
    expect(refs.length).toBe(8); // 4 secrets x 2 signaling nodes
    for (const [name, key] of refs) expect(created.get(name)?.has(key), `${name}/${key}`).toBe(true);
    const objects = parseAllDocuments(manifest).map((d) => d.toJS() as Loose);
    const items = objects.flatMap((o) =>
      (o.spec?.template?.spec?.volumes ?? [])
        .filter((v: Loose) => v.secret)
        .flatMap((v: Loose) => v.secret.items.map((i: Loose) => [v.secret.secretName, i.key])),
    );
    expect(items.length).toBe(4); // each node's own key, the media node's two public keys
    for (const [name, key] of items) expect(created.get(name)?.has(key), `${name}/${key}`).toBe(true);
  });

  it('compose: prepare.sh reads exactly the secrets the signaling service expects from secrets.env', () => {
    const files = render('compose');
    const script = files.find((f) => f.path === 'sig1/prepare.sh')!.content;
    const read = [...script.matchAll(/^ {2}value (\S+) (\S+)$/gm)].map((m) => `${m[1]}:${m[2]}`);
    expect(read).toEqual([
      'hashkey:HASH_KEY',
      'blockkey:BLOCK_KEY',
      'internalsecret:INTERNAL_SHARED_SECRET_KEY',
      'backend-nextcloud:BACKEND_NEXTCLOUD_SHARED_SECRET',
    ]);
    const yml = parse(files.find((f) => f.path === 'sig1/docker-compose.yml')!.content) as Loose;
    const env = yml.services.signaling.environment as Record<string, string>;
    for (const v of read.map((r) => r.split(':')[1]!))
      expect(env[v], `${v} is not set in the compose file`).toBeUndefined();
    expect(yml.services.signaling.env_file).toEqual(['secrets.env']);
    expect(env.NATS_URL).toBe('nats://10.0.0.11:4222,nats://10.0.0.12:4222');
  });
});

describe('Kubernetes manifests of another shape of cluster', () => {
  it('IPv6 media node, external NATS, TURN: every object still passes its schema; no NATS objects', () => {
    const dir = tempDir('spreed-k8s-');
    const file = path.join(dir, 'cluster.yaml');
    const c = parse(readFileSync(EXAMPLE, 'utf8')) as Loose;
    c.turnServer = { mode: 'external', servers: ['turn.example.org:3478'] };
    c.cluster.media[0].address = 'fd00::21';
    c.cluster.nats = { mode: 'external', urls: ['nats://nats1.example.org:4222'] };
    writeFileSync(file, stringify(c));
    const r = renderEngine(file, 'kubernetes', { toolVersion: GOLDEN_VERSION });
    expect(r.problems).toEqual([]);
    const manifest = r.files.find((f) => f.path === MANIFEST_FILE)!.content;
    const objects = parseAllDocuments(manifest).map((d) => d.toJS() as Loose);
    expect(objects.some((o) => o.metadata.name === 'hpb-nats')).toBe(false);
    for (const o of objects) expect(() => new KINDS[o.kind]!(o as never).validate()).not.toThrow();
    expect(manifest).toContain('value: http://[fd00::21]:9091');
    expect(manifest).toContain('key: turn-secret');
    expect(r.files.find((f) => f.path === 'README.md')!.content).toContain(
      '--from-file=turn-secret=$BUNDLE/turn-secret',
    );
  });

  it('an IP address as host name is refused (an Ingress host is a DNS name)', () => {
    const file = path.join(tempDir('spreed-k8s-'), 'cluster.yaml');
    const c = parse(readFileSync(EXAMPLE, 'utf8')) as Loose;
    c.hostname = '203.0.113.7';
    writeFileSync(file, stringify(c));
    const r = renderEngine(file, 'kubernetes', { toolVersion: GOLDEN_VERSION });
    expect(r.files).toEqual([]);
    expect(r.problems.map((p) => p.message)).toEqual([
      'hostname 203.0.113.7 is an IP address; an Ingress host is a DNS name',
    ]);
  });
});

describe('Nix strings', () => {
  it('escapes quotes, backslashes and ${, and refuses control characters', () => {
    expect(nixString(`a"b\\c${DOLLAR_BRACE}d}$e`)).toBe(`"a\\"b\\\\c\\${DOLLAR_BRACE}d}$e"`);
    expect(() => nixString('a\nb')).toThrow(/control character/);
    expect(nixValue({ 'a-b': ['x'], if: true, 'c d': 1 })).toBe(
      '{\n  a-b = [\n    "x"\n  ];\n  "if" = true;\n  "c d" = 1;\n}',
    );
  });
});
