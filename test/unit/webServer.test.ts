// Which web server fronts the machine: /proc/net/tcp's LISTEN sockets (a real one, held by this
// test's own server, found through /proc/PID/fd), the owner of 80/443 through a memory host, the
// installed fallback, and setup's default --web-server from it (staged under --root).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultFrontEnd, describeFrontEnd, detectFrontEnd } from '../../src/detect/webServer.js';
import { listenInodes, memoryHost, systemHost } from '../../src/io/host.js';
import { Target } from '../../src/io/target.js';
import { runInProcess } from '../cli/inProcess.js';
import { scratch } from '../cli/run.js';
import { freePort } from '../harness/ports.js';

const TABLE = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 00000000:01BB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0',
  '   1: 0100007F:0050 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0 100 0 0 10 0',
  '   2: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0 100 0 0 10 0',
].join('\n');

describe('listenInodes', () => {
  it('LISTEN sockets on the ports asked for only (0x01BB = 443; an established :80 is not one)', () => {
    expect([...listenInodes(TABLE, [80, 443])]).toEqual(['4242']);
    expect([...listenInodes(TABLE, [8080])]).toEqual(['4444']);
  });
});

describe('the real /proc', () => {
  let server: net.Server;
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
    server = net.createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  it("finds this process's listening socket and names its program", () => {
    const comm = readFileSync('/proc/self/comm', 'utf8').trim();
    expect(systemHost(new Target(undefined)).listeningPrograms([port])).toContain(comm);
    // Under --root nothing runs.
    expect(systemHost(new Target('/tmp')).listeningPrograms([port])).toEqual([]);
  });
});

describe('detectFrontEnd', () => {
  it('the owner of 443 wins over what else is installed', () => {
    const f = detectFrontEnd(
      memoryHost({ programs: ['/usr/sbin/nginx', '/usr/sbin/apache2'], listening: { 443: ['apache2'] } }),
    );
    expect(f).toEqual({ owner: 'apache', others: [], installed: ['nginx', 'apache'] });
    expect(defaultFrontEnd(f)).toBe('apache');
    expect(describeFrontEnd(f)).toBe('Apache listens on port 80/443 (installed: nginx, Apache)');
  });
  it('nobody listening: the installed one; nginx first among several; Traefik by its config', () => {
    expect(defaultFrontEnd(detectFrontEnd(memoryHost({ programs: ['/usr/bin/caddy'] })))).toBe('caddy');
    expect(defaultFrontEnd(detectFrontEnd(memoryHost({ programs: ['/usr/bin/caddy', '/usr/sbin/nginx'] })))).toBe(
      'nginx',
    );
    const t = detectFrontEnd(memoryHost({ files: { '/etc/traefik/traefik.yml': 'entryPoints: {}\n' } }));
    expect(t.installed).toEqual(['traefik']);
  });
  it('an unknown program on 80: said, nothing chosen', () => {
    const f = detectFrontEnd(memoryHost({ listening: { 80: ['docker-proxy'] } }));
    expect(defaultFrontEnd(f)).toBeUndefined();
    expect(describeFrontEnd(f)).toMatch(/no web server found .*held by docker-proxy/);
  });
});

describe('setup: the default --web-server is the detected one', () => {
  const ARGS = ['setup', '--hostname', 'hpb.example.org', '--nextcloud', 'https://cloud.example.org', '--yes'];
  it('a staged tree with only HAProxy installed gets HAProxy files, and says why', async () => {
    const root = scratch('spreed-front-');
    mkdirSync(path.join(root, 'usr/sbin'), { recursive: true });
    writeFileSync(path.join(root, 'usr/sbin/haproxy'), '');
    mkdirSync(path.join(root, 'etc/haproxy'), { recursive: true });
    writeFileSync(path.join(root, 'etc/haproxy/haproxy.cfg'), 'defaults\n    mode http\n');
    const r = await runInProcess([...ARGS, '--web-mode', 'snippet', '--server-version', '2.0.2', '--root', root]);
    expect(r.code, r.all).toBe(0);
    expect(r.all).toContain('front end: installed: HAProxy, none listening on port 80/443; writing for HAProxy');
    expect(readFileSync(path.join(root, 'etc/haproxy/haproxy.cfg'), 'utf8')).toContain('backend spreed-signaling');
  });
  it('--web-server given: no detection overrides it', async () => {
    const root = scratch('spreed-front-');
    mkdirSync(path.join(root, 'usr/sbin'), { recursive: true });
    writeFileSync(path.join(root, 'usr/sbin/haproxy'), '');
    const r = await runInProcess([
      ...ARGS,
      '--web-server',
      'traefik',
      '--web-mode',
      'snippet',
      '--server-version',
      '2.0.2',
      '--root',
      root,
    ]);
    expect(r.code, r.all).toBe(0);
    expect(r.all).not.toContain('front end:');
    expect(readFileSync(path.join(root, 'etc/traefik/dynamic/spreed-signaling.yml'), 'utf8')).toContain('stripPrefix');
  });
});

describe('no nginx in what setup says when another web server is chosen', () => {
  const ARGS = ['setup', '--hostname', 'hpb.example.org', '--nextcloud', 'https://cloud.example.org', '--yes'];
  for (const [server, label] of [
    ['haproxy', 'HAProxy'],
    ['caddy', 'Caddy'],
    ['traefik', 'Traefik'],
  ] as const)
    it(`--web-server ${server}`, async () => {
      const root = scratch('spreed-front-words-');
      const r = await runInProcess([...ARGS, '--web-server', server, '--server-version', '2.0.2', '--root', root]);
      expect(r.code, r.all).toBe(0);
      expect(r.all).toContain(label);
      expect(r.all).not.toMatch(/nginx/i);
    });
});
