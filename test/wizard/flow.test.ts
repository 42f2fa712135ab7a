import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWizard } from '../../src/ask/wizard.js';
import { parseSetupArgs } from '../../src/options/setup.js';
import { runSetup } from '../../src/commands/setup.js';
import type { Output } from '../../src/io/output.js';
import { getValue, parseGoconf } from '../../src/goconf/parse.js';
import { ScriptedPrompter, type Step } from './scripted.js';
import { scratch, secretValues, treeState, treeWithoutSecrets } from '../cli/run.js';

const machine = { fqdn: 'vm.example.net', letsEncryptHosts: [], nginxServerNames: [] };
const CONF = 'etc/nextcloud-spreed-signaling/server.conf';

function output() {
  const lines: string[] = [];
  const out: Output = {
    info: (l) => lines.push(l),
    notice: (l) => lines.push(`notice: ${l}`),
    success: (l) => lines.push(l),
    problems: (ps) => ps.forEach((p) => lines.push(`error: ${p.message}`)),
    raw: (t) => lines.push(t),
  };
  return { out, lines };
}

async function wizard(args: string[], steps: Step[]) {
  const prompter = new ScriptedPrompter(steps);
  const { out, lines } = output();
  const code = await runWizard(parseSetupArgs(args), { prompter, out, toolVersion: 'test', environment: machine });
  expect(prompter.remaining, `unused steps; asked: ${prompter.asked.join(' | ')}`).toBe(0);
  return { code, prompter, lines };
}

const FRESH: Step[] = [
  { expect: /Public hostname/, text: ['hpb.example.org'] },
  { expect: /Nextcloud URL/, text: ['https://cloud.example.org'] },
  { expect: /other settings/, choose: 'keep' },
  { expect: /Write these files/, choose: 'write' },
  { expect: /Register this server/, confirm: false },
];

