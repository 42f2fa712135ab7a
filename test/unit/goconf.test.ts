import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readExistingInstall } from '../../src/detect/existing.js';
import { detectLayout } from '../../src/detect/layout.js';
import { Target } from '../../src/io/target.js';
import { tempDir } from '../harness/tmp.js';
import {
  boolSpelling,
  expandEnv,
  fromEnvironmentText,
  GoconfSyntaxError,
  getRawValue,
  getValue,
  interpolationProblem,
  parseGoconf,
  readBool,
  readServerValue,
  splitList,
  stripInlineComment,
} from '../../src/goconf/parse.js';
import { deploymentFromConf } from '../../src/goconf/toModel.js';
import { ENV_EXPANSION, expandsEnv, parseVersion } from '../../src/model/versions.js';

describe("goconf reader (the server's own rules)", () => {
  it('splits at the first = or :, lower-cases names, trims values', () => {
    const doc = parseGoconf('[HTTP]\nListen = 127.0.0.1:8080\n[nats]\nurl: nats://loopback\n');
    expect(getValue(doc, 'http', 'listen')).toBe('127.0.0.1:8080');
    expect(getValue(doc, 'nats', 'url')).toBe('nats://loopback');
  });

  it('cuts inline comments only after whitespace', () => {
    expect(stripInlineComment('abc #comment')).toBe('abc');
    expect(stripInlineComment('abc\t; c')).toBe('abc');
    expect(stripInlineComment('abc#def')).toBe('abc#def');
    const doc = parseGoconf('[s]\nk = v1 ; note\nj = a#b\n');
    expect(getValue(doc, 's', 'k')).toBe('v1');
    expect(getValue(doc, 's', 'j')).toBe('a#b');
  });

  it('keeps quotes as part of the value', () => {
    expect(getValue(parseGoconf('[s]\nk = "quoted"\n'), 's', 'k')).toBe('"quoted"');
  });

  it('treats #, ; and rem… lines as comments, and warns about keys starting with rem', () => {
    const doc = parseGoconf('[s]\n# a\n; b\nremote = x\nREM hello\nk = 1\n');
    expect(getValue(doc, 's', 'remote')).toBeUndefined();
    expect(getValue(doc, 's', 'k')).toBe('1');
    expect(doc.warnings.map((w) => w.kind)).toEqual(['rem']);
  });

  it('last assignment wins and repeated sections merge', () => {
    const doc = parseGoconf('[a]\nx = 1\n[b]\ny = 2\n[A]\nx = 3\nz = 4\n');
    expect(getValue(doc, 'a', 'x')).toBe('3');
    expect(getValue(doc, 'a', 'z')).toBe('4');
    expect(doc.order).toEqual(['a', 'b']);
  });

  it('appends a line without = to the previous value, as the server does, and flags it', () => {
    const doc = parseGoconf('[sessions]\nblockkey = 0123456789abcdef\ngarbage here\n');
    expect(getValue(doc, 'sessions', 'blockkey')).toBe('0123456789abcdef\ngarbage here');
    expect(doc.warnings[0]).toMatchObject({ line: 3, kind: 'continuation' });
  });

  it('refuses a line it cannot parse before any key', () => {
    expect(() => parseGoconf('[s]\njunk\n')).toThrow(GoconfSyntaxError);
    try {
      parseGoconf('[s]\n\njunk\n');
    } catch (e) {
      expect((e as GoconfSyntaxError).line).toBe(3);
    }
  });

  it('keys before any section land in "default"', () => {
    expect(getValue(parseGoconf('k = v\n'), 'default', 'k')).toBe('v');
  });

  it('splits comma lists dropping empty items', () => {
    expect(splitList(' a, b ,,c ')).toEqual(['a', 'b', 'c']);
    expect(splitList(undefined)).toEqual([]);
  });

  it('reads the Debian-shipped template', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = parseGoconf(readFileSync(new URL('../fixtures/upstream-0.4.1-server.conf', import.meta.url), 'utf8'));
    expect(getValue(doc, 'sessions', 'hashkey')).toBe('the-secret-for-session-checksums');
    expect(getValue(doc, 'backend', 'allowall')).toBe('false');
    expect(getValue(doc, 'http', 'listen')).toBeUndefined();
  });
});

