// Reads server.conf exactly as the signaling server's parser (dlintw/goconf) does, keeping line
// numbers and the suspicious spots (continuation lines, `rem…` comments) so callers can warn.

export interface GoconfEntry {
  section: string; // lower-cased, as the server sees it
  key: string; // lower-cased
  value: string; // after inline-comment stripping and trimming; continuation lines joined with \n
  line: number; // 1-based line of the key
}

export interface GoconfWarning {
  line: number;
  kind: 'rem' | 'continuation';
  message: string;
}

export interface GoconfDocument {
  /** section -> key -> value; last assignment wins, repeated sections merge (as in goconf). */
  sections: Map<string, Map<string, GoconfEntry>>;
  /** Section names in order of first appearance. */
  order: string[];
  warnings: GoconfWarning[];
}

export class GoconfSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly text: string,
  ) {
    super(`line ${line}: the server cannot parse "${text.length > 40 ? text.slice(0, 40) + '…' : text}"`);
  }
}

/** goconf cuts a value at the first whitespace followed by `;` or `#`. */
export function stripInlineComment(value: string): string {
  const m = /[ \t][;#]/.exec(value);
  return m ? value.slice(0, m.index) : value;
}

export function parseGoconf(text: string): GoconfDocument {
  const sections = new Map<string, Map<string, GoconfEntry>>();
  const order: string[] = [];
  const warnings: GoconfWarning[] = [];
  const ensure = (name: string) => {
    let s = sections.get(name);
    if (!s) {
      s = new Map();
      sections.set(name, s);
      order.push(name);
    }
    return s;
  };

  let section = 'default';
  let option = '';
  const lines = text.split('\n');
  for (let idx = 0; idx < lines.length; idx++) {
    const lineNo = idx + 1;
    const l = (lines[idx] ?? '').trim();
    if (l.length === 0 || l[0] === '#' || l[0] === ';') continue;
    if (l.length >= 3 && l.slice(0, 3).toLowerCase() === 'rem') {
      if (/^rem\S/i.test(l) && /[=:]/.test(l)) {
        warnings.push({
          line: lineNo,
          kind: 'rem',
          message: `"${l.split(/[=:]/)[0]!.trim()}" starts with "rem", so the server reads the whole line as a comment`,
        });
      }
      continue;
    }
    if (l[0] === '[' && l[l.length - 1] === ']') {
      option = '';
      section = l.slice(1, -1).trim().toLowerCase();
      ensure(section);
      continue;
    }
    const i = l.search(/[=:]/);
    if (i > 0) {
      option = l.slice(0, i).trim().toLowerCase();
      const value = stripInlineComment(l.slice(i + 1)).trim();
      ensure(section).set(option, { section, key: option, value, line: lineNo });
    } else if (option !== '') {
      const prev = sections.get(section)?.get(option);
      const value = stripInlineComment(l).trim();
      const joined = (prev?.value ?? '') + '\n' + value;
      ensure(section).set(option, { section, key: option, value: joined, line: prev?.line ?? lineNo });
      warnings.push({
        line: lineNo,
        kind: 'continuation',
        message: `"${l.length > 40 ? l.slice(0, 40) + '…' : l}" has no "=", so the server appends it to [${section}] ${option}`,
      });
    } else {
      throw new GoconfSyntaxError(lineNo, l);
    }
  }
  return { sections, order, warnings };
}

export function getValue(doc: GoconfDocument, section: string, key: string): string | undefined {
  return doc.sections.get(section.toLowerCase())?.get(key.toLowerCase())?.value;
}

/** Comma-separated list as the server splits it (empty items dropped). */
export function splitList(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Space-separated list ([http] listen, [mcu] url in proxy mode). */
export function splitSpaces(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(/\s+/).filter((s) => s.length > 0);
}
