// Raw 32-byte public keys (X25519, Ed25519) to and from Node KeyObjects, as they travel on the wire.

import { createPublicKey, type KeyObject } from 'node:crypto';

export type OkpCurve = 'X25519' | 'Ed25519';

export const RAW_PUBLIC_KEY_LENGTH = 32;

export function exportRawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('not an OKP public key');
  return Buffer.from(jwk.x, 'base64url');
}

/** Throws when the bytes are not a 32-byte key of that curve. */
export function importRawPublicKey(curve: OkpCurve, raw: Buffer): KeyObject {
  if (raw.length !== RAW_PUBLIC_KEY_LENGTH) throw new Error(`an ${curve} public key is 32 bytes`);
  return createPublicKey({ key: { kty: 'OKP', crv: curve, x: raw.toString('base64url') }, format: 'jwk' });
}
