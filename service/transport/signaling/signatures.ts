// Domain-separated signatures: every signed byte string is prefixed with what it is, so a signature
// made for one purpose (an offer, a reply, a tombstone) never verifies as another.

import { sign, verify, type KeyObject } from 'node:crypto';

export type SignaturePurpose = 'identity' | 'tombstone' | 'offer' | 'reply' | 'ready' | 'candidates' | 'gave_up';

function signedBytes(purpose: SignaturePurpose, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`jami-linkd/${purpose}/v1\n`, 'utf8'), data]);
}

/** Ed25519 signs the bytes themselves; RSA (PKCS#1 v1.5) and ECDSA sign their SHA-256. */
function digestFor(key: KeyObject): string | null {
  return key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? null : 'sha256';
}

export function signFor(purpose: SignaturePurpose, data: Buffer, privateKey: KeyObject): Buffer {
  return sign(digestFor(privateKey), signedBytes(purpose, data), privateKey);
}

/** False for any bad signature or unusable key; never throws. */
export function verifyFor(purpose: SignaturePurpose, data: Buffer, signature: Buffer, publicKey: KeyObject): boolean {
  try {
    return verify(digestFor(publicKey), signedBytes(purpose, data), publicKey, signature);
  } catch {
    return false;
  }
}
