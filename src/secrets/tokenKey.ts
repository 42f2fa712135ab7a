// The RSA key pair a signaling server signs its proxy tokens with (janus-facts §7): the private
// key stays in its secret file (reused on every run, generated only when absent or on --rotate);
// only the public half is ever placed anywhere else.
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';

export const PROXY_TOKEN_SECRET = 'proxy-token';

export interface TokenKeyPair {
  privatePem: string;
  publicPem: string;
  origin: 'file' | 'generated' | 'rotated';
}

/** The pair from an existing private key file, or a new one; an unreadable key is an error value. */
export function resolveTokenKey(
  existing: string | undefined,
  opts: { rotate: boolean; bits: number },
): { ok: true; pair: TokenKeyPair } | { ok: false; reason: string } {
  if (existing !== undefined && existing.trim() !== '' && !opts.rotate) {
    try {
      const key = createPrivateKey(existing);
      if (key.asymmetricKeyType !== 'rsa') return { ok: false, reason: `is a ${key.asymmetricKeyType} key, not RSA` };
      const publicPem = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
      return { ok: true, pair: { privatePem: existing, publicPem, origin: 'file' } };
    } catch {
      return { ok: false, reason: 'is not a PEM private key' };
    }
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: opts.bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    ok: true,
    pair: { privatePem: privateKey, publicPem: publicKey, origin: existing === undefined ? 'generated' : 'rotated' },
  };
}
