// Runs a catalogue of checks: every check starts as soon as the checks it needs are done, all in
// parallel, each bounded by its own timeout and all of them by one run deadline, so a run takes
// about one timeout however many endpoints hang. A check whose needs did not pass is skipped with
// the reason. Pure of I/O itself: the checks bring their own probes.
import type { CheckResult, CheckStatus } from './schema.js';

export interface Outcome {
  status: CheckStatus;
  detail: string;
  fix?: string;
  /** Facts for other checks (features, versions…); never printed. */
  data?: Record<string, unknown>;
}

export interface CheckContext {
  /** Milliseconds left for this check; pass it to every probe as its timeout. */
  left(): number;
  /**
   * The outcome of another check, once it is done (undefined when it is not in the catalogue).
   * Only wait for checks that do not (transitively) wait for this one.
   */
  outcome(id: string): Promise<Outcome | undefined>;
}

export interface CheckDef {
  id: string;
  title: string;
  /** Checks that must pass (or warn, or inform) first; otherwise this one is skipped naming them. */
  needs?: string[];
  run(ctx: CheckContext): Promise<Outcome>;
  /** Fix shown when the check runs out of time. */
  timeoutFix?: string;
}

export type RunEvent = { type: 'start'; id: string; title: string } | { type: 'done'; result: CheckResult };

export interface RunOptions {
  /** Per-check timeout. */
  timeoutMs: number;
  /** Hard limit for the whole run, from its start (default 1.5 × timeoutMs). */
  runLimitMs?: number;
  onEvent?: (e: RunEvent) => void;
}

export interface RunResult {
  results: CheckResult[];
  outcomes: Map<string, Outcome>;
}

export async function runChecks(defs: CheckDef[], opts: RunOptions): Promise<RunResult> {
  const t0 = Date.now();
  const runDeadline = t0 + (opts.runLimitMs ?? Math.round(opts.timeoutMs * 1.5));
  const byId = new Map(defs.map((d) => [d.id, d]));
  const outcomes = new Map<string, Outcome>();
  const results = new Map<string, CheckResult>();
  const done = new Map<string, Promise<Outcome>>();
  const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

  const start = (def: CheckDef): Promise<Outcome> => {
    const existing = done.get(def.id);
    if (existing) return existing;
    const p = (async (): Promise<Outcome> => {
      const needs = (def.needs ?? []).filter((n) => byId.has(n));
      const needOutcomes = await Promise.all(needs.map((n) => start(byId.get(n)!)));
      const blocked = needs.filter((_, i) => !['pass', 'warn', 'info'].includes(needOutcomes[i]!.status));
      let outcome: Outcome;
      const began = Date.now();
      if (blocked.length > 0) {
        const why = blocked
          .map((n) => `${byId.get(n)!.title} (${outcomes.get(n)?.status === 'skip' ? 'skipped' : 'failed'})`)
          .join(', ');
        outcome = { status: 'skip', detail: `skipped: needs ${why}` };
      } else {
        opts.onEvent?.({ type: 'start', id: def.id, title: def.title });
        const deadline = Math.min(began + opts.timeoutMs, runDeadline);
        const ctx: CheckContext = {
          left: () => Math.max(1, deadline - Date.now()),
          outcome: async (id) => {
            const other = byId.get(id);
            return other ? start(other) : undefined;
          },
        };
        const hitRunLimit = deadline === runDeadline && runDeadline - began < opts.timeoutMs;
        let timer: NodeJS.Timeout | undefined;
        outcome = await Promise.race([
          def.run(ctx).catch(
            (err: unknown): Outcome => ({
              status: 'fail',
              detail: `unexpected error: ${(err as Error)?.message ?? String(err)}`,
              fix: 'run again with --debug and report it',
            }),
          ),
          new Promise<void>((r) => {
            timer = setTimeout(r, Math.max(0, deadline - Date.now() + 50));
          }).then(
            (): Outcome => ({
              status: 'fail',
              detail: hitRunLimit
                ? `not finished within the run's limit of ${seconds(runDeadline - t0)} (the checks before it were slow)`
                : `no answer within ${seconds(deadline - began)}`,
              fix:
                def.timeoutFix ??
                'something accepts the connection but never answers: look for a hung service or a firewall that drops packets',
            }),
          ),
        ]);
        clearTimeout(timer);
      }
      outcomes.set(def.id, outcome);
      const result: CheckResult = {
        id: def.id,
        title: def.title,
        status: outcome.status,
        detail: outcome.detail,
        ...(outcome.fix && (outcome.status === 'fail' || outcome.status === 'warn') ? { fix: outcome.fix } : {}),
        ms: outcome.status === 'skip' && blocked.length > 0 ? 0 : Date.now() - began,
      };
      results.set(def.id, result);
      opts.onEvent?.({ type: 'done', result });
      return outcome;
    })();
    done.set(def.id, p);
    return p;
  };

  await Promise.all(defs.map(start));
  return { results: defs.map((d) => results.get(d.id)!), outcomes };
}
