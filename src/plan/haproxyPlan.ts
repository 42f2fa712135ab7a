// HAProxy's files for the front end: our sections in a managed block of haproxy.cfg (every line
// outside it kept), and for a complete site the certificate HAProxy loads as two links, `crt` to
// the certificate and `<crt>.key` to the key (HAProxy 2.2+ reads the key from there when the PEM
// holds none), so no key is ever copied and renewals need only a reload. Pure over HostFacts.
import type { Deployment } from '../model/deployment.js';
import type { HaproxyLayout } from '../model/layout.js';
import { problem, type Problem } from '../errors.js';
import type { HostFacts } from '../io/host.js';
import {
  HAPROXY_BACKEND,
  haproxyBoundPorts,
  haproxyFrontendLines,
  renderHaproxyBlock,
  withHaproxyBlock,
} from '../render/haproxy.js';
import { defaultCertificatePaths } from '../render/nginx.js';
import { PUBLIC_FILE, type DesiredFile } from './plan.js';

export function haproxyFiles(
  d: Deployment,
  host: HostFacts,
  hl: HaproxyLayout,
): { desired: DesiredFile[]; notices: string[]; problems: Problem[] } {
  const desired: DesiredFile[] = [];
  const notices: string[] = [];
  const problems: Problem[] = [];
  const block = renderHaproxyBlock(d, hl.certPath);
  if (block === undefined) return { desired, notices, problems };
  let f: ReturnType<HostFacts['file']>;
  try {
    f = host.file(hl.configPath);
  } catch {
    f = { kind: 'other' };
  }
  if (f !== undefined && f.kind !== 'file') {
    problems.push(
      problem(
        `${hl.configPath} is not a regular file: spreed-setup leaves it as it is`,
        `replace it with a regular file, or use --web-mode none and add the sections by hand`,
      ),
    );
    return { desired, notices, problems };
  }
  const existing = f?.content;
  if (d.nginx.mode === 'site' && existing !== undefined) {
    const bound = haproxyBoundPorts(existing);
    const taken = [d.nginx.httpsPort, d.nginx.httpPort].filter((p) => bound.has(p));
    if (taken.length)
      problems.push(
        problem(
          `${hl.configPath} already has a frontend bound to port ${taken.join(' and ')}: a second frontend on it would keep HAProxy from starting`,
          `use --web-mode snippet and add to that frontend: ${haproxyFrontendLines(d).join('; ')}`,
        ),
      );
  }
  desired.push({
    path: hl.configPath,
    role: 'haproxy',
    content: withHaproxyBlock(existing, block),
    ownership: f?.kind === 'file' ? { mode: f.mode, label: 'as it was' } : PUBLIC_FILE,
  });
  if (d.nginx.mode === 'site') {
    const le = defaultCertificatePaths(d.hostname);
    const cert = d.nginx.certificate ?? le.certificate;
    const key = d.nginx.key ?? le.key;
    desired.push(
      { path: hl.certPath, role: 'haproxy', linkTarget: cert, ownership: PUBLIC_FILE },
      { path: `${hl.certPath}.key`, role: 'haproxy', linkTarget: key, ownership: PUBLIC_FILE },
    );
    notices.push(
      `HAProxy loads ${cert} through ${hl.certPath} and the key through ${hl.certPath}.key (links: renewals need only "systemctl reload haproxy", e.g. from certbot's --deploy-hook)`,
    );
    notices.push(
      `HAProxy serves no files: renew ${d.hostname}'s certificate with certbot's standalone or DNS challenge, not --webroot ${d.nginx.acmeWebroot}`,
    );
  } else {
    notices.push(
      `add to the frontend that serves ${d.hostname} in ${hl.configPath}: ${haproxyFrontendLines(d).join('; ')} (backend ${HAPROXY_BACKEND} is in spreed-setup's block)`,
    );
  }
  return { desired, notices, problems };
}
