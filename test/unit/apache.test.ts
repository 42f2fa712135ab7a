// The Apache plan: modules and their "# Depends:" first, as a2enmod enables them; links only for
// what is not enabled yet; the include for an existing virtual host.
import { describe, expect, it } from 'vitest';
import { memoryHost } from '../../src/io/host.js';
import { apacheFiles, moduleClosure } from '../../src/plan/apachePlan.js';
import { DEBIAN_APACHE } from '../../src/detect/layout.js';
import { DeploymentSchema } from '../../src/model/deployment.js';

const AVAILABLE = {
  '/etc/apache2/mods-available/proxy.load': 'LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so\n',
  '/etc/apache2/mods-available/proxy.conf': '<IfModule mod_proxy.c>\n</IfModule>\n',
  '/etc/apache2/mods-available/proxy_http.load':
    '# Depends: proxy\nLoadModule proxy_http_module /usr/lib/apache2/modules/mod_proxy_http.so\n',
  '/etc/apache2/mods-available/headers.load': 'LoadModule headers_module /usr/lib/apache2/modules/mod_headers.so\n',
  '/etc/apache2/mods-available/ssl.load':
    '# Depends: setenvif mime socache_shmcb\nLoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so\n',
  '/etc/apache2/mods-available/setenvif.load': 'LoadModule setenvif_module x.so\n',
  '/etc/apache2/mods-available/mime.load': 'LoadModule mime_module x.so\n',
  '/etc/apache2/mods-available/socache_shmcb.load': 'LoadModule socache_shmcb_module x.so\n',
  '/etc/apache2/mods-available/alias.load': 'LoadModule alias_module x.so\n',
};

const deployment = (mode: 'site' | 'snippet') =>
  DeploymentSchema.parse({
    hostname: 'cloud.example.org',
    backends: [{ id: 'cloud', urls: ['https://cloud.example.org'] }],
    nginx: { server: 'apache', mode },
  });

describe('moduleClosure', () => {
  it('puts dependencies first and names what mods-available lacks', () => {
    const host = memoryHost({ files: AVAILABLE });
    expect(moduleClosure(host, DEBIAN_APACHE, ['proxy_http', 'ssl', 'nosuch'])).toEqual({
      order: ['proxy', 'proxy_http', 'setenvif', 'mime', 'socache_shmcb', 'ssl'],
      missing: ['nosuch'],
    });
  });
});

describe('apacheFiles', () => {
  it('site: the virtual host, its sites-enabled link, and a link per module not enabled yet (.load and .conf)', () => {
    const host = memoryHost({
      uid: 0,
      files: {
        ...AVAILABLE,
        '/etc/apache2/mods-enabled/mime.load': { kind: 'link', target: '../mods-available/mime.load' },
      },
    });
    const out = apacheFiles(deployment('site'), host, DEBIAN_APACHE);
    expect(out.problems).toEqual([]);
    const links = Object.fromEntries(out.desired.filter((f) => f.linkTarget).map((f) => [f.path, f.linkTarget]));
    expect(links).toEqual({
      '/etc/apache2/sites-enabled/spreed-signaling.conf': '../sites-available/spreed-signaling.conf',
      '/etc/apache2/mods-enabled/proxy.load': '../mods-available/proxy.load',
      '/etc/apache2/mods-enabled/proxy.conf': '../mods-available/proxy.conf',
      '/etc/apache2/mods-enabled/proxy_http.load': '../mods-available/proxy_http.load',
      '/etc/apache2/mods-enabled/headers.load': '../mods-available/headers.load',
      '/etc/apache2/mods-enabled/setenvif.load': '../mods-available/setenvif.load',
      '/etc/apache2/mods-enabled/socache_shmcb.load': '../mods-available/socache_shmcb.load',
      '/etc/apache2/mods-enabled/ssl.load': '../mods-available/ssl.load',
      '/etc/apache2/mods-enabled/alias.load': '../mods-available/alias.load',
    });
    const site = out.desired.find((f) => f.path === DEBIAN_APACHE.sitePath)?.content ?? '';
    expect(site).toContain('<VirtualHost *:443>');
    expect(site).toContain('SSLCertificateFile "/etc/letsencrypt/live/cloud.example.org/fullchain.pem"');
    expect(site).toMatch(
      /<Location "\/standalone-signaling\/">\n\s+ProxyPass "http:\/\/127\.0\.0\.1:8080\/" upgrade=websocket/,
    );
    expect(site).not.toMatch(/^Listen/m); // Debian's ports.conf listens on 80 and 443
  });

  it('snippet: the include only, the proxy modules, and where to include it', () => {
    const out = apacheFiles(deployment('snippet'), memoryHost({ files: AVAILABLE }), DEBIAN_APACHE);
    expect(out.desired.filter((f) => f.content !== undefined).map((f) => f.path)).toEqual([DEBIAN_APACHE.snippetPath]);
    expect(out.modules).toEqual(['proxy', 'proxy_http', 'headers']);
    expect(out.notices.join('\n')).toContain(
      `add "Include ${DEBIAN_APACHE.snippetPath}" inside the <VirtualHost *:443> of cloud.example.org`,
    );
  });

  it('refuses on the machine when Apache has no such modules, and only notes it when staged', () => {
    const none = apacheFiles(deployment('snippet'), memoryHost({}), DEBIAN_APACHE);
    expect(none.problems.map((p) => p.message)).toEqual([
      'Apache modules not found in /etc/apache2/mods-available: proxy, proxy_http, headers',
    ]);
    const staged = apacheFiles(deployment('snippet'), memoryHost({ root: '/tmp/r' }), DEBIAN_APACHE);
    expect(staged.problems).toEqual([]);
    expect(staged.notices.join('\n')).toMatch(/a2enmod proxy proxy_http headers/);
  });
});