describe('values as the server reads them (goconf GetString / GetBool, replaceEnvVars)', () => {
  const TRUE = ['t', 'true', 'y', 'yes', 'on', '1'];
  const FALSE = ['f', 'false', 'n', 'no', 'off', '0'];
  const cases = (words: string[]) => words.flatMap((w) => [w, w.toUpperCase(), w[0]!.toUpperCase() + w.slice(1)]);

  it.each(cases(TRUE))('reads the boolean %s as true', (word) => {
    expect(readBool(parseGoconf(`[backend]\nskipverify = ${word}\n`), 'backend', 'skipverify')).toBe(true);
  });

  it.each(cases(FALSE))('reads the boolean %s as false', (word) => {
    const doc = parseGoconf(`[backend]\nskipverify = ${word}\n`);
    expect(readBool(doc, 'backend', 'skipverify')).toBe(false);
    expect(boolSpelling(getValue(doc, 'backend', 'skipverify'))).toBe(false);
  });

  it('reads any other spelling, a missing key and a failed %(x)s as false', () => {
    const doc = parseGoconf('[backend]\na = enabled\nb = "true"\nc = %(nope)s\nd = %(x)s\nx = YES\n');
    for (const k of ['a', 'b', 'c', 'missing']) expect(readBool(doc, 'backend', k), k).toBe(false);
    expect(boolSpelling('enabled')).toBeUndefined();
    expect(readBool(doc, 'backend', 'd')).toBe(true);
  });

  it('unfolds %(name)s from the same section first, then [default]', () => {
    const doc = parseGoconf(
      'host = default.example\nport = 80\n[cloud]\nhost = cloud.example\nurl = https://%(host)s:%(PORT)s/x\n[other]\nurl = https://%(host)s\n',
    );
    expect(getValue(doc, 'cloud', 'url')).toBe('https://cloud.example:80/x');
    expect(getValue(doc, 'other', 'url')).toBe('https://default.example');
    expect(getRawValue(doc, 'cloud', 'url')).toBe('https://%(host)s:%(PORT)s/x');
    // [default] keys are sources only, never inherited.
    expect(getValue(doc, 'other', 'host')).toBeUndefined();
  });

  it('unfolds nested references looked up in the section asked for', () => {
    const doc = parseGoconf('[s]\na = <%(b)s>\nb = %(c)s-%(c)s\nc = z\n');
    expect(getValue(doc, 's', 'a')).toBe('<z-z>');
  });

  it('reads the whole value as empty for an unknown or empty name, or a cycle', () => {
    const doc = parseGoconf(
      'empty =\n[s]\nunknown = a %(nope)s b\nempty = x%(empty)s\nloop = %(loop)s\nshadow = %(e)s\ne =\n',
    );
    for (const k of ['unknown', 'empty', 'loop', 'shadow']) expect(getValue(doc, 's', k), k).toBe('');
    expect(interpolationProblem(doc, 's', 'unknown')).toContain('%(nope)s');
    expect(interpolationProblem(doc, 's', 'loop')).toContain('cycle');
    expect(interpolationProblem(doc, 's', 'missing')).toBeUndefined();
  });

  it('unfolds up to 199 times, as goconf (DepthValues = 200) does', () => {
    const chain = (n: number) =>
      `[s]\nv = %(k1)s\n${Array.from({ length: n }, (_, i) => `k${i + 1} = ${i + 1 < n ? `%(k${i + 2})s` : 'end'}`).join('\n')}\n`;
    expect(getValue(parseGoconf(chain(199)), 's', 'v')).toBe('end');
    expect(getValue(parseGoconf(chain(200)), 's', 'v')).toBe('');
  });

  it('keeps %( that is no reference', () => {
    expect(getValue(parseGoconf('[s]\nk = 100%(of it\n'), 's', 'k')).toBe('100%(of it');
  });

  it('refuses a key after an empty section name, as goconf does', () => {
    expect(() => parseGoconf('[]\nk = v\n')).toThrow(GoconfSyntaxError);
  });

  it('knows which key expands $(VAR) from which release', () => {
    expect(expandsEnv('2.0.2', 'sessions', 'hashkey')).toBe(false);
    expect(expandsEnv('2.0.3', 'sessions', 'hashkey')).toBe(true);
    expect(expandsEnv('2.1.1', 'clients', 'internalsecret')).toBe(true);
    expect(expandsEnv('1.2.4', 'http', 'listen')).toBe(false);
    expect(expandsEnv('1.3.0', 'http', 'listen')).toBe(true);
    expect(expandsEnv('1.3.1', 'grpc', 'listen')).toBe(false);
    expect(expandsEnv('1.3.2', 'grpc', 'listen')).toBe(true);
    expect(expandsEnv('2.0.3', '*backend*', 'urls')).toBe(false);
    expect(expandsEnv('2.0.4', '*backend*', 'urls')).toBe(true);
    expect(expandsEnv('2.1.1', 'turn', 'servers')).toBe(false);
    expect(expandsEnv('2.1.1', 'stats', 'allowed_ips')).toBe(false);
    expect(expandsEnv(undefined, 'sessions', 'blockkey')).toBe(true);
    expect(ENV_EXPANSION.every((r) => parseVersion(r.since))).toBe(true);
  });

  it('replaces $(VAR) with its value, or its bare name when unset', () => {
    expect(expandEnv('$(A)-$(B)-$(1X)', { A: 'a' })).toBe('a-B-$(1X)');
    expect(expandEnv('$(EMPTY)x', { EMPTY: '' })).toBe('x');
  });

  it('reads $(VAR) literally, from the environment, or as "set from the environment" by version', () => {
    const doc = parseGoconf('[sessions]\nhashkey = $(HASH_KEY)\n');
    expect(readServerValue(doc, 'sessions', 'hashkey', { version: '2.0.2' })).toEqual({
      kind: 'value',
      value: '$(HASH_KEY)',
      literal: true,
    });
    expect(readServerValue(doc, 'sessions', 'hashkey', { version: '2.0.3' })).toEqual({
      kind: 'env',
      written: '$(HASH_KEY)',
      names: ['HASH_KEY'],
    });
    expect(readServerValue(doc, 'sessions', 'hashkey', { version: '2.1.1', env: { HASH_KEY: 'abc' } })).toEqual({
      kind: 'value',
      value: 'abc',
    });
    expect(fromEnvironmentText(['HASH_KEY'])).toBe('set from the environment ($(HASH_KEY))');
  });
});

