// Replaying an answers file from --answers-out, which leaves NATS URL passwords out: the installed
// password of the same URL is kept; with none installed the run is refused (exit 2, nothing
// written) rather than writing a URL the server cannot log in with.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { getValue, parseGoconf } from '../../src/goconf/parse.js';
import { tempDir } from '../harness/tmp.js';
import { runInProcess } from './inProcess.js';
import { treeState } from './run.js';

const CONF = 'etc/nextcloud-spreed-signaling/server.conf';
const NATS_PW = 'natsPassw0rdXYZ';
const COMMON = ['--server-version', '2.0.2', '--nginx', 'none', '--yes'];

/** An install whose server.conf has `natsUrl`, and the answers file --answers-out saves for it. */
async function installWithAnswers(natsUrl: string): Promise<{ root: string; answers: string }> {
  const root = tempDir('spreed-nats-replay-');
  mkdirSync(path.join(root, path.dirname(CONF)), { recursive: true });
  writeFileSync(
    path.join(root, CONF),
    `[http]\nlisten = 127.0.0.1:8080\n[backend]\nbackends = cloud\n[cloud]\nurl = https://cloud.example.org\nsecret = ${'ab'.repeat(32)}\n[nats]\nurl = ${natsUrl}\n`,
  );
  const answers = path.join(tempDir('spreed-answers-'), 'answers.yaml');
  const r = await runInProcess([
    'setup',
    '--hostname',
    'hpb.example.org',
    ...COMMON,
    '--root',
    root,
    '--answers-out',
    answers,
  ]);
  expect(r.code, r.all).toBe(0);
  expect(readFileSync(answers, 'utf8')).not.toContain(NATS_PW);
  return { root, answers };
}

const natsOf = (root: string) => getValue(parseGoconf(readFileSync(path.join(root, CONF), 'utf8')), 'nats', 'url');

describe('replaying an answers file without the NATS password', () => {
  it('keeps the installed password of the same NATS URL', async () => {
    const { root, answers } = await installWithAnswers(`nats://signal:${NATS_PW}@10.0.0.5:4222`);
    const r = await runInProcess(['setup', '--answers', answers, ...COMMON, '--root', root]);
    expect(r.code, r.all).toBe(0);
    expect(natsOf(root)).toBe(`nats://signal:${NATS_PW}@10.0.0.5:4222`);
    expect(r.all).not.toContain(NATS_PW);
    expect(r.stderr).toContain('keeping the password the installed server.conf has for it');
  });

  it('a flag naming the URL without its password keeps it too (the password never passes argv)', async () => {
    const { root } = await installWithAnswers(`nats://signal:${NATS_PW}@10.0.0.5:4222`);
    const r = await runInProcess([
      'setup',
      '--nats',
      'nats://signal@10.0.0.5:4222',
      '--hostname',
      'hpb.example.org',
      ...COMMON,
      '--root',
      root,
    ]);
    expect(r.code, r.all).toBe(0);
    expect(natsOf(root)).toBe(`nats://signal:${NATS_PW}@10.0.0.5:4222`);
  });

  it.each([
    ['onto a fresh root (no server.conf)', false],
    ['onto an install whose NATS URL differs', true],
  ])('%s: refused with the fix, nothing written', async (_name, otherInstall) => {
    const { answers } = await installWithAnswers(`nats://signal:${NATS_PW}@10.0.0.5:4222`);
    const target = otherInstall
      ? (await installWithAnswers(`nats://signal:${NATS_PW}@10.0.0.9:4222`)).root
      : tempDir('spreed-nats-fresh-');
    const before = treeState(target);
    const r = await runInProcess(['setup', '--answers', answers, ...COMMON, '--root', target]);
    expect(r.code, r.all).toBe(2);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /NATS URL "nats:\/\/signal@10\.0\.0\.5:4222" has no password: the answers file .* left it out.* — fix: put the password into the URL/,
    );
    expect(r.all).not.toContain(NATS_PW);
    expect(treeState(target)).toEqual(before);
  });

  it('a hand-written answers file with a user-only NATS URL (token auth) is taken as written', async () => {
    const root = tempDir('spreed-nats-token-');
    const answers = path.join(tempDir('spreed-answers-'), 'a.yaml');
    writeFileSync(
      answers,
      'hostname: hpb.example.org\nbackends:\n  - id: cloud\n    urls: [https://cloud.example.org]\nnats:\n  mode: external\n  urls: [nats://s3cr3tToken@10.0.0.5:4222]\n',
    );
    const r = await runInProcess(['setup', '--answers', answers, ...COMMON, '--root', root]);
    expect(r.code, r.all).toBe(0);
    expect(natsOf(root)).toBe('nats://s3cr3tToken@10.0.0.5:4222');
  });
});
