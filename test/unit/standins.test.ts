// The stand-ins are as strict as the programs they model: the stand-in Nextcloud's OCS formats,
// its 500 for backend requests missing their fields and its brute-force protection; the stand-in
// occ's Symfony input errors and talk:signaling:verify-keys by Talk version.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signingHeaders } from '../../src/probe/signing.js';
import { runFakeOcc } from '../fakes/fakeOcc.mjs';
import { startFakeNextcloud, type FakeNextcloud } from '../fakes/nextcloud.js';
import { tempDir } from '../harness/tmp.js';

const SECRET = 'talk-secret';
const BACKEND = '/ocs/v2.php/apps/spreed/api/v3/signaling/backend';
let nc: FakeNextcloud | undefined;

afterEach(async () => {
  await nc?.close();
  nc = undefined;
});

async function post(body: string, opts: { secret?: string; accept?: string; query?: string } = {}) {
  const res = await fetch(`${nc!.url}${BACKEND}${opts.query ?? ''}`, {
    method: 'POST',
    headers: {
      'OCS-APIRequest': 'true',
      'Content-Type': 'application/json',
      ...(opts.accept ? { Accept: opts.accept } : {}),
      ...signingHeaders(opts.secret ?? SECRET, body),
    },
    body,
  });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    throttled: res.headers.get('x-nextcloud-bruteforce-throttled'),
    text: await res.text(),
  };
}

describe('stand-in Nextcloud: OCS formats', () => {
  it('answers XML unless asked for JSON by Accept or format=json', async () => {
    nc = await startFakeNextcloud({ secret: SECRET });
    const caps = async (headers: Record<string, string>, query = '') => {
      const res = await fetch(`${nc!.url}/ocs/v2.php/cloud/capabilities${query}`, {
        headers: { 'OCS-APIRequest': 'true', ...headers },
      });
      return { type: res.headers.get('content-type'), text: await res.text() };
    };
    const xml = await caps({});
    expect(xml.type).toBe('application/xml; charset=utf-8');
    expect(
      xml.text.startsWith(
        '<?xml version="1.0"?>\n<ocs>\n <meta>\n  <status>ok</status>\n  <statuscode>200</statuscode>',
      ),
    ).toBe(true);
    expect(xml.text).toContain('<string>30.0.5</string>');
    expect((await caps({ Accept: 'application/xml' })).text).toMatch(/^<\?xml/);
    expect((await caps({ Accept: 'text/html, */*' })).text).toMatch(/^<\?xml/);
    expect(JSON.parse((await caps({ Accept: 'application/json' })).text).ocs.meta.statuscode).toBe(200);
    expect(JSON.parse((await caps({}, '?format=json')).text).ocs.data.version.major).toBe(30);
    const probe = await post('{"type":"setup-probe"}');
    expect(probe.text).toContain('<code>unknown_type</code>');
  });

  it('answers 500 (XML, whatever Accept says) for signed auth, room or ping requests missing their fields', async () => {
    nc = await startFakeNextcloud({ secret: SECRET });
    for (const body of [
      '{"type":"auth"}',
      '{"type":"auth","auth":{}}',
      '{"type":"room","room":{}}',
      '{"type":"ping"}',
    ]) {
      const r = await post(body, { accept: 'application/json' });
      expect(r.status, body).toBe(500);
      expect(r.text).toContain('<statuscode>996</statuscode>');
      expect(r.text).toContain('Internal Server Error');
    }
    expect(JSON.parse((await post('{"type":"ping"}', { query: '?format=json' })).text).ocs.meta.statuscode).toBe(996);
    // Complete requests get Talk's answers; a ping without entries only logs a warning in PHP.
    const ping = await post('{"type":"ping","ping":{}}', { accept: 'application/json' });
    expect(ping.status).toBe(200);
    expect(JSON.parse(ping.text).ocs.data).toEqual({ type: 'room', room: { version: '1.0' } });
    const auth = await post('{"type":"auth","auth":{"params":{"userid":"","ticket":"x"}}}', {
      accept: 'application/json',
    });
    expect(JSON.parse(auth.text).ocs.data.error.code).toBe('invalid_ticket');
    expect(nc.bruteForceAttempts).toBe(0);
  });
});

