// Apache 2.4's files for the front end, the Debian way: the virtual host in sites-available and
// its sites-enabled link (a2ensite), or the include for an existing virtual host; and each needed
// module's mods-enabled links (a2enmod: X.load, and X.conf when there is one), dependencies first
// as the "# Depends:" lines of mods-available/X.load name them. Pure over HostFacts.
import path from 'node:path';
import type { Deployment } from '../model/deployment.js';
import type { ApacheLayout } from '../model/layout.js';
import { problem, type Problem } from '../errors.js';
import type { HostFacts } from '../io/host.js';
import { renderApache } from '../render/apache.js';
import { PUBLIC_FILE, type DesiredFile } from './plan.js';

function textOf(host: HostFacts, p: string): string | undefined {
  try {
    const f = host.file(p);
    return f?.kind === 'file' ? f.content : f?.kind === 'link' ? f.resolved?.content : undefined;
  } catch {
    return undefined;
  }
}

/** The modules and their dependencies, dependencies first; `missing`: not in mods-available. */
export function moduleClosure(
  host: HostFacts,
  al: ApacheLayout,
  wanted: readonly string[],
): { order: string[]; missing: string[] } {
  const order: string[] = [];
  const missing: string[] = [];
  const visit = (m: string, depth: number) => {
    if (order.includes(m) || missing.includes(m) || depth > 16) return;
    const load = textOf(host, path.join(al.modsAvailable, `${m}.load`));
    if (load === undefined) {
      missing.push(m);
      return;
    }
    for (const line of load.matchAll(/^#\s*Depends:\s*(.*)$/gm))
      for (const dep of line[1]!.split(/[\s,]+/).filter(Boolean)) visit(dep, depth + 1);
    order.push(m);
  };
  for (const m of wanted) visit(m, 0);
  return { order, missing };
}

export function apacheFiles(
  d: Deployment,
  host: HostFacts,
  al: ApacheLayout,
  /** The enabled sites that already serve the hostname (the include goes into theirs). */
  serving: string[] = [],
): { desired: DesiredFile[]; notices: string[]; problems: Problem[]; modules: string[] } {
  const desired: DesiredFile[] = [];
  const notices: string[] = [];
  const problems: Problem[] = [];
  const files = renderApache(d);
  if (files.site !== undefined) {
    desired.push({ path: al.sitePath, role: 'apache', content: files.site, ownership: PUBLIC_FILE });
    desired.push({
      path: al.enabledLink,
      role: 'apache',
      linkTarget: path.relative(path.dirname(al.enabledLink), al.sitePath),
      ownership: PUBLIC_FILE,
    });
  }
  if (files.snippet !== undefined) {
    desired.push({ path: al.snippetPath, role: 'apache', content: files.snippet, ownership: PUBLIC_FILE });
    notices.push(
      `add "Include ${al.snippetPath}" inside the <VirtualHost *:443> of ${d.hostname}${serving.length ? ` in ${serving.join(', ')}` : ''}`,
    );
  }
  const { order, missing } = moduleClosure(host, al, files.modules);
  if (missing.length) {
    const msg = `Apache modules not found in ${al.modsAvailable}: ${missing.join(', ')}`;
    if (host.root)
      notices.push(`${msg} (under ${host.root}): enable them on the machine with a2enmod ${missing.join(' ')}`);
    else problems.push(problem(msg, 'apt install apache2 (Apache 2.4.47 or newer), then run again'));
  }
  const enabling: string[] = [];
  for (const m of order) {
    for (const ext of ['load', 'conf']) {
      const available = path.join(al.modsAvailable, `${m}.${ext}`);
      if (textOf(host, available) === undefined) continue;
      const link = path.join(al.modsEnabled, `${m}.${ext}`);
      const there = (() => {
        try {
          return host.file(link);
        } catch {
          return { kind: 'other' as const };
        }
      })();
      if (there) continue; // enabled already (a2enmod leaves it as it is)
      desired.push({
        path: link,
        role: 'apache',
        linkTarget: path.relative(al.modsEnabled, available),
        ownership: PUBLIC_FILE,
      });
      if (ext === 'load') enabling.push(m);
    }
  }
  if (enabling.length) notices.push(`Apache modules enabled (as a2enmod does): ${enabling.join(', ')}`);
  return { desired, notices, problems, modules: order };
}
