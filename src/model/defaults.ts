// The defaults a deployment starts from: where the server listens, where a local nats-server or
// Janus answers, the public base path. Everything that needs one of these imports it from here.

export const DEFAULT_BASE_PATH = '/standalone-signaling';
export const DEFAULT_LISTEN = '127.0.0.1:8080';
export const DEFAULT_LOCAL_NATS = 'nats://127.0.0.1:4222';
export const DEFAULT_JANUS_URL = 'ws://127.0.0.1:8188';
/** nats-server's and Janus's own default ports, for URLs given without one. */
export const NATS_PORT = 4222;
/** Concurrent sessions `setup` sizes nginx and the services' open-files limits for (--sessions). */
export const DEFAULT_SESSIONS = 10000;
export const SESSIONS_MIN = 100;
export const SESSIONS_MAX = 1_000_000;
