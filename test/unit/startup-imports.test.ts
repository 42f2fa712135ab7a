// --help and --version must not load the heavy modules (ink, react, zod, clack, execa): walk the
// static import graph of the compiled entry and prove none of them is reachable without a
// dynamic import.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const DIST = path.resolve(import.meta.dirname, '../../dist');

function staticImports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(/^\s*import\s+(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
}

function reachable(entry: string): Set<string> {
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
  return seen;
}

describe('start-up path', () => {
  it('loads only node built-ins and our own help before dispatch', () => {
    const graph = [...reachable(path.join(DIST, 'cli/main.js'))];
    const packages = graph.filter((g) => g.startsWith('pkg:') && !g.startsWith('pkg:node:'));
    expect(packages).toEqual([]);
    expect(graph.some((g) => g.endsWith('cli/help.js'))).toBe(true);
  });
});
