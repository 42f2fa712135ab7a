// Helpers around the stand-in occ (occ.mjs): its state file, and what it holds for Talk.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const FAKE_OCC = path.resolve(import.meta.dirname, 'occ.mjs');

export interface FakeOccState {
  installed?: boolean;
  maintenance?: boolean;
  needsUpgrade?: boolean;
  talk?: 'enabled' | 'disabled' | 'missing';
  keysValid?: boolean;
  requireUid?: number;
  pcntlMissing?: boolean;
  hang?: boolean;
  appConfig?: { spreed?: Record<string, string> };
  /** config.php values (config:system:get), e.g. overwrite.cli.url */
  systemConfig?: Record<string, string>;
}

/** Writes a state in which Talk lists `servers` with one global `secret` (as Talk stores it). */
export function writeOccState(file: string, state: FakeOccState & { servers?: Array<{ server: string; verify: boolean }>; secret?: string } = {}): void {
  const { servers, secret, ...rest } = state;
  const spreed = { ...(rest.appConfig?.spreed ?? {}) };
  if (servers) spreed.signaling_servers = JSON.stringify({ servers, secret: secret ?? '' }).replace(/\//g, '\\/');
  writeFileSync(file, JSON.stringify({ ...rest, appConfig: { spreed } }, null, 2) + '\n');
}

export function readTalk(file: string): { servers: Array<{ server: string; verify: boolean }>; secret: string; spreed: Record<string, string>; keysValid?: boolean } {
  if (!existsSync(file)) return { servers: [], secret: '', spreed: {} };
  const state = JSON.parse(readFileSync(file, 'utf8'));
  const spreed = state.appConfig?.spreed ?? {};
  const sig = spreed.signaling_servers ? JSON.parse(spreed.signaling_servers) : { servers: [], secret: '' };
  return { servers: sig.servers ?? [], secret: sig.secret ?? '', spreed, keysValid: state.keysValid };
}

export function fileBytes(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}
