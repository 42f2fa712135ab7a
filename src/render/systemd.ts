// systemd drop-ins that raise a service's open-files limit (`LimitNOFILE=`), and the reading of
// that setting from a unit and its drop-ins, in systemd's order (later files win).

/** Our drop-in's file name in `/etc/systemd/system/UNIT.service.d/`. */
export const DROP_IN_NAME = 'spreed-setup-limits.conf';
/** The drop-in `systemctl edit` writes: read too, so an admin's value there is seen. */
export const EDIT_DROP_IN_NAME = 'override.conf';

/** Where systemd finds a unit's files, lowest priority first (vendor, then admin). */
export function unitFilePaths(unit: string): { units: string[]; dropInDirs: string[] } {
  const name = `${unit}.service`;
  const dirs = ['/usr/lib/systemd/system', '/lib/systemd/system', '/etc/systemd/system'];
  return { units: dirs.map((d) => `${d}/${name}`), dropInDirs: dirs.map((d) => `${d}/${name}.d`) };
}

export function dropInPath(unit: string): string {
  return `/etc/systemd/system/${unit}.service.d/${DROP_IN_NAME}`;
}

/**
 * The soft open-files limit a unit file (or drop-in) sets in [Service]: a number, `infinity`
 * (MAX_SAFE_INTEGER), null for an empty `LimitNOFILE=` (a reset), undefined when it sets none.
 */
export function limitNofileIn(text: string): number | null | undefined {
  let section = '';
  let value: number | null | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      section = sec[1]!;
      continue;
    }
    if (section !== 'Service') continue;
    const m = /^LimitNOFILE\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    const soft = m[1]!.split(':')[0]!.trim();
    value =
      soft === '' ? null : soft === 'infinity' ? Number.MAX_SAFE_INTEGER : /^\d+$/.test(soft) ? Number(soft) : value;
  }
  return value;
}

/** A drop-in that sets LimitNOFILE (soft and hard) to `nofile`. */
export function renderLimitsDropIn(nofile: number, sessions: number): string {
  if (!Number.isSafeInteger(nofile) || nofile < 1) throw new Error(`LimitNOFILE must be a positive integer: ${nofile}`);
  return `# Written by spreed-setup: open files for about ${sessions} concurrent sessions (setup --sessions).
# A larger value set here by hand is kept by later runs.
[Service]
LimitNOFILE=${nofile}
`;
}
