// The shape of a check report: what `check --json` prints and what the dashboard and the plain
// renderer draw. One zod schema, so tests and other tools validate the same contract.
import { z } from 'zod';

/** `info`: a fact that is neither a pass nor a problem (e.g. what an older release does not report). */
export const CHECK_STATUSES = ['pass', 'warn', 'fail', 'skip', 'info'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

export const CheckResultSchema = z.object({
  /** Stable identifier, e.g. `public.upgrade` or `backend.cloud.secret`. */
  id: z.string().min(1),
  title: z.string().min(1),
  status: z.enum(CHECK_STATUSES),
  /** What was found (one line). */
  detail: z.string(),
  /** For warn/fail: one line that says what to do. */
  fix: z.string().optional(),
  /** Wall time of the check in milliseconds (0 when skipped). */
  ms: z.number().nonnegative().optional(),
});
export type CheckResult = z.infer<typeof CheckResultSchema>;

export const CheckReportSchema = z.object({
  ok: z.boolean(),
  checks: z.array(CheckResultSchema),
  /** Public URL that was checked, e.g. https://hpb.example.org/standalone-signaling */
  url: z.string().optional(),
  /** Per-check timeout in seconds. */
  timeout: z.number().positive().optional(),
  /** Wall time of the whole run in milliseconds. */
  ms: z.number().nonnegative().optional(),
});
export type CheckReport = z.infer<typeof CheckReportSchema>;