describe('wizard flow (scripted prompts)', () => {
  it('a first install takes 4 answers before writing and writes what `setup --yes` writes, secrets aside', async () => {
    const root = scratch();
    const r = await wizard(
      ['--root', root, '--server-version', '2.0.2'],
      [...FRESH.slice(0, 4), { expect: /Register this server/, confirm: true }],
    );
    expect(r.code).toBe(0);
    expect(r.prompter.asked.indexOf(r.prompter.asked.find((m) => /Write these files/.test(m))!)).toBeLessThanOrEqual(4);
    const twin = scratch();
    const { out } = output();
    const code = await runSetup(
      parseSetupArgs([
        '--hostname',
        'hpb.example.org',
        '--nextcloud',
        'https://cloud.example.org',
        '--yes',
        '--root',
        twin,
        '--server-version',
        '2.0.2',
      ]),
      { out, toolVersion: 'test' },
    );
    expect(code).toBe(0);
    expect(treeWithoutSecrets(root)).toEqual(treeWithoutSecrets(twin));
    expect(r.prompter.shown.join('\n')).toContain('Register by hand');
  });

  it('re-prompts with the reason on invalid input', async () => {
    const root = scratch();
    const r = await wizard(
      ['--root', root, '--server-version', '2.0.2'],
      [
        { expect: /Public hostname/, text: ['hpb example.org', 'hpb.example.org'] },
        {
          expect: /Nextcloud URL/,
          text: ['ftp://cloud.example.org', 'https://cloud.example.org/ocs/v2.php', 'https://cloud.example.org'],
        },
        ...FRESH.slice(2),
      ],
    );
    expect(r.code).toBe(0);
    expect(r.prompter.validationErrors).toEqual([
      '"hpb example.org" is not a valid host name (letters, digits, dots and dashes)',
      expect.stringContaining('must use http:// or https://'),
      expect.stringContaining('/ocs/'),
    ]);
  });

  it('flags short-circuit their questions', async () => {
    const root = scratch();
    const r = await wizard(
      [
        '--root',
        root,
        '--server-version',
        '2.0.2',
        '--hostname',
        'hpb.example.org',
        '--nextcloud',
        'https://cloud.example.org',
        '--nats',
        'loopback',
        '--janus',
        'none',
        '--nginx',
        'snippet',
        '--listen',
        '127.0.0.1:8080',
        '--turn',
        'none',
      ],
      [
        { expect: /Write these files/, choose: 'write' },
        { expect: /Register this server/, confirm: false },
      ],
    );
    expect(r.code).toBe(0);
    expect(existsSync(path.join(root, 'etc/nginx/snippets/spreed-signaling.conf'))).toBe(true);
  });

  it.each([0, 1, 2, 3])('cancel at prompt %i exits 130 and changes nothing', async (at) => {
    const root = scratch();
    const steps = FRESH.slice(0, at + 1).map((s, i) => (i === at ? { expect: s.expect, cancel: true as const } : s));
    const r = await wizard(['--root', root, '--server-version', '2.0.2'], steps);
    expect(r.code).toBe(130);
    expect(treeState(root)).toEqual({});
    expect(r.prompter.shown.at(-1)).toBe('Cancelled: nothing was changed.');
  });

  it('reconfigures: prefilled answers, only the listen address changes, secrets and hand-added keys kept', async () => {
    const root = scratch();
    const { out } = output();
    expect(
      await runSetup(
        parseSetupArgs([
          '--hostname',
          'hpb.example.org',
          '--nextcloud',
          'https://cloud.example.org',
          '--yes',
          '--root',
          root,
          '--server-version',
          '2.0.2',
        ]),
        { out, toolVersion: 'test' },
      ),
    ).toBe(0);
    const conf = path.join(root, CONF);
    writeFileSync(conf, readFileSync(conf, 'utf8') + '\n[geoip]\nlicense = by-hand\n');
    const secretsBefore = secretValues(root);
    const r = await wizard(
      ['--root', root, '--server-version', '2.0.2'],
      [
        { expect: /Public hostname/, text: [''] },
        { expect: /Nextcloud URL/, pick: ['https://cloud.example.org'] },
        { expect: /other settings/, choose: 'customize' },
        { expect: /One server, or several/, choose: 'one' },
        { expect: /NATS/, choose: 'loopback' },
        { expect: /MCU/, choose: 'none' },
        { expect: /TURN on this host/, confirm: false },
        { expect: /nginx in front/, choose: 'site' },
        { expect: /TLS certificate/, text: [''] },
        { expect: /TLS private key/, text: [''] },
        { expect: /listens/, text: ['127.0.0.1:9090'] },
        { expect: /Rotate secrets/, pick: [] },
        { expect: /Write these files/, choose: 'write' },
        { expect: /Register this server/, confirm: false },
      ],
    );
    expect(r.code).toBe(0);
    const plan = r.prompter.shown.find((s) => s.startsWith('Plan:'))!;
    expect(plan).toContain('server.conf');
    expect(plan).toContain('spreed-signaling-upstream.conf');
    expect(plan).not.toContain('secrets/');
    expect(plan).not.toContain('sites-available');
    const doc = parseGoconf(readFileSync(conf, 'utf8'));
    expect(getValue(doc, 'http', 'listen')).toBe('127.0.0.1:9090');
    expect(getValue(doc, 'geoip', 'license')).toBe('by-hand');
    expect(secretValues(root)).toEqual(secretsBefore);
  });

  it('goes back from the review to change a part, and can rotate a secret on purpose', async () => {
    const root = scratch();
    const { out } = output();
    expect(
      await runSetup(
        parseSetupArgs([
          '--hostname',
          'hpb.example.org',
          '--nextcloud',
          'https://cloud.example.org',
          '--yes',
          '--root',
          root,
          '--server-version',
          '2.0.2',
        ]),
        { out, toolVersion: 'test' },
      ),
    ).toBe(0);
    const before = secretValues(root);
    const r = await wizard(
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
      [{ expect: /other settings/, choose: 'keep' }],
    );
    expect(r.code).toBe(0);
    expect(r.prompter.shown.at(-1)).toContain('No changes');
    const r2 = await wizard(
      [
        '--root',
        root,
        '--server-version',
        '2.0.2',
        '--hostname',
        'hpb.example.org',
        '--nextcloud',
        'https://cloud.example.org',
        '--listen',
        '127.0.0.1:8080',
        '--nats',
        'loopback',
        '--janus',
        'none',
        '--nginx',
        'site',
      ],
      [{ expect: /other settings/, choose: 'keep' }],
    );
    expect(r2.code).toBe(0);
    const r3 = await wizard(
      [
        '--root',
        root,
        '--server-version',
        '2.0.2',
        '--hostname',
        'hpb.example.org',
        '--nextcloud',
        'https://cloud.example.org',
        '--listen',
        '127.0.0.1:8080',
        '--nats',
        'loopback',
        '--janus',
        'none',
        '--nginx',
        'site',
        '--rotate',
        'blockkey',
        '--turn',
        'none',
      ],
      [
        { expect: /Write these files/, choose: 'edit' },
        { expect: /Change which part/, choose: 'hostname' },
        { expect: /Public hostname/, text: ['hpb2.example.org'] },
        { expect: /Write these files/, choose: 'write' },
        { expect: /Register this server/, confirm: false },
      ],
    );
    expect(r3.code).toBe(0);
    const after = secretValues(root);
    expect(after.filter((s) => !before.includes(s))).toHaveLength(1); // only the block key changed
    expect(readFileSync(path.join(root, 'etc/nginx/sites-available/spreed-signaling.conf'), 'utf8')).toContain(
      'server_name hpb2.example.org;',
    );
  });

  it('--answers-out saves a replayable answers file without secrets', async () => {
    const root = scratch();
    const answers = path.join(scratch(), 'answers.yaml');
    const r = await wizard(['--root', root, '--server-version', '2.0.2', '--answers-out', answers], FRESH);
    expect(r.code).toBe(0);
    const text = readFileSync(answers, 'utf8');
    for (const s of secretValues(root)) expect(text).not.toContain(s);
    const twin = scratch();
    const { out } = output();
    expect(
      await runSetup(parseSetupArgs(['--answers', answers, '--yes', '--root', twin]), { out, toolVersion: 'test' }),
    ).toBe(0);
    expect(treeWithoutSecrets(twin)).toEqual(treeWithoutSecrets(root));
  });
});

