import { describe, expect, it } from 'vitest';
import { GoconfSyntaxError, getValue, parseGoconf, splitList, stripInlineComment } from '../../src/goconf/parse.js';

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
