// The static import graph of compiled files: what loads before any dynamic import() runs.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const DIST = path.resolve(import.meta.dirname, '../../dist');

function staticImports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^\s*import\s+(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm)].map(
    (m) => m[1]!,
  );
}

/** Files reachable from entry (absolute paths) plus `pkg:NAME` for every package imported. */
export function staticImportGraph(entry: string): string[] {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) todo.push(path.resolve(path.dirname(file), spec));
      else seen.add(`pkg:${spec}`);
    }
  }
  return [...seen];
}

/** Packages (not node: built-ins) in a graph. */
export const packagesIn = (graph: string[]) => graph.filter((g) => g.startsWith('pkg:') && !g.startsWith('pkg:node:'));
