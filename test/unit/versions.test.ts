// The version table: every release the model knows, each trait from its first release, and every
// pass-through key refused for a release that would ignore it, naming the release that reads it.
import { describe, expect, it } from 'vitest';
import { DeploymentSchema, type DeploymentInput } from '../../src/model/deployment.js';
import { compatibilityProblems, renderServerConf } from '../../src/render/serverConf.js';
import { resolveSecrets, secretSpecsFor } from '../../src/secrets/secrets.js';
import { keyIgnoredBy, RELEASES, TRAIT_SINCE, traitsFor } from '../../src/model/versions.js';
import { getValue, parseGoconf } from '../../src/goconf/parse.js';

const base: DeploymentInput = {
  hostname: 'hpb.example.org',
  backends: [{ id: 'cloud', urls: ['https://cloud.example.org'] }],
};
const problemsFor = (version: string, input: Partial<DeploymentInput>) =>
  compatibilityProblems(DeploymentSchema.parse({ ...base, ...input }), traitsFor(version));

describe('releases and traits', () => {
  it('knows every release of the facts sheet, oldest first', () => {
    expect(RELEASES).toEqual([
      '0.4.1',
      '0.5.0',
      '1.0.0',
      '1.1.3',
      '1.2.0',
      '1.3.0',
      '2.0.0',
      '2.0.2',
      '2.0.3',
      '2.0.4',
      '2.1.0',
      '2.1.1',
    ]);
  });

  it('each trait turns on exactly at its first release', () => {
    for (const [trait, since] of Object.entries(TRAIT_SINCE)) {
      const idx = RELEASES.indexOf(since as (typeof RELEASES)[number]);
      expect(idx, `${trait} since ${since} is a known release`).toBeGreaterThanOrEqual(0);
      const key = trait === 'natsLoopbackSpelling' ? 'natsLoopbackUrl' : trait;
      for (const r of RELEASES) {
        const t = traitsFor(r) as unknown as Record<string, unknown>;
        const on = RELEASES.indexOf(r) >= idx;
        if (key === 'natsLoopbackUrl') expect(t[key], `${r}`).toBe(on ? 'nats://loopback' : ':loopback:');
        else expect(t[key], `${trait} at ${r}`).toBe(on);
      }
    }
  });

  it('CIDR stats ranges from 1.1.3, not 1.0.0', () => {
    expect(problemsFor('1.0.0', { statsAllowedIps: ['10.0.0.0/8'] })).toEqual([
      expect.stringContaining('CIDR needs 1.1.3'),
    ]);
    expect(problemsFor('1.1.3', { statsAllowedIps: ['10.0.0.0/8'] })).toEqual([]);
  });

  it('two URLs are rendered as urls for 2.0.4 and later, refused before', () => {
    const two = { backends: [{ id: 'cloud', urls: ['https://a.example.org', 'https://b.example.org'] }] };
    expect(problemsFor('2.0.3', two)).toEqual([expect.stringContaining('"urls" needs 2.0.4')]);
    const d = DeploymentSchema.parse({ ...base, ...two });
    const secrets = resolveSecrets(secretSpecsFor(d), {
      rotate: new Set(),
      fromConfig: () => undefined,
      fromFile: () => undefined,
    }).secrets;
    for (const v of ['2.0.4', '2.1.0', '2.1.1']) {
      const doc = parseGoconf(
        renderServerConf(d, secrets, { traits: traitsFor(v), secretsDir: '/s', toolVersion: 't' }),
      );
      expect(getValue(doc, 'cloud', 'urls'), v).toBe('https://a.example.org, https://b.example.org');
      expect(getValue(doc, 'cloud', 'url'), v).toBeUndefined();
    }
  });

  it('[grpc] and [etcd] from the model are refused before 1.0.0', () => {
    expect(problemsFor('0.5.0', { grpc: { listen: '127.0.0.1:9090', targets: [] } })).toEqual([
      expect.stringContaining('read from 1.0.0'),
    ]);
    expect(problemsFor('1.0.0', { grpc: { listen: '127.0.0.1:9090', targets: [] } })).toEqual([]);
  });
});

// [release that lacks it, section, key, first release that reads it]
const IGNORED: Array<[string, string, string, string]> = [
  ['1.2.0', 'app', 'trustedproxies', '1.3.0'],
  ['0.4.1', 'app', 'trustedproxies', '1.3.0'],
  ['0.4.1', 'mcu', 'dnsdiscovery', '0.5.0'],
  ['2.0.3', 'mcu', 'allowedcandidates', '2.0.4'],
  ['2.0.2', 'mcu', 'blockedcandidates', '2.0.4'],
  ['1.2.0', 'mcu', 'allowedcandidates', '2.0.4'],
  ['0.5.0', 'backend', 'backendtype', '1.0.0'],
  ['0.4.1', 'backend', 'backendprefix', '1.0.0'],
  ['1.2.4', 'mcu', 'blockedcandidates', '2.0.4'],
  ['0.5.0', 'grpc', 'listen', '1.0.0'],
  ['0.4.1', 'grpc', 'targets', '1.0.0'],
  ['0.5.0', 'etcd', 'endpoints', '1.0.0'],
  ['0.4.1', 'etcd', 'discoverysrv', '1.0.0'],
  ['1.3.0', 'federation', 'skipverify', '2.0.0'],
  ['1.2.0', 'federation', 'timeout', '2.0.0'],
  ['0.4.1', 'federation', 'timeout', '2.0.0'],
];

describe('pass-through keys against the version table', () => {
  it.each(IGNORED)('server %s: [%s] %s is refused, naming %s', (version, section, key, since) => {
    const problems = problemsFor(version, { extra: { [section]: { [key]: 'x' } } });
    expect(problems).toContain(`[${section}] ${key} is read only from ${since}; server ${version} would ignore it`);
    // …and accepted from that release on.
    expect(
      problemsFor(since, { extra: { [section]: { [key]: 'x' } } }).filter((p) => p.startsWith(`[${section}] ${key}`)),
    ).toEqual([]);
  });

  it('keys every release reads pass, and section names are matched case-insensitively', () => {
    expect(problemsFor('0.4.1', { extra: { app: { debug: 'false' }, geoip: { license: 'x' } } })).toEqual([]);
    expect(keyIgnoredBy('1.0.0', 'FEDERATION', 'SkipVerify', new Set())).toBe('2.0.0');
    expect(keyIgnoredBy('1.0.0', 'other', 'urls', new Set(['cloud']))).toBeUndefined();
    expect(keyIgnoredBy('2.0.3', 'cloud', 'urls', new Set(['cloud']))).toBe('2.0.4');
  });
});
