// `spreed-setup render`: the engines' files from examples/cluster.yaml, validated by the real
// tools (docker-compose 1.29's `config`, nix-instantiate --parse); no secret value in any file
// written (a bundle of known random values); hostile values and symlinks refused with exit 2
// before anything is written.
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { componentPath, skipUnless } from '../harness/components.js';
import { tempDir } from '../harness/tmp.js';
import { runCli, treeState } from './run.js';

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, read field by field
type Loose = any;
/** `${`, spelled so that no linter takes it for a template. */
const DOLLAR_BRACE = '$' + '{';

const EXAMPLE = path.resolve(import.meta.dirname, '../../examples/cluster.yaml');
const example = () => parse(readFileSync(EXAMPLE, 'utf8')) as Loose;

/** Every file below dir, relative. */
function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Another shape of cluster: no media nodes, an existing NATS cluster, gRPC by DNS, IPv6 node
 * addresses, TURN and stats IPs, two backends.
 */
function variantFile(): string {
  const c = example();
  c.backends.push({ id: 'second_cloud', urls: ['https://other.example.org/nextcloud'], sessionLimit: 100 });
  c.turnServer = { mode: 'external', servers: ['turn.example.org:3478'] };
  c.statsAllowedIps = ['10.0.0.0/8', 'fd00::/8'];
  c.cluster.nodes = [
    { name: 'a', address: 'fd00::11' },
    { name: 'b', address: 'fd00::12', httpPort: 8081 },
  ];
  c.cluster.front = 'a';
  c.cluster.media = [];
  c.cluster.nats = { mode: 'external', urls: ['nats://nats1.example.org:4222', 'nats://nats2.example.org:4222'] };
  c.cluster.grpc = { discovery: 'dns', name: 'signaling.example.org' };
  const file = path.join(tempDir('spreed-variant-'), 'cluster.yaml');
  writeFileSync(file, stringify(c));
  return file;
}

const render = (engine: string, out: string, extra: string[] = [], file = EXAMPLE) =>
  runCli(['render', '--cluster', file, '--engine', engine, '--out', out, ...extra]);

const compose = skipUnless({ components: ['docker-compose'] });
describe.skipIf(compose.skip)(`compose projects pass docker-compose config${compose.suffix}`, () => {
  it('every machine of the cluster has a project docker-compose accepts', async () => {
    const out = path.join(tempDir('spreed-render-'), 'compose');
    const r = await render('compose', out);
    expect(r.code, r.all).toBe(0);
    const projects = readdirSync(out).filter((d) => statSync(path.join(out, d)).isDirectory());
    expect(projects.sort()).toEqual(['media1', 'sig1', 'sig2']);
    for (const p of projects) {
      const dir = path.join(out, p);
      // What prepare.sh makes from the bundle (contents do not matter to the schema).
      writeFileSync(path.join(dir, 'secrets.env'), '');
      const v = await execa(
        componentPath('docker-compose'),
        ['-f', path.join(dir, 'docker-compose.yml'), 'config', '-q'],
        {
          cwd: dir,
          reject: false,
          timeout: 30_000,
        },
      );
      expect(v.exitCode, `${p}: ${v.stderr}`).toBe(0);
    }
  });

  it('another shape of cluster (IPv6, external NATS, DNS discovery, TURN, no media) passes too', async () => {
    const out = path.join(tempDir('spreed-render-'), 'compose');
    const r = await render('compose', out, [], variantFile());
    expect(r.code, r.all).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['README.md', 'a', 'b']);
    for (const p of ['a', 'b']) {
      const dir = path.join(out, p);
      const yml = readFileSync(path.join(dir, 'docker-compose.yml'), 'utf8');
      expect(yml).not.toContain('nats:2'); // an existing NATS cluster: no nats-server here
      expect(yml).toContain('GRPC_DNS_DISCOVERY');
      expect(readFileSync(path.join(dir, 'prepare.sh'), 'utf8')).toContain('value turn-secret TURN_SECRET');
      writeFileSync(path.join(dir, 'secrets.env'), '');
      const v = await execa(
        componentPath('docker-compose'),
        ['-f', path.join(dir, 'docker-compose.yml'), 'config', '-q'],
        {
          cwd: dir,
          reject: false,
          timeout: 30_000,
        },
      );
      expect(v.exitCode, `${p}: ${v.stderr}`).toBe(0);
    }
  });

  it('docker-compose does refuse a broken file (the check above can fail)', async () => {
    const dir = tempDir('spreed-render-');
    writeFileSync(path.join(dir, 'docker-compose.yml'), 'services:\n  x:\n    network_mode: [host]\n');
    const v = await execa(
      componentPath('docker-compose'),
      ['-f', path.join(dir, 'docker-compose.yml'), 'config', '-q'],
      {
        cwd: dir,
        reject: false,
        timeout: 30_000,
      },
    );
    expect(v.exitCode).not.toBe(0);
  });
});