describe('stand-in Nextcloud: brute-force protection', () => {
  it('delays every request 0.1 s · 2^failures (a success does not reset), 429 after more than 10 in 30 min', async () => {
    let clock = 1_000_000_000;
    nc = await startFakeNextcloud({ secret: SECRET, delayScale: 0, now: () => clock });
    const good = () => post('{"type":"setup-probe"}', { accept: 'application/json' });
    const bad = () => post('{"type":"setup-probe"}', { accept: 'application/json', secret: 'wrong' });
    expect((await good()).throttled).toBeNull();
    // A failure sleeps before (n) and after registering (n + 1): the header says how long.
    expect((await bad()).throttled).toBe('200ms');
    expect((await bad()).throttled).toBe(`${200 + 400}ms`);
    expect((await bad()).throttled).toBe(`${400 + 800}ms`);
    const ok = await good();
    expect(JSON.parse(ok.text).ocs.data.error.code).toBe('unknown_type');
    expect(ok.throttled).toBe('800ms');
    expect(nc.throttleDelayMs()).toBe(800);
    for (let i = 4; i <= 10; i++) await bad();
    expect(nc.throttleDelayMs()).toBe(25_000);
    expect((await good()).status).toBe(200); // 10 failures: still answered, after 25 s
    // The 11th failure: the middleware's MaxDelayReached escapes after the controller (a 500) …
    expect((await bad()).status).toBe(500);
    // … and from then on every request, correct ones too, gets 429 without a sleep.
    const refused = await good();
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.text).ocs.meta).toEqual({
      status: 'failure',
      statuscode: 429,
      message: 'Reached maximum delay',
    });
    expect(nc.bruteForceAttempts).toBe(11);
    clock += 31 * 60_000; // out of the 30-min window: answered again, still after 25 s
    expect((await good()).status).toBe(200);
    expect(nc.throttleDelayMs()).toBe(25_000);
    clock += 12 * 3_600_000; // attempts age out after 12 h
    expect(nc.throttleDelayMs()).toBe(0);
    nc.resetBruteForce('127.0.0.1');
  });

  it('really sleeps, scaled', async () => {
    nc = await startFakeNextcloud({ secret: SECRET, delayScale: 0 });
    for (let i = 0; i < 3; i++) await post('{}', { secret: 'wrong' });
    nc.setDelayScale(0.5); // 800 ms -> 400 ms
    const t0 = Date.now();
    await post('{"type":"setup-probe"}');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(380);
    nc.resetBruteForce('127.0.0.1');
    expect(nc.throttleDelayMs()).toBe(0);
  });
});

describe('stand-in occ: Symfony input errors, verify-keys by Talk version', () => {
  const dir = tempDir('spreed-standin-occ-');
  const stateFile = path.join(dir, 'state.json');
  const occ = (...argv: string[]) => {
    const r = runFakeOcc(argv, { stateFile });
    if (r.hangs) throw new Error('hangs');
    return r;
  };

  it('refuses unknown options, values for flags, missing values and extra arguments, exit 1 with the synopsis', () => {
    const cases: Array<[string[], string, string]> = [
      [
        ['talk:signaling:add', '--foo', 'a', 'b'],
        'The "--foo" option does not exist.',
        'talk:signaling:add [--verify] [--] <server> <secret>',
      ],
      [
        ['talk:signaling:add', '--output=json', 'a', 'b'],
        'The "--output" option does not exist.',
        'talk:signaling:add',
      ],
      [
        ['talk:signaling:add', '--verify=yes', 'a', 'b'],
        'The "--verify" option does not accept a value.',
        'talk:signaling:add',
      ],
      [
        ['talk:turn:add', 'turn', 'h:3478', 'udp', '--secret'],
        'The "--secret" option requires a value.',
        'talk:turn:add',
      ],
      [['talk:signaling:list', '-x'], 'The "-x" option does not exist.', 'talk:signaling:list [--output [OUTPUT]]'],
      [
        ['talk:signaling:delete', 'a', 'b'],
        'Too many arguments to "talk:signaling:delete" command, expected arguments "server".',
        'talk:signaling:delete <server>',
      ],
      [
        ['talk:signaling:list', 'extra'],
        'No arguments expected for "talk:signaling:list" command, got "extra".',
        'talk:signaling:list',
      ],
    ];
    for (const [argv, message, usage] of cases) {
      const r = occ(...argv);
      expect(r.exitCode, argv.join(' ')).toBe(1);
      expect(r.stderr).toContain(`  ${message}  `);
      expect(r.stderr).toContain(usage);
      expect(r.stdout).toBe('');
    }
    expect(existsSync(stateFile)).toBe(false);
    expect(occ('talk:signaling:list', '--output', 'json', '-n', '--no-ansi', '--no-warnings').stdout).toBe('[]\n');
    expect(occ('status', '-vvv', '--output=json').exitCode).toBe(0);
  });

  it('has talk:signaling:verify-keys only from Talk 21.1.1, and it creates the key pair on a fresh Talk', () => {
    writeFileSync(stateFile, JSON.stringify({ talkVersion: '21.1.0' }));
    const before = occ('talk:signaling:verify-keys');
    expect(before.exitCode).toBe(1);
    expect(before.stderr).toContain('Command "talk:signaling:verify-keys" is not defined.');
    expect(occ('talk:signaling:list', '--output=json').exitCode).toBe(0);
    writeFileSync(stateFile, JSON.stringify({ talkVersion: '21.1.1' }));
    const fresh = occ('talk:signaling:verify-keys');
    expect(fresh.exitCode).toBe(0);
    expect(fresh.stdout).toContain('matches stored private key');
    const spreed = JSON.parse(readFileSync(stateFile, 'utf8')).appConfig.spreed;
    expect(Object.keys(spreed).sort()).toEqual(['signaling_token_privkey_es256', 'signaling_token_pubkey_es256']);
    // Once there, verify-keys only reads.
    const stored = readFileSync(stateFile, 'utf8');
    expect(occ('talk:signaling:verify-keys', '--output=json').exitCode).toBe(0);
    expect(readFileSync(stateFile, 'utf8')).toBe(stored);
    writeFileSync(stateFile, JSON.stringify({ talkVersion: '22.0.0', keysValid: false }));
    expect(occ('talk:signaling:verify-keys').exitCode).toBe(1);
    expect(occ('talk:signaling:verify-keys', '--update').stdout).toContain('A new public key was created and stored.');
  });
});
