// `spreed-setup register` against the stand-in occ, on a scratch --root install made by `setup`
// (once, then copied for each test). The decisions run in-process: the command's own code with the
// stand-in occ behind its process door. The built CLI with the executable stand-in runs where the
// process matters: the happy path, exit codes 1 and 2, and occ over (a fake) ssh.
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseGoconf, getValue } from '../../src/goconf/parse.js';
import { runCli, scratch, secretValues } from '../cli/run.js';
import { runInProcess } from '../cli/inProcess.js';
import { FAKE_OCC, fakeOccExec, fileBytes, readTalk, writeOccState } from '../fakes/occState.js';

const HOST = 'hpb.example.org';
const URL_OURS = `https://${HOST}/standalone-signaling`;
const OTHER = 'https://other-hpb.example.net/standalone-signaling';
const OTHER_SECRET = 'c0ffee'.repeat(8);
const ID = 'cloud-example-org';
const CONF = 'etc/nextcloud-spreed-signaling/server.conf';

interface Env {
  root: string;
  state: string;
  log: string;
  env: Record<string, string>;
  ourSecret: () => string;
}

let template = '';

/** A fresh copy of the install that setup made in beforeAll. */
async function install(): Promise<Env> {
  const root = scratch('spreed-register-');
  // cp -a: owners (root:_signaling where that group exists), modes and links as setup left them.
  execFileSync('cp', ['-a', `${template}/.`, root]);
  const state = path.join(root, 'occ-state.json');
  const log = path.join(root, 'occ-calls.log');
  return {
    root,
    state,
    log,
    env: { FAKE_OCC_STATE: state, FAKE_OCC_LOG: log },
    ourSecret: () =>
      readFileSync(path.join(root, 'etc/nextcloud-spreed-signaling/secrets', `backend-${ID}`), 'utf8').trim(),
  };
}

const registerArgs = (e: Env, args: string[]) => ['register', '--root', e.root, '--occ', FAKE_OCC, '--yes', ...args];
/** In-process, the stand-in occ behind register's process door. */
const register = (e: Env, ...args: string[]) =>
  runInProcess(registerArgs(e, args), { exec: fakeOccExec({ stateFile: e.state, logFile: e.log }) });
/** The built CLI running the executable stand-in occ, as a user's run would. */
const registerCli = (e: Env, ...args: string[]) => runCli(registerArgs(e, args), e.env);

function confSecret(e: Env): string | undefined {
  return getValue(parseGoconf(readFileSync(path.join(e.root, CONF), 'utf8')), ID, 'secret');
}

function expectNoSecrets(output: string, secrets: string[]) {
  expect(secrets.length).toBeGreaterThan(0);
  for (const s of secrets) {
    expect(output).not.toContain(s);
    expect(output).not.toContain(s.slice(0, 12));
  }
}

function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('error: '));
}

beforeAll(async () => {
  chmodSync(FAKE_OCC, 0o755);
  template = scratch('spreed-register-template-');
  const r = await runInProcess([
    'setup',
    '--hostname',
    HOST,
    '--nextcloud',
    'https://cloud.example.org',
    '--yes',
    '--root',
    template,
  ]);
  expect(r.code, r.all).toBe(0);
});

