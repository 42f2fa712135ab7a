// The wizard and the web server in front: asked which one only when more than one is installed
// (the one on port 80/443 offered first); otherwise it says what it found and writes for it.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWizard } from '../../src/ask/wizard.js';
import type { Environment } from '../../src/detect/environment.js';
import type { Output } from '../../src/io/output.js';
import { parseSetupArgs } from '../../src/options/setup.js';
import { scratch } from '../cli/run.js';
import { ScriptedPrompter, type Step } from './scripted.js';

const quiet: Output = { info: () => {}, notice: () => {}, success: () => {}, problems: () => {}, raw: () => {} };
const base = { fqdn: 'vm.example.net', letsEncryptHosts: [], nginxServerNames: [] };

async function wizard(environment: Environment, steps: Step[]) {
  const root = scratch('spreed-wizard-front-');
  const prompter = new ScriptedPrompter(steps);
  const code = await runWizard(parseSetupArgs(['--root', root, '--server-version', '2.0.2', '--web-mode', 'snippet']), {
    prompter,
    out: quiet,
    toolVersion: 'test',
    environment,
  });
  expect(prompter.remaining, `unused steps; asked: ${prompter.asked.join(' | ')}`).toBe(0);
  return { code, root, prompter, shown: prompter.shown.join('\n') };
}

const FIRST: Step[] = [
  { expect: /Public hostname/, text: ['hpb.example.org'] },
  { expect: /Nextcloud URL/, text: ['https://cloud.example.org'] },
];
const REST: Step[] = [
  { expect: /other settings/, choose: 'keep' },
  { expect: /Write these files/, choose: 'write' },
  { expect: /Register this server/, confirm: false },
];

describe('wizard: which web server', () => {
  it('two installed: asks, the one on 443 first; the answer decides the files', async () => {
    const r = await wizard({ ...base, frontEnd: { installed: ['nginx', 'haproxy'], owner: 'haproxy', others: [] } }, [
      ...FIRST,
      { expect: /Which web server fronts/, choose: 'haproxy' },
      ...REST,
    ]);
    expect(r.code).toBe(0);
    expect(r.prompter.asked.filter((m) => /Which web server/.test(m))).toHaveLength(1);
    expect(readFileSync(path.join(r.root, 'etc/haproxy/haproxy.cfg'), 'utf8')).toContain('backend spreed-signaling');
    expect(existsSync(path.join(r.root, 'etc/nginx'))).toBe(false);
  });

  it('one installed: no question, it says what it found and writes for it', async () => {
    const r = await wizard({ ...base, frontEnd: { installed: ['caddy'], owner: 'caddy', others: [] } }, [
      ...FIRST,
      ...REST,
    ]);
    expect(r.code).toBe(0);
    expect(r.prompter.asked.some((m) => /Which web server/.test(m))).toBe(false);
    expect(r.shown).toContain('Web server: Caddy listens on port 80/443; the files are written for Caddy');
    expect(readFileSync(path.join(r.root, 'etc/caddy/spreed-signaling-handle.caddy'), 'utf8')).toContain(
      'handle_path /standalone-signaling/*',
    );
  });

  it('none installed: no question, says so, and nginx it is', async () => {
    const r = await wizard({ ...base, frontEnd: { installed: [], others: ['docker-proxy'] } }, [...FIRST, ...REST]);
    expect(r.code).toBe(0);
    expect(r.shown).toMatch(/Web server: no web server found .*held by docker-proxy; the files are written for nginx/);
    expect(existsSync(path.join(r.root, 'etc/nginx/snippets/spreed-signaling.conf'))).toBe(true);
  });
});
