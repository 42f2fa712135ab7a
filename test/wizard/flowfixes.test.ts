// Issue 11's flow fixes that the scripted prompts can show: examples are never taken, Enter on an
// empty required answer says what to type, a reconfigure keeps the backends it lists, input
// messages say what to drop, and Ctrl-C after writing says what was written and how to undo it.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADD_NEXTCLOUD, runWizard } from '../../src/ask/wizard.js';
import { parseSetupArgs } from '../../src/options/setup.js';
import { runSetup } from '../../src/commands/setup.js';
import type { Output } from '../../src/io/output.js';
import { parseGoconf, getValue } from '../../src/goconf/parse.js';
import { ScriptedPrompter, type Step } from './scripted.js';
import { scratch, secretValues, treeState } from '../cli/run.js';

const machine = { fqdn: 'vm.example.net', letsEncryptHosts: [], nginxServerNames: [] };
const CONF = 'etc/nextcloud-spreed-signaling/server.conf';
const V = ['--server-version', '2.0.2'];

function output(): Output {
  return { info: () => {}, notice: () => {}, success: () => {}, problems: () => {}, raw: () => {} };
}

async function wizard(args: string[], steps: Step[]) {
  const prompter = new ScriptedPrompter(steps);
  const code = await runWizard(parseSetupArgs(args), {
    prompter,
    out: output(),
    toolVersion: 'test',
    environment: machine,
  });
  expect(prompter.remaining, `unused steps; asked: ${prompter.asked.join(' | ')}`).toBe(0);
  return { code, prompter, shown: prompter.shown.join('\n') };
}

async function installed(root: string, extra: string[] = []) {
  const code = await runSetup(
    parseSetupArgs([
      '--hostname',
      'hpb.example.org',
      '--nextcloud',
      'https://cloud.example.org',
      '--yes',
      '--root',
      root,
      ...V,
      ...extra,
    ]),
    { out: output(), toolVersion: 'test' },
  );
  expect(code).toBe(0);
}

