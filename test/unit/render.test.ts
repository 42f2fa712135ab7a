import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DeploymentSchema, type DeploymentInput } from '../../src/model/deployment.js';
import { traitsFor } from '../../src/model/versions.js';
import { parseGoconf, getValue } from '../../src/goconf/parse.js';
import { deploymentFromConf } from '../../src/goconf/toModel.js';
import { compatibilityProblems, readBackDifferences, renderServerConf } from '../../src/render/serverConf.js';
import { renderNginx } from '../../src/render/nginx.js';
import { resolveSecrets, secretSpecsFor } from '../../src/secrets/secrets.js';
import { detectNginxLayout } from '../../src/detect/layout.js';
import { Target } from '../../src/io/target.js';

const input: DeploymentInput = {
  hostname: 'hpb.example.org',
  backends: [
    { id: 'one', urls: ['https://cloud.example.org'], sessionLimit: 0 },
    { id: 'two', urls: ['https://other.example.org/nc'], maxStreamBitrate: 1000, maxScreenBitrate: 2000 },
  ],
  nats: { mode: 'external', urls: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'] },
  mcu: { type: 'janus', url: 'ws://127.0.0.1:8188' },
  turn: { servers: ['turn:turn.example.org:3478?transport=udp', 'turn:turn.example.org:3478?transport=tcp'] },
  statsAllowedIps: ['127.0.0.1', '10.0.0.0/8'],
  trustedProxies: ['127.0.0.1'],
  grpc: { listen: '0.0.0.0:9090', targets: ['10.0.0.2:9090'] },
  backendSkipVerify: true,
  extra: { app: { debug: 'false' }, geoip: { license: 'abc' }, one: { custom: 'x' } },
};

function setup(version: string, override: Partial<DeploymentInput> = {}) {
  const d = DeploymentSchema.parse({ ...input, ...override });
  const { secrets } = resolveSecrets(secretSpecsFor(d), {
    fromFile: () => undefined,
    fromConfig: () => undefined,
    rotate: new Set(),
  });
  const text = renderServerConf(d, secrets, {
    traits: traitsFor(version),
    secretsDir: '/etc/x/secrets',
    toolVersion: 'test',
  });
  return { d, secrets, text, doc: parseGoconf(text) };
}

describe('server.conf renderer', () => {
  it('writes url for versions before 2.0.4 and urls after', () => {
    expect(getValue(setup('2.0.2').doc, 'one', 'url')).toBe('https://cloud.example.org');
    expect(getValue(setup('2.0.2').doc, 'one', 'urls')).toBeUndefined();
    expect(getValue(setup('2.1.1').doc, 'one', 'urls')).toBe('https://cloud.example.org');
    expect(getValue(setup('2.1.1').doc, 'one', 'url')).toBeUndefined();
  });

  it('writes :loopback: for 0.4.1 and nats://loopback later', () => {
    expect(
      getValue(setup('0.4.1', { nats: { mode: 'loopback' }, statsAllowedIps: ['127.0.0.1'] }).doc, 'nats', 'url'),
    ).toBe(':loopback:');
    expect(getValue(setup('1.2.4', { nats: { mode: 'loopback' }, trustedProxies: [] }).doc, 'nats', 'url')).toBe(
      'nats://loopback',
    );
  });

  it.each(['0.4.1', '1.2.4', '2.0.2', '2.1.1'])("round-trips through the server's parser for %s", (v) => {
    const override: Partial<DeploymentInput> =
      v === '0.4.1'
        ? { statsAllowedIps: ['127.0.0.1'], trustedProxies: [] }
        : v === '1.2.4'
          ? { trustedProxies: [] }
          : {};
    const { d, secrets, text } = setup(v, override);
    expect(readBackDifferences(text, d, secrets)).toEqual([]);
    const back = deploymentFromConf(parseGoconf(text));
    expect(back.input.backends).toEqual(d.backends);
    expect(back.input.extra).toEqual({ app: { debug: 'false' }, geoip: { license: 'abc' }, one: { custom: 'x' } });
    for (const [name, s] of secrets) expect(back.secrets.get(name)).toBe(s.value);
  });

  it('refuses what the target version would ignore', () => {
    const d = DeploymentSchema.parse({
      ...input,
      backends: [{ id: 'a', urls: ['https://a.example.org', 'https://b.example.org'] }],
    });
    const p = compatibilityProblems(d, traitsFor('2.0.2'));
    expect(p.join('\n')).toContain('reads only one "url"');
    expect(p.join('\n')).not.toContain('trusted proxies');
    const old = compatibilityProblems(DeploymentSchema.parse(input), traitsFor('0.4.1'));
    expect(old.join('\n')).toContain('trusted proxies are ignored');
    expect(old.join('\n')).toContain('10.0.0.0/8');
    expect(compatibilityProblems(d, traitsFor('2.1.1'))).toEqual([]);
  });

  it('keeps the extra keys of an upstream-template config after a re-render', () => {
    const original =
      readFileSync(new URL('../fixtures/upstream-0.4.1-server.conf', import.meta.url), 'utf8')
        .replace('#backends = backend-id, another-backend', 'backends = nc')
        .replace('#allowsubscribeany = false', 'allowsubscribeany = true') +
      '\n[nc]\nurl = https://cloud.example.org\nsecret = ' +
      'f'.repeat(64) +
      '\nmyown = keep-me\n\n[custom-section]\nfoo = bar ; comment\n';
    const reading = deploymentFromConf(parseGoconf(original));
    expect(reading.problems).toEqual([]);
    const d = DeploymentSchema.parse({ ...reading.input, hostname: 'hpb.example.org' });
    const { secrets } = resolveSecrets(secretSpecsFor(d), {
      fromFile: () => undefined,
      fromConfig: (s) => reading.secrets.get(s.name),
      rotate: new Set(),
    });
    expect(secrets.get('backend-nc')!.value).toBe('f'.repeat(64));
    expect(secrets.get('hashkey')!.origin).toBe('generated');
    const text = renderServerConf(d, secrets, { traits: traitsFor('0.4.1'), secretsDir: '/s', toolVersion: 't' });
    const doc = parseGoconf(text);
    expect(getValue(doc, 'app', 'allowsubscribeany')).toBe('true');
    expect(getValue(doc, 'nc', 'myown')).toBe('keep-me');
    expect(getValue(doc, 'custom-section', 'foo')).toBe('bar');
    expect(getValue(doc, 'backend', 'timeout')).toBe('10');
    expect(getValue(doc, 'https', 'certificate')).toBe('/etc/nginx/ssl/server.crt');
    expect(getValue(doc, 'https', 'listen')).toBeUndefined();
    expect(text).not.toContain('the-secret-for-session-checksums');
    expect(readBackDifferences(text, d, secrets)).toEqual([]);
  });
});

describe('nginx renderer', () => {
  const layout = detectNginxLayout(new Target('/nonexistent-root'));
  it('renders a complete site with redirect, ACME path and both locations', () => {
    const d = DeploymentSchema.parse(input);
    const files = renderNginx(d, { layout, nginxVersion: '1.22.1' });
    expect(files.upstream).toContain('server 127.0.0.1:8080;');
    expect(files.site).toContain('server_name hpb.example.org;');
    expect(files.site).toContain('/etc/letsencrypt/live/hpb.example.org/fullchain.pem');
    expect(files.site).toContain('location ^~ /.well-known/acme-challenge/');
    expect(files.site).toContain('return 301 https://$host$request_uri;');
    expect(files.site).toContain('location /standalone-signaling/ {');
    expect(files.site).toContain('proxy_pass http://spreed_signaling/;');
    expect(files.site).toContain('proxy_set_header Upgrade $http_upgrade;');
    expect(files.site).toContain('listen 443 ssl http2;');
    expect(files.snippet).toBeUndefined();
  });
  it('uses "http2 on" on nginx 1.25.1+, custom certificate paths, and a snippet mode', () => {
    const d = DeploymentSchema.parse({ ...input, nginx: { certificate: '/c.pem', key: '/k.pem' } });
    const site = renderNginx(d, { layout, nginxVersion: '1.26.0' }).site!;
    expect(site).toContain('http2 on;');
    expect(site).toContain('ssl_certificate /c.pem;');
    const snip = renderNginx(DeploymentSchema.parse({ ...input, nginx: { mode: 'snippet' } }), { layout });
    expect(snip.site).toBeUndefined();
    expect(snip.snippet).toContain('location /standalone-signaling/spreed {');
  });
});
