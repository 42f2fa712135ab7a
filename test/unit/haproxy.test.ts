// The HAProxy renderer: the managed block replaced in place (every other line kept), the site's
// frontends and the backend (prefix stripped, tunnel timeout), the snippet's backend alone with
// the lines for an existing frontend, and no value that breaks HAProxy's grammar reaching the file.
import { describe, expect, it } from 'vitest';
import { DeploymentSchema } from '../../src/model/deployment.js';
import {
  HAPROXY_BLOCK_BEGIN,
  HAPROXY_BLOCK_END,
  haproxyBoundPorts,
  haproxyFrontendLines,
  haproxyToken,
  renderHaproxyBlock,
  withHaproxyBlock,
} from '../../src/render/haproxy.js';
import { haproxyFiles } from '../../src/plan/haproxyPlan.js';
import { DEBIAN_HAPROXY } from '../../src/detect/layout.js';
import { memoryHost } from '../../src/io/host.js';
import { runInProcess } from '../cli/inProcess.js';
import { scratch, treeState } from '../cli/run.js';

const base = {
  hostname: 'hpb.example.org',
  backends: [{ id: 'cloud', urls: ['https://cloud.example.org'] }],
};
const d = (nginx: object, extra: object = {}) =>
  DeploymentSchema.parse({ ...base, ...extra, nginx: { server: 'haproxy', ...nginx } });
const CRT = '/etc/haproxy/certs/spreed-signaling.pem';

describe('renderHaproxyBlock', () => {
  it('site: TLS frontend on every address routing the base path, the backend stripping it', () => {
    const b = renderHaproxyBlock(d({}), CRT)!;
    expect(b.startsWith(`${HAPROXY_BLOCK_BEGIN}\n`)).toBe(true);
    expect(b.endsWith(`${HAPROXY_BLOCK_END}\n`)).toBe(true);
    expect(b).toContain(`bind [::]:443 v4v6 ssl crt ${CRT} alpn h2,http/1.1`);
    expect(b).toContain('bind [::]:80 v4v6\n');
    expect(b).toContain('acl spreed_signaling path_beg /standalone-signaling/');
    expect(b).toContain("http-request replace-path '^/standalone-signaling(/.*)$' '\\1'");
    expect(b).toMatch(/^ {4}timeout tunnel 1h$/m);
    // Every HTTP timeout above the server's 60 s pong wait.
    for (const m of b.matchAll(/timeout (client|server) (\d+)s/g)) expect(Number(m[2])).toBeGreaterThan(60);
    expect(b).toMatch(/^ {4}server signaling 127\.0\.0\.1:8080$/m);
  });
  it('snippet: the backend alone; a dot in the base path matches only a dot; IPv6 listen', () => {
    const b = renderHaproxyBlock(d({ mode: 'snippet' }, { basePath: '/sig.v2', listen: '[::1]:9000' }), CRT)!;
    expect(b).not.toContain('frontend');
    expect(b).toContain("replace-path '^/sig[.]v2(/.*)$' '\\1'");
    expect(b).toContain('server signaling [::1]:9000');
    expect(haproxyFrontendLines({ basePath: '/sig.v2' })).toEqual([
      'acl spreed_signaling path_beg /sig.v2/',
      'use_backend spreed-signaling if spreed_signaling',
    ]);
    expect(renderHaproxyBlock(d({ mode: 'none' }), CRT)).toBeUndefined();
  });
  it('a bind address and ports of its own', () => {
    const b = renderHaproxyBlock(d({ bindAddress: '127.0.0.1', httpsPort: 8443, httpPort: 8080 }), CRT)!;
    expect(b).toContain(`bind 127.0.0.1:8443 ssl crt ${CRT} `);
    expect(b).toContain('bind 127.0.0.1:8080\n');
  });
});

describe('haproxy grammar', () => {
  it('haproxyToken refuses spaces, quotes, #, backslashes and newlines', () => {
    for (const bad of ['a b', 'a#b', "a'b", 'a"b', 'a\\b', 'a\nb', 'a\tb', ''])
      expect(() => haproxyToken(bad, 'x')).toThrow(/cannot go into haproxy\.cfg/);
    expect(haproxyToken('/etc/haproxy/x.pem', 'x')).toBe('/etc/haproxy/x.pem');
  });
  it('the model keeps hostile values out before anything is rendered', () => {
    const bad: object[] = [
      { hostname: 'hpb.example.org #x' },
      { hostname: 'hpb.example.org\nbackend x' },
      { basePath: "/sig'x" },
      { basePath: '/sig x' },
      { listen: '127.0.0.1:8080 x' },
      { nginx: { server: 'haproxy', certificate: '/c p.pem', key: '/k.pem' } },
      { nginx: { server: 'haproxy', certificate: '/c#.pem', key: '/k.pem' } },
      { nginx: { server: 'haproxy', httpsPort: 70000 } },
    ];
    for (const b of bad) expect(DeploymentSchema.safeParse({ ...base, ...b }).success, JSON.stringify(b)).toBe(false);
  });
});