describe('wizard: external NATS is probed for its INFO line before it is accepted', () => {
  it('accepts a server that greets with INFO, and offers to re-enter one that does not', async () => {
    const net = await import('node:net');
    const nats = net.createServer((s) => s.end('INFO {"server_id":"fake","version":"2.9.10"}\r\n'));
    const silent = net.createServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await new Promise<void>((r) => nats.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const natsUrl = `nats://127.0.0.1:${(nats.address() as { port: number }).port}`;
    const silentUrl = `nats://127.0.0.1:${(silent.address() as { port: number }).port}`;
    try {
      const root = scratch();
      const r = await wizard(
        [
          '--root',
          root,
          '--server-version',
          '2.0.2',
          '--hostname',
          'hpb.example.org',
          '--nextcloud',
          'https://cloud.example.org',
          '--janus',
          'none',
          '--nginx',
          'site',
          '--listen',
          '127.0.0.1:8080',
        ],
        [
          { expect: /other settings/, choose: 'customize' },
          { expect: /One server, or several/, choose: 'one' },
          { expect: /NATS \(message bus/, choose: 'external' },
          { expect: /NATS URLs/, text: ['http://x', silentUrl] },
          { expect: /NATS did not answer/, choose: 'retry' },
          { expect: /NATS URLs/, text: [natsUrl] },
          { expect: /TURN on this host/, confirm: false },
          { expect: /Write these files/, choose: 'write' },
          { expect: /Register this server/, confirm: false },
        ],
      );
      expect(r.code).toBe(0);
      expect(r.prompter.validationErrors[0]).toContain('must be a nats:// or tls:// URL');
      expect(r.prompter.shown.join('\n')).toContain(`${silentUrl}: no NATS INFO line`);
      expect(getValue(parseGoconf(readFileSync(path.join(root, CONF), 'utf8')), 'nats', 'url')).toBe(natsUrl);
    } finally {
      nats.close();
      silent.close();
    }
  });
});

describe('wizard follow-ups', () => {
  it('hands over to registration when asked, with the setup just written', async () => {
    const root = scratch();
    const prompter = new ScriptedPrompter([...FRESH.slice(0, 4), { expect: /Register this server/, confirm: true }]);
    const { out } = output();
    const seen: string[] = [];
    const code = await runWizard(parseSetupArgs(['--root', root, '--server-version', '2.0.2']), {
      prompter,
      out,
      toolVersion: 'test',
      environment: machine,
      followUps: {
        register: async (p) => {
          seen.push(`${p.deployment.hostname} ${p.target.root}`);
          return 0;
        },
      },
    });
    expect(code).toBe(0);
    expect(seen).toEqual([`hpb.example.org ${root}`]);
    expect(prompter.shown.join('\n')).not.toContain('Register by hand');
  });
});
