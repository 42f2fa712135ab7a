// Which enabled nginx site already serves a host name: the server blocks of the files nginx's
// main config includes (Debian: sites-enabled/*, conf.d/*.conf), ours left out. A second server
// block with the same server_name and listen address is ignored by nginx ("conflicting server
// name"), so a name that has a site gets a snippet included in that site's server block instead.
import path from 'node:path';
import type { ApacheLayout, NginxLayout } from '../model/layout.js';
import type { FileFact, HostFacts } from '../io/host.js';
import { parseNginxConf } from '../render/nginxMain.js';

export interface ServingSite {
  /** The enabled file (for a sites-enabled link: the link's path). */
  file: string;
  /** The file the link points at, when it is a link. */
  target?: string;
}

function contentOf(f: FileFact | undefined): string | undefined {
  if (f?.kind === 'file') return f.content;
  if (f?.kind === 'link') return f.resolved?.content;
  return undefined;
}

/** server_name values of the server blocks in one nginx file, lower-cased. */
export function serverNamesIn(text: string): string[] {
  return parseNginxConf(text)
    .filter((d) => d.name === 'server_name' && d.context.at(-1) === 'server')
    .flatMap((d) => d.args.map((a) => a.text.replace(/^["']|["']$/g, '').toLowerCase()));
}

/** The enabled sites (ours excluded) with a server block whose server_name is `hostname`. */
export function sitesServing(host: HostFacts, layout: NginxLayout, hostname: string): ServingSite[] {
  const own = new Set(
    [layout.sitePath, layout.enabledLink, layout.upstreamPath].filter((p): p is string => p !== undefined),
  );
  const dirs = new Map<string, (name: string) => boolean>();
  dirs.set(path.dirname(layout.upstreamPath), (n) => n.endsWith('.conf'));
  if (layout.enabledLink) dirs.set(path.dirname(layout.enabledLink), (n) => !n.startsWith('.'));
  const name = hostname.toLowerCase();
  const out: ServingSite[] = [];
  for (const [dir, included] of dirs) {
    for (const n of host.list(dir).filter(included)) {
      const file = path.join(dir, n);
      if (own.has(file)) continue;
      let fact: FileFact | undefined;
      try {
        fact = host.file(file);
      } catch {
        continue; // unreadable: nginx (root) may read it, we cannot say what it serves
      }
      // A link to our own site (a stale temp link of a killed run, say) is ours, not another site.
      if (fact?.kind === 'link' && own.has(path.resolve(dir, fact.target))) continue;
      const text = contentOf(fact);
      if (text === undefined || !serverNamesIn(text).includes(name)) continue;
      out.push({
        file,
        ...(fact?.kind === 'link' ? { target: path.resolve(path.dirname(file), fact.target) } : {}),
      });
    }
  }
  return out;
}

/** How a review names the file that must include the snippet. */
export function siteName(s: ServingSite): string {
  return s.target ? `${s.target} (enabled as ${s.file})` : s.file;
}

/** ServerName and ServerAlias values of the <VirtualHost> blocks in one Apache file, lower-cased. */
export function apacheServerNamesIn(text: string): string[] {
  const names: string[] = [];
  let depth = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (/^<VirtualHost\b/i.test(line)) depth++;
    else if (/^<\/VirtualHost>/i.test(line)) depth = Math.max(0, depth - 1);
    else if (depth > 0) {
      const m = /^(?:ServerName|ServerAlias)\s+(.+)$/i.exec(line);
      if (m)
        for (const n of m[1]!.split(/\s+/))
          names.push(
            n
              .replace(/^["']|["']$/g, '')
              .replace(/:\d+$/, '')
              .toLowerCase(),
          );
    }
  }
  return names;
}

/** The enabled Apache sites (ours excluded) with a virtual host named `hostname`. */
export function apacheSitesServing(host: HostFacts, layout: ApacheLayout, hostname: string): ServingSite[] {
  const dir = path.dirname(layout.enabledLink);
  const name = hostname.toLowerCase();
  const out: ServingSite[] = [];
  for (const n of host.list(dir).filter((f) => f.endsWith('.conf'))) {
    const file = path.join(dir, n);
    if (file === layout.enabledLink) continue;
    let fact: FileFact | undefined;
    try {
      fact = host.file(file);
    } catch {
      continue;
    }
    if (fact?.kind === 'link' && path.resolve(dir, fact.target) === layout.sitePath) continue;
    const text = contentOf(fact);
    if (text === undefined || !apacheServerNamesIn(text).includes(name)) continue;
    out.push({
      file,
      ...(fact?.kind === 'link' ? { target: path.resolve(path.dirname(file), fact.target) } : {}),
    });
  }
  return out;
}
