// The register step on a terminal when occ is not on this machine (issue 11): retry, a typed
// command, occ on another host over ssh, or by hand; the messages say "typed" for a typed command
// and what Talk's verify flag means; the command used is handed on (the wizard's check reuses it).
import { describe, expect, it } from 'vitest';
import { askOcc, type Ask } from '../../src/register/prompts.js';
import { Cancelled, type Prompter } from '../../src/register/registerInTalk.js';
import { run as runRegister } from '../../src/commands/register.js';
import type { DetectEnv } from '../../src/register/findOcc.js';
import { formatCommand } from '../../src/register/occ.js';
import { captureOutput, runInProcess } from '../cli/inProcess.js';
import { scratch } from '../cli/run.js';
import { FAKE_OCC, fakeOccExec, readTalk, writeOccState } from '../fakes/occState.js';
import path from 'node:path';

type Answer = { select: string } | { text: string[] };

/** An Ask that answers in order; a text answer is tried in turn until it validates. */
function scriptedAsk(answers: Answer[]) {
  const asked: string[] = [];
  const options: string[][] = [];
  const refused: string[] = [];
  const ask: Ask = {
    select: async (message, opts) => {
      asked.push(message);
      options.push(opts.map((o) => `${o.value}: ${o.label}`));
      const a = answers.shift();
      if (!a || !('select' in a)) throw new Error(`unscripted select: ${message}`);
      if (!opts.some((o) => o.value === a.select)) throw new Error(`no ${a.select} in ${message}`);
      return a.select as never;
    },
    text: async (message, _initial, validate) => {
      asked.push(message);
      const a = answers.shift();
      if (!a || !('text' in a)) throw new Error(`unscripted text: ${message}`);
      for (const v of a.text) {
        const why = validate(v);
        if (why === undefined) return v;
        refused.push(why);
      }
      throw new Error(`no valid answer for ${message}: ${refused.join('; ')}`);
    },
  };
  return { ask, asked, options, refused, left: () => answers.length };
}

const noOccHere = (exec: DetectEnv['exec']): DetectEnv => ({
  exists: () => false,
  ownerUid: () => undefined,
  userName: () => undefined,
  currentUid: () => 1000,
  which: () => undefined,
  exec,
});

function prompterFor(ask: Ask): Prompter {
  return {
    occCommand: (label, suggested, failed) => askOcc(ask, label, suggested, failed),
    secretChoice: async () => {
      throw new Cancelled();
    },
    confirm: async () => true,
  };
}

async function installed() {
  const root = scratch('spreed-occstep-');
  const r = await runInProcess([
    'setup',
    '--hostname',
    'hpb.example.org',
    '--nextcloud',
    'https://cloud.example.org',
    '--yes',
    '--root',
    root,
  ]);
  expect(r.code, r.all).toBe(0);
  const state = path.join(root, 'occ-state.json');
  writeOccState(state, {});
  return { root, state };
}

describe('askOcc', () => {
  it('"occ on another host (ssh)" builds the ssh command from the host and the directory typed, both validated', async () => {
    const s = scriptedAsk([
      { select: 'ssh' },
      { text: ['', '-oProxyCommand=evil', 'admin@cloud.example.org'] },
      { text: ['srv/nc', '/srv/nextcloud'] },
    ]);
    const occ = await askOcc(s.ask, 'https://cloud.example.org', undefined);
    expect(occ).not.toBe('manual');
    if (occ === 'manual') return;
    expect(occ.kind).toBe('ssh');
    expect(occ.remote).toEqual(['sudo', '-u', 'www-data', 'php', '/srv/nextcloud/occ']);
    expect(occ.argv.slice(occ.argv.indexOf('--'))).toEqual([
      '--',
      'admin@cloud.example.org',
      'sudo',
      '-u',
      'www-data',
      'php',
      '/srv/nextcloud/occ',
    ]);
    expect(s.refused).toEqual([
      expect.stringContaining('type the host where Nextcloud runs'),
      expect.stringContaining('is not USER@HOST or HOST'),
      expect.stringContaining('absolute path'),
    ]);
    // Nothing found here: no "use" choice; the others are offered.
    expect(s.options[0]!.map((o) => o.split(':')[0])).toEqual(['type', 'ssh', 'manual']);
  });

  it('after a failure the failed command is offered again first, and a typed command is "typed"', async () => {
    const s = scriptedAsk([{ select: 'type' }, { text: ['sudo -u www-data php /srv/nc/occ'] }]);
    const failed = {
      occ: { kind: 'given' as const, argv: ['php', '/x/occ'], source: 'given with --occ' },
      problem: { message: 'occ could not be run' },
    };
    const occ = await askOcc(s.ask, 'https://cloud.example.org', undefined, failed);
    expect(s.options[0]![0]).toBe('retry: Try again: php /x/occ');
    expect(occ !== 'manual' && occ.source).toBe('typed');
  });
});

describe('register on a terminal without a local occ', () => {
  it('a typed command that fails is not a dead end: type another, register, say "typed" and what verify means', async () => {
    const { root, state } = await installed();
    const exec = fakeOccExec({ stateFile: state });
    const good = `${process.execPath} ${FAKE_OCC}`;
    const s = scriptedAsk([
      { select: 'type' },
      { text: [path.join(root, 'no-such-occ')] },
      { select: 'type' },
      { text: [good] },
    ]);
    const { out, result } = captureOutput();
    const used: string[] = [];
    const code = await runRegister(['--root', root], {
      out,
      interactive: true,
      exec,
      detect: noOccHere(exec),
      prompter: prompterFor(s.ask),
      onOcc: (c) => used.push(c),
    });
    const r = result(code);
    expect(r.code, r.all).toBe(0);
    expect(s.left()).toBe(0);
    expect(s.asked[2]).toMatch(/^occ could not be run/);
    expect(s.options[1]![0]).toContain(`Try again: ${path.join(root, 'no-such-occ')}`);
    expect(r.all).toContain('(typed)');
    expect(r.all).not.toContain('given with --occ');
    expect(r.all).toContain("Talk verifies this server's TLS certificate");
    expect(r.all).not.toContain('TLS certificate verified');
    expect(used).toEqual([formatCommand([process.execPath, FAKE_OCC])]);
    expect(readTalk(state).servers.map((x) => x.server)).toEqual(['https://hpb.example.org/standalone-signaling']);
  });

  it('"Skip: register by hand" prints the manual steps and changes nothing in Talk', async () => {
    const { root, state } = await installed();
    const exec = fakeOccExec({ stateFile: state });
    const s = scriptedAsk([{ select: 'manual' }]);
    const { out, result } = captureOutput();
    const used: string[] = [];
    const code = await runRegister(['--root', root], {
      out,
      interactive: true,
      exec,
      detect: noOccHere(exec),
      prompter: prompterFor(s.ask),
      onOcc: (c) => used.push(c),
    });
    const r = result(code);
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toContain('Register by hand: Nextcloud > Administration settings > Talk');
    expect(r.stdout).toContain('https://hpb.example.org/standalone-signaling');
    expect(used).toEqual([]);
    expect(readTalk(state).servers).toEqual([]);
  });
});
