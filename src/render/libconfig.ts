// libconfig, the grammar of Janus's .jcfg files (hyperrealm libconfig 1.7 manual: settings
// `name = value` or `name : value` ended by an optional `;` or `,`; groups `{ … }`, arrays `[ … ]`,
// lists `( … )`; strings in double quotes with \\ \" \n \t \r \f \xHH escapes, adjacent ones joined;
// integers (decimal, 0x hex, an L suffix), floats, true/false in any case; comments `#`, `//`,
// `/* */`). No npm parser for it is maintained, so this one is small and tested
// (test/unit/libconfig.test.ts). It keeps every value's place in the text, so `setSettings`
// changes only the values it is given and leaves comments, order and an admin's own options as
// they were.

export type LcValue = string | number | boolean | LcValue[] | LcGroup;
export interface LcGroup {
  [name: string]: LcValue;
}

interface SettingNode {
  name: string;
  /** Where the value's text starts and ends (end exclusive). */
  valueStart: number;
  valueEnd: number;
  value: LcValue;
  group?: GroupNode;
}

interface GroupNode {
  /** Just after `{` (0 for the file itself). */
  bodyStart: number;
  settings: SettingNode[];
}

export class LibconfigError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

type Tok =
  | { t: 'name'; v: string; s: number; e: number }
  | { t: 'str'; v: string; s: number; e: number }
  | { t: 'num'; v: number; s: number; e: number }
  | { t: 'bool'; v: boolean; s: number; e: number }
  | { t: 'punct'; v: string; s: number; e: number }
  | { t: 'eof'; s: number; e: number };

function tokenize(text: string): Tok[] {
  const toks: Tok[] = [];
  const lineAt = (i: number) => text.slice(0, i).split('\n').length;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new LibconfigError('a comment /* is never closed', lineAt(i));
      i = end + 2;
      continue;
    }
    if ('=:;,{}[]()'.includes(c)) {
      toks.push({ t: 'punct', v: c, s: i, e: i + 1 });
      i++;
      continue;
    }
    if (c === '"') {
      const s = i;
      let v = '';
      for (;;) {
        i++; // past the opening quote
        for (;;) {
          if (i >= text.length || text[i] === '\n') throw new LibconfigError('a string is never closed', lineAt(s));
          const ch = text[i]!;
          if (ch === '"') break;
          if (ch === '\\') {
            const n = text[i + 1];
            const map: Record<string, string> = { '\\': '\\', '"': '"', n: '\n', t: '\t', r: '\r', f: '\f' };
            if (n !== undefined && map[n] !== undefined) {
              v += map[n];
              i += 2;
            } else if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
              v += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 4), 16));
              i += 4;
            } else throw new LibconfigError(`unknown escape \\${n ?? ''} in a string`, lineAt(i));
            continue;
          }
          v += ch;
          i++;
        }
        i++; // past the closing quote
        // Adjacent strings are one ("a" "b" is "ab").
        let j = i;
        while (j < text.length && /\s/.test(text[j]!)) j++;
        if (text[j] === '"') {
          i = j;
          continue;
        }
        break;
      }
      toks.push({ t: 'str', v, s, e: i });
      continue;
    }
    const num = /^[-+]?(0[xX][0-9a-fA-F]+|(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)L{0,2}/.exec(text.slice(i));
    if (num && /[-+\d.]/.test(c)) {
      const raw = num[0].replace(/L+$/, '');
      const v = /0[xX]/.test(raw)
        ? Number.parseInt(raw.replace(/^[-+]/, ''), 16) * (raw.startsWith('-') ? -1 : 1)
        : Number(raw);
      toks.push({ t: 'num', v, s: i, e: i + num[0].length });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z*][-A-Za-z0-9_*]*/.exec(text.slice(i));
    if (name) {
      const w = name[0];
      if (/^(true|false)$/i.test(w)) toks.push({ t: 'bool', v: w.toLowerCase() === 'true', s: i, e: i + w.length });
      else toks.push({ t: 'name', v: w, s: i, e: i + w.length });
      i += w.length;
      continue;
    }
    throw new LibconfigError(`unexpected character ${JSON.stringify(c)}`, lineAt(i));
  }
  toks.push({ t: 'eof', s: text.length, e: text.length });
  return toks;
}

