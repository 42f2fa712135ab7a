// Start and prove: after the files are written (and before the transaction commits), systemd
// reloads its units when a drop-in changed, the signaling server is enabled and restarted, nginx
// is reloaded (or started), and the run waits, bounded, for the server's welcome on its listen
// address. A server that does not come up fails the transaction: the files go back and the
// previous server is started again (applySetup.ts), with the server's last log lines shown.
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { which } from '../io/target.js';
import { escapeControls } from '../io/output.js';
import type { Layout } from '../model/layout.js';
import { COTURN, JANUS, NATS_SERVER, PROXY } from '../model/defaults.js';
import type { FileChange } from '../plan/plan.js';
import { fetchWelcome } from '../probe/signaling.js';
import { listenBase } from '../model/urls.js';

export interface ServiceEnv {
  layout: Layout;
  /** The server's listen address (`[http] listen`), e.g. 127.0.0.1:8080. */
  listen: string;
  progress: (line: string) => void;
  /** How long to wait for the welcome (default SPREED_SETUP_START_TIMEOUT seconds, else 30). */
  waitMs?: number;
}

export type StartResult =
  | { ok: true; ran: string[]; version?: string }
  | { ok: false; message: string; fix: string; log: string[]; ran: string[] }
  | { ok: 'skipped'; why: string; todo: string[] };

/** systemd is PID 1 (sd_booted(3): /run/systemd/system exists). */
export const systemdRunning = () => existsSync('/run/systemd/system');

export function startWaitMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.SPREED_SETUP_START_TIMEOUT;
  if (v !== undefined && /^\d{1,3}$/.test(v) && Number(v) >= 1) return Number(v) * 1000;
  return 30_000;
}

/** The commands a run would issue, for a system without systemd (say what to run). */
export function serviceCommands(layout: Layout, written: FileChange[]): string[][] {
  const cmds: string[][] = [];
  if (written.some((c) => c.role === 'systemd')) cmds.push(['daemon-reload']);
  // NATS before everything: the signaling server does not listen until it reaches NATS.
  if (written.some((c) => c.role === 'nats')) cmds.push(['enable', NATS_SERVER.unit], ['restart', NATS_SERVER.unit]);
  // Janus first: the signaling server initialises its MCU before it listens (janus-facts §1).
  if (written.some((c) => c.role === 'janus')) cmds.push(['enable', JANUS.unit], ['restart', JANUS.unit]);
  // The proxy in front of it next: the server connects to its proxies when it starts.
  if (written.some((c) => c.role === 'proxy')) cmds.push(['enable', PROXY.unit], ['restart', PROXY.unit]);
  const server = written.some(
    (c) =>
      c.role === 'server-config' ||
      c.role === 'secret' ||
      c.role === 'state' ||
      (c.role === 'systemd' && c.path.includes(`/${layout.unit}.service`)),
  );
  if (server) cmds.push(['enable', layout.unit], ['restart', layout.unit]);
  if (written.some((c) => c.role === 'coturn' && c.path !== COTURN.deployHookPath))
    cmds.push(['enable', COTURN.unit], ['restart', COTURN.unit]);
  if (
    layout.nginx.binary &&
    written.some((c) => c.role === 'nginx' || (c.role === 'systemd' && c.path.includes('nginx')))
  )
    cmds.push(['reload-or-restart', 'nginx']);
  if (layout.apache.binary && written.some((c) => c.role === 'apache'))
    cmds.push(['reload-or-restart', layout.apache.unit]);
  if (layout.caddy.binary && written.some((c) => c.role === 'caddy'))
    cmds.push(['reload-or-restart', layout.caddy.unit]);
  if (layout.haproxy.binary && written.some((c) => c.role === 'haproxy'))
    cmds.push(['reload-or-restart', layout.haproxy.unit]);
  return cmds;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function journal(unit: string, n = 20): Promise<string[]> {
  const j = which('journalctl');
  if (!j) return [];
  const r = await execa(j, ['-u', unit, '-n', String(n), '--no-pager', '-o', 'cat'], { reject: false, timeout: 10000 });
  return String(r.stdout ?? '')
    .split('\n')
    .map((l) => escapeControls(l.trimEnd()))
    .filter(Boolean)
    .slice(-n);
}

/** The line of a server log that says why it stopped: the last error-like line, else the last one. */
export function reasonLine(log: string[]): string | undefined {
  for (let i = log.length - 1; i >= 0; i--)
    if (/\b(fatal|error|panic|could not|cannot|failed|invalid)\b/i.test(log[i]!)) return log[i];
  return log.at(-1);
}

async function isActive(systemctl: string, unit: string): Promise<string> {
  const r = await execa(systemctl, ['is-active', unit], { reject: false, timeout: 10000 });
  return String(r.stdout ?? '').trim() || 'unknown';
}

/** Waits for the welcome while the unit stays active; returns the server's version when it answered. */
async function waitForWelcome(
  systemctl: string,
  unit: string,
  base: string,
  waitMs: number,
): Promise<{ ok: true; version?: string } | { ok: false; state: string }> {
  const deadline = Date.now() + waitMs;
  let state = 'unknown';
  for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
    state = await isActive(systemctl, unit);
    if (state === 'failed' || state === 'inactive') return { ok: false, state };
    try {
      const w = await fetchWelcome(base, { timeoutMs: 1000 });
      const version = (w.json as { version?: unknown } | undefined)?.version;
      // The server's own welcome, and the unit still up (not a crash on the first request).
      if (w.status === 200 && typeof version === 'string' && (await isActive(systemctl, unit)) === 'active')
        return { ok: true, version };
    } catch {
      /* not yet */
    }
    await sleep(250);
  }
  return { ok: false, state };
}

