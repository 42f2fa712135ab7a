// `spreed-setup check`: proves every link of the High Performance Backend and names what is broken,
// with a one-line fix. Kept import-light: `check --help` loads only this file; the checks load on
// run, and ink only when a live dashboard is on screen, after a plain first paint.
import { styleText } from 'node:util';
import { problem, UserError } from '../errors.js';
import { detectLayout } from '../detect/layout.js';
import { Target } from '../io/target.js';
import { CHECK_GROUPS, CLUSTER_GROUP } from '../check/groups/order.js';
import type { Output } from '../io/output.js';
import { COMMON, optionsHelp, parseCommandOptions, type OptionTable } from '../options/spec.js';
import { splitOccCommand } from '../check/occ.js';
import type { CheckFlags } from '../check/run.js';
import type { CheckResult } from '../check/schema.js';

/** Declared once: parsing and the Options section of the help come from this table. */
const CHECK_OPTIONS: OptionTable = [
  { ...COMMON.root, help: ['read a staged install under DIR (as written by setup --root)'] },
  { ...COMMON.config, help: ['server.conf path (default: detected, as setup does)'] },
  {
    name: 'url',
    type: 'string',
    arg: 'URL',
    help: ['public base URL (default https://HOST/standalone-signaling from the setup)'],
  },
  { name: 'ca', type: 'string', arg: 'FILE', help: ['trust this CA (PEM) for the public URL, e.g. a private CA'] },
  { name: 'insecure', type: 'boolean', help: ['accept any certificate for the public URL (problems become warnings)'] },
  {
    name: 'occ',
    type: 'string',
    arg: '"COMMAND"',
    help: [
      "how to run Nextcloud's occ, to check Talk's registration, e.g.",
      '--occ "sudo -u www-data php /var/www/nextcloud/occ"',
    ],
  },
  {
    name: 'timeout',
    type: 'string',
    arg: 'SECONDS',
    help: ['per-check time limit (default 5); a whole run takes about this long at most'],
  },
  {
    name: 'nginx-conf',
    type: 'string',
    arg: 'PATH',
    help: ['nginx.conf to read worker limits from (default /etc/nginx/nginx.conf)'],
  },
  {
    name: 'json',
    type: 'boolean',
    help: ['print one JSON report: {"ok", "checks": [{"id","title","status","detail","fix"?}]}'],
  },
  {
    name: 'cluster',
    type: 'string',
    arg: 'FILE',
    help: ['check a whole cluster (a cluster file, examples/cluster.yaml) instead of this server'],
  },
  {
    name: 'node',
    type: 'string',
    arg: 'NAME',
    help: ["with --cluster: the node this machine is (its server.conf's secrets and proxy token)"],
  },
  {
    name: 'cluster-secrets',
    type: 'string',
    arg: 'DIR',
    help: ['with --cluster: the cluster secrets (default /etc/spreed-setup/cluster-<name>)'],
  },
  { ...COMMON.debug, help: ['show stack traces for unexpected errors'] },
  COMMON.yes,
  COMMON.help,
];

export const HELP = `spreed-setup check: prove every link works (server, NATS, Janus, proxy, TLS, Nextcloud, Talk, cluster)

Usage:
  spreed-setup check [--root DIR] [--config PATH] [--url PUBLIC-BASE-URL] [--ca FILE | --insecure]
                     [--occ "COMMAND"] [--timeout SECONDS] [--json]
  spreed-setup check --cluster FILE [--node NAME] [--cluster-secrets DIR] [--timeout SECONDS] [--json]

Options:
${optionsHelp(CHECK_OPTIONS, 20)}
Checks run in parallel; one that needs a failed one is skipped with the reason. Without a
terminal (or with CI set) results are printed line by line; secrets are never printed.
At most one signed probe per backend goes to Nextcloud per run (it counts failures as brute force).
With --cluster: every node's welcome and version, each nats-server's routes, a message and a
control message from a session on one node to a session on every other node (the control is
dropped when the nodes' session keys differ), this node's secrets against the cluster secrets
(fingerprints only), gRPC peers (2.0.3+) and each media node's proxy with this node's token.

Exit codes: 0 nothing failed (warnings allowed), 1 a check failed, 2 bad usage.
`;

export interface CommandEnv {
  out: Output;
  /** stdin and stdout are a terminal and --yes was not given */
  interactive: boolean;
}

