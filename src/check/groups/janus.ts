// The MCU: Janus must answer its info request, and the running server must report "mcu" (it
// runs without Janus when Janus was down at its start); Janus must have what Talk needs loaded
// (videoroom, websockets, data channels) and full trickle on.
import type { CheckIO } from '../io.js';
import type { CheckContext, CheckDef } from '../runner.js';
import type { GroupContext } from './context.js';
import { fail, info, pass, skip, warn } from './outcome.js';
import { DEFAULT_JANUS_URL, JANUS, PROXY } from '../../model/defaults.js';
import { LibconfigError, parseLibconfig, type LcGroup, type LcValue } from '../../render/libconfig.js';
import type { JanusConf } from '../setup.js';
import { nonPublicReason } from '../../model/turn.js';
import { reportsServerInfo, TRAIT_SINCE } from '../../model/versions.js';

const JANUS_MAIN = `${JANUS.configDir}/${JANUS.mainFile}`;
const JANUS_WS = `${JANUS.configDir}/${JANUS.websocketsFile}`;
/** What the signaling server needs loaded in Janus (janus-facts §1). */
const JANUS_TALK = { videoroom: 'janus.plugin.videoroom', websockets: 'janus.transport.websockets' } as const;
const JANUS_EVENTS = `${JANUS.configDir}/${JANUS.eventsFile}`;
/** Janus's websocket event handler (janus-facts §4) and the library that holds it. */
const WSEVH = { name: 'janus.eventhandler.wsevh', library: 'libjanus_wsevh.so' } as const;
const WS_LIBRARY = 'libjanus_websockets.so';

export type JanusIO = Pick<CheckIO, 'janusInfo' | 'proxyHello' | 'readFile' | 'websocketUpgrade' | 'serverInfo'>;

/** A libconfig file read for causes: undefined when absent or unparsable (then it tells nothing). */
function parsed(text: string | undefined): LcGroup | undefined {
  if (text === undefined) return undefined;
  try {
    return parseLibconfig(text);
  } catch (err) {
    if (err instanceof LibconfigError) return undefined;
    throw err;
  }
}
const group = (v: LcValue | undefined): LcGroup | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
const listed = (v: LcValue | undefined, item: string): boolean =>
  typeof v === 'string' &&
  v
    .split(',')
    .map((s) => s.trim())
    .includes(item);

/**
 * Why this host's Janus does not answer on the websocket [mcu] url names, read from its own files:
 * the transport disabled, switched off, or listening elsewhere. Undefined when the files tell none.
 */
export function janusWebsocketCause(
  conf: JanusConf | undefined,
  url: string,
): { detail: string; fix: string } | undefined {
  const main = parsed(conf?.main);
  if (listed(group(main?.transports)?.disable, WS_LIBRARY))
    return {
      detail: `the websockets transport is disabled (${WS_LIBRARY} in transports.disable of ${JANUS_MAIN})`,
      fix: `take ${WS_LIBRARY} out of transports.disable in ${JANUS_MAIN} (spreed-setup setup --janus local does), then systemctl restart janus`,
    };
  const general = group(parsed(conf?.websockets)?.general);
  if (!general) return undefined;
  if (general.ws === false)
    return {
      detail: `the websockets transport is off (ws = false in ${JANUS_WS})`,
      fix: `set ws = true in ${JANUS_WS} (spreed-setup setup --janus local does), then systemctl restart janus`,
    };
  let port: string;
  try {
    port = new URL(url).port || String(JANUS.wsPort);
  } catch {
    return undefined;
  }
  const wsPort = general.ws_port === undefined ? String(JANUS.wsPort) : String(general.ws_port);
  if (wsPort !== port)
    return {
      detail: `Janus's websockets listen on port ${wsPort} (ws_port in ${JANUS_WS}), [mcu] url says ${port}`,
      fix: `make them agree: spreed-setup setup --janus local renders both, or set [mcu] url to port ${wsPort}`,
    };
  return undefined;
}

/**
 * Why Janus's configured event handler is not working, from its info and this host's files, or
 * undefined: it is configured (enabled = true) and loaded. `configured` says whether it is at all.
 */