const nix = skipUnless({ components: ['nix-instantiate'] });
describe.skipIf(nix.skip)(`NixOS modules parse with nix-instantiate${nix.suffix}`, () => {
  it('each signaling node has a module that nix-instantiate --parse accepts', async () => {
    const out = path.join(tempDir('spreed-render-'), 'nixos');
    const r = await render('nixos', out);
    expect(r.code, r.all).toBe(0);
    const mods = files(out).filter((f) => f.endsWith('.nix'));
    expect(mods).toEqual(['sig1.nix', 'sig2.nix']);
    for (const f of [...mods, '../broken.nix']) {
      if (f === '../broken.nix') writeFileSync(path.join(out, f), '{ a = "x; }\n');
      const v = await execa(componentPath('nix-instantiate'), ['--parse', path.join(out, f)], {
        reject: false,
        timeout: 30_000,
      });
      if (f === '../broken.nix') expect(v.exitCode, 'a broken file is refused').not.toBe(0);
      else expect(v.exitCode, `${f}: ${v.stderr}`).toBe(0);
    }
  });
});

describe.skipIf(nix.skip)(`NixOS modules of another shape of cluster${nix.suffix}`, () => {
  it('IPv6, external NATS, DNS discovery, TURN: parses; session limits are refused for the module', async () => {
    const file = variantFile();
    const refused = await render('nixos', path.join(tempDir('spreed-render-'), 'nixos'), [], file);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/backend second_cloud: the NixOS module's backends take only urls and secretFile/);
    const c = parse(readFileSync(file, 'utf8')) as Loose;
    delete c.backends[1].sessionLimit;
    writeFileSync(file, stringify(c));
    const out = path.join(tempDir('spreed-render-'), 'nixos');
    const r = await render('nixos', out, [], file);
    expect(r.code, r.all).toBe(0);
    const a = readFileSync(path.join(out, 'a.nix'), 'utf8');
    expect(a).toContain('listen = "[fd00::11]:8080";');
    expect(a).toContain('dnsdiscovery = true;');
    expect(a).not.toContain('services.nats');
    for (const f of ['a.nix', 'b.nix']) {
      const v = await execa(componentPath('nix-instantiate'), ['--parse', path.join(out, f)], { reject: false });
      expect(v.exitCode, `${f}: ${v.stderr}`).toBe(0);
    }
  });
});

describe('no secret value in any file written', () => {
  it('a bundle of known random values: none appears in any engine file or output; prepare.sh carries them into secrets.env only', async () => {
    const bundle = tempDir('spreed-bundle-');
    const values: string[] = [];
    const put = (name: string, value: string) => {
      mkdirSync(path.dirname(path.join(bundle, name)), { recursive: true });
      writeFileSync(path.join(bundle, name), `${value}\n`, { mode: 0o600 });
      values.push(value);
    };
    for (const [name, bytes] of [
      ['hashkey', 32],
      ['blockkey', 16],
      ['internalsecret', 32],
      ['backend-nextcloud', 32],
      ['turn-apikey', 16],
      ['turn-secret', 32],
    ] as const)
      put(name, randomBytes(bytes).toString('hex'));
    for (const n of ['sig1', 'sig2']) {
      put(`tokens/${n}.key`, `PRIVATE-${randomBytes(24).toString('hex')}`);
      put(`tokens/${n}.pub`, `PUBLIC-${randomBytes(24).toString('hex')}`);
    }
    const out = tempDir('spreed-render-');
    const outputs: string[] = [];
    for (const engine of ['compose', 'kubernetes', 'nixos']) {
      const r = await render(engine, path.join(out, engine), ['--cluster-secrets', bundle]);
      expect(r.code, r.all).toBe(0);
      outputs.push(r.all);
    }
    const written = files(out);
    expect(written.length).toBeGreaterThan(10);
    for (const f of written) {
      const text = readFileSync(path.join(out, f), 'utf8');
      for (const v of values) expect(text.includes(v), `${f} holds a secret value`).toBe(false);
      // The bundle is referenced, by its files' names.
      if (f.endsWith('.nix')) expect(text).toContain(`${bundle}/hashkey`);
    }
    for (const o of outputs) for (const v of values) expect(o.includes(v)).toBe(false);

    // The compose project's prepare.sh is what brings the values in: into secrets.env (0600) only, silently.
    const sig1 = path.join(out, 'compose', 'sig1');
    const prep = await execa('sh', [path.join(sig1, 'prepare.sh'), bundle], { reject: false, timeout: 30_000 });
    expect(prep.exitCode, prep.stderr).toBe(0);
    for (const v of values) expect(`${prep.stdout}${prep.stderr}`.includes(v)).toBe(false);
    const env = readFileSync(path.join(sig1, 'secrets.env'), 'utf8');
    expect(statSync(path.join(sig1, 'secrets.env')).mode & 0o777).toBe(0o600);
    expect(env).toContain(`HASH_KEY=${values[0]}\n`);
    expect(env).toContain(`BACKEND_NEXTCLOUD_SHARED_SECRET=${values[3]}\n`);
    expect(env).not.toMatch(/BACKEND_NEXTCLOUD_SECRET=/);
    expect(statSync(path.join(sig1, 'token.key')).mode & 0o777).toBe(0o400);
    // Only this node's own key.
    expect(readFileSync(path.join(sig1, 'token.key'), 'utf8')).toContain(values[6]!);
    const media = path.join(out, 'compose', 'media1');
    expect((await execa('sh', [path.join(media, 'prepare.sh'), bundle], { reject: false })).exitCode).toBe(0);
    expect(readdirSync(path.join(media, 'tokens')).sort()).toEqual(['sig1.pub', 'sig2.pub']);
    // The proxy runs as the image's user: the mounted directory and keys are open to it.
    expect(statSync(path.join(media, 'tokens')).mode & 0o777).toBe(0o755);
    expect(statSync(path.join(media, 'tokens', 'sig1.pub')).mode & 0o777).toBe(0o444);
    expect(existsSync(path.join(media, 'secrets.env'))).toBe(false);

    // A value the image's sed cannot take is refused, without showing it.
    writeFileSync(path.join(bundle, 'hashkey'), 'abc|def\n');
    const bad = await execa('sh', [path.join(sig1, 'prepare.sh'), bundle], { reject: false });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('hashkey');
    expect(bad.stderr).not.toContain('abc|def');
    chmodSync(path.join(bundle, 'hashkey'), 0o600);
  });
});

