// What apt knows on this machine: the archive URIs its own sources use (deb822 `.sources` and
// one-line `.list`/sources.list), and the installed and candidate version of a package.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import type { Target } from '../io/target.js';

export interface AptSource {
  file: string;
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  signedBy?: string;
}

/** deb822 stanzas (blank-line separated, `Key: value`, continuation lines, `#` comments). */
export function parseDeb822Sources(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last: string | undefined;
    for (const line of stanza.split('\n')) {
      if (/^\s*#/.test(line) || !line.trim()) continue;
      if (/^\s/.test(line) && last) {
        fields.set(last, `${fields.get(last)} ${line.trim()}`);
        continue;
      }
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (m) {
        last = m[1]!.toLowerCase();
        fields.set(last, m[2]!.trim());
      }
    }
    if (!fields.has('uris') || /^(no|false)$/i.test(fields.get('enabled') ?? '')) continue;
    const words = (k: string) => (fields.get(k) ?? '').split(/\s+/).filter(Boolean);
    const signedBy = fields.get('signed-by');
    out.push({
      file,
      types: words('types'),
      uris: words('uris'),
      suites: words('suites'),
      components: words('components'),
      ...(signedBy?.startsWith('/') ? { signedBy: signedBy.split(/\s+/)[0]! } : {}),
    });
  }
  return out;
}

/** One-line format: `deb [opt=v ...] URI suite component...`. */
export function parseOneLineSources(text: string, file: string): AptSource[] {
  const out: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const m = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const signedBy = /(?:^|\s)signed-by=(\S+)/.exec(m[2] ?? '')?.[1];
    out.push({
      file,
      types: [m[1]!],
      uris: [m[3]!],
      suites: [m[4]!],
      components: m[5]!.split(/\s+/).filter(Boolean),
      ...(signedBy ? { signedBy } : {}),
    });
  }
  return out;
}

/** Every enabled source of the machine (under --root, of the staged tree). Our own files are left out. */
export function readAptSources(target: Target): AptSource[] {
  const out: AptSource[] = [];
  const read = (p: string) => {
    try {
      return readFileSync(target.path(p), 'utf8');
    } catch {
      return undefined;
    }
  };
  const main = read('/etc/apt/sources.list');
  if (main !== undefined) out.push(...parseOneLineSources(main, '/etc/apt/sources.list'));
  let names: string[] = [];
  try {
    names = readdirSync(target.path('/etc/apt/sources.list.d')).sort();
  } catch {
    /* none */
  }
  for (const n of names) {
    if (n.startsWith('spreed-setup-')) continue;
    const p = path.posix.join('/etc/apt/sources.list.d', n);
    const text = n.endsWith('.sources') || n.endsWith('.list') ? read(p) : undefined;
    if (text === undefined) continue;
    out.push(...(n.endsWith('.sources') ? parseDeb822Sources(text, p) : parseOneLineSources(text, p)));
  }
  return out;
}

/**
 * The archive URI of the distribution's own suite (codename, not -security, not -updates), and
 * the file it came from. A distribution's security archive is a different tree: never picked.
 */
export function distributionMirror(
  sources: AptSource[],
  codename: string | undefined,
): { uri: string; file: string; signedBy?: string } | undefined {
  const candidates = sources.filter((s) => s.types.includes('deb'));
  const score = (s: AptSource) =>
    (codename && s.suites.includes(codename) ? 2 : 0) + (s.suites.some((x) => x.endsWith('-security')) ? -3 : 0);
  const best = [...candidates].sort((a, b) => score(b) - score(a))[0];
  if (!best || score(best) < 0) return undefined;
  if (codename && score(best) < 2) return undefined;
  return { uri: best.uris[0]!, file: best.file, ...(best.signedBy ? { signedBy: best.signedBy } : {}) };
}

export interface AptPolicy {
  installed?: string;
  candidate?: string;
}

/** `apt-cache policy PKG`: the Installed and Candidate lines ("(none)" left out). */
export function parseAptPolicy(text: string): AptPolicy {
  const pick = (k: string) => {
    const v = new RegExp(`^\\s*${k}:\\s*(\\S+)`, 'm').exec(text)?.[1];
    return v && v !== '(none)' ? v : undefined;
  };
  const installed = pick('Installed');
  const candidate = pick('Candidate');
  return { ...(installed ? { installed } : {}), ...(candidate ? { candidate } : {}) };
}

export async function aptPolicy(pkg: string): Promise<AptPolicy | undefined> {
  const r = await execa('apt-cache', ['policy', pkg], { reject: false, timeout: 20_000, env: { LC_ALL: 'C' } });
  if (r.exitCode !== 0) return undefined;
  return parseAptPolicy(String(r.stdout));
}
