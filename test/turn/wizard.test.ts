// A first install through the wizard with its defaults plus "TURN on this host: yes" writes
// turnserver.conf, and the real coturn started with it (adapted only in listen ports and
// addresses) answers Binding, refuses an Allocate without credentials, accepts one with our secret,
// refuses a wrong secret and private peers, and accepts the allowed Janus address.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runWizard } from '../../src/ask/wizard.js';
import type { Output } from '../../src/io/output.js';
import { parseSetupArgs } from '../../src/options/setup.js';
import { stunBinding, turnAllocate } from '../../src/probe/stun.js';
import { scratch } from '../cli/run.js';
import { skipUnless } from '../harness/components.js';
import { cleanupAll, coturnConfForLoopback, startCoturnWithConfig } from '../harness/processes.js';
import { freePort } from '../harness/ports.js';
import { tempDir } from '../harness/tmp.js';
import { ScriptedPrompter } from '../wizard/scripted.js';

const quiet: Output = { info() {}, notice() {}, success() {}, problems() {}, raw() {} };
afterAll(cleanupAll);

const req = skipUnless({ components: ['turnserver'] });
describe.skipIf(req.skip)(`wizard: TURN on this host${req.suffix}`, () => {
  it('writes turnserver.conf that the real coturn serves as intended', async () => {
    const root = scratch('spreed-turn-wizard-');
    const prompter = new ScriptedPrompter([
      { expect: /Public hostname/, text: ['hpb.example.org'] },
      { expect: /Nextcloud URL/, text: ['https://cloud.example.org'] },
      { expect: /other settings/, choose: 'customize' },
      { expect: /One server, or several/, choose: 'one' },
      { expect: /NATS/, choose: 'loopback' },
      { expect: /MCU/, choose: 'none' },
      { expect: /TURN on this host/, confirm: true },
      { expect: /Public IP address coturn announces .*detected on this host: 198\.51\.100\.4/, text: [''] },
      { expect: /nginx in front/, choose: 'site' },
      { expect: /TLS certificate/, text: [''] },
      { expect: /TLS private key/, text: [''] },
      { expect: /listens/, text: [''] },
      { expect: /Write these files/, choose: 'write' },
      { expect: /Register this server/, confirm: false },
    ]);
    const code = await runWizard(
      parseSetupArgs(['--root', root, '--server-version', '2.0.2', '--turn-allow-peer', '10.1.2.3']),
      {
        prompter,
        out: quiet,
        toolVersion: 'test',
        environment: {
          fqdn: 'vm.example.net',
          letsEncryptHosts: [],
          nginxServerNames: [],
          addresses: ['10.0.0.2', 'fe80::1', '198.51.100.4'],
        },
      },
    );
    expect(code, prompter.shown.join('\n')).toBe(0);
    expect(prompter.remaining).toBe(0);
    const conf = readFileSync(path.join(root, 'etc/turnserver.conf'), 'utf8');
    expect(conf).toMatch(/^external-ip=198\.51\.100\.4$/m); // detected, confirmed with Enter
    const secret = readFileSync(path.join(root, 'etc/nextcloud-spreed-signaling/secrets/turn-secret'), 'utf8').trim();
    expect(prompter.shown.join('\n')).not.toContain(secret);

    const port = await freePort();
    const turn = await startCoturnWithConfig(tempDir('coturn-'), coturnConfForLoopback(conf, { port }), port);
    const at = { host: '127.0.0.1', port, timeoutMs: 3000 };
    expect((await stunBinding({ ...at, transport: 'udp' })).ok).toBe(true);
    const ok = await turnAllocate({ ...at, transport: 'udp', secret, peers: ['10.0.0.1', '192.168.1.1', '10.1.2.3'] });
    expect(ok).toMatchObject({ ok: true, challenge: { status: 401 }, allocate: { status: 'success' } });
    if (ok.ok) expect(ok.permissions.map((p) => p.status)).toEqual([403, 403, 'success']);
    const wrong = await turnAllocate({ ...at, transport: 'udp', secret: `${secret}x` });
    expect(wrong).toMatchObject({ ok: true, allocate: { status: 401 } });
    await turn.stop();
  });

  it('behind NAT (only private addresses) the public address is asked for; a private one is refused', async () => {
    const root = scratch('spreed-turn-nat-');
    const prompter = new ScriptedPrompter([
      { expect: /Public hostname/, text: ['hpb.example.org'] },
      { expect: /Nextcloud URL/, text: ['https://cloud.example.org'] },
      { expect: /other settings/, choose: 'customize' },
      { expect: /One server, or several/, choose: 'one' },
      { expect: /NATS/, choose: 'loopback' },
      { expect: /MCU/, choose: 'none' },
      { expect: /TURN on this host/, confirm: true },
      { expect: /only private addresses \(behind NAT\?\)/, text: ['192.168.1.1', 'nope', '203.0.113.9'] },
      { expect: /nginx in front/, choose: 'none' },
      { expect: /listens/, text: [''] },
      { expect: /Write these files/, choose: 'write' },
      { expect: /Register this server/, confirm: false },
    ]);
    const code = await runWizard(parseSetupArgs(['--root', root, '--server-version', '2.0.2']), {
      prompter,
      out: quiet,
      toolVersion: 'test',
      environment: { fqdn: 'vm.example.net', letsEncryptHosts: [], nginxServerNames: [], addresses: ['10.0.0.2'] },
    });
    expect(code, prompter.shown.join('\n')).toBe(0);
    expect(prompter.validationErrors).toEqual([
      expect.stringContaining('192.168.1.1 a private, CGNAT or link-local address'),
      expect.stringContaining('"nope" is not an IP address'),
    ]);
    expect(readFileSync(path.join(root, 'etc/turnserver.conf'), 'utf8')).toMatch(/^external-ip=203\.0\.113\.9$/m);
  });
});
