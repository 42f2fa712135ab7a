import { describe, expect, it } from 'vitest';
import { DeploymentSchema, backendIdFor } from '../../src/model/deployment.js';
import { nextcloudUrlProblem, normalizeNextcloudUrl } from '../../src/model/urls.js';
import { traitsFor, parseVersion } from '../../src/model/versions.js';

const base = { hostname: 'hpb.example.org', backends: [{ id: 'nc', urls: ['https://cloud.example.org'] }] };
const issues = (input: unknown) => {
  const r = DeploymentSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('deployment model', () => {
  it('fills defaults', () => {
    const d = DeploymentSchema.parse(base);
    expect(d.listen).toBe('127.0.0.1:8080');
    expect(d.basePath).toBe('/standalone-signaling');
    expect(d.nats).toEqual({ mode: 'loopback' });
    expect(d.mcu).toEqual({ type: 'none' });
    expect(d.nginx.mode).toBe('site');
  });

  it.each([
    ['hostname with spaces', { ...base, hostname: 'hpb example.org' }, 'hostname'],
    ['ftp URL', { ...base, backends: [{ id: 'nc', urls: ['ftp://cloud.example.org'] }] }, 'backends.0.urls.0'],
    [
      '/ocs/ URL',
      { ...base, backends: [{ id: 'nc', urls: ['https://cloud.example.org/ocs/v2.php/apps/spreed'] }] },
      'backends.0.urls.0',
    ],
    [
      'index.php URL',
      { ...base, backends: [{ id: 'nc', urls: ['https://cloud.example.org/index.php'] }] },
      'backends.0.urls.0',
    ],
    [
      'trailing junk',
      { ...base, backends: [{ id: 'nc', urls: ['https://cloud.example.org/?x=1'] }] },
      'backends.0.urls.0',
    ],
    ['reserved id', { ...base, backends: [{ id: 'sessions', urls: ['https://a.example.org'] }] }, 'backends.0.id'],
    [
      'duplicate ids',
      {
        ...base,
        backends: [
          { id: 'nc', urls: ['https://a.example.org'] },
          { id: 'nc', urls: ['https://b.example.org'] },
        ],
      },
      'backends.1.id',
    ],
    ['https listen without cert', { ...base, https: { listen: '127.0.0.1:8443' } }, 'https'],
    ['TURN without servers', { ...base, turn: { servers: [] } }, 'turn.servers'],
    ['bad listen', { ...base, listen: '8080' }, 'listen'],
    ['unsafe extra value', { ...base, extra: { app: { x: 'a ;b' } } }, 'extra.app.x'],
  ])('refuses %s', (_name, input, path) => {
    const found = issues(input);
    expect(
      found.some((i) => i.startsWith(`${path}:`)),
      found.join('\n'),
    ).toBe(true);
  });

  it('names the problem with a Nextcloud URL', () => {
    expect(nextcloudUrlProblem('https://cloud.example.org/ocs/v2.php')).toContain('/ocs/');
    expect(nextcloudUrlProblem('https://cloud.example.org/index.php/apps/spreed')).toContain('index.php');
    expect(nextcloudUrlProblem('cloud.example.org')).toContain('not a URL');
    expect(nextcloudUrlProblem('https://cloud.example.org/nextcloud')).toBeUndefined();
  });

  it('normalises URLs: lower-case host with a notice, no default port, no trailing slash', () => {
    const n = normalizeNextcloudUrl('https://Cloud.Example.org:443/nc/');
    expect(n.value).toBe('https://cloud.example.org/nc');
    expect(n.notices[0]).toContain('lower-cased');
    expect(normalizeNextcloudUrl('https://cloud.example.org').notices).toEqual([]);
  });

  it('derives backend ids that avoid reserved names and collisions', () => {
    expect(backendIdFor('https://cloud.example.org', new Set())).toBe('cloud-example-org');
    expect(backendIdFor('https://cloud.example.org', new Set(['cloud-example-org']))).toBe('cloud-example-org-2');
    expect(backendIdFor('https://mcu', new Set())).toBe('nc-mcu');
  });
});

describe('server version traits', () => {
  it('parses Debian and upstream version strings', () => {
    expect(parseVersion('0.4.1+dfsg1-4+b4')).toEqual([0, 4, 1]);
    expect(parseVersion('1:2.0.2-2+b2')).toEqual([2, 0, 2]);
    expect(parseVersion('unreleased')).toBeUndefined();
  });
  it('knows the traps', () => {
    expect(traitsFor('0.4.1').natsLoopbackUrl).toBe(':loopback:');
    expect(traitsFor('1.2.4').natsLoopbackUrl).toBe('nats://loopback');
    expect(traitsFor('2.0.2').backendUrls).toBe(false);
    expect(traitsFor('2.0.4').backendUrls).toBe(true);
    expect(traitsFor('1.2.4').talkCompatible).toBe(false);
    expect(traitsFor('2.0.2').talkCompatible).toBe(true);
    expect(traitsFor(undefined)).toMatchObject({ known: false, version: '2.0.0', backendUrls: false });
  });
});

describe('base path and Talk', () => {
  it('refuses a mixed-case base path, saying why and what to use', () => {
    expect(issues({ ...base, basePath: '/Standalone-Signaling' })).toEqual([
      'basePath: has upper-case letters: Talk lower-cases the server URL before it calls it, so /Standalone-Signaling would answer 404 for Talk; use /standalone-signaling',
    ]);
    expect(issues({ ...base, basePath: '/signaling/v2' })).toEqual([]);
  });
});

describe("version from a running server's features", async () => {
  const { versionFromFeatures } = await import('../../src/model/versions.js');
  it('maps the real feature lists (seen on 0.4.1, 1.2.4, 2.0.2) to a safe lower bound', () => {
    expect(versionFromFeatures(['audio-video-permissions'])).toBe('0.4.1');
    expect(
      versionFromFeatures([
        'audio-video-permissions',
        'dialout',
        'hello-v2',
        'incall-all',
        'switchto',
        'transient-data',
        'welcome',
      ]),
    ).toBe('1.2.0');
    expect(versionFromFeatures(['audio-video-permissions', 'federation', 'hello-v2', 'welcome'])).toBe('2.0.0');
  });

  it('knows the features of 2.0.2 and 2.1.x, and skips one no release has', () => {
    expect(versionFromFeatures(['federation', 'join-features', 'offer-codecs'])).toBe('2.0.2');
    expect(versionFromFeatures(['federation', 'serverinfo', 'chat-relay', 'transient-sessiondata'])).toBe('2.1.0');
    expect(versionFromFeatures(['hello-v2', 'changed-users'])).toBe('1.0.0');
  });
});
