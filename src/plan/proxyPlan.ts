// The proxy MCU's files: this server's token key pair (the private key a secret file the server
// reads, the public key beside it for every proxy's [tokens]) and, for a media node on this host,
// proxy.conf. Pure over HostFacts; the key is generated in secrets/ only when absent.
import { problem, type Problem } from '../errors.js';
import type { HostFacts } from '../io/host.js';
import { PROXY } from '../model/defaults.js';
import type { Deployment } from '../model/deployment.js';
import { renderProxyConf } from '../render/proxyConf.js';
import { PROXY_TOKEN_SECRET, resolveTokenKey } from '../secrets/tokenKey.js';
import { PUBLIC_FILE, type DesiredFile, type Ownership } from './plan.js';

export function proxyFiles(
  d: Deployment,
  host: HostFacts,
  opts: {
    secretOwnership: Ownership;
    rotate: ReadonlySet<string>;
    toolVersion: string;
    /** A cluster node's private key from the cluster secrets (it replaces a differing one here). */
    tokenKeyPem?: string;
  },
): { desired: DesiredFile[]; secretValues: string[]; notices: string[]; problems: Problem[] } {
  const out = {
    desired: [] as DesiredFile[],
    secretValues: [] as string[],
    notices: [] as string[],
    problems: [] as Problem[],
  };
  if (d.mcu.type !== 'proxy') return out;
  const keyPath = d.mcu.tokenKey;
  let existing: string | undefined;
  try {
    const f = host.file(keyPath);
    existing = f?.kind === 'file' ? f.content : undefined;
  } catch {
    out.problems.push(problem(`cannot read ${keyPath}`, 'run as root (sudo)'));
    return out;
  }
  const rotate = opts.tokenKeyPem === undefined && (opts.rotate.has('all') || opts.rotate.has(PROXY_TOKEN_SECRET));
  const r = resolveTokenKey(opts.tokenKeyPem ?? existing, { rotate, bits: PROXY.keyBits });
  if (!r.ok) {
    out.problems.push(
      problem(
        `the proxy token key ${keyPath} ${r.reason}`,
        `move it away (a new pair is generated), or --rotate ${PROXY_TOKEN_SECRET}`,
      ),
    );
    return out;
  }
  const pubPath = PROXY.publicKeyPath(keyPath);
  out.secretValues.push(r.pair.privatePem);
  out.desired.push(
    { path: keyPath, role: 'secret', content: r.pair.privatePem, ownership: opts.secretOwnership },
    { path: pubPath, role: d.proxyNode ? 'proxy' : 'proxy-key', content: r.pair.publicPem, ownership: PUBLIC_FILE },
  );
  if (existing !== undefined) out.secretValues.push(existing);
  if (r.pair.origin !== 'file' && opts.tokenKeyPem === undefined)
    out.notices.push(
      `proxy token key ${r.pair.origin}: add "${d.mcu.tokenId} = ${pubPath}" (with that file) to the [tokens] of every proxy`,
    );
  if (d.proxyNode)
    out.desired.push({
      path: PROXY.configPath,
      role: 'proxy',
      content: renderProxyConf(d, d.proxyNode, { toolVersion: opts.toolVersion }),
      ownership: PUBLIC_FILE,
    });
  return out;
}