/** Runs the service steps for what was written; the result says whether the server came up. */
export async function startAndProve(written: FileChange[], env: ServiceEnv): Promise<StartResult> {
  const { layout } = env;
  const cmds = serviceCommands(layout, written);
  const todo = cmds.map((c) => `systemctl ${c.join(' ')}`);
  const systemctl = which('systemctl');
  if (!systemctl || !systemdRunning()) {
    // No service manager to ask: say what to run by hand, in the unit's terms.
    const hand: string[] = [];
    if (cmds.some((c) => c[0] === 'restart' && c[1] === NATS_SERVER.unit))
      hand.push(`(re)start nats-server before the signaling server: systemctl restart ${NATS_SERVER.unit}`);
    if (cmds.some((c) => c[0] === 'restart' && c[1] === JANUS.unit))
      hand.push(`(re)start Janus before the signaling server: systemctl restart ${JANUS.unit}`);
    if (cmds.some((c) => c[0] === 'restart' && c[1] === PROXY.unit))
      hand.push(`(re)start the signaling proxy before the signaling server: systemctl restart ${PROXY.unit}`);
    if (cmds.some((c) => c[0] === 'restart' && c[1] === COTURN.unit))
      hand.push(`(re)start coturn: systemctl restart ${COTURN.unit}`);
    if (cmds.some((c) => c[0] === 'restart' && c[1] === layout.unit))
      hand.push(
        `(re)start the signaling server as ${layout.serviceUser}: ${layout.binary ?? '/usr/bin/nextcloud-spreed-signaling-server'} --config ${layout.configPath}`,
      );
    if (cmds.some((c) => c[1] === 'nginx')) hand.push('nginx -s reload (or start nginx)');
    return {
      ok: 'skipped',
      why: !systemctl ? 'systemctl is not installed here' : 'systemd is not running here (a container?)',
      todo: hand.length ? hand : todo,
    };
  }
  const ran: string[] = [];
  for (const args of cmds) {
    env.progress(`systemctl ${args.join(' ')}`);
    ran.push(`systemctl ${args.join(' ')}`);
    const r = await execa(systemctl, args, { reject: false, timeout: 90_000 });
    if (r.exitCode !== 0) {
      const unit = args[1] ?? layout.unit;
      const log = await journal(unit);
      const said = escapeControls(
        String(r.stderr ?? '')
          .trim()
          .split('\n')[0] ?? '',
      );
      return {
        ok: false,
        message: `systemctl ${args.join(' ')} failed${said ? `: ${said}` : ''}${reasonLine(log) ? ` (${unit}: ${reasonLine(log)})` : ''}`,
        fix: `see journalctl -u ${unit} -n 50`,
        log,
        ran,
      };
    }
  }
  if (!cmds.some((c) => c[0] === 'restart' && c[1] === layout.unit)) return { ok: true, ran };
  const base = listenBase(env.listen);
  env.progress(`waiting for the signaling server on ${base}`);
  const w = await waitForWelcome(systemctl, layout.unit, base, env.waitMs ?? startWaitMs());
  if (w.ok) return { ok: true, ran, ...(w.version ? { version: w.version } : {}) };
  const log = await journal(layout.unit);
  const why = reasonLine(log);
  return {
    ok: false,
    message: `the signaling server did not come up with the new files (${layout.unit} ${w.state}, no welcome on ${base})${why ? `: ${why}` : ''}`,
    fix: `see journalctl -u ${layout.unit} -n 50; the previous files are put back and the previous server started again`,
    log,
    ran,
  };
}

/** After a rollback: the previous files are back; start the previous server (and nginx) again. */
export async function restartPrevious(
  written: FileChange[],
  env: ServiceEnv,
): Promise<{ ok: boolean; detail: string }> {
  // A first install has no previous server to bring back: its unit is stopped again.
  const systemctl = which('systemctl');
  if (!systemctl || !systemdRunning()) return { ok: false, detail: 'systemd is not running here' };
  for (const args of serviceCommands(env.layout, written).filter((c) => c[0] !== 'enable')) {
    env.progress(`systemctl ${args.join(' ')} (the previous files)`);
    await execa(systemctl, args, { reject: false, timeout: 90_000 });
  }
  const base = listenBase(env.listen);
  const w = await waitForWelcome(systemctl, env.layout.unit, base, env.waitMs ?? startWaitMs());
  return w.ok
    ? { ok: true, detail: `the previous server runs again (welcome on ${base}${w.version ? `, ${w.version}` : ''})` }
    : { ok: false, detail: `the previous server did not come back either (${env.layout.unit} ${w.state})` };
}
