// Every value under the identity key (the record, the tombstones) is AES-256-GCM encrypted under a key derived
// from the token's id, so a DHT node storing it learns neither the id nor the importer's keys.

import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { HEX40 } from '../../contract/patterns.js';

const VERSION = 0x02;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const HEADER_LENGTH = 1 + NONCE_LENGTH + TAG_LENGTH;

function keyFor(id: string): Buffer {
  if (!HEX40.test(id)) throw new Error('a temporary identity id is 40 lowercase hex digits');
  // The id is 160 bits that only holders of the token know: it is the whole secret, no salt adds to it.
  return Buffer.from(hkdfSync('sha256', Buffer.from(id, 'ascii'), Buffer.alloc(0), 'jami-linkd/identity-value/v1', 32));
}

/** version(1) || nonce(12) || GCM tag(16) || ciphertext; the version byte is authenticated. */
export function encryptIdentityValue(id: string, plaintext: Buffer): Buffer {
  const nonce = randomBytes(NONCE_LENGTH);
  const header = Buffer.from([VERSION]);
  const cipher = createCipheriv('aes-256-gcm', keyFor(id), nonce);
  cipher.setAAD(header);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, nonce, cipher.getAuthTag(), ciphertext]);
}

/** The plaintext, or undefined when the value was not encrypted for this id (or was altered). */
export function decryptIdentityValue(id: string, value: Buffer): Buffer | undefined {
  if (value.length < HEADER_LENGTH || value[0] !== VERSION) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyFor(id), value.subarray(1, 1 + NONCE_LENGTH));
    decipher.setAAD(value.subarray(0, 1));
    decipher.setAuthTag(value.subarray(1 + NONCE_LENGTH, HEADER_LENGTH));
    return Buffer.concat([decipher.update(value.subarray(HEADER_LENGTH)), decipher.final()]);
  } catch {
    return undefined;
  }
}