describe('withHaproxyBlock and the plan', () => {
  const admins = 'global\n    daemon\n\ndefaults\n    mode http\n';
  it('appends once, replaces in place, keeps every other line', () => {
    const one = withHaproxyBlock(admins, 'A\n');
    expect(one).toBe(`${admins}\nA\n`);
    const block = renderHaproxyBlock(d({}), CRT)!;
    const two = withHaproxyBlock(admins, block);
    const three = withHaproxyBlock(
      `${two}frontend mine\n    bind :8000\n`,
      renderHaproxyBlock(d({ mode: 'snippet' }), CRT)!,
    );
    expect(three.startsWith(admins)).toBe(true);
    expect(three.match(/# BEGIN spreed-setup/g)).toHaveLength(1);
    expect(three).not.toContain('frontend spreed-signaling-https');
    expect(three.endsWith('frontend mine\n    bind :8000\n')).toBe(true);
    expect(withHaproxyBlock(undefined, 'A\n')).toBe('A\n');
  });
  it('ports bound outside the block', () => {
    const cfg = withHaproxyBlock(
      'frontend web\n    bind :443,:::8443 ssl crt /x.pem\n',
      renderHaproxyBlock(d({}), CRT)!,
    );
    expect([...haproxyBoundPorts(cfg)].sort()).toEqual([443, 8443]);
  });
  it('site: links to the certificate and key, never their content; a taken port is refused', () => {
    const host = memoryHost({ files: { [DEBIAN_HAPROXY.configPath]: admins } });
    const r = haproxyFiles(d({ certificate: '/c.pem', key: '/k.pem' }), host, DEBIAN_HAPROXY);
    expect(r.problems).toEqual([]);
    expect(r.desired.map((f) => [f.path, f.linkTarget])).toEqual([
      [DEBIAN_HAPROXY.configPath, undefined],
      [CRT, '/c.pem'],
      [`${CRT}.key`, '/k.pem'],
    ]);
    const taken = memoryHost({ files: { [DEBIAN_HAPROXY.configPath]: `${admins}frontend w\n    bind *:443\n` } });
    const refused = haproxyFiles(d({}), taken, DEBIAN_HAPROXY);
    expect(refused.problems[0]?.message).toMatch(/already has a frontend bound to port 443/);
    const snippet = haproxyFiles(d({ mode: 'snippet' }), taken, DEBIAN_HAPROXY);
    expect(snippet.problems).toEqual([]);
    expect(snippet.notices.join('\n')).toContain('use_backend spreed-signaling if spreed_signaling');
  });
});

describe('setup --web-server haproxy with hostile values', () => {
  const ARGS = ['setup', '--nextcloud', 'https://cloud.example.org', '--web-server', 'haproxy', '--yes'];
  const cases: [string, string[], RegExp][] = [
    ['a # in the hostname', ['--hostname', 'hpb.example.org#x'], /hostname/],
    [
      'a space in the certificate path',
      ['--hostname', 'hpb.example.org', '--tls-cert', '/c p.pem', '--tls-key', '/k.pem'],
      /path/,
    ],
    ['a quote in the listen address', ['--hostname', 'hpb.example.org', '--listen', "127.0.0.1:80'80"], /listen/i],
  ];
  for (const [name, extra, why] of cases)
    it(`${name}: exit 2, one error line, nothing written`, async () => {
      const root = scratch('spreed-haproxy-hostile-');
      const before = treeState(root);
      const r = await runInProcess([...ARGS, ...extra, '--root', root]);
      expect(r.code, r.all).toBe(2);
      const errors = r.all.split('\n').filter((l) => l.startsWith('error:'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(why);
      expect(treeState(root)).toEqual(before);
    });
});

describe('setup --web-server haproxy, certificate missing', () => {
  it("under --root a notice with certbot's standalone challenge (HAProxy serves no webroot)", async () => {
    const root = scratch('spreed-haproxy-cert-');
    const r = await runInProcess([
      'setup',
      '--nextcloud',
      'https://cloud.example.org',
      '--web-server',
      'haproxy',
      '--hostname',
      'hpb.example.org',
      '--yes',
      '--root',
      root,
    ]);
    expect(r.code, r.all).toBe(0);
    expect(r.all).toContain('certbot certonly --standalone -d hpb.example.org');
    expect(r.all).not.toContain('certbot certonly --webroot');
  });
});
