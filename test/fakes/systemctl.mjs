#!/usr/bin/env node
// A stand-in for systemctl (and, called as journalctl, for journalctl -u) where systemd is not
// PID 1. It behaves as systemd would for the calls spreed-setup makes: it reads the unit file and
// its drop-ins from the usual directories (an empty `ExecStart=` in a drop-in resets the list),
// really starts ExecStart (Type=simple or forking with PIDFile), as User=/Group= (setpriv) when
// root, with Environment=; stops the main pid (SIGTERM, then SIGKILL); reloads with ExecReload
// ($MAINPID); keeps a unit "failed" when its process died; and records every call.
// State (pids, enabled marks, the call log, each unit's output as its journal) lives in
// $STANDIN_SYSTEMD_DIR.
import { spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

const STATE = process.env.STANDIN_SYSTEMD_DIR;
if (!STATE) {
  console.error('STANDIN_SYSTEMD_DIR is not set');
  process.exit(1);
}
mkdirSync(STATE, { recursive: true });
const UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/lib/systemd/system', '/usr/lib/systemd/system'];
const me = path.basename(process.argv[1]).replace(/\.mjs$/, '');
const argv = process.argv.slice(2);
appendFileSync(path.join(STATE, 'calls.log'), `${me} ${argv.join(' ')}\n`);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const unitName = (u) => (u.includes('.') ? u : `${u}.service`);
const stateFile = (u, what) => path.join(STATE, `${u}.${what}`);

/** Unit file + drop-ins as { section: { key: [values] } }, systemd's order and reset rule. */
function loadUnit(name) {
  let main;
  for (const d of UNIT_DIRS) if (!main && existsSync(path.join(d, name))) main = path.join(d, name);
  if (!main) return undefined;
  const files = [main];
  for (const d of UNIT_DIRS) {
    const dir = path.join(d, `${name}.d`);
    if (existsSync(dir))
      for (const f of readdirSync(dir).sort()) if (f.endsWith('.conf')) files.push(path.join(dir, f));
  }
  const unit = {};
  for (const f of files) {
    let section = '';
    for (const raw of readFileSync(f, 'utf8').split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#') || line.startsWith(';')) continue;
      const s = /^\[(.+)\]$/.exec(line);
      if (s) {
        section = s[1];
        unit[section] ??= {};
        continue;
      }
      const eq = line.indexOf('=');
      if (eq < 0) continue;
      const key = line.slice(0, eq).trim();
      const value = line.slice(eq + 1).trim();
      const sec = (unit[section] ??= {});
      if (value === '') sec[key] = [];
      else (sec[key] ??= []).push(value);
    }
  }
  return unit;
}

/** systemd's command-line splitting: words, '…' and "…" quoting, a leading -, @, + or ! prefix dropped. */
function splitCommand(cmd, env) {
  const words = [];
  let cur = '';
  let quote = '';
  let any = false;
  for (const ch of cmd.replace(/^[-@+!:]+/, '')) {
    if (quote) {
      if (ch === quote) quote = '';
      else cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      any = true;
    } else if (/\s/.test(ch)) {
      if (cur || any) words.push(cur);
      cur = '';
      any = false;
    } else cur += ch;
  }
  if (cur || any) words.push(cur);
  return words.map((w) => w.replace(/\$\{?(\w+)\}?/g, (_m, v) => env[v] ?? ''));
}

const readPid = (u) => {
  try {
    return Number(readFileSync(stateFile(u, 'pid'), 'utf8'));
  } catch {
    return undefined;
  }
};
const alive = (pid) => {
  if (!pid) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};
const status = (u) => (alive(readPid(u)) ? 'active' : existsSync(stateFile(u, 'failed')) ? 'failed' : 'inactive');

function serviceEnv(svc) {
  const env = { ...process.env };
  for (const e of svc.Environment ?? [])
    for (const kv of splitCommand(e, {})) {
      const i = kv.indexOf('=');
      if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
    }
  return env;
}

/** Runs a command of the unit to its end (ExecStartPre, forking ExecStart, ExecReload). */
function runToEnd(cmd, svc, log, extra = {}) {
  const words = splitCommand(cmd, { ...serviceEnv(svc), ...extra });
  const fd = openSync(log, 'a');
  const r = spawnSync(words[0], words.slice(1), { stdio: ['ignore', fd, fd], env: serviceEnv(svc), timeout: 30000 });
  return cmd.startsWith('-') ? 0 : (r.status ?? 1);
}

async function start(u) {
  if (status(u) === 'active') return 0;
  const unit = loadUnit(u);
  if (!unit) {
    console.error(`Failed to start ${u}: Unit ${u} not found.`);
    return 5;
  }
  const svc = unit.Service ?? {};
  const log = stateFile(u, 'journal');
  rmSync(stateFile(u, 'failed'), { force: true });
  const fail = () => {
    writeFileSync(stateFile(u, 'failed'), '');
    rmSync(stateFile(u, 'pid'), { force: true });
    console.error(
      `Job for ${u} failed because the control process exited with error code.\nSee "systemctl status ${u}" and "journalctl -xeu ${u}" for details.`,
    );
    return 1;
  };
  for (const pre of svc.ExecStartPre ?? []) if (runToEnd(pre, svc, log) !== 0) return fail();
  const exec = (svc.ExecStart ?? []).at(-1);
  if (!exec) return fail();
  if ((svc.Type ?? ['simple']).at(-1) === 'forking') {
    if (runToEnd(exec, svc, log) !== 0) return fail();
    const pidFile = (svc.PIDFile ?? []).at(-1);
    const pid = pidFile && existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined;
    if (!alive(pid)) return fail();
    writeFileSync(stateFile(u, 'pid'), String(pid));
    return 0;
  }
  let words = splitCommand(exec, serviceEnv(svc));
  const user = (svc.User ?? []).at(-1);
  const group = (svc.Group ?? []).at(-1);
  if (user && process.getuid() === 0)
    words = ['setpriv', `--reuid=${user}`, `--regid=${group ?? user}`, '--init-groups', '--', ...words];
  const fd = openSync(log, 'a');
  const child = spawn(words[0], words.slice(1), {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: serviceEnv(svc),
    cwd: '/',
  });
  child.unref();
  writeFileSync(stateFile(u, 'pid'), String(child.pid));
  // Type=simple: started once forked; a process that dies at once leaves the unit failed.
  await sleep(300);
  if (!alive(child.pid)) {
    writeFileSync(stateFile(u, 'failed'), '');
    rmSync(stateFile(u, 'pid'), { force: true });
  }
  return 0;
}

async function stop(u) {
  const pid = readPid(u);
  rmSync(stateFile(u, 'failed'), { force: true });
  if (!alive(pid)) {
    rmSync(stateFile(u, 'pid'), { force: true });
    return 0;
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch {}
  for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
  if (alive(pid))
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  for (let i = 0; i < 20 && alive(pid); i++) await sleep(50);
  rmSync(stateFile(u, 'pid'), { force: true });
  return 0;
}

function reload(u) {
  if (status(u) !== 'active') {
    console.error(`Failed to reload ${u}: Unit ${u} is not active.`);
    return 1;
  }
  const svc = loadUnit(u)?.Service ?? {};
  const cmds = svc.ExecReload ?? [];
  if (!cmds.length) {
    console.error(`Failed to reload ${u}: Job type reload is not applicable for unit ${u}.`);
    return 1;
  }
  for (const c of cmds) if (runToEnd(c, svc, stateFile(u, 'journal'), { MAINPID: String(readPid(u)) }) !== 0) return 1;
  return 0;
}

async function main() {
  if (me === 'journalctl') {
    // journalctl -u UNIT [-n N] [--no-pager] [-o cat]
    const u = unitName(argv[argv.indexOf('-u') + 1] ?? '');
    const n = Number(argv.includes('-n') ? argv[argv.indexOf('-n') + 1] : 10);
    const text = existsSync(stateFile(u, 'journal')) ? readFileSync(stateFile(u, 'journal'), 'utf8') : '';
    process.stdout.write(text.trimEnd().split('\n').slice(-n).join('\n') + '\n');
    return 0;
  }
  const args = argv.filter((a) => !a.startsWith('-') || a === '--now');
  const quiet = argv.includes('-q') || argv.includes('--quiet');
  const [cmd, ...units] = args.filter((a) => a !== '--now');
  const now = args.includes('--now');
  let rc = 0;
  switch (cmd) {
    case 'daemon-reload':
      return 0;
    case 'enable':
    case 'disable':
      for (const u of units.map(unitName)) {
        if (!loadUnit(u)) {
          console.error(`Failed to ${cmd} unit: Unit file ${u} does not exist.`);
          return 1;
        }
        if (cmd === 'enable') writeFileSync(stateFile(u, 'enabled'), '');
        else rmSync(stateFile(u, 'enabled'), { force: true });
        if (now) rc ||= cmd === 'enable' ? await start(u) : await stop(u);
      }
      return rc;
    case 'start':
      for (const u of units.map(unitName)) rc ||= await start(u);
      return rc;
    case 'stop':
      for (const u of units.map(unitName)) rc ||= await stop(u);
      return rc;
    case 'restart':
      for (const u of units.map(unitName)) {
        await stop(u);
        rc ||= await start(u);
      }
      return rc;
    case 'reload':
      for (const u of units.map(unitName)) rc ||= reload(u);
      return rc;
    case 'reload-or-restart':
    case 'try-reload-or-restart':
      for (const u of units.map(unitName)) {
        if (status(u) === 'active') rc ||= reload(u);
        else if (cmd === 'reload-or-restart') rc ||= await start(u);
      }
      return rc;
    case 'is-active': {
      const s = units.map(unitName).map(status);
      if (!quiet) console.log(s.join('\n'));
      return s.every((x) => x === 'active') ? 0 : 3;
    }
    case 'is-enabled': {
      const s = units.map(unitName).map((u) => (existsSync(stateFile(u, 'enabled')) ? 'enabled' : 'disabled'));
      if (!quiet) console.log(s.join('\n'));
      return s.every((x) => x === 'enabled') ? 0 : 1;
    }
    case 'show': {
      // show UNIT -p MainPID --value (the only form used)
      const u = unitName(units[0] ?? '');
      console.log(String(alive(readPid(u)) ? readPid(u) : 0));
      return 0;
    }
    default:
      console.error(`stand-in systemctl: unsupported command ${cmd}`);
      return 1;
  }
}

process.exitCode = await main();
