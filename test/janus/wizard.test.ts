// The wizard's MCU question offers "Janus on this host": chosen, with a public address behind NAT,
// it writes [mcu] and Janus's files; a private address is refused at the prompt with the reason.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWizard } from '../../src/ask/wizard.js';
import type { Output } from '../../src/io/output.js';
import { parseSetupArgs } from '../../src/options/setup.js';
import { getValue, parseGoconf } from '../../src/goconf/parse.js';
import { parseLibconfig, type LcGroup } from '../../src/render/libconfig.js';
import { scratch } from '../cli/run.js';
import { ScriptedPrompter } from '../wizard/scripted.js';

const quiet: Output = { info() {}, notice() {}, success() {}, problems() {}, raw() {} };

describe('wizard: Janus on this host', () => {
  it('writes [mcu] type janus on loopback and janus.jcfg with the public address', async () => {
    const root = scratch('spreed-janus-wizard-');
    const prompter = new ScriptedPrompter([
      { expect: /Public hostname/, text: ['hpb.example.org'] },
      { expect: /Nextcloud URL/, text: ['https://cloud.example.org'] },
      { expect: /other settings/, choose: 'customize' },
      { expect: /One server, or several/, choose: 'one' },
      { expect: /NATS/, choose: 'loopback' },
      { expect: /MCU/, choose: 'local' },
      { expect: /public IP/, text: ['10.0.0.5', '203.0.113.9'] },
      { expect: /TURN on this host/, confirm: false },
      { expect: /nginx in front/, choose: 'site' },
      { expect: /TLS certificate/, text: [''] },
      { expect: /TLS private key/, text: [''] },
      { expect: /listens/, text: [''] },
      { expect: /Write these files/, choose: 'write' },
      { expect: /Register this server/, confirm: false },
    ]);
    const code = await runWizard(parseSetupArgs(['--root', root, '--server-version', '2.0.2']), {
      prompter,
      out: quiet,
      toolVersion: 'test',
      environment: { fqdn: 'vm.example.net', letsEncryptHosts: [], nginxServerNames: [] },
    });
    expect(code, prompter.shown.join('\n')).toBe(0);
    expect(prompter.remaining).toBe(0);
    expect(prompter.validationErrors.join('\n')).toContain('"10.0.0.5" is a private, CGNAT or link-local address');
    const conf = parseGoconf(readFileSync(path.join(root, 'etc/nextcloud-spreed-signaling/server.conf'), 'utf8'));
    expect(getValue(conf, 'mcu', 'type')).toBe('janus');
    expect(getValue(conf, 'mcu', 'url')).toBe('ws://127.0.0.1:8188');
    const nat = parseLibconfig(readFileSync(path.join(root, 'etc/janus/janus.jcfg'), 'utf8')).nat as LcGroup;
    expect(nat).toMatchObject({ nat_1_1_mapping: '203.0.113.9', full_trickle: true });
  });
});
