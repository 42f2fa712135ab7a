// Traefik's dynamic file configuration, parsed back with the yaml package: the router (Host and
// PathPrefix), the stripPrefix middleware, the service at the server's listen, TLS for a site;
// hostile values refused before anything is written; through the CLI, staged under --root.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DeploymentSchema } from '../../src/model/deployment.js';
import { renderTraefik, traefikToken } from '../../src/render/traefik.js';
import { runInProcess } from '../cli/inProcess.js';
import { scratch, treeState } from '../cli/run.js';

const base = { hostname: 'hpb.example.org', backends: [{ id: 'cloud', urls: ['https://cloud.example.org'] }] };
const d = (nginx: object, extra: object = {}) =>
  DeploymentSchema.parse({ ...base, ...extra, nginx: { server: 'traefik', ...nginx } });

interface Dynamic {
  http: {
    routers: Record<
      string,
      { rule: string; entryPoints: string[]; middlewares: string[]; service: string; tls: object }
    >;
    middlewares: Record<string, { stripPrefix: { prefixes: string[] } }>;
    services: Record<string, { loadBalancer: { servers: { url: string }[]; passHostHeader: boolean } }>;
  };
  tls?: { certificates: { certFile: string; keyFile: string }[] };
}

describe('renderTraefik', () => {
  it('site: router, stripPrefix middleware, service and the certificate', () => {
    const y = parse(renderTraefik(d({ certificate: '/c.pem', key: '/k.pem' }))!) as Dynamic;
    const router = y.http.routers['spreed-signaling']!;
    expect(router.rule).toBe('Host(`hpb.example.org`) && PathPrefix(`/standalone-signaling/`)');
    expect(router.entryPoints).toEqual(['websecure']);
    expect(router.tls).toEqual({});
    expect(router.middlewares).toHaveLength(1);
    const mw = y.http.middlewares[router.middlewares[0]!]!;
    expect(mw.stripPrefix.prefixes).toEqual(['/standalone-signaling']);
    const svc = y.http.services[router.service]!;
    expect(svc.loadBalancer.servers).toEqual([{ url: 'http://127.0.0.1:8080' }]);
    expect(y.tls?.certificates).toEqual([{ certFile: '/c.pem', keyFile: '/k.pem' }]);
  });
  it("snippet: no certificate of its own (Traefik's), another base path and listen", () => {
    const y = parse(renderTraefik(d({ mode: 'snippet' }, { basePath: '/hpb', listen: '[::1]:9000' }))!) as Dynamic;
    expect(y.tls).toBeUndefined();
    expect(y.http.routers['spreed-signaling']!.rule).toBe('Host(`hpb.example.org`) && PathPrefix(`/hpb/`)');
    expect(y.http.middlewares['spreed-signaling-strip']!.stripPrefix.prefixes).toEqual(['/hpb']);
    expect(y.http.services['spreed-signaling']!.loadBalancer.servers[0]!.url).toBe('http://[::1]:9000');
    expect(renderTraefik(d({ mode: 'none' }))).toBeUndefined();
  });
  it("site without a certificate given: the Let's Encrypt paths", () => {
    const y = parse(renderTraefik(d({}))!) as Dynamic;
    expect(y.tls?.certificates[0]?.certFile).toBe('/etc/letsencrypt/live/hpb.example.org/fullchain.pem');
  });
  it('hostile values: refused by the renderer and by the model', () => {
    for (const bad of ['a`b', 'a b', 'a"b', "a'b", 'a\\b', 'a\nb', 'a#b', ''])
      expect(() => traefikToken(bad, 'x')).toThrow(/cannot go into Traefik/);
    for (const b of [
      { hostname: 'hpb.example.org`) || Host(`evil' },
      { hostname: 'hpb.example.org\nhttp:' },
      { basePath: '/a`b' },
      { basePath: '/a"b' },
      { nginx: { server: 'traefik', certificate: '/c".pem', key: '/k.pem' } },
    ])
      expect(DeploymentSchema.safeParse({ ...base, ...b }).success, JSON.stringify(b)).toBe(false);
  });
});

describe('setup --web-server traefik (staged)', () => {
  const ARGS = ['setup', '--nextcloud', 'https://cloud.example.org', '--web-server', 'traefik', '--yes'];
  it('writes the dynamic file, which parses to the router for the hostname', async () => {
    const root = scratch('spreed-traefik-');
    const r = await runInProcess([...ARGS, '--hostname', 'hpb.example.org', '--web-mode', 'snippet', '--root', root]);
    expect(r.code, r.all).toBe(0);
    const y = parse(readFileSync(path.join(root, 'etc/traefik/dynamic/spreed-signaling.yml'), 'utf8')) as Dynamic;
    expect(y.http.routers['spreed-signaling']!.rule).toContain('Host(`hpb.example.org`)');
    expect(r.all).toMatch(/entry point "websecure"/);
  });
  it('a hostname with a backtick: exit 2, one line, nothing written', async () => {
    const root = scratch('spreed-traefik-');
    const before = treeState(root);
    const r = await runInProcess([...ARGS, '--hostname', 'a`b.example.org', '--root', root]);
    expect(r.code).toBe(2);
    expect(r.all).toMatch(/hostname/i);
    expect(treeState(root)).toEqual(before);
  });
});
