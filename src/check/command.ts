// The shell around the checks: flags -> inputs, run the catalogue, show it (ink dashboard on a
// terminal, ordered plain lines otherwise, or one JSON report), exit 0/1/2.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { styleText } from 'node:util';
import { problem, UserError } from '../errors.js';
import { COMMON_OPTIONS, parseCommandOptions } from '../cli/args.js';
import type { Output } from '../cli/output.js';
import { buildCatalogue, type CheckInputs } from './catalogue.js';
import { runChecks, type RunEvent } from './runner.js';
import { CheckReportSchema, type CheckReport, type CheckResult } from './schema.js';
import { splitOccCommand, type OccExec } from './occ.js';
import { readCheckSetup } from './setup.js';

export interface CheckFlags {
  root?: string;
  config?: string;
  url?: string;
  ca?: string;
  insecure: boolean;
  occ?: string;
  timeoutSeconds: number;
  nginxConf?: string;
  json: boolean;
}

const OPTIONS = {
  ...COMMON_OPTIONS,
  url: { type: 'string' },
  ca: { type: 'string' },
  insecure: { type: 'boolean' },
  occ: { type: 'string' },
  timeout: { type: 'string' },
  'nginx-conf': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export function parseCheckArgs(argv: string[]): CheckFlags {
  const o = parseCommandOptions(argv, OPTIONS, 'check');
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
  if (str('ca') !== undefined && values.insecure === true) problems.push(problem('--ca and --insecure exclude each other', 'pass only one of them'));
  const url = str('url');
  if (url !== undefined) {
    try {
      const u = new URL(url);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
    } catch {
      problems.push(problem(`--url ${url} is not an http(s) URL`, 'e.g. --url https://hpb.example.org/standalone-signaling'));
    }
  }
  if (str('occ') !== undefined && splitOccCommand(str('occ')!).length === 0) problems.push(problem('--occ is empty or has an unbalanced quote', 'e.g. --occ "sudo -u www-data php /var/www/nextcloud/occ"'));
  if (problems.length) throw new UserError(problems);
  const flags: CheckFlags = { insecure: values.insecure === true, timeoutSeconds, json: values.json === true };
  for (const [k, opt] of [['root', 'root'], ['config', 'config'], ['url', 'url'], ['ca', 'ca'], ['occ', 'occ'], ['nginxConf', 'nginx-conf']] as const) {
    const v = str(opt);
    if (v !== undefined) flags[k] = v;
  }
  return flags;
}

/** Replaces every secret value in text (a last line of defence: no check prints one on purpose). */
function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 6) out = out.split(s).join('***');
  return out;
}

export interface CheckRun {
  report: CheckReport;
}

/** Runs the whole catalogue for these flags; events stream to onEvent (for live views). */
export async function runCheck(
  flags: CheckFlags,
  onEvent?: (e: RunEvent) => void,
  onCatalogue?: (titles: { id: string; title: string }[]) => void,
  /** occ's process door (tests pass a stand-in); default execa. */
  doors: { occExec?: OccExec } = {},
): Promise<{ report: CheckReport; titles: { id: string; title: string }[] }> {
  const setup = readCheckSetup({ ...(flags.root ? { root: flags.root } : {}), ...(flags.config ? { config: flags.config } : {}) });
  let ca: Buffer | undefined;
  if (flags.ca) {
    try {
      ca = readFileSync(flags.ca);
    } catch (err) {
      throw new UserError([problem(`cannot read --ca ${flags.ca}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'pass a readable PEM file')]);
    }
  }
  const publicUrl = flags.url ?? setup.publicUrl;
  const inputs: CheckInputs = {
    setup,
    ...(publicUrl ? { publicUrl } : {}),
    tls: { ...(ca ? { ca } : {}), insecure: flags.insecure },
    ...(flags.occ ? { occ: splitOccCommand(flags.occ) } : {}),
    ...(doors.occExec ? { occExec: doors.occExec } : {}),
    ...(flags.nginxConf ? { nginxConf: path.resolve(flags.nginxConf) } : {}),
  };
  const defs = buildCatalogue(inputs);
  const titles = defs.map((d) => ({ id: d.id, title: d.title }));
  onCatalogue?.(titles);
  const secrets = [...setup.secrets.values()];
  const t0 = Date.now();
  const { results } = await runChecks(defs, {
    timeoutMs: Math.round(flags.timeoutSeconds * 1000),
    ...(onEvent ? { onEvent: (e: RunEvent) => onEvent(e.type === 'done' ? { type: 'done', result: scrubResult(e.result, secrets) } : e) } : {}),
  });
  const checks = results.map((r) => scrubResult(r, secrets));
  const report: CheckReport = {
    ok: !checks.some((c) => c.status === 'fail'),
    checks,
    ...(publicUrl ? { url: publicUrl } : {}),
    timeout: flags.timeoutSeconds,
    ms: Date.now() - t0,
  };
  return { report: CheckReportSchema.parse(report), titles };
}

function scrubResult(r: CheckResult, secrets: string[]): CheckResult {
  return { ...r, detail: scrub(r.detail, secrets), ...(r.fix ? { fix: scrub(r.fix, secrets) } : {}) };
}

const MARK: Record<CheckResult['status'], string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };
const STYLE = { pass: 'green', warn: 'yellow', fail: 'red', skip: 'gray' } as const;

/** One result as plain lines: `PASS  Title: detail` and, for a problem, `      fix: …`. */
export function formatPlain(r: CheckResult, color: boolean): string {
  const mark = color ? styleText(STYLE[r.status], MARK[r.status]) : MARK[r.status];
  let s = `${mark}  ${r.title}: ${r.detail}\n`;
  if (r.fix && (r.status === 'fail' || r.status === 'warn')) s += `      fix: ${r.fix}\n`;
  return s;
}

export function summary(report: CheckReport): string {
  const n = (s: string) => report.checks.filter((c) => c.status === s).length;
  return `${n('pass')} passed, ${n('warn')} warning(s), ${n('fail')} failed, ${n('skip')} skipped (${((report.ms ?? 0) / 1000).toFixed(1)} s)`;
}

export async function runCheckCommand(argv: string[], env: { out: Output; interactive: boolean }): Promise<number> {
  const flags = parseCheckArgs(argv);
  if (flags.json) {
    const { report } = await runCheck(flags);
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return report.ok ? 0 : 1;
  }
  const ci = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== '0' && process.env.CI.toLowerCase() !== 'false';
  const live = Boolean(process.stdout.isTTY) && !ci && process.env.TERM !== 'dumb';
  const color = Boolean(process.stdout.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
  if (live) {
    const { showDashboard } = await import('../ui/checkDashboard.js');
    return showDashboard(flags, { color });
  }
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
