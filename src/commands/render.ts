// `spreed-setup render --cluster FILE --engine ENGINE --out DIR`: the cluster for docker compose,
// Kubernetes or NixOS (render/engines/). Every refusal comes before the first file; files are
// written only below DIR, never through a symlink, each one atomically.
import { lstatSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Output } from '../io/output.js';
import { parseRenderArgs } from '../options/render.js';
import { UserError, problem, type Problem } from '../errors.js';
import { loadClusterFile } from '../inputs/clusterFile.js';
import { nodeInput } from '../model/cluster.js';
import { DeploymentSchema, withTurnFollowing, type Deployment } from '../model/deployment.js';
import { CLUSTER_BUNDLE } from '../model/defaults.js';
import { writeDurable } from '../apply/journal.js';
import { toolVersion } from '../io/toolVersion.js';
import { engineProblems, engineValueProblems, type EngineFile, type EngineInput } from '../render/engines/common.js';
import { renderCompose } from '../render/engines/compose.js';
import { renderKubernetes } from '../render/engines/kubernetes.js';
import { renderNixos } from '../render/engines/nixos.js';

export { RENDER_HELP as HELP } from '../options/render.js';

const RENDERERS = { compose: renderCompose, kubernetes: renderKubernetes, nixos: renderNixos } as const;

/** The files of one engine for a cluster file, or the problems that stop it (pure but for reading FILE). */
export function renderEngine(
  file: string,
  engine: keyof typeof RENDERERS,
  opts: { bundle?: string; toolVersion: string },
): { files: EngineFile[]; problems: Problem[] } {
  const loaded = loadClusterFile(file);
  if (!loaded.cluster) return { files: [], problems: loaded.problems };
  const cf = loaded.cluster;
  const unsafe = engineValueProblems(cf, file);
  if (unsafe.length) return { files: [], problems: unsafe };
  const nodes = new Map<string, Deployment>();
  const problems: Problem[] = [];
  for (const n of cf.cluster.nodes) {
    const parsed = DeploymentSchema.safeParse(nodeInput(cf, n.name));
    if (!parsed.success) {
      for (const i of parsed.error.issues) {
        const at = i.path.map(String).join('.');
        if (!problems.some((p) => p.message.includes(`${at} ${i.message}`)))
          problems.push(problem(`cluster file ${file}: ${at} ${i.message}`, `correct ${at} in ${file}`));
      }
      continue;
    }
    nodes.set(n.name, withTurnFollowing(parsed.data));
  }
  if (problems.length) return { files: [], problems };
  const input: EngineInput = {
    cluster: cf,
    nodes,
    bundleDir: opts.bundle ?? CLUSTER_BUNDLE.dir(cf.cluster.name),
    toolVersion: opts.toolVersion,
  };
  const refused = engineProblems(input, engine, file);
  if (refused.length) return { files: [], problems: refused };
  return { files: RENDERERS[engine](input), problems: [] };
}

/** Why a file cannot be written at `rel` below `out`: a symlink on the way, or something not a file there. */
function placeProblem(out: string, rel: string): Problem | undefined {
  const parts = rel.split('/');
  let at = out;
  for (let i = 0; i <= parts.length; i++) {
    const st = lstatSync(at, { throwIfNoEntry: false });
    if (!st) return undefined; // created below
    const last = i === parts.length;
    if (st.isSymbolicLink())
      return problem(
        `${at} is a symbolic link; render writes no file through one`,
        `remove the link, or give another --out`,
      );
    if (!last && !st.isDirectory()) return problem(`${at} is not a directory`, 'give another --out');
    if (last && !st.isFile()) return problem(`${at} exists and is not a file`, 'remove it, or give another --out');
    if (!last) at = path.join(at, parts[i]!);
  }
  return undefined;
}

export async function run(argv: string[], env: { out: Output; interactive: boolean }): Promise<number> {
  const flags = parseRenderArgs(argv);
  const result = renderEngine(flags.cluster, flags.engine, {
    ...(flags.bundle !== undefined ? { bundle: flags.bundle } : {}),
    toolVersion: toolVersion(),
  });
  if (result.problems.length) throw new UserError(result.problems);
  const out = path.resolve(flags.out);
  const places = [
    ...new Set(
      result.files
        .map((f) => placeProblem(out, f.path))
        .filter((p): p is Problem => !!p)
        .map((p) => JSON.stringify(p)),
    ),
  ];
  if (places.length) throw new UserError(places.map((p) => JSON.parse(p) as Problem));
  for (const f of result.files) {
    const real = path.join(out, ...f.path.split('/'));
    mkdirSync(path.dirname(real), { recursive: true, mode: 0o755 });
    writeDurable(real, f.content, f.mode);
  }
  for (const f of result.files) env.out.info(`wrote ${path.join(flags.out, f.path)}`);
  env.out.success(`${result.files.length} files for ${flags.engine}; next steps: ${path.join(flags.out, 'README.md')}`);
  return 0;
}
