// Janus on this host for Talk (janus-facts §1-3): the settings we own in Debian's janus.jcfg and
// janus.transport.websockets.jcfg, set in place with the libconfig editor so every other line
// (Debian's comments, an admin's own options) survives a re-run.
import type { Deployment, JanusLocal } from '../model/deployment.js';
import { janusRtpPorts } from '../model/deployment.js';
import { DEFAULT_JANUS_URL, JANUS } from '../model/defaults.js';
import { listenBase } from '../model/urls.js';
import { parseLibconfig, setSettings, type LcEdit } from './libconfig.js';

/** The signaling server's TURN REST endpoint as Janus on this host asks it. */
export const turnRestUrl = (listen: string): string => `${listenBase(listen)}/turn/credentials`;

/** The loopback host and port of Janus's websocket, from the MCU URL. */
export function janusWsAddress(d: Deployment): { ip: string; port: number } {
  const url = d.mcu.type === 'janus' ? d.mcu.url : DEFAULT_JANUS_URL;
  const u = new URL(url);
  return { ip: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : JANUS.wsPort };
}

const listOf = (v: unknown): string[] =>
  typeof v === 'string'
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
const union = (had: string[], ours: readonly string[]) => [...new Set([...had, ...ours])].join(',');

/** What we set in janus.jcfg; the TURN REST key (a secret) only when the server has a [turn] section. */
export function janusJcfgEdits(
  d: Deployment,
  j: JanusLocal,
  existing: string,
  turnApiKey?: string,
  events = false,
): LcEdit[] {
  const had = parseLibconfig(existing);
  const group = (g: string) =>
    typeof had[g] === 'object' && !Array.isArray(had[g]) ? (had[g] as Record<string, unknown>) : {};
  const r = janusRtpPorts(d);
  const edits: LcEdit[] = [
    { group: 'media', key: 'rtp_port_range', value: `${r.min}-${r.max}` },
    { group: 'nat', key: 'full_trickle', value: true },
    { group: 'nat', key: 'ice_ignore_list', value: union(listOf(group('nat').ice_ignore_list), JANUS.iceIgnoreList) },
    {
      group: 'transports',
      key: 'disable',
      value: union(listOf(group('transports').disable), JANUS.disabledTransports),
    },
  ];
  if (j.publicIps.length) edits.push({ group: 'nat', key: 'nat_1_1_mapping', value: j.publicIps.join(',') });
  else if (d.turnServer.mode === 'local')
    edits.push(
      { group: 'nat', key: 'stun_server', value: d.hostname },
      { group: 'nat', key: 'stun_port', value: d.turnServer.port },
      // coturn may come up after Janus at boot: the STUN test must not stop Janus (janus-facts §3).
      { group: 'nat', key: 'ignore_unreachable_ice_server', value: true },
    );
  if (d.turn && turnApiKey !== undefined)
    edits.push(
      { group: 'nat', key: 'turn_rest_api', value: turnRestUrl(d.listen) },
      { group: 'nat', key: 'turn_rest_api_key', value: turnApiKey },
      // The server's endpoint answers GET only; Janus's default POST gets a 405 (sig #891).
      { group: 'nat', key: 'turn_rest_api_method', value: 'GET' },
    );
  // The event handlers load only with broadcast on (janus-facts §4).
  if (events) edits.push({ group: 'events', key: 'broadcast', value: true });
  return edits;
}

const HEADER = (what: string, host: string) =>
  `# Janus ${what} for Nextcloud Talk on ${host}, written by spreed-setup; add your own settings anywhere.\n`;

/** janus.jcfg with our settings (Debian's file, or a new one when there is none). */
export function renderJanusJcfg(
  d: Deployment,
  j: JanusLocal,
  existing?: string,
  turnApiKey?: string,
  events = false,
): string {
  const base = existing === undefined || existing.trim() === '' ? HEADER('core', d.hostname) : existing;
  return setSettings(base, janusJcfgEdits(d, j, base, turnApiKey, events));
}

/**
 * janus.eventhandler.wsevh.jcfg for servers 2.1.0+: Janus's events to the signaling server's
 * `/spreed` over the `janus-events` subprotocol (README "Setup of Janus"); the event types an
 * admin chose are kept when there are some (the shipped "all" covers handles, media, webrtc).
 */
export function renderJanusEvents(d: Deployment, existing?: string): string {
  const base = existing === undefined || existing.trim() === '' ? HEADER('event handler', d.hostname) : existing;
  const had = parseLibconfig(base).general;
  const hasEvents = typeof had === 'object' && !Array.isArray(had) && typeof had.events === 'string';
  return setSettings(base, [
    { group: 'general', key: 'enabled', value: true },
    { group: 'general', key: 'backend', value: `${listenBase(d.listen).replace(/^http/, 'ws')}/spreed` },
    { group: 'general', key: 'subprotocol', value: 'janus-events' },
    ...(hasEvents ? [] : [{ group: 'general', key: 'events', value: 'all' }]),
  ]);
}

/** janus.transport.websockets.jcfg: the Janus API on loopback only, no TLS listener, no admin API. */
export function renderJanusWebsockets(d: Deployment, existing?: string): string {
  const base = existing === undefined || existing.trim() === '' ? HEADER('websockets transport', d.hostname) : existing;
  const ws = janusWsAddress(d);
  return setSettings(base, [
    { group: 'general', key: 'ws', value: true },
    { group: 'general', key: 'ws_port', value: ws.port },
    { group: 'general', key: 'ws_ip', value: ws.ip },
    { group: 'general', key: 'wss', value: false },
    { group: 'admin', key: 'admin_ws', value: false },
    { group: 'admin', key: 'admin_wss', value: false },
  ]);
}
