// Traefik's file for the front end: the dynamic configuration in the file provider's directory.
// Traefik is not packaged in Debian, and has no command that checks a dynamic file: the file is
// written as rendered, and Traefik's file provider (watch: true) picks it up without a reload.
import type { Deployment } from '../model/deployment.js';
import type { TraefikLayout } from '../model/layout.js';
import { renderTraefik, TRAEFIK_ENTRYPOINT } from '../render/traefik.js';
import { PUBLIC_FILE, type DesiredFile } from './plan.js';

export function traefikFiles(d: Deployment, tl: TraefikLayout): { desired: DesiredFile[]; notices: string[] } {
  const content = renderTraefik(d);
  if (content === undefined) return { desired: [], notices: [] };
  const dir = tl.dynamicPath.replace(/\/[^/]*$/, '');
  return {
    desired: [{ path: tl.dynamicPath, role: 'traefik', content, ownership: PUBLIC_FILE }],
    notices: [
      `Traefik's static configuration must have the entry point "${TRAEFIK_ENTRYPOINT}" (:${d.nginx.httpsPort}) and the file provider watching ${dir} (providers.file.directory, watch: true)`,
      ...(d.nginx.mode === 'snippet'
        ? [
            `the router uses the certificate Traefik already has for ${d.hostname} (its default certificate or a certResolver)`,
          ]
        : []),
      ...(tl.binary ? [] : ['Traefik is not installed here: its file was not validated']),
    ],
  };
}
