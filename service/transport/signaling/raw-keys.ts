// Raw 32-byte public keys (X25519, Ed25519) to and from Node KeyObjects, as they travel on the wire.
//
// Through DER (SubjectPublicKeyInfo: a fixed 12-byte header per curve, then the raw key), never JWK: Node 20
// exports an Ed25519/X25519 key as JWK while holding the key's mutex and allocating V8 objects, and a GC there
// that collects the generateKeyPairSync job which made the key runs that job's destructor, which takes the same
// mutex: the main thread waits on itself forever. One CI run's new-device daemon hung so after "import started"
// (gdb: ExportJWKEdKey -> Heap::CollectGarbage -> ~KeyGenJob -> pthread_mutex_lock).

import { createPublicKey, type KeyObject } from 'node:crypto';

export type OkpCurve = 'X25519' | 'Ed25519';

export const RAW_PUBLIC_KEY_LENGTH = 32;

/** SEQUENCE { SEQUENCE { OID 1.3.101.110 (X25519) / 1.3.101.112 (Ed25519) }, BIT STRING (33 bytes: 0 unused bits) }. */
const SPKI_HEADERS: Record<OkpCurve, Buffer> = {
  X25519: Buffer.from('302a300506032b656e032100', 'hex'),
  Ed25519: Buffer.from('302a300506032b6570032100', 'hex'),
};

export function exportRawPublicKey(key: KeyObject): Buffer {
  const spki = key.export({ format: 'der', type: 'spki' });
  const header = spki.subarray(0, spki.length - RAW_PUBLIC_KEY_LENGTH);
  if (!Object.values(SPKI_HEADERS).some((known) => known.equals(header))) throw new Error('not an X25519 or Ed25519 public key');
  return Buffer.from(spki.subarray(header.length));
}

/** Throws when the bytes are not a 32-byte key of that curve. */
export function importRawPublicKey(curve: OkpCurve, raw: Buffer): KeyObject {
  if (raw.length !== RAW_PUBLIC_KEY_LENGTH) throw new Error(`an ${curve} public key is 32 bytes`);
  return createPublicKey({ key: Buffer.concat([SPKI_HEADERS[curve], raw]), format: 'der', type: 'spki' });
}
