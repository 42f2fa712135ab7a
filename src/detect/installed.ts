// What `setup` left behind, for every later run and for `register` and `check`: the settings that
// server.conf cannot carry (public hostname, base path, nginx choices) live in a small state file
// next to it; everything else is read back from server.conf and the secret files.
import { readFileSync } from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { DeploymentSchema, type Deployment, type DeploymentInput } from '../model/deployment.js';
import { problem, UserError, type Problem } from '../errors.js';
import { secretSpecsFor } from '../secrets/secrets.js';
import { STATE_FIELDS } from '../model/placement.js';
import { parseVersion } from '../model/versions.js';
import { detectLayout, statePath } from './layout.js';
import { Target } from '../io/target.js';
import type { Layout } from '../model/layout.js';
import { readExistingInstall, readSecretFile, type ExistingInstall } from './existing.js';

export { STATE_FILE, statePath } from './layout.js';

/**
 * Only what server.conf does not hold (model/placement.ts), so hand edits of server.conf always
 * win; plus the server version the files were rendered for.
 */
export function renderState(d: Deployment, rendered: { version?: string; installed?: string } = {}): string {
  const state: Record<string, unknown> = Object.fromEntries(
    STATE_FIELDS.filter((f) => d[f] !== undefined).map((f) => [f, d[f]]),
  );
  // What the files were rendered for, and which server was installed then (to notice a change).
  if (rendered.version) state.renderedFor = rendered.version;
  if (rendered.installed) state.installedWhenRendered = rendered.installed;
  return `# Written by spreed-setup: the settings server.conf cannot hold. No secrets here.\n${stringifyYaml(state)}`;
}

export interface StateReading {
  input: Partial<DeploymentInput>;
  /** The server version the installed files were rendered for, when recorded. */
  renderedFor?: string;
  /** The installed server's version when they were rendered (none: nothing was detected). */
  installedWhenRendered?: string;
  problems: Problem[];
}

export function readState(target: Target, layout: Layout): StateReading {
  let text: string;
  try {
    text = readFileSync(target.path(statePath(layout)), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { input: {}, problems: [] };
    return {
      input: {},
      problems: [
        problem(`cannot read ${statePath(layout)}: ${(err as NodeJS.ErrnoException).code}`, 'run as root (sudo)'),
      ],
    };
  }
  try {
    const data = parseYaml(text) as Record<string, unknown> | null;
    if (!data || typeof data !== 'object') return { input: {}, problems: [] };
    const input = Object.fromEntries(
      STATE_FIELDS.filter((f) => data[f]).map((f) => [f, data[f]]),
    ) as Partial<DeploymentInput>;
    const renderedFor =
      typeof data.renderedFor === 'string' && parseVersion(data.renderedFor) ? data.renderedFor : undefined;
    const installed = data.installedWhenRendered;
    const installedWhenRendered = typeof installed === 'string' && parseVersion(installed) ? installed : undefined;
    return {
      input,
      ...(renderedFor ? { renderedFor } : {}),
      ...(installedWhenRendered ? { installedWhenRendered } : {}),
      problems: [],
    };
  } catch {
    return {
      input: {},
      problems: [problem(`${statePath(layout)} is not valid YAML`, 'remove it; the next setup run writes it again')],
    };
  }
}

export interface Installed {
  target: Target;
  layout: Layout;
  existing: ExistingInstall;
  deployment: Deployment;
  /** secret name (hashkey, blockkey, internalsecret, backend-<id>, turn-*) -> value */
  secrets: Map<string, string>;
}

/**
 * Reads the installed setup (honouring --root and --config as `setup` does) for commands that use
 * it without changing it. Throws a UserError naming what is missing.
 */
export function loadInstalled(opts: { root?: string; config?: string }): Installed {
  const target = new Target(opts.root);
  const layout = detectLayout(target, opts.config);
  const { existing, problems } = readExistingInstall(target, layout);
  if (!existing.configText && problems.length === 0) {
    throw new UserError([
      problem(
        `no server.conf at ${target.path(layout.configPath)}`,
        'run spreed-setup setup first, or pass --config PATH (and --root DIR if staged)',
      ),
    ]);
  }
  const state = readState(target, layout);
  problems.push(...state.problems);
  if (problems.length) throw new UserError(problems);
  const input = { ...state.input, ...existing.reading!.input };
  const parsed = DeploymentSchema.safeParse(input);
  if (!parsed.success) {
    throw new UserError(
      parsed.error.issues.map((i) =>
        problem(
          `installed setup: ${i.path.join('.') || 'config'}: ${i.message}`,
          i.path[0] === 'hostname'
            ? 'pass --url, or run spreed-setup setup again to record the hostname'
            : 'run spreed-setup setup to repair it',
        ),
      ),
    );
  }
  const secrets = new Map<string, string>();
  for (const spec of secretSpecsFor(parsed.data)) {
    const v = existing.reading!.secrets.get(spec.name) ?? readSecretFile(target, layout.secretsDir, spec.name);
    if (v !== undefined) secrets.set(spec.name, v);
  }
  return { target, layout, existing, deployment: parsed.data, secrets };
}
