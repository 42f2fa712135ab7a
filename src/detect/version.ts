// Which server version is installed: the package manager first, then the binary's --version,
// then a running server's welcome. Version strings lie (Debian's 0.4.1 says "unreleased").
import { runQuiet } from '../io/command.js';
import { parseVersion, formatVersion, versionFromFeatures } from '../model/versions.js';
import type { Target } from '../io/target.js';
import type { Layout } from '../model/layout.js';

export interface DetectedVersion {
  version: string;
  source: string;
}

export async function detectServerVersion(
  binary: string | undefined,
  listen?: string,
  opts: { packageManager?: boolean } = {},
): Promise<DetectedVersion | undefined> {
  const dpkg =
    opts.packageManager === false
      ? undefined
      : // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format fields, not a template
        await runQuiet('dpkg-query', ['-W', '-f', '${Status}\t${Version}', 'nextcloud-spreed-signaling'], 5000);
  if (dpkg && dpkg.exitCode === 0 && dpkg.stdout.startsWith('install ok installed')) {
    const v = parseVersion(dpkg.stdout.split('\t')[1]);
    if (v) return { version: formatVersion(v), source: `Debian package ${dpkg.stdout.split('\t')[1]}` };
  }
  if (binary) {
    const out = await runQuiet(binary, ['--version'], 5000);
    const m = /version\s+(\S+)/.exec(out.stdout);
    const v = parseVersion(m?.[1]);
    if (v) return { version: formatVersion(v), source: `${binary} --version` };
  }
  if (listen) {
    const { fetchWelcome } = await import('../probe/signaling.js');
    try {
      const w = await fetchWelcome(`http://${listen}`, { timeoutMs: 1500 });
      if (w.status === 200) {
        const reported = parseVersion((w.json as { version?: string } | undefined)?.version);
        if (reported) return { version: formatVersion(reported), source: `running server on ${listen}` };
        return {
          version: versionFromFeatures(w.features),
          source: `features of the running server on ${listen} (at least)`,
        };
      }
    } catch {
      /* nothing running there */
    }
  }
  return undefined;
}

/**
 * The installed server's version as this run may see it. Under --root only the staged tree counts:
 * its binary, if one was staged; never the host's packages or the host's listening ports.
 */
export function detectInstalledVersion(
  target: Target,
  layout: Layout,
  listen: string,
): Promise<DetectedVersion | undefined> {
  if (target.root)
    return detectServerVersion(layout.binary ? target.path(layout.binary) : undefined, undefined, {
      packageManager: false,
    });
  return detectServerVersion(layout.binary, listen);
}
