// Which enabled nginx site serves a name, the refusal of a second site for it, and which
// `nginx -t` warnings count as failures.
import { describe, expect, it } from 'vitest';
import { memoryHost } from '../../src/io/host.js';
import { serverNamesIn, sitesServing } from '../../src/plan/nginxSites.js';
import { fatalWarnings } from '../../src/apply/validateNginx.js';
import type { NginxLayout } from '../../src/model/layout.js';

const LAYOUT: NginxLayout = {
  kind: 'debian',
  sitePath: '/etc/nginx/sites-available/spreed-signaling.conf',
  enabledLink: '/etc/nginx/sites-enabled/spreed-signaling.conf',
  upstreamPath: '/etc/nginx/conf.d/spreed-signaling-upstream.conf',
  snippetPath: '/etc/nginx/snippets/spreed-signaling.conf',
  mainConfPath: '/etc/nginx/nginx.conf',
  unit: 'nginx',
} as NginxLayout;

const NEXTCLOUD = `server {\n  listen 443 ssl;\n  server_name Cloud.Example.org www.example.org; # main\n  location / { }\n}\n`;

describe('sitesServing', () => {
  it('finds the enabled site (through its link) that has the name, ignoring case, comments and our own files', () => {
    const host = memoryHost({
      files: {
        '/etc/nginx/sites-available/nextcloud': NEXTCLOUD,
        '/etc/nginx/sites-enabled/nextcloud': {
          kind: 'link',
          target: '../sites-available/nextcloud',
          resolved: { content: NEXTCLOUD, mode: 0o644, gid: 0 },
        },
        '/etc/nginx/sites-enabled/spreed-signaling.conf': {
          kind: 'link',
          target: '../sites-available/spreed-signaling.conf',
          resolved: { content: 'server { server_name hpb.example.org; }', mode: 0o644, gid: 0 },
        },
        '/etc/nginx/sites-enabled/spreed-signaling.conf.spreed-setup-link-1-ab': {
          kind: 'link',
          target: '../sites-available/spreed-signaling.conf',
          resolved: { content: 'server { server_name hpb.example.org; }', mode: 0o644, gid: 0 },
        },
        '/etc/nginx/conf.d/other.conf': 'server { server_name other.example.org; }',
        '/etc/nginx/conf.d/not-included.txt': 'server { server_name hpb.example.org; }',
        '/etc/nginx/conf.d/commented.conf': 'server { # server_name hpb.example.org;\n}',
      },
    });
    expect(sitesServing(host, LAYOUT, 'cloud.example.org')).toEqual([
      { file: '/etc/nginx/sites-enabled/nextcloud', target: '/etc/nginx/sites-available/nextcloud' },
    ]);
    expect(sitesServing(host, LAYOUT, 'other.example.org')).toEqual([{ file: '/etc/nginx/conf.d/other.conf' }]);
    // Ours (and a stray link to ours), a file nginx does not include, and a comment serve nothing.
    expect(sitesServing(host, LAYOUT, 'hpb.example.org')).toEqual([]);
  });

  it('reads server_name only inside server blocks', () => {
    expect(
      serverNamesIn('server_name stray.example.org;\nserver { server_name "a.example.org" b.example.org; }'),
    ).toEqual(['a.example.org', 'b.example.org']);
  });
});

describe('fatalWarnings', () => {
  it('keeps the conflicting-name and ignored warnings, not other output', () => {
    const stderr = [
      'nginx: [warn] conflicting server name "cloud.example.org" on 0.0.0.0:443, ignored',
      '2026/12/02 14:38:51 [warn] 9005#9005: "ssl_stapling" ignored, issuer certificate not found',
      'nginx: [warn] the "listen ... http2" directive is deprecated',
      'nginx: the configuration file /etc/nginx/nginx.conf syntax is ok',
    ].join('\n');
    expect(fatalWarnings(stderr)).toEqual([
      'conflicting server name "cloud.example.org" on 0.0.0.0:443, ignored',
      '"ssl_stapling" ignored, issuer certificate not found',
    ]);
    expect(fatalWarnings('nginx: configuration file test is successful')).toEqual([]);
  });
});
