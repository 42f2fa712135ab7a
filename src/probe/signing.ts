// How requests between Nextcloud and the signaling server are signed (facts sheet section 5), and
// the body our signed probes send. Secrets are keys here, never part of a message.
import { createHmac, randomBytes } from 'node:crypto';

/** A body of a request type the server does not know: answered 400 only after authentication passed. */
export const PROBE_BODY = '{"type":"setup-probe"}';

/** Random string for Spreed-Signaling-Random / internal hello: 64 lowercase hex chars. */
export function randomToken(bytes = 32): string {
  return randomBytes(Math.max(16, bytes)).toString('hex');
}

/** Internal-client hello token: lowercase hex HMAC-SHA256(key = internalsecret, message = random). */
export function internalToken(secret: string, random: string): string {
  return createHmac('sha256', secret).update(random).digest('hex');
}

/** Backend request checksum: lowercase hex HMAC-SHA256(key = backend secret, message = random + body). */
export function signBody(secret: string, random: string, body: string | Buffer): string {
  const h = createHmac('sha256', secret);
  h.update(random);
  h.update(body);
  return h.digest('hex');
}

/** The two headers that sign a request body, in either direction (facts sheet section 5). */
export function signingHeaders(secret: string, body: string): Record<string, string> {
  const random = randomToken(32);
  return { 'Spreed-Signaling-Random': random, 'Spreed-Signaling-Checksum': signBody(secret, random, body) };
}