function parseTree(text: string): GroupNode {
  const toks = tokenize(text);
  const lineAt = (i: number) => text.slice(0, i).split('\n').length;
  let k = 0;
  const peek = () => toks[k]!;
  const isPunct = (v: string) => {
    const t = peek();
    return t.t === 'punct' && t.v === v;
  };
  const expect = (v: string) => {
    const t = peek();
    if (t.t !== 'punct' || t.v !== v) throw new LibconfigError(`expected "${v}"`, lineAt(t.s));
    k++;
  };
  function settings(bodyStart: number, closer: string | undefined): GroupNode {
    const out: SettingNode[] = [];
    const seen = new Set<string>();
    for (;;) {
      const t = peek();
      if (closer === undefined ? t.t === 'eof' : t.t === 'punct' && t.v === closer) break;
      if (t.t !== 'name') throw new LibconfigError('expected a setting name', lineAt(t.s));
      k++;
      if (seen.has(t.v)) throw new LibconfigError(`duplicate setting "${t.v}"`, lineAt(t.s));
      seen.add(t.v);
      if (isPunct('=') || isPunct(':')) k++;
      else throw new LibconfigError(`expected "=" or ":" after ${t.v}`, lineAt(t.s));
      const start = peek().s;
      const { value, group } = valueAt();
      const end = toks[k - 1]!.e;
      if (isPunct(';') || isPunct(',')) k++;
      out.push({ name: t.v, valueStart: start, valueEnd: end, value, ...(group ? { group } : {}) });
    }
    return { bodyStart, settings: out };
  }
  function valueAt(): { value: LcValue; group?: GroupNode } {
    const t = peek();
    if (t.t === 'str' || t.t === 'num' || t.t === 'bool') {
      k++;
      return { value: t.v };
    }
    if (t.t === 'punct' && t.v === '{') {
      k++;
      const g = settings(t.e, '}');
      expect('}');
      return { value: plain(g), group: g };
    }
    if (t.t === 'punct' && (t.v === '[' || t.v === '(')) {
      const close = t.v === '[' ? ']' : ')';
      k++;
      const items: LcValue[] = [];
      while (!isPunct(close)) {
        items.push(valueAt().value);
        if (isPunct(',')) k++;
        else if (!isPunct(close)) throw new LibconfigError(`expected "," or "${close}"`, lineAt(peek().s));
      }
      expect(close);
      return { value: items };
    }
    throw new LibconfigError('expected a value', lineAt(t.s));
  }
  const root = settings(0, undefined);
  return root;
}

function plain(g: GroupNode): LcGroup {
  const o: LcGroup = {};
  for (const s of g.settings) o[s.name] = s.value;
  return o;
}

/** The file's settings as plain values; throws LibconfigError with the line of the first fault. */
export function parseLibconfig(text: string): LcGroup {
  return plain(parseTree(text));
}

/** A value as libconfig text. */
export function formatValue(v: string | number | boolean): string {
  if (typeof v === 'string')
    return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`;
  return String(v);
}

export interface LcEdit {
  /** A top-level group and a setting in it. */
  group: string;
  key: string;
  value: string | number | boolean;
}

/**
 * The text with each `group.key` set to its value: an existing value's text replaced in place, a
 * missing setting added at the top of its group, a missing group added at the end. Everything
 * else (comments, order, other settings) stays byte for byte.
 */
export function setSettings(text: string, edits: readonly LcEdit[]): string {
  let out = text;
  for (const e of edits) {
    const root = parseTree(out);
    const lit = formatValue(e.value);
    const g = root.settings.find((s) => s.name === e.group);
    if (!g?.group) {
      if (g) throw new LibconfigError(`${e.group} is not a group`, out.slice(0, g.valueStart).split('\n').length);
      out = `${out}${out === '' || out.endsWith('\n') ? '' : '\n'}${e.group}: {\n\t${e.key} = ${lit}\n}\n`;
      continue;
    }
    const s = g.group.settings.find((x) => x.name === e.key);
    if (s) {
      if (out.slice(s.valueStart, s.valueEnd) !== lit) out = out.slice(0, s.valueStart) + lit + out.slice(s.valueEnd);
      continue;
    }
    const at = g.group.bodyStart;
    out = `${out.slice(0, at)}\n\t${e.key} = ${lit}${out.slice(at)}`;
  }
  return out;
}
