// The MCU: Janus must answer its info request, and the running server must report "mcu" (it
// runs without Janus when Janus was down at its start).
import type { CheckIO } from '../io.js';
import type { CheckDef } from '../runner.js';
import type { GroupContext } from './context.js';
import { fail, pass, skip } from './outcome.js';
import { DEFAULT_JANUS_URL } from '../../model/defaults.js';

export type JanusIO = Pick<CheckIO, 'janusInfo'>;

export function janusChecks(g: GroupContext<JanusIO>): CheckDef[] {
  const { setup, io, restartFix } = g;
  const defs: CheckDef[] = [];
  defs.push({
    id: 'janus',
    title: 'Janus',
    timeoutFix: 'Janus accepts connections but never answers: restart janus',
    async run(ctx) {
      const mcu = setup.mcu;
      if (!mcu || mcu.type === 'none') return skip('no MCU configured: calls run peer-to-peer');
      if (mcu.type === 'proxy') return skip('MCU proxy mode: the proxies are not probed');
      const url = mcu.url ?? DEFAULT_JANUS_URL;
      const info = await io.janusInfo(url, { timeoutMs: ctx.left() });
      if (!info.ok) {
        const refused = /ECONNREFUSED/.test(info.message);
        return fail(
          `Janus ${refused ? 'not running' : 'not answering'} at ${url}: ${info.message}`,
          `start it: systemctl start janus, with the websockets transport on that port (janus.transport.websockets.jcfg: ws = true, ws_port); [mcu] url must match`,
        );
      }
      const local = await ctx.outcome('server');
      const features =
        local?.status === 'pass' || local?.status === 'warn' ? ((local.data?.features as string[]) ?? []) : undefined;
      const version = typeof info.info.version_string === 'string' ? info.info.version_string : '?';
      if (features && !features.includes('mcu')) {
        return fail(
          `Janus ${version} answers at ${url}, but the server's features lack "mcu": it runs without Janus`,
          `${restartFix} (after Janus is up)`,
        );
      }
      return pass(`Janus ${version} answers at ${url}${features ? '; the server reports "mcu"' : ''}`);
    },
  });
  return defs;
}
