// Backend ids: the section names the server reserves, and an id derived from a Nextcloud URL.
// Kept out of deployment.ts (zod) so the paths before the wizard's first prompt stay light.

/** Section names the server already uses: a backend id equal to one would collide. */
export const RESERVED_BACKEND_IDS = [
  'app',
  'backend',
  'clients',
  'etcd',
  'federation',
  'geoip',
  'geoip-overrides',
  'continent-overrides',
  'grpc',
  'http',
  'https',
  'mcu',
  'nats',
  'sessions',
  'stats',
  'turn',
  'default',
] as const;

/** A backend id derived from a Nextcloud URL: cloud.example.org -> cloud-example-org. */
export function backendIdFor(url: string, taken: Set<string>): string {
  let base = 'nextcloud';
  try {
    const u = new URL(url);
    base =
      (u.hostname + u.pathname)
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 40)
        .replace(/-+$/, '') || 'nextcloud';
  } catch {
    /* keep default */
  }
  if ((RESERVED_BACKEND_IDS as readonly string[]).includes(base)) base = `nc-${base}`;
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  return id;
}
