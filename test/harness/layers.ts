// The source tree's layers, lowest first: a file may import its own layer or any layer below,
// never above. Kept here, beside the test that enforces it; ARCHITECTURE.md explains each layer.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

export const SRC = path.resolve(import.meta.dirname, '../../src');

export const LAYERS = [
  'model', // the zod model, version traits, layout types, errors as values
  'secrets', // secret specs, generation, masking
  'goconf', // server.conf read by the server's own rules
  'render', // model -> file contents (pure)
  'io', // doors to the machine: file target, host facts, terminal output, tool version
  'options', // command-line options, parsed once
  'probe', // network probes: http, signing, signaling websocket, NATS, Janus, TLS
  'detect', // what is installed here
  'inputs', // flags, answers files and the installed setup fill the model
  'plan', // what a run would change (pure over host facts)
  'apply', // writing a plan, all or nothing
  'register', // registration in Nextcloud Talk through occ
  'check', // the check catalogue and its runner
  'ui', // live terminal views (ink)
  'ask', // the wizard
  'commands', // one module per subcommand
  'cli', // the entry point
] as const;

/** errors.ts sits with the model: every layer may name a Problem. */
export function layerOf(file: string): number {
  const rel = path.relative(SRC, file).split(path.sep);
  const top = rel.length === 1 ? 'model' : rel[0]!;
  const i = (LAYERS as readonly string[]).indexOf(top);
  if (i < 0) throw new Error(`${path.relative(SRC, file)}: not in any layer (add its folder to LAYERS)`);
  return i;
}

/** Every relative import of a source file: static, type-only, re-exports and dynamic import(). */
export function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.[^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  return specs.map((s) => {
    const abs = path.resolve(path.dirname(file), s);
    for (const cand of [abs.replace(/\.js$/, '.ts'), abs.replace(/\.js$/, '.tsx'), abs]) {
      try {
        if (statSync(cand).isFile()) return cand;
      } catch {
        /* try the next spelling */
      }
    }
    return abs.replace(/\.js$/, '.ts');
  });
}

export function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : /\.tsx?$/.test(e.name) ? [p] : [];
  });
}

export interface Violation {
  from: string;
  to: string;
  why: string;
}

/** Upward imports between layers, and import cycles between files (any layer). */
export function layerViolations(graph: Map<string, string[]>): Violation[] {
  const out: Violation[] = [];
  const rel = (f: string) => path.relative(SRC, f);
  for (const [from, tos] of graph) {
    for (const to of tos) {
      if (layerOf(to) > layerOf(from))
        out.push({
          from: rel(from),
          to: rel(to),
          why: `${LAYERS[layerOf(from)]} must not import ${LAYERS[layerOf(to)]} (a higher layer)`,
        });
    }
  }
  // Cycles: depth-first search with colours; each back edge closes one cycle.
  const colour = new Map<string, 'grey' | 'black'>();
  const stack: string[] = [];
  const visit = (f: string) => {
    colour.set(f, 'grey');
    stack.push(f);
    for (const to of graph.get(f) ?? []) {
      if (colour.get(to) === 'grey') {
        const cycle = stack.slice(stack.indexOf(to)).concat(to).map(rel);
        out.push({ from: rel(f), to: rel(to), why: `import cycle: ${cycle.join(' -> ')}` });
      } else if (!colour.has(to)) visit(to);
    }
    stack.pop();
    colour.set(f, 'black');
  };
  for (const f of graph.keys()) if (!colour.has(f)) visit(f);
  return out;
}

export function sourceGraph(): Map<string, string[]> {
  return new Map(sourceFiles().map((f) => [f, importsOf(f)]));
}
