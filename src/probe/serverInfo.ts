// GET /api/v1/serverinfo (2.0.3+, from a [stats] allowed_ips address): the server's live view of
// its MCU (Janus or the proxies), NATS, gRPC peers and etcd (janus-facts §6, cluster-facts §6).
// The welcome's "mcu" feature is set once at start; only this says whether the MCU is still there.
import { asProbeResult, DEFAULT_TIMEOUT_MS, httpRequest, joinUrl, type TlsOptions } from './http.js';
import type { ProbeResult } from './result.js';

export interface ServerInfoJanus {
  url?: string;
  connected?: boolean;
  version?: string;
}
export interface ServerInfoProxy {
  url?: string;
  connected?: boolean;
  shutdown?: boolean;
  country?: string;
}
export interface ServerInfo {
  version?: string;
  features?: string[];
  sfu?: { mode?: string; janus?: ServerInfoJanus; proxies?: ServerInfoProxy[] };
  nats?: { urls?: string[]; connected?: boolean; serverurl?: string };
  grpc?: { target?: string; connected?: boolean; version?: string }[];
  etcd?: { endpoints?: string[]; active?: string; connected?: boolean };
}

export type ServerInfoAnswer = {
  status: number;
  info?: ServerInfo;
  /** This end's address as the server saw it (what [stats] allowed_ips must name). */
  localAddress?: string;
};

/** The server's serverinfo: `info` when it answered 200 with JSON, else only the status (403: not an allowed IP). */
export function fetchServerInfo(baseUrl: string, opts: TlsOptions = {}): Promise<ProbeResult<ServerInfoAnswer>> {
  return asProbeResult(
    (async () => {
      const res = await httpRequest(joinUrl(baseUrl, '/api/v1/serverinfo'), {
        method: 'GET',
        headers: { Accept: 'application/json' },
        timeoutMs: DEFAULT_TIMEOUT_MS,
        ...opts,
      });
      const answer: ServerInfoAnswer = {
        status: res.status,
        ...(res.localAddress !== undefined ? { localAddress: res.localAddress } : {}),
      };
      if (res.status !== 200) return answer;
      try {
        const json = JSON.parse(res.body) as unknown;
        return json && typeof json === 'object' && !Array.isArray(json)
          ? { ...answer, info: json as ServerInfo }
          : answer;
      } catch {
        return answer;
      }
    })(),
  );
}
