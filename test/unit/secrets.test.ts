import { describe, expect, it } from 'vitest';
import {
  BLOCKKEY,
  HASHKEY,
  INTERNALSECRET,
  backendSecretSpec,
  fingerprint,
  generateHex,
  maskSecrets,
  resolveSecrets,
} from '../../src/secrets/secrets.js';

const specs = [HASHKEY, BLOCKKEY, INTERNALSECRET, backendSecretSpec('nc')];
const none = () => undefined;

describe('secret resolution', () => {
  it('generates hex values of lengths the server accepts', () => {
    const r = resolveSecrets(specs, { fromFile: none, fromConfig: none, rotate: new Set() });
    expect(r.problems).toEqual([]);
    expect(r.secrets.get('hashkey')!.value).toMatch(/^[0-9a-f]{64}$/);
    expect(r.secrets.get('blockkey')!.value).toMatch(/^[0-9a-f]{32}$/);
    expect(r.secrets.get('backend-nc')!.origin).toBe('generated');
  });

  it('reuses the config value over the file, and the file over generating', () => {
    const conf = new Map([['hashkey', 'a'.repeat(64)]]);
    const files = new Map([
      ['hashkey', 'b'.repeat(64)],
      ['blockkey', 'c'.repeat(32)],
    ]);
    const r = resolveSecrets(specs, {
      fromFile: (s) => files.get(s.name),
      fromConfig: (s) => conf.get(s.name),
      rotate: new Set(),
    });
    expect(r.secrets.get('hashkey')).toMatchObject({ value: 'a'.repeat(64), origin: 'config' });
    expect(r.secrets.get('blockkey')).toMatchObject({ value: 'c'.repeat(32), origin: 'file' });
    expect(r.notices.join()).toContain('differ');
  });

  it('treats the upstream placeholders as absent', () => {
    const conf = new Map([
      ['hashkey', 'the-secret-for-session-checksums'],
      ['blockkey', '-encryption-key-'],
      ['internalsecret', 'the-shared-secret-for-internal-clients'],
    ]);
    const r = resolveSecrets(specs, { fromFile: none, fromConfig: (s) => conf.get(s.name), rotate: new Set() });
    for (const name of ['hashkey', 'blockkey', 'internalsecret']) {
      expect(r.secrets.get(name)!.origin).toBe('generated');
      expect(conf.get(name)).not.toBe(r.secrets.get(name)!.value);
    }
  });

  it('refuses an existing block key of the wrong length instead of replacing it', () => {
    const conf = new Map([['blockkey', 'x'.repeat(64)]]);
    const r = resolveSecrets(specs, { fromFile: none, fromConfig: (s) => conf.get(s.name), rotate: new Set() });
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.message).toContain('64 bytes');
    expect(r.problems[0]!.fix).toContain('--rotate blockkey');
  });

  it('rotates only what is asked', () => {
    const conf = new Map([
      ['hashkey', 'a'.repeat(64)],
      ['blockkey', 'c'.repeat(32)],
    ]);
    const r = resolveSecrets(specs, {
      fromFile: none,
      fromConfig: (s) => conf.get(s.name),
      rotate: new Set(['blockkey']),
    });
    expect(r.secrets.get('hashkey')!.value).toBe('a'.repeat(64));
    expect(r.secrets.get('blockkey')!.origin).toBe('rotated');
    expect(r.secrets.get('blockkey')!.value).not.toBe('c'.repeat(32));
  });

  it('masks values and fingerprints without revealing characters', () => {
    const s = generateHex(64);
    const masked = maskSecrets(`secret = ${s}\n`, [s]);
    expect(masked).not.toContain(s);
    expect(masked).not.toContain(s.slice(0, 8));
    expect(fingerprint(s)).toMatch(/^64 chars, sha256 [0-9a-f]{8}$/);
  });
});
