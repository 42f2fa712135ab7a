// register's questions in a real terminal (tmux), against the stand-in occ.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scratch, secretValues } from '../cli/run.js';
import { runInProcess } from '../cli/inProcess.js';
import { FAKE_OCC, readTalk, writeOccState } from '../fakes/occState.js';
import { TmuxSession } from '../wizard/tmux.js';

const URL_OURS = 'https://hpb.example.org/standalone-signaling';
const OTHER = 'https://other.example.org/standalone-signaling';
const TALK_SECRET = 'e5'.repeat(32);
const sessions: TmuxSession[] = [];
afterEach(() => {
  while (sessions.length) sessions.pop()!.close();
});

async function conflict() {
  const root = scratch('spreed-register-tty-');
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
  writeOccState(state, { servers: [{ server: OTHER, verify: true }], secret: TALK_SECRET });
  const t = new TmuxSession(['register', '--root', root, '--occ', `${process.execPath} ${FAKE_OCC}`], {
    env: { FAKE_OCC_STATE: state },
  });
  sessions.push(t);
  return { root, state, t };
}

describe('register in a terminal', () => {
  it('explains the one-secret dilemma and, on "reuse", takes over Talk\'s secret through plan/apply', async () => {
    const { root, state, t } = await conflict();
    await t.waitFor('Talk has one secret for every signaling server');
    expect(t.screen()).toContain(OTHER);
    t.send('Enter'); // the default: reuse Nextcloud's secret
    expect(await t.exitCode()).toBe(0);
    const talk = readTalk(state);
    expect(talk.servers.filter((s) => s.server === URL_OURS)).toHaveLength(1);
    expect(talk.secret).toBe(TALK_SECRET);
    expect(
      readFileSync(path.join(root, 'etc/nextcloud-spreed-signaling/secrets/backend-cloud-example-org'), 'utf8').trim(),
    ).toBe(TALK_SECRET);
    expect(readFileSync(path.join(root, 'etc/nextcloud-spreed-signaling/server.conf'), 'utf8')).toContain(
      `secret = ${TALK_SECRET}`,
    );
    const screen = t.screen();
    for (const s of [...secretValues(root), TALK_SECRET]) expect(screen).not.toContain(s);
  });

  it('Ctrl-C at the question changes nothing, in Talk or here', async () => {
    const { root, state, t } = await conflict();
    const before = readFileSync(state, 'utf8');
    const ours = secretValues(root);
    await t.waitFor('Talk has one secret for every signaling server');
    t.send('C-c');
    expect(await t.exitCode()).toBe(130);
    expect(readFileSync(state, 'utf8')).toBe(before);
    expect(secretValues(root)).toEqual(ours);
  });
});
