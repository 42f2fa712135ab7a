// This tool's own version, from its package.json (shown by --version and stamped into what it writes).
import { readFileSync } from 'node:fs';

export function toolVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}
