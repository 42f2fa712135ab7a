// Issue 11's flow fixes at the command line: without a terminal only --yes writes (stdin piped, or
// stdout not a terminal); options without a command are the wizard; --root must exist; flags get
// the same "what to drop" messages as the wizard's answers.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, runCli, scratch, treeState } from './run.js';
import { runInProcess } from './inProcess.js';
import { TmuxSession } from '../wizard/tmux.js';

const FLAGS = [
  '--hostname',
  'hpb.example.org',
  '--nextcloud',
  'https://cloud.example.org',
  '--server-version',
  '2.0.2',
];

const sessions: TmuxSession[] = [];
afterEach(() => {
  while (sessions.length) sessions.pop()!.close();
});

describe('no terminal and no --yes: nothing is written', () => {
  it('stdin piped: exit 2, the error lists --yes, the root stays empty', async () => {
    const root = scratch();
    const r = await execa('node', [BIN, 'setup', ...FLAGS, '--root', root], {
      input: 'y\n',
      reject: false,
      timeout: 30_000,
      env: { NO_COLOR: '1' },
    });
    expect(r.exitCode, String(r.stderr)).toBe(2);
    expect(String(r.stderr)).toMatch(/error: no terminal .*--yes/);
    expect(String(r.stderr)).toContain('Nothing was written.');
    expect(treeState(root)).toEqual({});
  });

  it('stdout not a terminal (stdin is one): the same refusal, not the wizard and not a write', async () => {
    const root = scratch();
    const log = path.join(scratch('spreed-flow-out-'), 'stdout');
    const t = new TmuxSession(['setup', ...FLAGS, '--root', root], { stdoutTo: log });
    sessions.push(t);
    expect(await t.exitCode()).toBe(2);
    expect(t.screen()).toMatch(/no terminal .*--yes/);
    expect(treeState(root)).toEqual({});
    expect(readFileSync(log, 'utf8')).not.toContain('Public hostname');
  });

  it('with --yes it writes; with --dry-run it shows the plan and writes nothing', async () => {
    const root = scratch();
    const dry = await runCli(['setup', ...FLAGS, '--root', root, '--dry-run']);
    expect(dry.code, dry.all).toBe(0);
    expect(treeState(root)).toEqual({});
    const yes = await runCli(['setup', ...FLAGS, '--root', root, '--yes']);
    expect(yes.code, yes.all).toBe(0);
    expect(existsSync(path.join(root, 'etc/nextcloud-spreed-signaling/server.conf'))).toBe(true);
  });
});

describe('options without a command', () => {
  it('`spreed-setup --root DIR` on a terminal is the wizard with that root', async () => {
    const root = scratch();
    const t = new TmuxSession(['--root', root, '--server-version', '2.0.2']);
    sessions.push(t);
    await t.waitFor('Public hostname');
    expect(t.screen()).toContain(root);
    expect(t.screen()).not.toContain('unknown command');
    t.send('C-c');
    expect(await t.exitCode()).toBe(130);
  });

  it('`spreed-setup --root DIR …` without a terminal is setup: refused without --yes, written with it', async () => {
    const root = scratch();
    const no = await runCli(['--root', root, ...FLAGS]);
    expect(no.code).toBe(2);
    expect(no.stderr).not.toContain('unknown command');
    expect(no.stderr).toContain('--yes');
    const yes = await runCli(['--root', root, ...FLAGS, '--yes']);
    expect(yes.code, yes.all).toBe(0);
    expect(existsSync(path.join(root, 'etc/nextcloud-spreed-signaling/server.conf'))).toBe(true);
  });
});

describe('--root must exist', () => {
  it.each([
    ['setup', ...FLAGS, '--yes'],
    ['register', '--yes'],
    ['check', '--json'],
  ])('%s: a missing root is exit 2 with the fix, and is not created', async (command, ...args) => {
    const parent = scratch();
    const root = path.join(parent, 'typo', 'stage');
    const r = await runCli([command!, ...args, '--root', root]);
    expect(r.code, r.all).toBe(2);
    expect(r.stderr).toContain(`--root ${root}: no such directory`);
    expect(r.stderr).toContain(`mkdir -p ${root}`);
    expect(existsSync(path.join(parent, 'typo'))).toBe(false);
  });

  it('a file as the root is refused too', async () => {
    const file = path.join(scratch(), 'file');
    writeFileSync(file, '');
    const r = await runCli(['setup', ...FLAGS, '--yes', '--root', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a directory');
  });
});

describe('flags get the messages answers get', () => {
  it.each([
    ['https://hpb.example.org', 'drop the "https://"'],
    ['hpb.example.org:443', 'drop the ":443"'],
    ['hpb.example.org/x', 'drop the "/x"'],
  ])('--hostname %s: %s', async (hostname, message) => {
    const root = scratch();
    const r = await runInProcess([
      'setup',
      '--hostname',
      hostname,
      '--nextcloud',
      'https://cloud.example.org',
      '--yes',
      '--root',
      root,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(treeState(root)).toEqual({});
  });

  it('--listen localhost:99999: port out of range', async () => {
    const root = scratch();
    const r = await runInProcess(['setup', ...FLAGS, '--listen', 'localhost:99999', '--yes', '--root', root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('port 99999 out of range (1-65535)');
    expect(r.stderr).not.toContain('must be HOST:PORT');
  });

  it("an IP address as the hostname: refused for an nginx site without a certificate (Let's Encrypt issues none)", async () => {
    const root = scratch();
    const r = await runInProcess([
      'setup',
      '--hostname',
      '192.0.2.10',
      '--nextcloud',
      'https://cloud.example.org',
      '--yes',
      '--root',
      root,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Let's Encrypt issues no certificates for IP addresses");
    expect(r.stderr).toContain('--tls-cert PATH --tls-key PATH');
    expect(treeState(root)).toEqual({});
    const own = await runInProcess([
      'setup',
      '--hostname',
      '192.0.2.10',
      '--nextcloud',
      'https://cloud.example.org',
      '--tls-cert',
      '/etc/ssl/hpb.pem',
      '--tls-key',
      '/etc/ssl/hpb.key',
      '--yes',
      '--root',
      root,
    ]);
    expect(own.code, own.all).toBe(0);
    expect(own.all).not.toMatch(/letsencrypt\/live\/192/);
    expect(own.all).not.toMatch(/certbot[^\n]*192\.0\.2\.10/);
  });

  it('an answers file gets the same message', async () => {
    const root = scratch();
    const answers = path.join(root, 'answers.yaml');
    writeFileSync(answers, 'hostname: https://hpb.example.org\nbackends:\n  - urls: [https://cloud.example.org]\n');
    const r = await runInProcess(['setup', '--answers', answers, '--yes', '--root', root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('drop the "https://"');
  });
});