describe('spreed-setup register (non-interactive, stand-in occ)', () => {
  it('registers once; a second run changes nothing; secrets agree and never show', async () => {
    const e = await install();
    const first = await registerCli(e);
    expect(first.code, first.all).toBe(0);
    let talk = readTalk(e.state);
    expect(talk.servers).toEqual([{ server: URL_OURS, verify: true }]);
    expect(talk.secret).toBe(e.ourSecret());
    expect(confSecret(e)).toBe(talk.secret);

    const before = fileBytes(e.state);
    const second = await registerCli(e);
    expect(second.code, second.all).toBe(0);
    expect(second.stdout).toContain('Already registered');
    expect(fileBytes(e.state)).toBe(before);
    talk = readTalk(e.state);
    expect(talk.servers.filter((s) => s.server === URL_OURS)).toHaveLength(1);

    // Every occ call had --no-warnings; the secret went to exactly one call, as an argument.
    const calls = readFileSync(e.log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
    for (const c of calls) expect(c).toContain('--no-warnings');
    expect(calls.filter((c) => c.includes(e.ourSecret()))).toHaveLength(1);
    expect(calls.filter((c) => c[0] === 'talk:signaling:add')).toHaveLength(1);
    expectNoSecrets(first.all + second.all, secretValues(e.root));
  });

  it('copes with the pcntl warning that occ prints on stdout, and repairs a duplicate entry', async () => {
    const e = await install();
    writeOccState(e.state, {
      pcntlMissing: true,
      servers: [
        { server: URL_OURS, verify: true },
        { server: URL_OURS, verify: true },
      ],
      secret: 'ab'.repeat(32),
    });
    const r = await register(e);
    expect(r.code, r.all).toBe(0);
    const talk = readTalk(e.state);
    expect(talk.servers).toEqual([{ server: URL_OURS, verify: true }]);
    expect(talk.secret).toBe(e.ourSecret());
    expectNoSecrets(r.all, [...secretValues(e.root), 'ab'.repeat(32)]);
  });

  describe('another server registered with another secret', () => {
    const setupOther = async () => {
      const e = await install();
      writeOccState(e.state, { servers: [{ server: OTHER, verify: true }], secret: OTHER_SECRET });
      return e;
    };

    it('without a choice: stops with exit 1, names the flags, changes nothing', async () => {
      const e = await setupOther();
      const before = fileBytes(e.state);
      const r = await registerCli(e);
      expect(r.code, r.all).toBe(1);
      expect(errorLines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toContain('--secret-choice reuse-nextcloud');
      expect(r.stderr).toContain('--secret-choice replace-all');
      expect(r.stderr).toContain(OTHER);
      expect(fileBytes(e.state)).toBe(before);
      expectNoSecrets(r.all, [...secretValues(e.root), OTHER_SECRET]);
    });

    it('--secret-choice stop: exit 1, nothing changed', async () => {
      const e = await setupOther();
      const before = fileBytes(e.state);
      const ours = e.ourSecret();
      const r = await register(e, '--secret-choice', 'stop');
      expect(r.code, r.all).toBe(1);
      expect(r.stdout).toContain('nothing was changed');
      expect(fileBytes(e.state)).toBe(before);
      expect(e.ourSecret()).toBe(ours);
    });

    it('--secret-choice replace-all: Talk takes our secret and the output names the server that stops', async () => {
      const e = await setupOther();
      const r = await register(e, '--secret-choice', 'replace-all');
      expect(r.code, r.all).toBe(0);
      const talk = readTalk(e.state);
      expect(talk.secret).toBe(e.ourSecret());
      expect(talk.servers.map((s) => s.server).sort()).toEqual([OTHER, URL_OURS].sort());
      expect(r.all).toMatch(/stop working[^\n]*other-hpb\.example\.net/);
      expectNoSecrets(r.all, [...secretValues(e.root), OTHER_SECRET]);
    });

    it("--secret-choice reuse-nextcloud: our secret file and server.conf take Talk's secret; setup then has nothing to change", async () => {
      const e = await setupOther();
      const oursBefore = e.ourSecret();
      const r = await register(e, '--secret-choice', 'reuse-nextcloud');
      expect(r.code, r.all).toBe(0);
      expect(e.ourSecret()).toBe(OTHER_SECRET);
      expect(confSecret(e)).toBe(OTHER_SECRET);
      const talk = readTalk(e.state);
      expect(talk.secret).toBe(OTHER_SECRET);
      expect(talk.servers.filter((s) => s.server === URL_OURS)).toHaveLength(1);
      expect(talk.servers.some((s) => s.server === OTHER)).toBe(true);
      expectNoSecrets(r.all, [oursBefore, OTHER_SECRET, ...secretValues(e.root)]);

      const again = await runInProcess([
        'setup',
        '--hostname',
        HOST,
        '--nextcloud',
        'https://cloud.example.org',
        '--yes',
        '--root',
        e.root,
      ]);
      expect(again.code, again.all).toBe(0);
      expect(again.stdout).toContain('No changes');
      const once = await register(e);
      expect(once.code, once.all).toBe(0);
      expect(once.stdout).toContain('Already registered');
    });
  });

  it('signaling_mode internal: stops before any change without the flag, unset with --unset-internal-mode', async () => {
    const e = await install();
    writeOccState(e.state, { appConfig: { spreed: { signaling_mode: 'internal' } } });
    const before = readFileSync(e.state, 'utf8');
    const r = await register(e);
    expect(r.code, r.all).toBe(1);
    expect(r.stderr).toMatch(
      /^error: Talk's signaling_mode is "internal".* — fix: run register again with --unset-internal-mode/m,
    );
    expect(readFileSync(e.state, 'utf8')).toBe(before);
    const fixed = await register(e, '--unset-internal-mode');
    expect(fixed.code, fixed.all).toBe(0);
    expect(readTalk(e.state).spreed.signaling_mode).toBeUndefined();
  });

  it('a broken hello-v2 key pair stops the run without --update-keys, and is repaired with it', async () => {
    const e = await install();
    // verify-keys exists from Talk 21.1.1 only.
    writeOccState(e.state, { talkVersion: '21.1.1', keysValid: false });
    const r = await register(e);
    expect(r.code, r.all).toBe(1);
    expect(r.stderr).toContain('--update-keys');
    expect(readTalk(e.state).keysValid).toBe(false);
    expect((await register(e, '--update-keys')).code).toBe(0);
    expect(readTalk(e.state).keysValid).toBe(true);
  });

  describe('errors: one line with cause and fix, non-zero, Talk untouched', () => {
    const cases: Array<[string, Parameters<typeof writeOccState>[1], string[], RegExp[]]> = [
      ['wrong user', { requireUid: 54321 }, [], [/uid 54321/, /sudo -u '#54321'/]],
      ['occ timeout', { hang: true }, ['--timeout', '1'], [/did not answer within 1 s/, /--timeout/]],
      ['Talk missing', { talk: 'missing' }, [], [/Talk \(spreed\) is not installed/, /app:install spreed/]],
      ['Talk disabled', { talk: 'disabled' }, [], [/disabled/, /app:enable spreed/]],
      ['maintenance mode', { maintenance: true }, [], [/maintenance mode/, /maintenance:mode --off/]],
      ['upgrade pending', { needsUpgrade: true }, [], [/needs its upgrade/, /occ\.mjs upgrade$/]],
    ];
    for (const [name, state, args, patterns] of cases) {
      it(name, async () => {
        const e = await install();
        writeOccState(e.state, { ...state, servers: [{ server: OTHER, verify: true }], secret: OTHER_SECRET });
        const before = fileBytes(e.state);
        const ours = e.ourSecret();
        const r = await register(e, ...args);
        expect(r.code, r.all).toBe(1);
        const errors = errorLines(r.stderr);
        expect(errors, r.stderr).toHaveLength(1);
        expect(errors[0]).toContain(' — fix: ');
        for (const p of patterns) expect(errors[0]).toMatch(p);
        expect(fileBytes(e.state)).toBe(before);
        expect(e.ourSecret()).toBe(ours);
        expectNoSecrets(r.all, [...secretValues(e.root), OTHER_SECRET]);
      });
    }

    it('occ missing: the error, then the values to register by hand (no secret)', async () => {
      const e = await install();
      const r = await runInProcess(['register', '--root', e.root, '--occ', '/nonexistent/nextcloud/occ', '--yes'], {
        exec: fakeOccExec({ stateFile: e.state, logFile: e.log }),
      });
      expect(r.code, r.all).toBe(1);
      expect(errorLines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toMatch(/occ could not be run.*— fix: .*--occ/);
      expect(r.stdout).toContain(`URL:                      ${URL_OURS}`);
      expect(r.stdout).toContain(`backend-${ID}`);
      expect(fileBytes(e.state)).toBeUndefined();
      expectNoSecrets(r.all, secretValues(e.root));
    });
  });

  it('--manual prints the values; the secret only with --show-secret', async () => {
    const e = await install();
    const plain = await register(e, '--manual');
    expect(plain.code, plain.all).toBe(0);
    expect(plain.stdout).toContain(URL_OURS);
    expect(plain.stdout).toContain('talk:signaling:add');
    expectNoSecrets(plain.all, secretValues(e.root));
    const shown = await register(e, '--manual', '--show-secret');
    expect(shown.stdout).toContain(e.ourSecret());
    expect(fileBytes(e.state)).toBeUndefined();
  });

  it('--no-verify registers without certificate validation; STUN and TURN are added once', async () => {
    const e = await install();
    const turnSecretFile = path.join(e.root, 'turn-secret');
    writeFileSync(turnSecretFile, 'f00d'.repeat(16) + '\n');
    const args = [
      '--no-verify',
      '--stun',
      'stun.example.org:3478',
      '--turn',
      'turn.example.org:3478',
      '--turn-secret-file',
      turnSecretFile,
    ];
    const r = await register(e, ...args);
    expect(r.code, r.all).toBe(0);
    expect(readTalk(e.state).servers).toEqual([{ server: URL_OURS, verify: false }]);
    const again = await register(e, ...args);
    expect(again.code, again.all).toBe(0);
    const spreed = readTalk(e.state).spreed;
    expect(JSON.parse(spreed.stun_servers!)).toEqual(['stun.nextcloud.com:443', 'stun.example.org:3478']);
    expect(JSON.parse(spreed.turn_servers!)).toEqual([
      { schemes: 'turn', server: 'turn.example.org:3478', secret: 'f00d'.repeat(16), protocols: 'udp,tcp' },
    ]);
    expectNoSecrets(r.all + again.all, [...secretValues(e.root), 'f00d'.repeat(16)]);
  });

  it('over ssh: the remote shell gets every word quoted (a fake ssh runs it like sshd does)', async () => {
    const e = await install();
    const bin = path.join(e.root, 'bin');
    mkdirSync(bin);
    writeFileSync(
      path.join(bin, 'ssh'),
      `#!/bin/sh\n# like ssh: skip options up to "--", then the host; the rest is one command line for sh -c\nwhile [ "$1" != "--" ]; do shift; done; shift; shift\nexec sh -c "$*"\n`,
      { mode: 0o755 },
    );
    const r = await runCli(
      ['register', '--root', e.root, '--occ-ssh', 'admin@cloud.example.org', '--occ', `node ${FAKE_OCC}`, '--yes'],
      { ...e.env, PATH: `${bin}:${process.env.PATH}` },
    );
    expect(r.code, r.all).toBe(0);
    expect(r.stdout).toContain('over ssh on admin@cloud.example.org');
    const talk = readTalk(e.state);
    expect(talk.servers).toEqual([{ server: URL_OURS, verify: true }]);
    expect(talk.secret).toBe(e.ourSecret());
  });

  it('bad flags exit 2', async () => {
    const e = await install();
    const r = await registerCli(e, '--secret-choice', 'maybe');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--secret-choice "maybe"');
  });
});