describe('refusals: exit 2, one line per problem, nothing written', () => {
  const hostile: Array<[string, (c: Loose) => void, RegExp]> = [
    [
      'a | in a backend URL',
      (c) => (c.backends[0].urls = ['https://cloud.example.org/a|b']),
      /backends\[0\]\.urls\[0\] contains "\|"/,
    ],
    ['a quote in a backend URL', (c) => (c.backends[0].urls = ['https://cloud.example.org/"x']), /contains """/],
    [
      `${DOLLAR_BRACE} in a backend URL`,
      (c) => (c.backends[0].urls = [`https://cloud.example.org/${DOLLAR_BRACE}x}`]),
      /contains "\$"/,
    ],
    [
      'a newline in the host name',
      (c) => (c.hostname = 'hpb.example.org\nx: y'),
      /hostname contains a control character/,
    ],
    ['a quote in a Janus URL', (c) => (c.cluster.media[0].janusUrl = 'ws://127.0.0.1:8188/"'), /janusUrl contains """/],
    [
      'a | in an external NATS URL',
      (c) => (c.cluster.nats = { mode: 'external', urls: ['nats://a|b:4222'] }),
      /nats\.urls\[0\] contains "\|"/,
    ],
    ['serverVersion without backend urls', (c) => (c.serverVersion = '2.0.2'), /serverVersion 2\.0\.2: .*urls/],
  ];
  it.each(hostile)('%s', async (_name, change, message) => {
    const dir = tempDir('spreed-render-');
    const c = example();
    change(c);
    const file = path.join(dir, 'cluster.yaml');
    writeFileSync(file, stringify(c));
    for (const engine of ['compose', 'kubernetes', 'nixos']) {
      const out = path.join(dir, `out-${engine}`);
      const r = await render(engine, out, [], file);
      expect(r.code, r.all).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines.at(-1)).toBe('Nothing was written.');
      expect(lines.slice(0, -1).every((l) => l.startsWith('error: ') && l.includes(' — fix: '))).toBe(true);
      expect(r.stderr).toMatch(message);
      expect(r.all).not.toMatch(/\n\s+at /);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('bad arguments: a missing --out and an unknown engine, each one line', async () => {
    const r = await runCli(['render', '--cluster', EXAMPLE, '--engine', 'helm']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown --engine "helm"');
    expect(r.stderr).toContain('--out DIR is missing');
  });

  it('a symbolic link in DIR (or DIR itself) is refused; nothing written through it or beside it', async () => {
    const outside = tempDir('spreed-outside-');
    const dir = tempDir('spreed-render-');
    const out = path.join(dir, 'out');
    mkdirSync(out);
    symlinkSync(outside, path.join(out, 'sig2'));
    const r = await render('compose', out);
    expect(r.code, r.all).toBe(2);
    expect(r.stderr).toMatch(/out\/sig2 is a symbolic link/);
    expect(readdirSync(outside)).toEqual([]);
    expect(treeState(out)).toEqual({ sig2: `link ${outside}` });
    const linked = path.join(dir, 'linked');
    symlinkSync(outside, linked);
    const r2 = await render('nixos', linked);
    expect(r2.code).toBe(2);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('rendering twice replaces the files in place (same content, no temp files left)', async () => {
    const out = path.join(tempDir('spreed-render-'), 'k8s');
    expect((await render('kubernetes', out)).code).toBe(0);
    const first = treeState(out);
    expect((await render('kubernetes', out)).code).toBe(0);
    expect(treeState(out)).toEqual(first);
    expect(Object.keys(first).sort()).toEqual(['README.md', 'spreed-signaling.yaml']);
  });
});