describe('server.conf into the model, as the server of a version reads it', () => {
  const SECRETS = `[sessions]\nhashkey = $(HASH_KEY)\nblockkey = $(BLOCK_KEY)\n[clients]\ninternalsecret = $(INTERNAL)\n[backend]\nbackends = cloud\n[cloud]\nurl = https://cloud.example.org\nsecret = $(NC_SECRET)\n`;

  it('reads skipverify and allowall in any goconf spelling', () => {
    const r = deploymentFromConf(parseGoconf('[backend]\nSkipVerify = Yes\nallowall = on\n'));
    expect(r.input.backendSkipVerify).toBe(true);
    expect(r.notices.join('\n')).toContain('[backend] allowall = on lets any Nextcloud');
    const off = deploymentFromConf(parseGoconf('[backend]\nskipverify = enabled\nallowall = 0\n'));
    expect(off.input.backendSkipVerify).toBeUndefined();
    expect(off.notices.join('\n')).not.toContain('allowall');
  });

  it('takes $(VAR) secrets literally for 2.0.2', () => {
    const r = deploymentFromConf(parseGoconf(SECRETS), { version: '2.0.2' });
    expect(r.secrets.get('blockkey')).toBe('$(BLOCK_KEY)');
    expect(r.secrets.get('backend-cloud')).toBe('$(NC_SECRET)');
    expect(r.fromEnv).toEqual([]);
    expect(r.literalEnv.map((e) => e.secret)).toEqual(['hashkey', 'blockkey', 'internalsecret', 'backend-cloud']);
  });

  it('keeps $(VAR) secrets of 2.0.3+ apart as "set from the environment", or resolves them from env', () => {
    const r = deploymentFromConf(parseGoconf(SECRETS), { version: '2.0.3' });
    expect([...r.secrets.keys()]).toEqual([]);
    expect(r.fromEnv.map((e) => [e.secret, e.names[0]])).toEqual([
      ['hashkey', 'HASH_KEY'],
      ['blockkey', 'BLOCK_KEY'],
      ['internalsecret', 'INTERNAL'],
      ['backend-cloud', 'NC_SECRET'],
    ]);
    expect(r.notices).toContain(
      '[sessions] blockkey is set from the environment ($(BLOCK_KEY)): the server reads it from its environment',
    );
    const known = deploymentFromConf(parseGoconf(SECRETS), {
      version: '2.1.1',
      env: { HASH_KEY: 'h', BLOCK_KEY: 'b', INTERNAL: 'i', NC_SECRET: 'n' },
    });
    expect(Object.fromEntries(known.secrets)).toEqual({
      hashkey: 'h',
      blockkey: 'b',
      internalsecret: 'i',
      'backend-cloud': 'n',
    });
  });

  it('unfolds %(name)s in managed and pass-through values, and falls back to the common secret for an empty one', () => {
    const r = deploymentFromConf(
      parseGoconf(
        'nc = cloud.example.org\n[backend]\nbackends = cloud\nsecret = common-secret\n[cloud]\nurl = https://%(nc)s\nsecret =\n[app]\nname = %(nc)s\n',
      ),
    );
    expect(r.input.backends?.[0]?.urls).toEqual(['https://cloud.example.org']);
    expect(r.secrets.get('backend-cloud')).toBe('common-secret');
    expect(r.input.extra?.app?.name).toBe('cloud.example.org');
  });

  it('reads the legacy [backend] allowed hosts when backends is absent', () => {
    const r = deploymentFromConf(parseGoconf('[backend]\nallowed = Cloud.example.org/nc, other.example.org,\n'));
    expect(r.allowedHosts).toEqual(['cloud.example.org', 'other.example.org']);
    expect(r.notices.join('\n')).toContain('legacy form');
    expect(r.input.extra?.backend?.allowed).toBe('Cloud.example.org/nc, other.example.org,');
    const ignored = deploymentFromConf(
      parseGoconf('[backend]\nbackends = cloud\nallowed = a.example\n[cloud]\nurl = https://c.example\n'),
    );
    expect(ignored.allowedHosts).toEqual([]);
  });
});

describe('reconfigure reads the installed server.conf by the same rules', () => {
  it('refuses to rewrite over a secret the server takes from its environment', () => {
    const root = tempDir('spreed-reconf-');
    const target = new Target(root);
    const layout = detectLayout(target, undefined);
    mkdirSync(path.dirname(target.path(layout.configPath)), { recursive: true });
    writeFileSync(target.path(layout.configPath), '[backend]\nskipverify = on\n[sessions]\nhashkey = $(HASH_KEY)\n');
    const { existing, problems } = readExistingInstall(target, layout);
    expect(existing.reading?.input.backendSkipVerify).toBe(true);
    expect(problems.map((p) => p.message)).toEqual([
      `existing ${layout.configPath}: [sessions] hashkey is set from the environment ($(HASH_KEY)), which spreed-setup cannot read, so a rewrite would replace it`,
    ]);
  });
});
