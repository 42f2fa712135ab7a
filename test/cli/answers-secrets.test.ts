// Secrets never reach the answers file or the dry-run diff, whatever their origin: a shared
// [backend] secret, a GeoIP license key and a NATS URL password from an existing server.conf.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../harness/tmp.js';
import { runInProcess } from './inProcess.js';

const CONF = 'etc/nextcloud-spreed-signaling/server.conf';
const SHARED = 'f00d'.repeat(12);
const LICENSE = 'GeoLicense0123456789';
const NATS_PW = 'natsPassw0rdXYZ';

describe('secrets of an existing server.conf', () => {
  it('stay out of --answers-out and the dry-run diff', async () => {
    const root = tempDir('spreed-answers-secrets-');
    mkdirSync(path.join(root, path.dirname(CONF)), { recursive: true });
    writeFileSync(
      path.join(root, CONF),
      `[http]\nlisten = 127.0.0.1:8080\n[backend]\nbackends = cloud\nsecret = ${SHARED}\n[cloud]\nurl = https://cloud.example.org\nsecret = ${'ab'.repeat(32)}\n[nats]\nurl = nats://signal:${NATS_PW}@10.0.0.5:4222\n[geoip]\nlicense = ${LICENSE}\n`,
    );
    const answers = path.join(root, 'answers.yaml');
    const r = await runInProcess([
      'setup',
      '--hostname',
      'hpb.example.org',
      '--server-version',
      '2.0.2',
      '--nginx',
      'none',
      '--yes',
      '--root',
      root,
      '--dry-run',
      '--answers-out',
      answers,
    ]);
    expect(r.code, r.all).toBe(0);
    const file = readFileSync(answers, 'utf8');
    for (const s of [SHARED, LICENSE, NATS_PW]) {
      expect(file).not.toContain(s);
      expect(r.all).not.toContain(s);
    }
    expect(file).toContain(
      '# Left out, being secrets (give them again when you replay this file): [backend] secret, [geoip] license, the NATS URL passwords',
    );
    expect(file).toContain('nats://signal@10.0.0.5:4222');
    // The diff still shows that those lines exist, masked.
    expect(r.stdout).toMatch(/license = <secret \d+ chars, sha256 [0-9a-f]{8}>/);
    expect(r.stdout).toMatch(/nats:\/\/signal:<secret \d+ chars, sha256 [0-9a-f]{8}>@10\.0\.0\.5:4222/);
  });
});