export function janusEventsCause(
  conf: JanusConf | undefined,
  info: Record<string, unknown>,
): { configured: boolean; backend?: string; problem?: { detail: string; fix: string } } {
  const general = group(parsed(conf?.events)?.general);
  if (general?.enabled !== true) return { configured: false };
  const backend = typeof general.backend === 'string' ? general.backend : undefined;
  const at = backend ? { backend } : {};
  if (info.event_handlers !== true)
    return {
      configured: true,
      ...at,
      problem: {
        detail: `the event handler is enabled in ${JANUS_EVENTS}, but Janus loads no event handlers (events.broadcast is off)`,
        fix: `set broadcast = true in the events block of ${JANUS_MAIN} (spreed-setup setup --janus local does), then systemctl restart janus`,
      },
    };
  const loaded = info.events && typeof info.events === 'object' ? Object.keys(info.events) : [];
  if (!loaded.includes(WSEVH.name))
    return {
      configured: true,
      ...at,
      problem: {
        detail: `the event handler is enabled in ${JANUS_EVENTS}, but ${WSEVH.name} is not loaded`,
        fix: `take ${WSEVH.library} out of events.disable in ${JANUS_MAIN}, then systemctl restart janus`,
      },
    };
  return { configured: true, ...at };
}

/** What Janus answered to the Janus check's info request, when it answered. */
async function janusAnswer(ctx: CheckContext): Promise<Record<string, unknown> | undefined> {
  return (await ctx.outcome('janus'))?.data?.info as Record<string, unknown> | undefined;
}

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
      if (mcu.type === 'proxy') return skip('MCU proxy mode: Janus sits behind the proxies (see the proxies check)');
      const url = mcu.url ?? DEFAULT_JANUS_URL;
      const info = await io.janusInfo(url, { timeoutMs: ctx.left() });
      if (!info.ok) {
        const refused = /ECONNREFUSED/.test(info.message);
        // Whatever answered (nothing, or Janus's REST transport on that port), its own files may say why.
        const cause = janusWebsocketCause(setup.janusConf, url);
        if (cause) return fail(`Janus not answering at ${url}: ${cause.detail}`, cause.fix);
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
      return pass(`Janus ${version} answers at ${url}${features ? '; the server reports "mcu"' : ''}`, {
        info: info.info,
      });
    },
  });
  defs.push({
    id: 'janus-talk',
    title: 'Janus for Talk',
    async run(ctx) {
      const info = await janusAnswer(ctx);
      if (!info) return skip('Janus did not answer (see the Janus check)');
      const names = (v: unknown) => (v && typeof v === 'object' ? Object.keys(v) : []);
      const plugins = names(info.plugins);
      const transports = names(info.transports);
      const problems: string[] = [];
      const fixes: string[] = [];
      if (!plugins.includes(JANUS_TALK.videoroom)) {
        problems.push(`videoroom plugin missing (${JANUS_TALK.videoroom} not loaded)`);
        fixes.push(
          `load it: take libjanus_videoroom.so out of plugins.disable in ${JANUS_MAIN} and install janus's plugins, then systemctl restart janus`,
        );
      }
      if (transports.length && !transports.includes(JANUS_TALK.websockets)) {
        problems.push(`websockets transport not loaded (${JANUS_TALK.websockets})`);
        fixes.push(`enable it: ws = true in ${JANUS_WS}, libjanus_websockets.so not in transports.disable`);
      }
      if (info.data_channels !== true) {
        problems.push('data channels not supported (Janus built without usrsctp)');
        fixes.push("install Debian's janus package (built with data channels)");
      }
      if (problems.length) return fail(`Janus cannot serve Talk: ${problems.join('; ')}`, fixes.join('; '));
      if (info['full-trickle'] !== true)
        return warn(
          'full trickle off: calls set up slower (the server logs "Full-Trickle is NOT enabled in Janus!")',
          `set full_trickle = true in the nat block of ${JANUS_MAIN} (spreed-setup setup --janus local does), then systemctl restart janus`,
        );
      return pass('videoroom plugin and websockets transport loaded, data channels, full trickle on');
    },
  });
  defs.push({
    id: 'janus-address',
    title: "Janus's address",
    async run(ctx) {
      const info = await janusAnswer(ctx);
      if (!info) return skip('Janus did not answer (see the Janus check)');
      const publicIp =
        typeof info['public-ip'] === 'string' && info['public-ip'] !== '' ? info['public-ip'] : undefined;
      const localIp = typeof info['local-ip'] === 'string' ? info['local-ip'] : undefined;
      if (publicIp) {
        const why = nonPublicReason(publicIp);
        if (why)
          return fail(
            `Janus announces ${publicIp} as its public address (nat_1_1_mapping), which is ${why}: clients elsewhere cannot send it media`,
            `set nat_1_1_mapping in the nat block of ${JANUS_MAIN} to the address clients reach (spreed-setup setup --janus local --janus-public-ip IP), then systemctl restart janus`,
          );
        return pass(`Janus announces the public address ${publicIp}${localIp ? ` (local ${localIp})` : ''}`);
      }
      const why = localIp ? nonPublicReason(localIp) : undefined;
      if (localIp && why)
        return warn(
          `Janus announces only its local address ${localIp}, which is ${why}: behind NAT, clients reach it only through TURN`,
          `behind 1:1 NAT give Janus the public address: spreed-setup setup --janus local --janus-public-ip IP (nat_1_1_mapping in ${JANUS_MAIN})`,
        );
      return pass(`Janus announces ${localIp ?? 'its own address'} (no NAT mapping)`);
    },
  });
  defs.push({
    id: 'mcu-live',
    title: 'MCU connected now',
    async run(ctx) {
      const mcu = setup.mcu;
      if (!mcu || mcu.type === 'none') return skip('no MCU configured');
      const local = await ctx.outcome('server');
      if (!(local?.status === 'pass' || local?.status === 'warn') || !g.localBase)
        return skip('the local server did not answer (see the local server check)');
      const features = (local.data?.features as string[] | undefined) ?? [];
      if (!reportsServerInfo(features, setup.renderedFor))
        return info(
          `servers before ${TRAIT_SINCE.serverInfo} do not report their MCU's live state (serverinfo); "mcu" in the welcome says only that it was there at start`,
        );
      const r = await io.serverInfo(g.localBase, { timeoutMs: ctx.left() });
      if (!r.ok) return fail(`serverinfo of ${g.localBase}: ${r.message}`, restartFix);
      if (r.status === 403)
        return warn(
          `the server refuses serverinfo to this host (HTTP 403): its MCU's live state cannot be read`,
          `add 127.0.0.1 to [stats] allowed_ips in ${setup.configPath}, then ${restartFix}`,
        );
      const sfu = r.info?.sfu;
      if (!sfu) return fail(`serverinfo (HTTP ${r.status}) names no MCU: the server runs without one`, restartFix);
      if (sfu.mode === 'janus' && sfu.janus) {
        const at = sfu.janus.url ?? (mcu.type === 'janus' ? (mcu.url ?? DEFAULT_JANUS_URL) : '?');
        if (sfu.janus.connected !== true)
          return fail(
            `the server has lost Janus at ${at} (serverinfo: connected false): calls with the MCU fail until it is back`,
            'start Janus (systemctl start janus); the server reconnects by itself',
          );
        return pass(`the server is connected to Janus ${sfu.janus.version ?? ''} at ${at}`.replace('  ', ' '));
      }
      if (sfu.mode === 'proxy') {
        const proxies = sfu.proxies ?? [];
        const down = proxies.filter((p) => p.connected !== true).map((p) => p.url ?? '?');
        if (proxies.length === 0)
          return fail(
            'serverinfo lists no signaling proxy: publishers have nowhere to go',
            `check [mcu] url, then ${restartFix}`,
          );
        if (down.length)
          return fail(
            `the server is not connected to ${down.join(', ')} (serverinfo)`,
            `start the proxy there (systemctl start ${PROXY.unit}) and check its [tokens] (see the proxies check)`,
          );
        const leaving = proxies.filter((p) => p.shutdown === true).map((p) => p.url ?? '?');
        if (leaving.length)
          return warn(
            `${leaving.join(', ')} is shutting down: it takes no new publishers`,
            "wait for the proxy's restart to finish",
          );
        return pass(`the server is connected to ${proxies.length} signaling prox${proxies.length === 1 ? 'y' : 'ies'}`);
      }
      return warn(`serverinfo reports an MCU mode "${String(sfu.mode)}" this tool does not know`, restartFix);
    },
  });
  // Only where this host's Janus has its event handler enabled (servers 2.1.0+: media metrics).
  if (group(parsed(setup.janusConf?.events)?.general)?.enabled === true)
    defs.push({
      id: 'janus-events',
      title: 'Janus events',
      async run(ctx) {
        const info = await janusAnswer(ctx);
        if (!info) return skip('Janus did not answer (see the Janus check)');
        const ev = janusEventsCause(setup.janusConf, info);
        if (ev.problem) return fail(ev.problem.detail, ev.problem.fix);
        if (!ev.backend)
          return fail(
            `the event handler in ${JANUS_EVENTS} has no backend`,
            'spreed-setup setup --janus local points it at the signaling server',
          );
        const up = await io.websocketUpgrade(ev.backend, { protocol: 'janus-events', timeoutMs: ctx.left() });
        if (!up.ok)
          return fail(
            `the event handler's backend ${ev.backend} refuses the janus-events websocket: ${up.message}`,
            `point backend in ${JANUS_EVENTS} at the signaling server's /spreed (its [http] listen; servers before 2.1.0 take no Janus events), then systemctl restart janus`,
          );
        return pass(`${WSEVH.name} loaded; ${ev.backend} takes the janus-events websocket`);
      },
    });
  // Only with the proxy MCU (like the per-backend checks, built from the setup).
  if (setup.mcu?.type === 'proxy')
    defs.push({
      id: 'mcu-proxy',
      title: 'Signaling proxies',
      timeoutFix: `a proxy accepts connections but never answers: systemctl restart ${PROXY.unit} there`,
      async run(ctx) {
        const mcu = setup.mcu;
        if (mcu?.type !== 'proxy') return skip('no proxy MCU configured');
        if (mcu.urlType === 'etcd') return skip('proxies from etcd: not probed');
        const urls = mcu.urls ?? [];
        if (!mcu.tokenId || !mcu.tokenKey || urls.length === 0)
          return fail(
            '[mcu] type = proxy without url, token_id or token_key',
            'spreed-setup setup --janus proxy --proxy-url URL',
          );
        const pem = io.readFile(mcu.tokenKey);
        if (pem === undefined)
          return fail(
            `cannot read the proxy token key ${mcu.tokenKey}`,
            'run check as root (sudo), or fix token_key in [mcu]',
          );
        const pub = PROXY.publicKeyPath(mcu.tokenKey);
        const problems: string[] = [];
        const fixes = new Set<string>();
        const ok: string[] = [];
        for (const url of urls) {
          const r = await io.proxyHello(url, {
            tokenId: mcu.tokenId,
            privateKeyPem: pem,
            timeoutMs: Math.min(ctx.left(), 5000),
          });
          if (r.ok) ok.push(`${url}${r.country ? ` (${r.country})` : ''}`);
          else if (r.code === 'token_rejected') {
            problems.push(`proxy token rejected by ${url} (${r.message})`);
            fixes.add(
              `give that proxy this server's public key: "${mcu.tokenId} = ${pub}" under [tokens] of its proxy.conf (the .pub of ${mcu.tokenKey}), then systemctl reload ${PROXY.unit}; clocks must agree within a minute`,
            );
          } else if (r.code === 'bad_key') {
            problems.push(`${mcu.tokenKey}: ${r.message}`);
            fixes.add(
              `spreed-setup setup --rotate proxy-token makes a new pair (then every proxy needs the new public key)`,
            );
          } else {
            problems.push(`proxy ${url} not answering: ${r.message}`);
            fixes.add(`start it: systemctl start ${PROXY.unit} there, listening where [mcu] url says`);
          }
        }
        if (problems.length) return fail(problems.join('; '), [...fixes].join('; '));
        const local = await ctx.outcome('server');
        const features =
          local?.status === 'pass' || local?.status === 'warn' ? ((local.data?.features as string[]) ?? []) : undefined;
        if (features && !features.includes('mcu'))
          return fail(
            `the proxies accept the token, but the server's features lack "mcu"`,
            `${restartFix} (after the proxies are up)`,
          );
        return pass(`the proxies accept token "${mcu.tokenId}": ${ok.join(', ')}`);
      },
    });
  return defs;
}
