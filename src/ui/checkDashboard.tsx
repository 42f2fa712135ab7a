// The live view of `spreed-setup check` on a terminal: one line per check (waiting, running,
// pass, warn, fail, skipped), its detail, and the fix under a problem. Loaded only when a
// terminal shows it (ink costs ~300 ms to import). It reads no keys: no useInput, so a piped
// stdin can never make it throw.
import type React from 'react';
import { useEffect, useState } from 'react';
import { Box, render, Text } from 'ink';
import { runCheck, summary, type CheckFlags } from '../check/run.js';
import type { RunEvent } from '../check/runner.js';
import type { CheckReport, CheckResult } from '../check/schema.js';

type Row = { id: string; title: string; state: 'waiting' | 'running' } | (CheckResult & { state: 'done' });

export interface DashboardStore {
  rows: Row[];
  report?: CheckReport;
  subscribe(fn: () => void): () => void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const MARK = { pass: '✔', warn: '▲', fail: '✖', skip: '–', info: 'ℹ' } as const;
const COLOR = { pass: 'green', warn: 'yellow', fail: 'red', skip: 'gray', info: 'blue' } as const;

function useStore(store: DashboardStore): DashboardStore {
  const [, setTick] = useState(0);
  useEffect(() => store.subscribe(() => setTick((t) => t + 1)), [store]);
  return store;
}

function Spinner({ color }: { color: boolean }): React.JSX.Element {
  const [i, setI] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setI((x) => (x + 1) % FRAMES.length), 80);
    return () => clearInterval(t);
  }, []);
  return <Text {...(color ? { color: 'cyan' } : {})}>{FRAMES[i]}</Text>;
}

function Mark({ row, color }: { row: Row; color: boolean }): React.JSX.Element {
  if (row.state === 'done') return <Text {...(color ? { color: COLOR[row.status] } : {})}>{MARK[row.status]}</Text>;
  if (row.state === 'running') return <Spinner color={color} />;
  return <Text dimColor>·</Text>;
}

export function CheckDashboard({ store, color }: { store: DashboardStore; color: boolean }): React.JSX.Element {
  const s = useStore(store);
  const width = Math.max(...s.rows.map((r) => r.title.length), 10);
  return (
    <Box flexDirection="column">
      {s.rows.map((r) => (
        <Box key={r.id} flexDirection="column">
          <Box>
            <Box width={2} flexShrink={0}>
              <Mark row={r} color={color} />
            </Box>
            <Box width={width + 2} flexShrink={0}>
              <Text bold={r.state === 'done' && r.status === 'fail'}>{r.title}</Text>
            </Box>
            <Box flexShrink={1}>
              <Text {...(r.state === 'done' && r.status === 'skip' ? { dimColor: true } : {})}>
                {r.state === 'done' ? r.detail : r.state === 'running' ? 'checking…' : ''}
              </Text>
            </Box>
          </Box>
          {r.state === 'done' && r.fix && (r.status === 'fail' || r.status === 'warn') ? (
            <Box marginLeft={width + 4}>
              <Text {...(color ? { color: COLOR[r.status] } : {})}>fix: {r.fix}</Text>
            </Box>
          ) : null}
        </Box>
      ))}
      {s.report ? (
        <Box marginTop={1}>
          <Text bold {...(color ? { color: s.report.ok ? 'green' : 'red' } : {})}>
            {summary(s.report)}
            {s.report.url ? ` — ${s.report.url}` : ''}
          </Text>
        </Box>
      ) : null}
    </Box>
  );
}

export function createStore(): DashboardStore & {
  catalogue(titles: { id: string; title: string }[]): void;
  event(e: RunEvent): void;
  finish(r: CheckReport): void;
} {
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  const store = {
    rows: [] as Row[],
    report: undefined as CheckReport | undefined,
    subscribe(fn: () => void) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    catalogue(titles: { id: string; title: string }[]) {
      store.rows = titles.map((t) => ({ ...t, state: 'waiting' as const }));
      notify();
    },
    event(e: RunEvent) {
      store.rows = store.rows.map((r) =>
        e.type === 'start' && r.id === e.id
          ? { id: r.id, title: r.title, state: 'running' as const }
          : e.type === 'done' && r.id === e.result.id
            ? { ...e.result, state: 'done' as const }
            : r,
      );
      notify();
    },
    finish(report: CheckReport) {
      store.report = report;
      store.rows = report.checks.map((c) => ({ ...c, state: 'done' as const }));
      notify();
    },
  };
  return store;
}

/** Runs the checks under a live dashboard; returns the exit code. */
export async function showDashboard(flags: CheckFlags, opts: { color: boolean }): Promise<number> {
  const store = createStore();
  const app = render(<CheckDashboard store={store} color={opts.color} />, { exitOnCtrlC: false, patchConsole: false });
  try {
    const { report } = await runCheck(
      flags,
      (e) => store.event(e),
      (titles) => store.catalogue(titles),
    );
    store.finish(report);
    await new Promise((r) => setTimeout(r, 50));
    return report.ok ? 0 : 1;
  } finally {
    app.unmount();
    await app.waitUntilExit().catch(() => undefined);
  }
}
