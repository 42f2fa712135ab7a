// A media farm of one rendered by `setup --janus proxy --proxy-node local` under a fresh --root,
// and its configs adapted for loopback (ports, and the key files' --root): for the real tests.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../harness/ports.js';
import { tempDir } from '../harness/tmp.js';
import { runInProcess } from '../cli/inProcess.js';

export const HOST = 'hpb.example.org';
export const ETC = 'etc/nextcloud-spreed-signaling';

/** Renders a farm of one under a fresh --root; returns the root and the signaling port. */
export async function renderFarm(version = '2.0.2'): Promise<{ root: string; listenPort: number }> {
  const root = tempDir('spreed-proxy-real-');
  const listenPort = await freePort();
  const r = await runInProcess([
    'setup',
    '--hostname',
    HOST,
    '--nextcloud',
    'https://cloud.example.org',
    '--listen',
    `127.0.0.1:${listenPort}`,
    '--nginx',
    'none',
    '--server-version',
    version,
    '--janus',
    'proxy',
    '--proxy-url',
    'http://127.0.0.1:9091',
    '--proxy-node',
    'local',
    '--proxy-country',
    'DE',
    '--yes',
    '--root',
    root,
  ]);
  if (r.code !== 0) throw new Error(`setup failed: ${r.all}`);
  return { root, listenPort };
}

/** proxy.conf and server.conf as rendered, adapted in ports and the --root of the key files. */
export function loopbackConfigs(
  root: string,
  ports: { proxy: number; janus: number },
): { proxyConf: string; serverConf: string } {
  const abs = (p: string) => path.join(root, p);
  const proxyText = readFileSync(abs(`${ETC}/proxy.conf`), 'utf8')
    .replace('listen = 127.0.0.1:9091', `listen = 127.0.0.1:${ports.proxy}`)
    .replace('url = ws://127.0.0.1:8188', `url = ws://127.0.0.1:${ports.janus}`)
    .replace(` = /${ETC}/proxy-token.pub`, ` = ${abs(`${ETC}/proxy-token.pub`)}`);
  const serverText = readFileSync(abs(`${ETC}/server.conf`), 'utf8')
    .replace('url = http://127.0.0.1:9091', `url = http://127.0.0.1:${ports.proxy}`)
    .replace(`token_key = /${ETC}/proxy-token.key`, `token_key = ${abs(`${ETC}/proxy-token.key`)}`);
  const proxyConf = abs('proxy-loopback.conf');
  const serverConf = abs('server-loopback.conf');
  writeFileSync(proxyConf, proxyText);
  writeFileSync(serverConf, serverText, { mode: 0o600 });
  return { proxyConf, serverConf };
}
