// The config group on server.conf files read as `check` reads them (a temporary --root; no IO
// doors: the config check must not need any).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configChecks } from '../../../src/check/groups/config.js';
import type { Outcome } from '../../../src/check/runner.js';
import { readCheckSetup } from '../../../src/check/setup.js';
import { checkInputs, context, runOne, shown, UNIT } from './fixture.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'spreed-check-groups-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CONF_PATH = '/etc/nextcloud-spreed-signaling/server.conf';
const HASH = 'a1'.repeat(32);
const BLOCK = 'b2'.repeat(16);

function conf(version: string, over: { sessions?: string; nats?: string; backend?: string } = {}): string {
  return `# Written by spreed-setup 0.1.0 for server version ${version}.
[http]
listen = 127.0.0.1:8080
[sessions]
${over.sessions ?? `hashkey = ${HASH}\nblockkey = ${BLOCK}`}
[clients]
internalsecret = ${'c3'.repeat(32)}
[backend]
backends = cloud
${over.backend ?? '[cloud]\nurl = https://cloud.example.org\nsecret = s3cr3t-value'}
[nats]
url = ${over.nats ?? 'nats://loopback'}
`;
}

async function configCheck(text: string, outcomes: Record<string, Outcome> = {}) {
  const root = mkdtempSync(path.join(tmp, 'r-'));
  mkdirSync(path.join(root, path.dirname(CONF_PATH)), { recursive: true });
  writeFileSync(path.join(root, CONF_PATH), text);
  // What setup rendered for is recorded in its state file beside server.conf.
  const version = /for server version (\d+\.\d+\.\d+)/.exec(text)?.[1];
  if (version)
    writeFileSync(path.join(root, path.dirname(CONF_PATH), 'spreed-setup.yaml'), `renderedFor: ${version}\n`);
  const setup = readCheckSetup({ root });
  return runOne(configChecks(context(checkInputs({ setup }), {})), 'config', outcomes);
}

describe('config', () => {
  it('passes a complete file for the version it was rendered for', async () => {
    expect(shown(await configCheck(conf('2.0.2')))).toEqual({
      status: 'pass',
      detail: `${CONF_PATH} parses as the server reads it; keys valid; 1 backend(s) complete for 2.0.2 (what setup rendered for)`,
    });
  });

  it('judges by the running server before what setup rendered for', async () => {
    const o = await configCheck(conf('2.0.2'), {
      server: { status: 'pass', detail: '', data: { version: [1, 2, 4] } },
    });
    expect(o.detail).toContain('for 1.2.4 (the running server)');
  });

  it('fails on a missing key with the rotate fix', async () => {
    expect(shown(await configCheck(conf('2.0.2', { sessions: `hashkey = ${HASH}` })))).toEqual({
      status: 'fail',
      detail: '[sessions] blockkey is missing',
      fix: `spreed-setup setup --rotate blockkey --yes (generates it), then systemctl restart ${UNIT}`,
    });
  });

  it("warns on 0.4.1's NATS spelling for a newer server", async () => {
    expect(shown(await configCheck(conf('2.0.2', { nats: ':loopback:' })))).toEqual({
      status: 'warn',
      detail:
        "[nats] url = :loopback: is 0.4.1's spelling; server 2.0.2 (what setup rendered for) uses nats://loopback",
      fix: 'write url = nats://loopback',
    });
  });

  it('counts further problems into the first one', async () => {
    const o = await configCheck(
      conf('2.0.2', {
        sessions: `hashkey = ${HASH}`,
        backend: '[cloud]\nurl = https://Cloud.example.org\nsecret = s3cr3t-value',
      }),
    );
    expect(o.status).toBe('fail');
    expect(o.detail).toBe(
      '[sessions] blockkey is missing (+1 more: [cloud] url https://Cloud.example.org: the server compares host names case-sensitively, and Nextcloud sends "cloud.example.org")',
    );
  });
});

describe('an empty hashkey, by release', () => {
  it('is fatal from 2.1.0 and named so; before, the server starts without session ids', async () => {
    const noHash = { sessions: `hashkey =\nblockkey = ${BLOCK}` };
    const fatal = await configCheck(conf('2.1.0', noHash));
    expect(fatal.status).toBe('fail');
    expect(fatal.detail).toContain(
      '[sessions] hashkey is missing: the server exits ("hash key is not set"; fatal from 2.1.0)',
    );
    const older = await configCheck(conf('2.0.4', noHash));
    expect(older.status).toBe('fail');
    expect(older.detail).toContain(
      '[sessions] hashkey is missing: server 2.0.4 (what setup rendered for) starts but cannot create session ids',
    );
  });
});
