// Everything the checks ask of the world, behind one interface: the probes, DNS, files, /proc and
// occ. realCheckIO wires the real ones; unit tests hand a check group fakes instead.
import { readFileSync } from 'node:fs';
import { findNginxWorkerPids, findServerPid } from './capacity.js';
import { execaOcc, type OccExec } from './occ.js';
import { resolveHost, type ResolveResult } from '../probe/dns.js';
import { asProbeResult, httpRequest, type HttpRequestInit, type RawResponse, type TlsOptions } from '../probe/http.js';
import { janusInfo, type JanusInfoResult } from '../probe/janus.js';
import { fetchServerInfo, type ServerInfoAnswer } from '../probe/serverInfo.js';
import { natsInfo, type NatsInfoResult } from '../probe/nats.js';
import { proxyHello, type ProxyHelloResult } from '../probe/proxy.js';
import {
  fetchCapabilities,
  probeNextcloudSecret,
  type CapabilitiesAnswer,
  type TalkSecretAnswer,
} from '../probe/nextcloud.js';
import type { ProbeResult } from '../probe/result.js';
import {
  crossNodeMessage,
  fetchWelcome,
  internalHello,
  signedRoomRequest,
  websocketUpgrade,
  type CrossNodeOptions,
  type CrossNodeResult,
  type InternalHelloOptions,
  type InternalHelloResult,
  type RoomAnswer,
  type SignedRoomRequestOptions,
  type UpgradeResult,
  type WelcomeAnswer,
} from '../probe/signaling.js';
import { tlsCertificate, type TlsCertificateResult } from '../probe/tls.js';
import { stunBinding, turnAllocate } from '../probe/stun.js';
import { readableBy, type Access } from '../io/access.js';

export interface CheckIO {
  /** GET …/api/v1/welcome of the server or through the proxy. */
  welcome(baseUrl: string, opts: TlsOptions): Promise<ProbeResult<WelcomeAnswer>>;
  /** One plain HTTP request. */
  request(url: string, init: HttpRequestInit): Promise<ProbeResult<RawResponse>>;
  websocketUpgrade(wsUrl: string, opts: TlsOptions & { protocol?: string }): Promise<UpgradeResult>;
  internalHello(wsUrl: string, opts: InternalHelloOptions): Promise<InternalHelloResult>;
  /** A message and a control from an internal session on one node to one on another (check --cluster). */
  crossNodeMessage(fromWsUrl: string, toWsUrl: string, opts: CrossNodeOptions): Promise<CrossNodeResult>;
  /** A backend request to the server, signed like Nextcloud's. */
  roomRequest(baseUrl: string, opts: SignedRoomRequestOptions): Promise<ProbeResult<RoomAnswer>>;
  natsInfo(url: string, opts: { timeoutMs: number }): Promise<NatsInfoResult>;
  janusInfo(url: string, opts: { timeoutMs: number }): Promise<JanusInfoResult>;
  /** GET /api/v1/serverinfo of the local server (2.0.3+): the live state of its MCU, NATS, gRPC. */
  serverInfo(baseUrl: string, opts: { timeoutMs: number }): Promise<ProbeResult<ServerInfoAnswer>>;
  /** The hello a signaling server sends a proxy, with a token signed by its private key. */
  proxyHello(
    baseUrl: string,
    opts: { tokenId: string; privateKeyPem: string; timeoutMs: number },
  ): Promise<ProxyHelloResult>;
  tlsCertificate(url: string, opts: TlsOptions): Promise<TlsCertificateResult>;
  /** Nextcloud's capabilities, fetched as the server would. */
  capabilities(nextcloudUrl: string, opts: TlsOptions): Promise<ProbeResult<CapabilitiesAnswer>>;
  /** The one signed probe of Talk's backend endpoint (Nextcloud counts a mismatch as brute force). */
  talkSecret(nextcloudUrl: string, opts: TlsOptions & { secret: string }): Promise<ProbeResult<TalkSecretAnswer>>;
  resolveDns(host: string, opts: { timeoutMs: number }): Promise<ResolveResult>;
  /** A text file's content; undefined when it cannot be read. */
  readFile(file: string): string | undefined;
  /** The pid of the signaling server started with this config file (see capacity.ts). */
  findServerPid(configFile: string, opts: { exactOnly: boolean }): number | undefined;
  /** Pids of the running nginx workers (their /proc/PID/limits bound nginx without worker_rlimit_nofile). */
  findNginxWorkerPids(): number[];
  occ: OccExec;
  /** A STUN Binding request to a STUN/TURN server. */
  stunBinding: typeof stunBinding;
  /** TURN Allocate (401 first, then REST credentials), CreatePermission per peer, release. */
  turnAllocate: typeof turnAllocate;
  /** Whether a system user can read a file (coturn's certificate). */
  readableBy(file: string, user: string): Access;
}

export const realCheckIO: CheckIO = {
  welcome: (baseUrl, opts) => asProbeResult(fetchWelcome(baseUrl, opts)),
  request: (url, init) => asProbeResult(httpRequest(url, init)),
  websocketUpgrade,
  internalHello,
  crossNodeMessage,
  roomRequest: (baseUrl, opts) => asProbeResult(signedRoomRequest(baseUrl, opts)),
  natsInfo,
  janusInfo,
  serverInfo: fetchServerInfo,
  proxyHello,
  tlsCertificate,
  capabilities: (nextcloudUrl, opts) => asProbeResult(fetchCapabilities(nextcloudUrl, opts)),
  talkSecret: (nextcloudUrl, opts) => asProbeResult(probeNextcloudSecret(nextcloudUrl, opts)),
  resolveDns: resolveHost,
  readFile(file) {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  },
  findServerPid,
  findNginxWorkerPids,
  occ: execaOcc,
  stunBinding,
  turnAllocate,
  readableBy,
};
