// Runs the check catalogue for a set of flags and turns results into a report (secrets scrubbed),
// plain lines and a summary. The command shell (commands/check.ts) and the live view (ui/) use it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { styleText } from 'node:util';
import { problem, UserError } from '../errors.js';
import { buildCatalogue, buildClusterCatalogue, type CheckInputs } from './catalogue.js';
import { clusterSecretValues, readClusterCheckSetup } from './clusterSetup.js';
import { runChecks, type CheckDef, type RunEvent } from './runner.js';
import { CheckReportSchema, type CheckReport, type CheckResult } from './schema.js';
import { splitOccCommand, type OccExec } from './occ.js';
import { readCheckSetup } from './setup.js';
import { maskSecrets } from '../secrets/secrets.js';

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
  /** --cluster FILE: check the cluster as a whole instead of this server. */
  cluster?: string;
  /** --node NAME: which node of the cluster this machine is. */
  node?: string;
  /** --cluster-secrets DIR: the cluster's secrets (default /etc/spreed-setup/cluster-<name>). */
  bundle?: string;
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
  if (flags.cluster !== undefined) return runClusterCheck({ ...flags, cluster: flags.cluster }, onEvent, onCatalogue);
  const setup = readCheckSetup({
    ...(flags.root ? { root: flags.root } : {}),
    ...(flags.config ? { config: flags.config } : {}),
  });
  let ca: Buffer | undefined;
  if (flags.ca) {
    try {
      ca = readFileSync(flags.ca);
    } catch (err) {
      throw new UserError([
        problem(
          `cannot read --ca ${flags.ca}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
          'pass a readable PEM file',
        ),
      ]);
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
  return runDefs(defs, [...setup.secrets.values()], flags, publicUrl, onEvent, onCatalogue);
}

/** `check --cluster FILE`: the cluster group, with the secrets of the bundle and of --node. */
async function runClusterCheck(
  flags: CheckFlags & { cluster: string },
  onEvent?: (e: RunEvent) => void,
  onCatalogue?: (titles: { id: string; title: string }[]) => void,
): Promise<{ report: CheckReport; titles: { id: string; title: string }[] }> {
  const setup = readClusterCheckSetup({
    cluster: flags.cluster,
    ...(flags.node !== undefined ? { node: flags.node } : {}),
    ...(flags.bundle !== undefined ? { bundle: flags.bundle } : {}),
    ...(flags.root !== undefined ? { root: flags.root } : {}),
    ...(flags.config !== undefined ? { config: flags.config } : {}),
  });
  return runDefs(buildClusterCatalogue(setup), clusterSecretValues(setup), flags, undefined, onEvent, onCatalogue);
}

async function runDefs(
  defs: CheckDef[],
  secrets: string[],
  flags: CheckFlags,
  publicUrl: string | undefined,
  onEvent?: (e: RunEvent) => void,
  onCatalogue?: (titles: { id: string; title: string }[]) => void,
): Promise<{ report: CheckReport; titles: { id: string; title: string }[] }> {
  const titles = defs.map((d) => ({ id: d.id, title: d.title }));
  onCatalogue?.(titles);
  const t0 = Date.now();
  const { results } = await runChecks(defs, {
    timeoutMs: Math.round(flags.timeoutSeconds * 1000),
    ...(onEvent
      ? {
          onEvent: (e: RunEvent) =>
            onEvent(e.type === 'done' ? { type: 'done', result: scrubResult(e.result, secrets) } : e),
        }
      : {}),
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
  return { ...r, detail: maskSecrets(r.detail, secrets), ...(r.fix ? { fix: maskSecrets(r.fix, secrets) } : {}) };
}

const MARK: Record<CheckResult['status'], string> = {
  pass: 'PASS',
  warn: 'WARN',
  fail: 'FAIL',
  skip: 'SKIP',
  info: 'INFO',
};
const STYLE = { pass: 'green', warn: 'yellow', fail: 'red', skip: 'gray', info: 'blue' } as const;

/** One result as plain lines: `PASS  Title: detail` and, for a problem, `      fix: …`. */
export function formatPlain(r: CheckResult, color: boolean): string {
  const mark = color ? styleText(STYLE[r.status], MARK[r.status]) : MARK[r.status];
  let s = `${mark}  ${r.title}: ${r.detail}\n`;
  if (r.fix && (r.status === 'fail' || r.status === 'warn')) s += `      fix: ${r.fix}\n`;
  return s;
}

export function summary(report: CheckReport): string {
  const n = (s: string) => report.checks.filter((c) => c.status === s).length;
  return `${n('pass')} passed, ${n('warn')} warning(s), ${n('fail')} failed, ${n('skip')} skipped${n('info') ? `, ${n('info')} info` : ''} (${((report.ms ?? 0) / 1000).toFixed(1)} s)`;
}
