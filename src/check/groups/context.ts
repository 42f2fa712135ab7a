// What every check group is built from: the inputs of the run, the IO it may use, and the facts
// derived from them once (the unit's name, the public URL, the local address, trust options).
import { listenBase } from '../../model/urls.js';
import { readBool } from '../../goconf/parse.js';
import type { TlsOptions } from '../../probe/http.js';
import type { OccExec } from '../occ.js';
import type { CheckContext } from '../runner.js';
import type { CheckSetup } from '../setup.js';

export interface CheckInputs {
  setup: CheckSetup;
  /** Public base URL (https://HOST/standalone-signaling): --url, else from the state file. */
  publicUrl?: string;
  /** Trust for the public URL: --ca (PEM) or --insecure. */
  tls: { ca?: Buffer; insecure: boolean };
  /** occ command words (--occ), when given. */
  occ?: string[];
  occExec?: OccExec;
  /** nginx.conf to read worker limits from (already resolved under --root). */
  nginxConf?: string;
  /** Sessions below this count give a capacity warning (default: the install's --sessions). */
  minParticipants?: number;
}

export interface GroupContext<IO> {
  inputs: CheckInputs;
  setup: CheckSetup;
  io: IO;
  /** systemd unit of the signaling server. */
  unit: string;
  /** The fix for a server that has not read server.conf since it changed. */
  restartFix: string;
  /** inputs.publicUrl without trailing slashes. */
  publicUrl?: string;
  /** `http://ADDRESS:PORT` that reaches [http] listen from this host. */
  localBase?: string;
  /** The nginx site file, for fixes. */
  siteFile: string;
  /** `[backend] skipverify` on (any goconf spelling): the server does not verify Nextcloud's certificate. */
  skipVerify: boolean;
  /** Trust options for the public URL, bounded by the check's time left. */
  tlsOpts(ctx: CheckContext): TlsOptions;
}

export function groupContext<IO>(inputs: CheckInputs, io: IO): GroupContext<IO> {
  const { setup } = inputs;
  const unit = setup.layout.unit;
  const publicUrl = inputs.publicUrl?.replace(/\/+$/, '');
  const localBase = setup.listen ? listenBase(setup.listen) : undefined;
  return {
    inputs,
    setup,
    io,
    unit,
    restartFix: `restart the signaling server so it reads server.conf again: systemctl restart ${unit}`,
    ...(publicUrl !== undefined ? { publicUrl } : {}),
    ...(localBase !== undefined ? { localBase } : {}),
    siteFile: setup.layout.nginx.sitePath,
    skipVerify: setup.doc ? readBool(setup.doc, 'backend', 'skipverify') : false,
    tlsOpts: (ctx) => ({
      ...(inputs.tls.ca !== undefined ? { ca: inputs.tls.ca } : {}),
      insecure: inputs.tls.insecure,
      timeoutMs: ctx.left(),
    }),
  };
}

export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
