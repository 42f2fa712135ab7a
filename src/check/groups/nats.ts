// NATS: every configured server must greet with its INFO line (in-process NATS has nothing to probe).
import type { CheckIO } from '../io.js';
import type { CheckDef } from '../runner.js';
import type { GroupContext } from './context.js';
import { fail, pass, skip } from './outcome.js';
import { DEFAULT_LOCAL_NATS } from '../../model/defaults.js';

export type NatsIO = Pick<CheckIO, 'natsInfo'>;

export function natsChecks(g: GroupContext<NatsIO>): CheckDef[] {
  const { setup, io } = g;
  const defs: CheckDef[] = [];
  defs.push({
    id: 'nats',
    title: 'NATS',
    timeoutFix: 'something answers on the NATS port but never sends INFO: is it NATS? restart nats-server',
    async run(ctx) {
      const nats = setup.nats;
      if (!nats) return skip('skipped: server.conf not readable');
      if (nats.mode === 'loopback') return skip('in-process NATS (loopback): nothing to probe');
      const urls = nats.mode === 'local' ? [nats.url ?? DEFAULT_LOCAL_NATS] : nats.urls;
      const results = await Promise.all(urls.map((u) => io.natsInfo(u, { timeoutMs: ctx.left() })));
      const bad = results.map((r, i) => ({ r, u: urls[i]! })).filter((x) => !x.r.ok);
      if (bad.length) {
        const first = bad[0]!;
        const msg = first.r.ok ? '' : first.r.message;
        const refused = /ECONNREFUSED/.test(msg);
        return fail(
          `NATS ${refused ? 'not running' : 'not answering'} at ${first.u}: ${msg}${bad.length < urls.length ? ` (${urls.length - bad.length} of ${urls.length} answer)` : ''}`,
          `start it: systemctl start nats-server (the signaling server does not open its port until NATS answers), or use in-process NATS: spreed-setup setup --nats loopback`,
        );
      }
      return pass(`INFO from ${urls.join(', ')}`);
    },
  });
  return defs;
}
