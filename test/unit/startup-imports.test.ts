// --help and --version must not load the heavy modules (ink, react, zod, clack, execa): walk the
// static import graph of the compiled entry and prove none of them is reachable without a
// dynamic import. The same for the paths up to the wizard's first prompt and check's first paint.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIST, packagesIn, staticImportGraph } from '../harness/imports.js';

const HEAVY = ['execa', 'zod', 'yaml', 'ws', 'ini', 'ink', 'react', 'diff', 'mustache', 'write-file-atomic'];
const heavyIn = (graph: string[]) =>
  packagesIn(graph)
    .map((g) => g.slice('pkg:'.length))
    .filter((p) => HEAVY.some((h) => p === h || p.startsWith(`${h}/`)));

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

  it("up to the wizard's first prompt: the wizard, its detection and the argument parser import no package", () => {
    // main -> output, options/setup -> ask/wizard (+ detect/environment, plan/context, lock) ->
    // ask/prompter; the prompter loads @clack/prompts itself, on first use.
    for (const file of ['ask/wizard.js', 'ask/prompter.js', 'options/setup.js', 'io/output.js']) {
      const graph = staticImportGraph(path.join(DIST, file));
      expect(packagesIn(graph), file).toEqual([]);
    }
    const wizard = staticImportGraph(path.join(DIST, 'ask/wizard.js'));
    for (const lazy of ['model/deployment.js', 'plan/prepare.js', 'plan/plan.js', 'apply/applySetup.js'])
      expect(
        wizard.some((g) => g.endsWith(`/${lazy}`)),
        `${lazy} is loaded on first use`,
      ).toBe(false);
    // The proof is about the right thing: the later steps do pull the heavy packages in.
    expect(heavyIn(staticImportGraph(path.join(DIST, 'plan/prepare.js')))).toEqual(
      expect.arrayContaining(['zod', 'yaml', 'execa']),
    );
  });

  it("up to check's first paint (header and groups): nothing heavy; the engine and ink load after it", () => {
    const command = staticImportGraph(path.join(DIST, 'commands/check.js'));
    expect(packagesIn(command)).toEqual([]);
    expect(command.some((g) => g.endsWith('/check/groups/order.js'))).toBe(true);
    expect(command.some((g) => g.endsWith('/check/run.js') || g.includes('/ui/'))).toBe(false);
    expect(heavyIn(staticImportGraph(path.join(DIST, 'ui/checkDashboard.js')))).toEqual(
      expect.arrayContaining(['ink', 'react', 'zod', 'ws']),
    );
  });
});