export function parseCheckArgs(argv: string[]): CheckFlags {
  const o = parseCommandOptions(argv, CHECK_OPTIONS, 'check');
  const str = o.str;
  const values = { insecure: o.bool('insecure'), json: o.bool('json') };
  const problems = [];
  let timeoutSeconds = 5;
  const t = str('timeout');
  if (t !== undefined) {
    timeoutSeconds = Number(t);
    if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > 600) {
      problems.push(problem(`--timeout ${t} is not a number of seconds between 0 and 600`, 'e.g. --timeout 5'));
    }
  }
  if (str('ca') !== undefined && values.insecure === true)
    problems.push(problem('--ca and --insecure exclude each other', 'pass only one of them'));
  const url = str('url');
  if (url !== undefined) {
    try {
      const u = new URL(url);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
    } catch {
      problems.push(
        problem(`--url ${url} is not an http(s) URL`, 'e.g. --url https://hpb.example.org/standalone-signaling'),
      );
    }
  }
  if (str('occ') !== undefined && splitOccCommand(str('occ')!).length === 0)
    problems.push(
      problem('--occ is empty or has an unbalanced quote', 'e.g. --occ "sudo -u www-data php /var/www/nextcloud/occ"'),
    );
  if (str('cluster') === undefined) {
    for (const opt of ['node', 'cluster-secrets'])
      if (str(opt) !== undefined)
        problems.push(problem(`--${opt} needs --cluster FILE`, `add --cluster FILE, or leave out --${opt}`));
  } else {
    for (const opt of ['url', 'occ', 'nginx-conf', 'ca'])
      if (str(opt) !== undefined)
        problems.push(
          problem(
            `--${opt} has no effect with --cluster`,
            `leave it out, or run check without --cluster for this server`,
          ),
        );
    if (values.insecure === true) problems.push(problem('--insecure has no effect with --cluster', 'leave it out'));
    if (str('cluster') === '') problems.push(problem('--cluster needs a file', 'e.g. --cluster cluster.yaml'));
  }
  if (problems.length) throw new UserError(problems);
  const flags: CheckFlags = { insecure: values.insecure === true, timeoutSeconds, json: values.json === true };
  for (const [k, opt] of [
    ['root', 'root'],
    ['config', 'config'],
    ['url', 'url'],
    ['ca', 'ca'],
    ['occ', 'occ'],
    ['nginxConf', 'nginx-conf'],
    ['cluster', 'cluster'],
    ['node', 'node'],
    ['bundle', 'cluster-secrets'],
  ] as const) {
    const v = str(opt);
    if (v !== undefined) flags[k] = v;
  }
  return flags;
}

export async function run(argv: string[], env: CommandEnv): Promise<number> {
  return runCheckCommand(argv, env);
}

async function runCheckCommand(argv: string[], env: { out: Output; interactive: boolean }): Promise<number> {
  const flags = parseCheckArgs(argv);
  if (flags.json) {
    const { runCheck } = await import('../check/run.js');
    const { report } = await runCheck(flags);
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return report.ok ? 0 : 1;
  }
  const ci =
    process.env.CI !== undefined &&
    process.env.CI !== '' &&
    process.env.CI !== '0' &&
    process.env.CI.toLowerCase() !== 'false';
  const live = Boolean(process.stdout.isTTY) && !ci && process.env.TERM !== 'dumb';
  const color = Boolean(process.stdout.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
  if (live) {
    // The first paint comes from plain writes; the dashboard (ink, ~300 ms to load) then takes the
    // place of the "Checking" line, under the header.
    const checking = firstPaint(flags, color);
    const { showDashboard } = await import('../ui/checkDashboard.js');
    process.stdout.write(eraseLastLine(checking, process.stdout.columns));
    return showDashboard(flags, { color });
  }
  const { runCheck, formatPlain, summary } = await import('../check/run.js');
  // Plain: print in catalogue order as soon as a result and all before it are known.
  const pending = new Map<string, CheckResult>();
  let order: string[] = [];
  let next = 0;
  const flush = () => {
    while (next < order.length && pending.has(order[next]!)) {
      env.out.raw(formatPlain(pending.get(order[next]!)!, color));
      next++;
    }
  };
  const { report } = await runCheck(
    flags,
    (e) => {
      if (e.type !== 'done') return;
      pending.set(e.result.id, e.result);
      flush();
    },
    (titles) => {
      order = titles.map((t) => t.id);
    },
  );
  for (const c of report.checks) pending.set(c.id, c);
  flush();
  env.out.raw(`${summary(report)}${report.url ? ` — ${report.url}` : ''}\n`);
  return report.ok ? 0 : 1;
}

/** The header and the groups about to be checked, before anything heavy loads; returns the last line. */
function firstPaint(flags: CheckFlags, color: boolean): string {
  const title = 'spreed-setup check';
  if (flags.cluster !== undefined) {
    process.stdout.write(`${color ? styleText('bold', title) : title}: cluster ${flags.cluster}\n`);
    const checking = `Checking ${CLUSTER_GROUP.name}…`;
    process.stdout.write(`${checking}\n`);
    return checking;
  }
  const target = new Target(flags.root);
  const config = target.path(detectLayout(target, flags.config).configPath);
  process.stdout.write(`${color ? styleText('bold', title) : title}: ${config}\n`);
  const checking = `Checking ${CHECK_GROUPS.map((g) => g.name).join(', ')}…`;
  process.stdout.write(`${checking}\n`);
  return checking;
}

/** Cursor up over a line just written (as many rows as it wrapped into) and clear from there down. */
function eraseLastLine(line: string, columns: number | undefined): string {
  const rows = columns && columns > 0 ? Math.max(1, Math.ceil(line.length / columns)) : 1;
  return `\x1b[${rows}A\r\x1b[J`;
}
