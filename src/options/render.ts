// `render`'s options, declared once: parsing and the help text both come from RENDER_OPTIONS.
import { UserError, problem, type Problem } from '../errors.js';
import { ENGINES as ENGINE_NAMES, type Engine as EngineName } from '../model/defaults.js';
import { COMMON, optionsHelp, parseCommandOptions, type OptionTable } from './spec.js';

export interface RenderFlags {
  cluster: string;
  engine: EngineName;
  out: string;
  bundle?: string;
  debug: boolean;
}

export const RENDER_OPTIONS: OptionTable = [
  { name: 'cluster', type: 'string', arg: 'FILE', help: ['the cluster file (an answers file with a cluster: key)'] },
  {
    name: 'engine',
    type: 'string',
    arg: 'ENGINE',
    help: [
      'compose: a docker compose project per machine (upstream images, host networking)',
      'kubernetes: manifests (signaling, headless gRPC Service, NATS, media nodes, Ingress)',
      'nixos: a configuration per signaling node for services.nextcloud-spreed-signaling',
    ],
  },
  { name: 'out', type: 'string', arg: 'DIR', help: ['write the files below DIR (created; nothing outside it)'] },
  {
    name: 'cluster-secrets',
    type: 'string',
    arg: 'DIR',
    help: ["where the cluster's secrets bundle lives on each machine", '(default /etc/spreed-setup/cluster-NAME)'],
  },
  { ...COMMON.debug, help: ['show stack traces for unexpected errors'] },
  COMMON.help,
];

export const RENDER_HELP = `spreed-setup render: the cluster for docker compose, Kubernetes or NixOS

Usage:
  spreed-setup render --cluster FILE --engine compose|kubernetes|nixos --out DIR [--cluster-secrets DIR]

Options:
${optionsHelp(RENDER_OPTIONS, 18)}
Renders the same cluster file that \`setup --cluster FILE --node NAME\` reads. No secret value is
written: the files reference the secrets bundle (compose: prepare.sh builds the env_file; NixOS:
*File paths) or a Kubernetes Secret (DIR/README.md has the kubectl commands).

Exit codes: 0 written, 2 bad input (nothing written).
`;

const BUNDLE_PATH = /^\/[A-Za-z0-9._/-]*$/;

export function parseRenderArgs(argv: string[]): RenderFlags {
  const o = parseCommandOptions(argv, RENDER_OPTIONS, 'render');
  const problems: Problem[] = [];
  const cluster = o.str('cluster');
  const engine = o.str('engine');
  const out = o.str('out');
  if (cluster === undefined)
    problems.push(problem('--cluster FILE is missing', 'name the cluster file (see examples/cluster.yaml)'));
  if (engine === undefined) problems.push(problem('--engine is missing', `give one of: ${ENGINE_NAMES.join(', ')}`));
  else if (!(ENGINE_NAMES as readonly string[]).includes(engine))
    problems.push(problem(`unknown --engine "${engine}"`, `use one of: ${ENGINE_NAMES.join(', ')}`));
  if (out === undefined) problems.push(problem('--out DIR is missing', 'name the directory to write the files into'));
  const bundle = o.str('cluster-secrets');
  if (bundle !== undefined && !BUNDLE_PATH.test(bundle))
    problems.push(
      problem(
        `--cluster-secrets ${JSON.stringify(bundle)} is not an absolute path of letters, digits and . _ - /`,
        'give the directory setup --cluster wrote the secrets into, e.g. /etc/spreed-setup/cluster-hpb',
      ),
    );
  if (problems.length) throw new UserError(problems);
  return {
    cluster: cluster!,
    engine: engine as EngineName,
    out: out!,
    ...(bundle !== undefined ? { bundle } : {}),
    debug: o.bool('debug'),
  };
}