describe('defaults and examples', () => {
  it('a first install offers the machine name as an example only: Enter on it is refused with what to type', async () => {
    const root = scratch();
    const r = await wizard(
      ['--root', root, ...V],
      [
        { expect: /Public hostname/, text: ['', 'hpb.example.org'] },
        { expect: /Nextcloud URL/, text: ['', 'https://cloud.example.org'] },
        { expect: /other settings/, choose: 'keep' },
        { expect: /Write these files/, choose: 'write' },
        { expect: /Register this server/, confirm: false },
      ],
    );
    expect(r.code).toBe(0);
    const host = r.prompter.texts.find((t) => /Public hostname/.test(t.message))!;
    expect(host.defaultValue).toBeUndefined();
    expect(host.example).toBe('vm.example.net');
    expect(r.prompter.validationErrors[0]).toMatch(/^type the public host name .*e\.g\. hpb\.example\.org/);
    expect(r.prompter.validationErrors[1]).toMatch(/^type your Nextcloud's base URL, e\.g\. https:\/\/cloud/);
    expect(getValue(parseGoconf(readFileSync(path.join(root, CONF), 'utf8')), 'backend', 'backends')).toBeDefined();
  });

  it('a reconfigure offers the configured hostname as the default Enter takes', async () => {
    const root = scratch();
    await installed(root);
    const r = await wizard(
      ['--root', root, ...V, '--nextcloud', 'https://cloud.example.org'],
      [
        { expect: /Public hostname/, text: [''] },
        { expect: /other settings/, choose: 'keep' },
      ],
    );
    expect(r.code).toBe(0);
    expect(r.prompter.texts[0]).toEqual(expect.objectContaining({ defaultValue: 'hpb.example.org' }));
    expect(r.shown).toContain('No changes');
  });
});

describe('reconfigure: the existing backends are choices, ticked', () => {
  it('adding a URL keeps the backend there (same id, same secret)', async () => {
    const root = scratch();
    await installed(root);
    const before = secretValues(root);
    const r = await wizard(
      ['--root', root, ...V, '--hostname', 'hpb.example.org'],
      [
        { expect: /Nextcloud URL/, pick: ['https://cloud.example.org', ADD_NEXTCLOUD] },
        { expect: /Nextcloud URL/, text: ['https://second.example.org'] },
        { expect: /other settings/, choose: 'keep' },
        { expect: /Write these files/, choose: 'write' },
        { expect: /Register this server/, confirm: false },
      ],
    );
    expect(r.code).toBe(0);
    const doc = parseGoconf(readFileSync(path.join(root, CONF), 'utf8'));
    expect(getValue(doc, 'backend', 'backends')).toBe('cloud-example-org, second-example-org');
    expect(getValue(doc, 'cloud-example-org', 'urls') ?? getValue(doc, 'cloud-example-org', 'url')).toBe(
      'https://cloud.example.org',
    );
    // The old backend's secret is still there, unchanged.
    for (const s of before) expect(secretValues(root)).toContain(s);
  });

  it('ticking nothing and adding nothing asks again instead of dropping every backend', async () => {
    const root = scratch();
    await installed(root);
    const r = await wizard(
      ['--root', root, ...V, '--hostname', 'hpb.example.org'],
      [
        { expect: /Nextcloud URL/, pick: [] },
        { expect: /Nextcloud URL/, pick: ['https://cloud.example.org'] },
        { expect: /other settings/, choose: 'keep' },
      ],
    );
    expect(r.code).toBe(0);
    expect(r.shown).toContain('at least one Nextcloud is needed');
    expect(r.shown).toContain('No changes');
  });
});

describe('answers that say what to drop or fix', () => {
  it('a URL, a port or a path typed as the hostname; a port out of range', async () => {
    const root = scratch();
    const r = await wizard(
      ['--root', root, ...V, '--nextcloud', 'https://cloud.example.org'],
      [
        {
          expect: /Public hostname/,
          text: ['https://hpb.example.org', 'hpb.example.org:443', 'hpb.example.org/x', 'hpb.example.org'],
        },
        { expect: /other settings/, choose: 'customize' },
        { expect: /One server, or several/, choose: 'one' },
        { expect: /NATS/, choose: 'loopback' },
        { expect: /MCU/, choose: 'none' },
        { expect: /TURN on this host/, confirm: false },
        { expect: /nginx in front/, choose: 'snippet' },
        { expect: /listens/, text: ['localhost:99999', 'localhost:8080x', '127.0.0.1:8080'] },
        { expect: /Write these files/, choose: 'abort' },
      ],
    );
    expect(r.code).toBe(130);
    expect(r.prompter.validationErrors).toEqual([
      expect.stringContaining('drop the "https://"'),
      expect.stringContaining('drop the ":443"'),
      expect.stringContaining('drop the "/x"'),
      '"localhost:99999" port 99999 out of range (1-65535)',
      '"localhost:8080x" the port is not a number (HOST:PORT, e.g. 127.0.0.1:8080)',
    ]);
  });

  it("an IP address as the hostname: Let's Encrypt is not assumed, its certificate is asked for", async () => {
    const root = scratch();
    const r = await wizard(
      ['--root', root, ...V, '--nextcloud', 'https://cloud.example.org'],
      [
        { expect: /Public hostname/, text: ['192.0.2.10'] },
        { expect: /nginx in front/, choose: 'site' },
        { expect: /TLS certificate/, text: ['', '/etc/ssl/hpb.pem'] },
        { expect: /TLS private key/, text: ['/etc/ssl/hpb.key'] },
        { expect: /other settings/, choose: 'keep' },
        { expect: /Write these files/, choose: 'abort' },
      ],
    );
    expect(r.code).toBe(130);
    expect(r.shown).toContain("Let's Encrypt issues no certificates for IP addresses");
    const cert = r.prompter.texts.find((t) => /TLS certificate/.test(t.message))!;
    expect(cert.defaultValue ?? '').not.toContain('letsencrypt');
    expect(r.prompter.validationErrors[0]).toMatch(/^type an absolute path/);
    expect(r.shown).toContain('/etc/ssl/hpb.pem, /etc/ssl/hpb.key');
    expect(r.shown).not.toMatch(/certbot[^\n]*192\.0\.2\.10/);
  });
});

describe('Ctrl-C after writing', () => {
  it('at the register question on a reconfigure: what was written, and the backup to undo it from', async () => {
    const root = scratch();
    await installed(root);
    const r = await wizard(
      ['--root', root, ...V, '--hostname', 'hpb2.example.org', '--nextcloud', 'https://cloud.example.org'],
      [
        { expect: /other settings/, choose: 'keep' },
        { expect: /Write these files/, choose: 'write' },
        { expect: /Register this server/, cancel: true },
      ],
    );
    expect(r.code).toBe(130);
    expect(r.shown).not.toContain('nothing was changed');
    const note = r.prompter.shown.find((s) => s.startsWith('Stopped after writing'))!;
    expect(note).toContain('updated /etc/nginx/sites-available/spreed-signaling.conf');
    const backup = /put back the replaced files from the backup (\S+):/.exec(note)![1]!;
    expect(backup.startsWith(path.join(root, 'var/backups/spreed-setup/'))).toBe(true);
    expect(existsSync(path.join(backup, 'etc/nginx/sites-available/spreed-signaling.conf'))).toBe(true);
    expect(note).toContain(`cp -a ${backup}/. ${root}`);
    expect(r.prompter.shown.at(-1)).toMatch(/^Cancelled after writing/);
  });

  it('at the register question on a first install: the new files, and that removing them undoes it', async () => {
    const root = scratch();
    const r = await wizard(
      ['--root', root, ...V, '--hostname', 'hpb.example.org', '--nextcloud', 'https://cloud.example.org'],
      [
        { expect: /other settings/, choose: 'keep' },
        { expect: /Write these files/, choose: 'write' },
        { expect: /Register this server/, cancel: true },
      ],
    );
    expect(r.code).toBe(130);
    const note = r.prompter.shown.find((s) => s.startsWith('Stopped after writing'))!;
    expect(note).toContain(`rm ${path.join(root, '/etc/nextcloud-spreed-signaling/server.conf')}`);
    expect(existsSync(path.join(root, CONF))).toBe(true);
    expect(Object.keys(treeState(root)).length).toBeGreaterThan(0);
  });
});

describe('the check after registration', () => {
  it('gets the occ command registration used (given, found or typed)', async () => {
    const root = scratch();
    const prompter = new ScriptedPrompter([
      { expect: /other settings/, choose: 'keep' },
      { expect: /Write these files/, choose: 'write' },
      { expect: /Register this server/, confirm: true },
      { expect: /connectivity check/, confirm: true },
    ]);
    const checked: Array<string | undefined> = [];
    const code = await runWizard(
      parseSetupArgs([
        '--root',
        root,
        ...V,
        '--hostname',
        'hpb.example.org',
        '--nextcloud',
        'https://cloud.example.org',
      ]),
      {
        prompter,
        out: output(),
        toolVersion: 'test',
        environment: machine,
        followUps: {
          register: async (_p, onOcc) => {
            onOcc('ssh -T -- admin@cloud.example.org sudo -u www-data php /srv/nc/occ');
            return 0;
          },
          check: async (_p, occ) => {
            checked.push(occ);
            return 0;
          },
        },
      },
    );
    expect(code).toBe(0);
    expect(checked).toEqual(['ssh -T -- admin@cloud.example.org sudo -u www-data php /srv/nc/occ']);
  });
});

describe('Ctrl-C inside registration, after writing', () => {
  it('stops the wizard with what was written and how to undo it (not "nothing was changed")', async () => {
    const root = scratch();
    const prompter = new ScriptedPrompter([
      { expect: /other settings/, choose: 'keep' },
      { expect: /Write these files/, choose: 'write' },
      { expect: /Register this server/, confirm: true },
    ]);
    const code = await runWizard(
      parseSetupArgs([
        '--root',
        root,
        ...V,
        '--hostname',
        'hpb.example.org',
        '--nextcloud',
        'https://cloud.example.org',
      ]),
      {
        prompter,
        out: output(),
        toolVersion: 'test',
        environment: machine,
        followUps: { register: async () => 130, check: async () => 0 },
      },
    );
    expect(code).toBe(130);
    expect(prompter.shown.some((s) => s.startsWith('Stopped after writing'))).toBe(true);
    expect(prompter.shown.join('\n')).not.toContain('nothing was changed');
  });
});
