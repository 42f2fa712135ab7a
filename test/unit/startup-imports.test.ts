// --help and --version must not load the heavy modules (ink, react, zod, clack, execa): walk the
// static import graph of the compiled entry and prove none of them is reachable without a
// dynamic import.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIST, packagesIn, staticImportGraph } from '../harness/imports.js';

describe('start-up path', () => {
  it('loads only node built-ins and our own help before dispatch', () => {
    const graph = staticImportGraph(path.join(DIST, 'cli/main.js'));
    expect(packagesIn(graph)).toEqual([]);
    expect(graph.some((g) => g.endsWith('cli/help.js'))).toBe(true);
  });

  it('the command modules loaded for --help import no package either', () => {
    for (const cmd of ['register', 'check'])
      expect(packagesIn(staticImportGraph(path.join(DIST, `commands/${cmd}.js`))), cmd).toEqual([]);
  });
});
