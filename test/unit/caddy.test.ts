// The Caddy renderer: the import line added once at the end of the Caddyfile, every other byte
// kept; the snippet and the site block.
import { describe, expect, it } from 'vitest';
import { renderCaddy, withImport } from '../../src/render/caddy.js';
import { DeploymentSchema } from '../../src/model/deployment.js';

describe('withImport', () => {
  it('appends the import once, keeping the file as it was', () => {
    const admins = ':80 {\n\tfile_server\n}';
    const once = withImport(admins, '/etc/caddy/x.caddy')!;
    expect(once.startsWith(`${admins}\n`)).toBe(true);
    expect(once).toMatch(/\nimport \/etc\/caddy\/x\.caddy\n$/);
    expect(withImport(once, '/etc/caddy/x.caddy')).toBeUndefined();
    expect(withImport('', '/etc/caddy/x.caddy')).toMatch(/^\n# Nextcloud Talk.*\nimport \/etc\/caddy\/x\.caddy\n$/);
  });
});

describe('renderCaddy', () => {
  const d = (nginx: object) =>
    DeploymentSchema.parse({
      hostname: 'hpb.example.org',
      backends: [{ id: 'cloud', urls: ['https://cloud.example.org'] }],
      nginx: { server: 'caddy', ...nginx },
    });
  it('snippet: handle_path strips the prefix, header_up inside reverse_proxy', () => {
    const { snippet, site } = renderCaddy(d({ mode: 'snippet' }));
    expect(site).toBeUndefined();
    expect(snippet).toContain(
      'handle_path /standalone-signaling/* {\n\treverse_proxy http://127.0.0.1:8080 {\n\t\theader_up X-Real-IP {remote_host}\n\t}\n}',
    );
  });
  it('site: automatic HTTPS unless a certificate is given; a port other than 443 in the address', () => {
    expect(renderCaddy(d({})).site).toMatch(/^hpb\.example\.org \{$/m);
    expect(renderCaddy(d({})).site).not.toContain('tls ');
    const own = renderCaddy(
      d({ certificate: '/c.pem', key: '/k.pem', httpsPort: 8443, bindAddress: '127.0.0.1' }),
    ).site;
    expect(own).toMatch(/^hpb\.example\.org:8443 \{\n\tbind 127\.0\.0\.1\n\ttls "\/c\.pem" "\/k\.pem"$/m);
  });
});
