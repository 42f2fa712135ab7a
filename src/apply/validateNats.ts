// Proves a written nats-server config loads: `nats-server -t -c FILE` (it parses and checks every
// field without binding a port), on the file as written (under --root: the staged one).
import { execa } from 'execa';
import type { Target } from '../io/target.js';
import { which } from '../io/target.js';
import { escapeControls } from '../io/output.js';
import type { FileChange } from '../plan/plan.js';
import type { NginxValidation } from './validateNginx.js';

export async function validateNats(
  target: Target,
  written: FileChange[],
  bin = which('nats-server'),
): Promise<NginxValidation> {
  const files = written.filter((c) => c.role === 'nats' && c.content !== undefined);
  if (files.length === 0) return { ok: true };
  if (!bin)
    return {
      ok: true,
      skipped:
        'nats-server is not installed here: its config was not validated (apt install nats-server, then run again)',
    };
  for (const f of files) {
    const r = await execa(bin, ['-t', '-c', target.path(f.path)], { reject: false, timeout: 20000 });
    if (r.exitCode !== 0) {
      const said = escapeControls(
        `${String(r.stderr ?? '')} ${String(r.stdout ?? '')}`.trim().split('\n').at(-1) ?? '',
      );
      return {
        ok: false,
        message: `nats-server -t refused ${f.path}: ${said}`,
        fix: 'correct the cluster file (addresses, ports, the cluster name), then run again',
      };
    }
  }
  return { ok: true };
}
