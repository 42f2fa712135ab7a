// The layers of src/ (test/harness/layers.ts): no import points up, and no file imports itself
// back through others. The second test proves the rule can fail.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAYERS, SRC, importsOf, layerOf, layerViolations, sourceFiles, sourceGraph } from '../harness/layers.js';

describe('layers of src/', () => {
  it('every folder is a layer, and no import points up or closes a cycle', () => {
    const graph = sourceGraph();
    expect(graph.size).toBeGreaterThan(40);
    for (const f of sourceFiles()) expect(() => layerOf(f)).not.toThrow();
    expect(layerViolations(graph)).toEqual([]);
  });

  it('an upward import, a dynamic one and a cycle are each reported', () => {
    const graph = sourceGraph();
    const model = path.join(SRC, 'model/deployment.ts');
    const detect = path.join(SRC, 'detect/version.ts');
    const upward = new Map(graph);
    upward.set(model, [
      ...(graph.get(model) ?? []),
      ...importsOf(model, "import { runCheck } from '../check/run.js';"),
    ]);
    expect(layerViolations(upward).filter((v) => !v.why.startsWith('import cycle'))).toEqual([
      expect.objectContaining({ from: 'model/deployment.ts', to: 'check/run.ts' }),
    ]);

    const dynamic = new Map(graph);
    dynamic.set(detect, [
      ...(graph.get(detect) ?? []),
      ...importsOf(detect, "const m = await import('../commands/setup.js');"),
    ]);
    expect(
      layerViolations(dynamic)
        .filter((v) => !v.why.startsWith('import cycle'))
        .map((v) => v.to),
    ).toEqual(['commands/setup.ts']);

    const a = path.join(SRC, 'plan/plan.ts');
    const b = path.join(SRC, 'plan/buildPlan.ts');
    const cyclic = new Map(graph);
    cyclic.set(a, [...(graph.get(a) ?? []), b]);
    expect(layerViolations(cyclic).some((v) => v.why.startsWith('import cycle'))).toBe(true);
  });

  it('the layer list names every top-level folder of src/ once', () => {
    const folders = new Set(
      sourceFiles()
        .map((f) => path.relative(SRC, f).split(path.sep))
        .filter((p) => p.length > 1)
        .map((p) => p[0]!),
    );
    expect([...folders].sort()).toEqual([...LAYERS].filter((l) => folders.has(l)).sort());
    expect(new Set(LAYERS).size).toBe(LAYERS.length);
  });
});
