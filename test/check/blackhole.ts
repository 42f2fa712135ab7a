// A TCP server that accepts every connection and never sends a byte: the worst endpoint a check can
// meet (TLS, HTTP, websocket, NATS and Janus all wait on it).
import net from 'node:net';

export async function startBlackHole(): Promise<{
  port: number;
  /** The most connections that were open at once (probes in flight together). */
  maxOpen(): number;
  /** Starts counting maxOpen afresh (from the connections open now). */
  resetMax(): void;
  close(): Promise<void>;
}> {
  const sockets = new Set<net.Socket>();
  let most = 0;
  const server = net.createServer((s) => {
    sockets.add(s);
    most = Math.max(most, sockets.size);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    maxOpen: () => most,
    resetMax: () => {
      most = sockets.size;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A server.conf whose every endpoint (listen, NATS, Janus, Nextcloud) is the given port. */
export function blackHoleConf(port: number): string {
  return `# hand-written: every endpoint is a socket that never answers
[http]
listen = 127.0.0.1:${port}

[sessions]
hashkey = ${'a1'.repeat(32)}
blockkey = ${'b2'.repeat(16)}

[clients]
internalsecret = ${'c3'.repeat(32)}

[backend]
backends = cloud

[cloud]
url = http://127.0.0.1:${port}
secret = ${'d4'.repeat(32)}

[nats]
url = nats://127.0.0.1:${port}

[mcu]
type = janus
url = ws://127.0.0.1:${port}
`;
}
