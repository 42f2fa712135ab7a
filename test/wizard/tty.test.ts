// The wizard in a real terminal (tmux), typing into the built CLI as a person would.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { getValue, parseGoconf } from '../../src/goconf/parse.js';
import { BIN, scratch, secretValues, treeState, treeWithoutSecrets } from '../cli/run.js';
import { runInProcess } from '../cli/inProcess.js';
import { TmuxSession } from './tmux.js';

const sessions: TmuxSession[] = [];
afterEach(() => {
  while (sessions.length) sessions.pop()!.close();
});
function wizard(args: string[]): TmuxSession {
  const s = new TmuxSession(['setup', '--server-version', '2.0.2', ...args]);
  sessions.push(s);
  return s;
}

describe('wizard in a terminal', () => {
  it('first install: 5 answers, the same files as `setup --yes` (secrets aside)', async () => {
    const root = scratch();
    const t = wizard(['--root', root]);
    let typed = 0;
    await t.waitFor('Public hostname');
    t.type('hpb.example.org');
    t.send('Enter');
    typed++;
    await t.waitFor('Nextcloud URL(s)');
    t.type('https://cloud.example.org');
    t.send('Enter');
    typed++;
    await t.waitFor('The other settings');
    t.send('Enter');
    typed++;
    await t.waitFor('Write these files?');
    expect(t.screen()).toMatch(/secret file: absent -> 64 chars, sha256 [0-9a-f]{8}/);
    t.send('Enter');
    typed++;
    await t.waitFor('Register this server');
    t.send('Enter');
    typed++;
    await t.waitFor('Run the connectivity check now?');
    t.send('Enter');
    expect(await t.exitCode()).toBe(0);
    expect(typed).toBeLessThanOrEqual(5);
    const screen = t.screen();
    for (const s of secretValues(root)) expect(screen).not.toContain(s);

    const twin = scratch();
    const r = await runInProcess([
      'setup',
      '--hostname',
      'hpb.example.org',
      '--nextcloud',
      'https://cloud.example.org',
      '--yes',
      '--root',
      twin,
      '--server-version',
      '2.0.2',
    ]);
    expect(r.code, r.all).toBe(0);
    expect(treeWithoutSecrets(root)).toEqual(treeWithoutSecrets(twin));
  });

  it('invalid input re-prompts with the reason', async () => {
    const root = scratch();
    const t = wizard(['--root', root, '--nextcloud', 'https://cloud.example.org']);
    await t.waitFor('Public hostname');
    t.type('bad host');
    t.send('Enter');
    await t.waitFor('"bad host" is not a valid host name');
    for (let i = 0; i < 8; i++) t.send('BSpace');
    t.type('hpb.example.org');
    t.send('Enter');
    await t.waitFor('The other settings');
    t.send('C-c');
    expect(await t.exitCode()).toBe(130);
  });

  it('reconfigure changes only what was changed; secret files stay byte-identical; unknown keys survive', async () => {
    const root = scratch();
    expect(
      (
        await runInProcess([
          'setup',
          '--hostname',
          'hpb.example.org',
          '--nextcloud',
          'https://cloud.example.org',
          '--yes',
          '--root',
          root,
          '--server-version',
          '2.0.2',
        ])
      ).code,
    ).toBe(0);
    const conf = path.join(root, 'etc/nextcloud-spreed-signaling/server.conf');
    writeFileSync(conf, readFileSync(conf, 'utf8').replace('[app]\n', '[app]\nallowsubscribeany = true\n'));
    const secretsBefore = Object.fromEntries(Object.entries(treeState(root)).filter(([k]) => k.includes('/secrets/')));
    const siteBefore = readFileSync(path.join(root, 'etc/nginx/sites-available/spreed-signaling.conf'), 'utf8');
    const t = wizard(['--root', root]);
    await t.waitFor('Public hostname');
    expect(t.screen()).toContain('existing install');
    t.send('Enter');
    await t.waitFor('Nextcloud URL(s)');
    t.send('Enter');
    await t.waitFor('The other settings');
    t.send('Down');
    t.send('Enter');
    for (const prompt of [
      'One server, or several',
      'NATS (message bus',
      'MCU (Janus)',
      'TURN on this host',
      'nginx in front',
      'TLS certificate',
      'TLS private key',
    ]) {
      await t.waitFor(prompt);
      t.send('Enter');
    }
    await t.waitFor('Where the signaling server listens');
    t.type('127.0.0.1:9191');
    t.send('Enter');
    await t.waitFor('Rotate secrets?');
    t.send('Enter');
    await t.waitFor('Write these files?');
    const review = t.screen();
    expect(review).toContain('+listen = 127.0.0.1:9191');
    expect(review).not.toMatch(/modify\s+\S+secrets\//);
    t.send('Enter');
    await t.waitFor('Register this server');
    t.send('Enter');
    await t.waitFor('Run the connectivity check now?');
    t.send('Enter');
    expect(await t.exitCode()).toBe(0);
    const doc = parseGoconf(readFileSync(conf, 'utf8'));
    expect(getValue(doc, 'http', 'listen')).toBe('127.0.0.1:9191');
    expect(getValue(doc, 'app', 'allowsubscribeany')).toBe('true');
    expect(Object.fromEntries(Object.entries(treeState(root)).filter(([k]) => k.includes('/secrets/')))).toEqual(
      secretsBefore,
    );
    expect(readFileSync(path.join(root, 'etc/nginx/sites-available/spreed-signaling.conf'), 'utf8')).toBe(siteBefore);
  });

  const steps: Array<[string, (t: TmuxSession) => Promise<void>]> = [
    ['hostname', async () => {}],
    [
      'Nextcloud URL',
      async (t) => {
        t.type('hpb.example.org');
        t.send('Enter');
        await t.waitFor('Nextcloud URL(s)');
      },
    ],
    [
      'other settings',
      async (t) => {
        t.type('hpb.example.org');
        t.send('Enter');
        await t.waitFor('Nextcloud URL(s)');
        t.send('Enter'); // the configured backend, ticked (a reconfigure lists it as a choice)
        await t.waitFor('The other settings');
      },
    ],
    [
      'review',
      async (t) => {
        t.type('hpb.example.org');
        t.send('Enter');
        await t.waitFor('Nextcloud URL(s)');
        t.send('Enter'); // the configured backend, ticked (a reconfigure lists it as a choice)
        await t.waitFor('The other settings');
        t.send('Enter');
        await t.waitFor('Write these files?');
      },
    ],
  ];
  it.each(steps)('Ctrl-C at the %s prompt leaves the tree byte-identical', async (_name, reach) => {
    const root = scratch();
    // An existing install, so "identical" covers files that would have been modified too.
    expect(
      (
        await runInProcess([
          'setup',
          '--hostname',
          'old.example.org',
          '--nextcloud',
          'https://old.example.org',
          '--yes',
          '--root',
          root,
          '--nginx',
          'snippet',
        ])
      ).code,
    ).toBe(0);
    const before = treeState(root);
    const t = wizard(['--root', root]);
    await t.waitFor('Public hostname');
    // Clear the prefilled hostname default by typing over it (defaults apply only to empty input).
    await reach(t);
    t.send('C-c');
    expect(await t.exitCode()).toBe(130);
    expect(t.screen()).toContain('nothing was changed');
    expect(treeState(root)).toEqual(before);
  });

  it('Esc also leaves without changes', async () => {
    const root = scratch();
    const t = wizard(['--root', root]);
    await t.waitFor('Public hostname');
    t.send('Escape');
    expect(await t.exitCode()).toBe(130);
    expect(treeState(root)).toEqual({});
  });
});

describe('no terminal', () => {
  it.each([[[]], [['setup']]])('piped stdin without --yes exits 2 at once with the flags needed (%j)', async (args) => {
    const root = scratch();
    const t0 = Date.now();
    const r = await execa('node', [BIN, ...args, ...(args.length ? ['--root', root] : [])], {
      input: '',
      reject: false,
      timeout: 10_000,
      env: { NO_COLOR: '1' },
    });
    const ms = Date.now() - t0;
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/--hostname NAME/);
    expect(String(r.stderr)).toMatch(/--nextcloud URL/);
    expect(treeState(root)).toEqual({});
    console.log(`no-TTY exit after ${ms} ms`);
  });
});
