// Helpers around the stand-in occ (fakeOcc.mjs, as an executable occ.mjs): its state file, what it
// holds for Talk, and a process door that runs it in-process.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execaExec, type Exec } from '../../src/register/occ.js';
import { runFakeOcc } from './fakeOcc.mjs';

export const FAKE_OCC = path.resolve(import.meta.dirname, 'occ.mjs');

export interface FakeOccState {
  installed?: boolean;
  maintenance?: boolean;
  needsUpgrade?: boolean;
  talk?: 'enabled' | 'disabled' | 'missing';
  /** Talk's version (app:list); talk:signaling:verify-keys exists from 21.1.1. Default 20.1.3. */
  talkVersion?: string;
  keysValid?: boolean;
  requireUid?: number;
  pcntlMissing?: boolean;
  hang?: boolean;
  appConfig?: { spreed?: Record<string, string> };
  /** config.php values (config:system:get), e.g. overwrite.cli.url */
  systemConfig?: Record<string, string>;
}

/** Writes a state in which Talk lists `servers` with one global `secret` (as Talk stores it). */
export function writeOccState(
  file: string,
  state: FakeOccState & { servers?: Array<{ server: string; verify: boolean }>; secret?: string } = {},
): void {
  const { servers, secret, ...rest } = state;
  const spreed = { ...(rest.appConfig?.spreed ?? {}) };
  if (servers) spreed.signaling_servers = JSON.stringify({ servers, secret: secret ?? '' }).replace(/\//g, '\\/');
  writeFileSync(file, JSON.stringify({ ...rest, appConfig: { spreed } }, null, 2) + '\n');
}

export function readTalk(file: string): {
  servers: Array<{ server: string; verify: boolean }>;
  secret: string;
  spreed: Record<string, string>;
  keysValid?: boolean;
} {
  if (!existsSync(file)) return { servers: [], secret: '', spreed: {} };
  const state = JSON.parse(readFileSync(file, 'utf8'));
  const spreed = state.appConfig?.spreed ?? {};
  const sig = spreed.signaling_servers ? JSON.parse(spreed.signaling_servers) : { servers: [], secret: '' };
  return { servers: sig.servers ?? [], secret: sig.secret ?? '', spreed, keysValid: state.keysValid };
}

export function fileBytes(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/**
 * register's process door with the stand-in occ inside: a call of FAKE_OCC (alone or after node)
 * runs runFakeOcc in this process, as the executable would, and a hanging occ times out like
 * execa after timeoutMs. Every other command (a missing occ, ssh…) runs as a real process.
 */
export function fakeOccExec(files: { stateFile: string; logFile?: string }): Exec {
  return async (file, args, { timeoutMs }) => {
    const viaNode = (file === 'node' || file === process.execPath) && args[0] === FAKE_OCC;
    if (file !== FAKE_OCC && !viaNode) return execaExec(file, args, { timeoutMs });
    const r = runFakeOcc(viaNode ? args.slice(1) : args, files);
    if (r.hangs) {
      await sleep(timeoutMs);
      return { stdout: r.stdout, stderr: r.stderr, timedOut: true, notFound: false };
    }
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, timedOut: false, notFound: false };
  };
}
