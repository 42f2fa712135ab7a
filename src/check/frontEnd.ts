// Which web server fronts the public URL, for the check's proxy faults: the one that names itself
// in the Server header of what came back (nginx, Apache and Caddy do; HAProxy and Traefik add
// none, and the signaling server sends none), else the one setup wrote for (the state file).
// Each fault is then said the way that server is configured.
import type { Layout } from '../model/layout.js';
import type { WebServer } from '../model/defaults.js';
import { HAPROXY_BACKEND } from '../render/haproxy.js';

export function frontEndFrom(headers: Record<string, string> | undefined, recorded?: WebServer): WebServer | undefined {
  const server = headers?.server ?? '';
  if (/^nginx\b/i.test(server)) return 'nginx';
  if (/^apache\b/i.test(server)) return 'apache';
  if (/^caddy\b/i.test(server)) return 'caddy';
  return recorded;
}

export interface ProxyFixes {
  /** The name to put before a proxy fault ("Apache: …"), '' when unknown. */
  prefix: string;
  file: string;
  reload: string;
  /** The prefix reaches the server (Go's 404): what strips it on this server. */
  notStripped: { cause: string; fix: string };
  /** No proxying for BASE/spreed on this server. */
  noWebsocketLocation: { cause: string; fix: string };
  /** The upgrade is answered 400 (the headers or the tunnel are missing). */
  noUpgrade: { cause: string; fix: string };
}

export function proxyFixes(
  server: WebServer | undefined,
  layout: Layout,
  opts: { basePath: string; mode?: 'site' | 'snippet' | 'none'; upstream: string },
): ProxyFixes {
  const base = opts.basePath;
  const snippet = opts.mode === 'snippet';
  switch (server) {
    case 'apache': {
      const file = snippet ? layout.apache.snippetPath : layout.apache.sitePath;
      const reload = `systemctl reload ${layout.apache.unit}`;
      return {
        prefix: 'Apache: ',
        file,
        reload,
        notStripped: {
          cause: 'the base path is not stripped (ProxyPass without the trailing slashes)',
          fix: `in ${file}: ProxyPass "${base}/" "${opts.upstream}/" upgrade=websocket (both sides end in /), then ${reload}`,
        },
        noWebsocketLocation: {
          cause: `no ProxyPass covers ${base}/spreed (the websocket location is missing)`,
          fix: `in ${file}: <Location "${base}/"> ProxyPass "${opts.upstream}/" upgrade=websocket </Location> (spreed-setup setup --web-server apache writes it), then ${reload}`,
        },
        noUpgrade: {
          cause: 'mod_proxy_wstunnel not enabled, or ProxyPass without upgrade=websocket: the upgrade does not pass',
          fix: `a2enmod proxy_wstunnel, or add upgrade=websocket to the ProxyPass line in ${file}; then ${reload}`,
        },
      };
    }
    case 'caddy': {
      const file = snippet ? layout.caddy.snippetPath : layout.caddy.sitePath;
      const reload = `systemctl reload ${layout.caddy.unit}`;
      return {
        prefix: 'Caddy: ',
        file,
        reload,
        notStripped: {
          cause: 'the base path is not stripped (use handle_path)',
          fix: `in ${file}: handle_path ${base}/* { reverse_proxy ${opts.upstream} } (handle and route keep the prefix), then ${reload}`,
        },
        noWebsocketLocation: {
          cause: `no handle_path covers ${base}/spreed (the websocket location is missing)`,
          fix: `in ${file}: handle_path ${base}/* { reverse_proxy ${opts.upstream} }, then ${reload}`,
        },
        noUpgrade: {
          cause: 'reverse_proxy does not pass the upgrade (an HTTP/2 transport or h2c:// upstream?)',
          fix: `in ${file}: reverse_proxy ${opts.upstream} with no "transport http { versions 2 }" and no h2c://, then ${reload}`,
        },
      };
    }
    case 'haproxy': {
      const file = layout.haproxy.configPath;
      const reload = `systemctl reload ${layout.haproxy.unit}`;
      return {
        prefix: 'HAProxy: ',
        file,
        reload,
        notStripped: {
          cause: 'the base path is not stripped',
          fix: `in ${file}, backend ${HAPROXY_BACKEND}: http-request replace-path '^${base}(/.*)$' '\\1', then ${reload}`,
        },
        noWebsocketLocation: {
          cause: `no acl sends ${base}/spreed to the signaling backend (the websocket location is missing)`,
          fix: `in the frontend of ${file}: acl spreed_signaling path_beg ${base}/ and use_backend ${HAPROXY_BACKEND} if spreed_signaling, then ${reload}`,
        },
        noUpgrade: {
          cause: 'the upgrade does not pass (proto h2 on the server line, or mode tcp?)',
          fix: `in ${file}, backend ${HAPROXY_BACKEND}: mode http and a server line without proto h2, then ${reload}`,
        },
      };
    }
    case 'traefik': {
      const file = layout.traefik.dynamicPath;
      const reload = 'Traefik reads the file again by itself (file provider, watch: true)';
      return {
        prefix: 'Traefik: ',
        file,
        reload,
        notStripped: {
          cause: 'the base path is not stripped (no stripPrefix middleware on the router)',
          fix: `in ${file}: a stripPrefix middleware with prefixes [${base}] on the router; ${reload}`,
        },
        noWebsocketLocation: {
          cause: `no router matches ${base}/spreed (the websocket location is missing)`,
          fix: `in ${file}: rule Host(\`…\`) && PathPrefix(\`${base}/\`); ${reload}`,
        },
        noUpgrade: {
          cause: 'the upgrade does not pass (an h2c:// server URL?)',
          fix: `in ${file}: loadBalancer.servers url ${opts.upstream} (http://, not h2c://); ${reload}`,
        },
      };
    }
    default: {
      const file = snippet ? layout.nginx.snippetPath : layout.nginx.sitePath;
      const reload = 'systemctl reload nginx';
      return {
        prefix: server === 'nginx' ? 'nginx: ' : '',
        file,
        reload,
        notStripped: {
          cause: 'the proxy forwards the wrong path (proxy_pass without the trailing slash keeps the prefix)',
          fix: `in ${file}: location ${base}/ { proxy_pass http://UPSTREAM/; } (both trailing slashes), then ${reload}`,
        },
        noWebsocketLocation: {
          cause: `no location for ${base}/spreed`,
          fix: `add the /spreed location (spreed-setup setup writes it) and reload nginx`,
        },
        noUpgrade: {
          cause: 'the proxy drops the Upgrade/Connection headers',
          fix: `in ${file}, location …/spreed: proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "Upgrade"; then ${reload}`,
        },
      };
    }
  }
}
