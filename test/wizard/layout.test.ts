// The wizard's screen at 60 and 120 columns (tmux): every line fits, long warnings stay inside the
// gutter, and nothing prints into the spinner while files are written (issue 11's
// "...server.confBackups of ..." fault).
import { afterEach, describe, expect, it } from 'vitest';
import { runInProcess } from '../cli/inProcess.js';
import { scratch } from '../cli/run.js';
import { TmuxSession } from './tmux.js';

const sessions: TmuxSession[] = [];
afterEach(() => {
  while (sessions.length) sessions.pop()!.close();
});

/** Lines (as the program wrote them, the terminal's wrapping undone) longer than `width`. */
function overlong(t: TmuxSession, width: number): string[] {
  return t
    .joinedScreen()
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => [...l].length > width);
}

async function reconfigureAt(width: number) {
  const root = scratch();
  const first = await runInProcess([
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
  ]);
  expect(first.code, first.all).toBe(0);
  const t = new TmuxSession(['--root', root, '--server-version', '2.0.2', '--listen', '127.0.0.1:9191'], { width });
  sessions.push(t);
  return { root, t };
}

describe.each([60, 120])('at %i columns', (width) => {
  it('a reconfigure from the first question to the end: every line fits, nothing prints into the spinner', async () => {
    const { t } = await reconfigureAt(width);
    await t.waitFor('Public hostname');
    t.send('Enter');
    await t.waitFor('Nextcloud URL(s)');
    t.send('Enter');
    await t.waitFor('The other settings');
    t.send('Enter');
    await t.waitFor('Write these files?');
    expect(overlong(t, width)).toEqual([]);
    t.send('Enter');
    await t.waitFor('Register this server');
    const screen = t.joinedScreen();
    expect(screen).not.toMatch(/server\.confBackups/);
    // The backup line is a line of its own, in the gutter, not glued to the spinner's last message.
    const backupLines = screen.split('\n').filter((l) => l.includes('Backups of replaced files'));
    expect(backupLines.length).toBeGreaterThan(0);
    for (const l of backupLines) expect(l).toMatch(/^\S\s+Backups of replaced files: /);
    t.send('Enter'); // No (the default under --root)
    await t.waitFor('Run the connectivity check now?');
    t.send('Enter');
    expect(await t.exitCode()).toBe(0);
    expect(overlong(t, width)).toEqual([]);
  });
});

it('a terminal resized to 60 columns: the plan box drawn after it fits', async () => {
  const { t } = await reconfigureAt(120);
  await t.waitFor('Public hostname');
  t.resize(60);
  t.send('Enter');
  await t.waitFor('Nextcloud URL(s)');
  t.send('Enter');
  await t.waitFor('The other settings');
  t.send('Enter');
  const screen = await t.waitFor('Write these files?');
  const plan = screen.slice(screen.indexOf('Plan'));
  for (const l of plan.split('\n').map((x) => x.trimEnd())) expect([...l].length).toBeLessThanOrEqual(60);
  t.send('C-c');
  expect(await t.exitCode()).toBe(130);
});

it('a long warning at 120 columns is wrapped inside the gutter', async () => {
  const root = scratch();
  // A first install under --root: the certificate notice names the root and the certbot command.
  const t = new TmuxSession(
    [
      '--root',
      root,
      '--server-version',
      '2.0.2',
      '--hostname',
      'hpb.example.org',
      '--nextcloud',
      'https://cloud.example.org',
    ],
    { width: 120 },
  );
  sessions.push(t);
  await t.waitFor('The other settings');
  t.send('Enter');
  await t.waitFor('Write these files?');
  const lines = t.joinedScreen().split('\n');
  const start = lines.findIndex((l) => l.includes('TLS certificate files not found'));
  expect(start).toBeGreaterThanOrEqual(0);
  expect(lines[start + 1]).toMatch(/^│\s+\S/); // continued inside the gutter
  expect(overlong(t, 120)).toEqual([]);
  t.send('C-c');
  expect(await t.exitCode()).toBe(130);
});

it('the register step in a terminal at 60 columns: no local occ, a typed command, "typed", all inside the width', async () => {
  const { FAKE_OCC, writeOccState, readTalk } = await import('../fakes/occState.js');
  const path = await import('node:path');
  const root = scratch();
  const state = path.join(root, 'occ-state.json');
  writeOccState(state, {});
  const t = new TmuxSession(
    [
      '--root',
      root,
      '--server-version',
      '2.0.2',
      '--hostname',
      'hpb.example.org',
      '--nextcloud',
      'https://cloud.example.org',
    ],
    { width: 60, env: { FAKE_OCC_STATE: state } },
  );
  sessions.push(t);
  await t.waitFor('The other settings');
  t.send('Enter');
  await t.waitFor('Write these files?');
  t.send('Enter');
  await t.waitFor('Register this server');
  t.type('y');
  t.send('Enter');
  await t.waitFor('How to run occ');
  // The choices are drawn with the question; wait for them (a loaded machine draws late).
  for (let i = 0; i < 100 && !t.joinedScreen().includes('occ on another host (ssh)'); i++)
    await new Promise((r) => setTimeout(r, 100));
  expect(t.joinedScreen()).toContain('occ on another host (ssh)');
  // Down to "Type an occ command…" when something was found here; it is first otherwise.
  const options = t.joinedScreen();
  if (/found: /.test(options)) t.send('Down');
  t.send('Enter');
  await t.waitFor('occ command (words as in a shell');
  for (let i = 0; i < 80; i++) t.send('BSpace');
  t.type(`${process.execPath} ${FAKE_OCC}`);
  t.send('Enter');
  await t.waitFor('Run the connectivity check now?', 30_000);
  t.send('Enter');
  expect(await t.exitCode()).toBe(0);
  const screen = t.joinedScreen();
  expect(screen).toContain('(typed)');
  expect(screen).toContain("Talk verifies this server's TLS certificate");
  expect(readTalk(state).servers.map((s) => s.server)).toEqual(['https://hpb.example.org/standalone-signaling']);
  expect(overlong(t, 60)).toEqual([]);
});

it('in a terminal: an example reads "e.g." and Enter on it explains; a default is labelled and Enter takes it', async () => {
  const fresh = new TmuxSession(['--root', scratch(), '--server-version', '2.0.2']);
  sessions.push(fresh);
  await fresh.waitFor('Public hostname');
  expect(fresh.screen()).toMatch(/e\.g\. \S+/);
  expect(fresh.screen()).not.toContain('(Enter: the default shown)');
  fresh.send('Enter');
  await fresh.waitFor('type the public host name');
  fresh.send('C-c');
  expect(await fresh.exitCode()).toBe(130);

  const { t } = await reconfigureAt(120);
  await t.waitFor('Public hostname');
  expect(t.screen()).toContain('Public hostname of the signaling server (Enter: the default shown)');
  expect(t.screen()).toContain('hpb.example.org');
  t.send('Enter');
  await t.waitFor('Nextcloud URL(s)');
  expect(t.screen()).toMatch(/◼ https:\/\/cloud\.example\.org|\[[x+]\] https:\/\/cloud\.example\.org/);
  t.send('C-c');
  expect(await t.exitCode()).toBe(130);
});
