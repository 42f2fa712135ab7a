// Which enabled nginx site already serves a host name: the server blocks of the files nginx's
// main config includes (Debian: sites-enabled/*, conf.d/*.conf), ours left out. A second server
// block with the same server_name and listen address is ignored by nginx ("conflicting server
// name"), so a name that has a site gets a snippet included in that site's server block instead.
import path from 'node:path';
import type { NginxLayout } from '../model/layout.js';
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
