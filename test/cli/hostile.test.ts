// Hostile input: every case exits 2 with `error:` lines only (control characters escaped), writes
// nothing, and no injected byte reaches a file. A start of issue 10's corpus.
import { mkfifoSync } from './fifo.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../harness/tmp.js';
import { runInProcess } from './inProcess.js';
import { treeState } from './run.js';

const OK = { hostname: 'hpb.example.org', nextcloud: 'https://cloud.example.org' };
const flags = (over: Record<string, string | undefined>, extra: string[] = []) => {
  const v = { ...OK, ...over };
  return [
    'setup',
    '--yes',
    ...(v.hostname !== undefined ? ['--hostname', v.hostname] : []),
    ...(v.nextcloud !== undefined ? ['--nextcloud', v.nextcloud] : []),
    ...extra,
  ];
};

// [name, argv builder (root -> argv), what the one error line says]
const CASES: Array<[string, (root: string) => string[], RegExp]> = [
  [
    'nginx: a key path closing the server block',
    (r) => [...flags({}, ['--tls-cert', '/etc/ssl/c.pem', '--tls-key', '/etc/ssl/k.pem;}server{break']), '--root', r],
    /tlsKey|key.*must be an absolute path without/i,
  ],
  [
    'nginx: a certificate path with a space',
    (r) => [...flags({}, ['--tls-cert', '/etc/ssl/c pem', '--tls-key', '/k.pem']), '--root', r],
    /absolute path without/,
  ],
  [
    'nginx: a certificate path with a quote',
    (r) => [...flags({}, ['--tls-cert', "/etc/ssl/c'.pem", '--tls-key', '/k.pem']), '--root', r],
    /absolute path without/,
  ],
  [
    'nginx: a path with $variable',
    (r) => [...flags({}, ['--tls-cert', '/etc/$host.pem', '--tls-key', '/k.pem']), '--root', r],
    /absolute path without/,
  ],
  [
    'nginx: a relative certificate path',
    (r) => [...flags({}, ['--tls-cert', 'c.pem', '--tls-key', '/k.pem']), '--root', r],
    /absolute path/,
  ],
  [
    'goconf: %(secret)s at the end of a Nextcloud URL',
    (r) => [...flags({ nextcloud: 'https://cloud.example.org/%(secret)s' }), '--root', r],
    /contains "%\(" or "\$\("/,
  ],
  [
    'goconf: $(VAR) in a Nextcloud URL',
    (r) => [...flags({ nextcloud: 'https://cloud.example.org/$(HOME)' }), '--root', r],
    /contains "%\(" or "\$\("/,
  ],
  [
    'hostname 999.999.999.999',
    (r) => [...flags({ hostname: '999.999.999.999' }), '--root', r],
    /not a valid host name/,
  ],
  ['hostname abc:def', (r) => [...flags({ hostname: 'abc:def' }), '--root', r], /not a valid host name/],
  ['hostname ::::', (r) => [...flags({ hostname: '::::' }), '--root', r], /not a valid host name/],
  [
    'hostname with a newline',
    (r) => [...flags({ hostname: 'hpb.example.org\nerror: forged' }), '--root', r],
    /not a valid host name/,
  ],
  [
    'hostname with an escape sequence',
    (r) => [...flags({ hostname: 'hpb\u001b]0;pwned\u0007.org' }), '--root', r],
    /not a valid host name/,
  ],
  [
    'hostname with a semicolon',
    (r) => [...flags({ hostname: 'hpb.example.org;' }), '--root', r],
    /not a valid host name/,
  ],
  ['Nextcloud URL with port 0', (r) => [...flags({ nextcloud: 'https://cloud.example.org:0' }), '--root', r], /port 0/],
  [
    'Nextcloud URL with port 99999',
    (r) => [...flags({ nextcloud: 'https://cloud.example.org:99999' }), '--root', r],
    /is not a URL/,
  ],
  [
    'Nextcloud URL with credentials',
    (r) => [...flags({ nextcloud: 'https://u:p@cloud.example.org' }), '--root', r],
    /user name or password/,
  ],
  [
    'NATS URL with port 0',
    (r) => [...flags({}, ['--nats', 'nats://127.0.0.1:0']), '--root', r],
    /port (\d+ )?out of range \(1-65535\)/,
  ],
  [
    'NATS URL with port 99999',
    (r) => [...flags({}, ['--nats', 'nats://127.0.0.1:99999']), '--root', r],
    /port (\d+ )?out of range \(1-65535\)/,
  ],
  [
    'Janus URL with port 99999',
    (r) => [...flags({}, ['--janus', 'ws://127.0.0.1:99999']), '--root', r],
    /port (\d+ )?out of range \(1-65535\)/,
  ],
  [
    'listen port 99999',
    (r) => [...flags({}, ['--listen', '127.0.0.1:99999']), '--root', r],
    /port (\d+ )?out of range \(1-65535\)/,
  ],
  ['listen without a port', (r) => [...flags({}, ['--listen', '127.0.0.1']), '--root', r], /HOST:PORT/],
  ['--root ""', () => [...flags({}), '--root', ''], /--root is empty/],
  ['--config ""', (r) => [...flags({}), '--root', r, '--config', ''], /--config is empty/],
  ['--hostname ""', (r) => [...flags({ hostname: '' }), '--root', r], /--hostname is empty/],
  [
    '--answers-out into a missing directory',
    (r) => [...flags({}), '--root', r, '--answers-out', path.join(r, 'no/such/dir/a.yaml')],
    /does not exist/,
  ],
  ['--answers /dev/zero', (r) => [...flags({}), '--root', r, '--answers', '/dev/zero'], /not a regular file/],
  ['--answers a directory', (r) => [...flags({}), '--root', r, '--answers', r], /not a regular file/],
  [
    '--answers a FIFO',
    (r) => [...flags({}), '--root', r, '--answers', mkfifoSync(path.join(tempDir('spreed-fifo-'), 'fifo'))],
    /not a regular file/,
  ],
  [
    '--answers a huge file',
    (r) => {
      const f = path.join(r, 'big.yaml');
      writeFileSync(f, `hostname: ${'a'.repeat(2 * 1024 * 1024)}\n`);
      return [...flags({}), '--root', r, '--answers', f];
    },
    /at most 1048576/,
  ],
  [
    'answers: acmeWebroot closing a block',
    (r) => {
      const f = path.join(r, 'a.yaml');
      writeFileSync(f, 'nginx:\n  acmeWebroot: "/var/www/html;break"\n');
      return [...flags({}), '--root', r, '--answers', f];
    },
    /absolute path without/,
  ],
  [
    'answers: a value with a line break in extra',
    (r) => {
      const f = path.join(r, 'a.yaml');
      writeFileSync(f, 'extra:\n  app:\n    debug: "false\\n[backend]\\nallowall = true"\n');
      return [...flags({}), '--root', r, '--answers', f];
    },
    /cannot span lines/,
  ],
  [
    'answers: a section name with a bracket',
    (r) => {
      const f = path.join(r, 'a.yaml');
      writeFileSync(f, 'extra:\n  "app]\\n[backend":\n    allowall: "true"\n');
      return [...flags({}), '--root', r, '--answers', f];
    },
    /extra\.app\]\\n\[backend: /,
  ],
];

describe('hostile input', () => {
  it.each(CASES)('%s: exit 2, clean error lines, nothing written', async (_name, argv, says) => {
    const root = tempDir('spreed-hostile-');
    const args = argv(root);
    const before = treeState(root);
    const r = await runInProcess(args);
    expect(r.code, r.all).toBe(2);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(/^(error|notice): /.test(l) || l === 'Nothing was written.', l).toBe(true);
    expect(lines.some((l) => l.startsWith('error: '))).toBe(true);
    expect(r.stderr).toMatch(says);
    expect(r.all).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(treeState(root)).toEqual(before);
  });
});
