// Sealing a message to one X25519 public key: a fresh ephemeral key per message, ECDH, HKDF-SHA256, AES-256-GCM.
// Only the holder of the recipient's private key can open it; a DHT listener sees random bytes.

import {
  createCipheriv,
  createDecipheriv,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { exportRawPublicKey, importRawPublicKey, RAW_PUBLIC_KEY_LENGTH } from './raw-keys.js';

/**
 * Which way a sealed value goes, part of the key derivation so one never opens as the other:
 * 'offer' = to the importer's inbox (offer, ready), 'reply' = to the exporter (answer, refusal).
 */
export type SealPurpose = 'offer' | 'reply';

const VERSION = 0x01;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const HEADER_LENGTH = 1 + RAW_PUBLIC_KEY_LENGTH + NONCE_LENGTH + TAG_LENGTH;

function deriveKey(shared: Buffer, ephemeralPublic: Buffer, recipientPublic: Buffer, purpose: SealPurpose): Buffer {
  const salt = Buffer.concat([ephemeralPublic, recipientPublic]);
  return Buffer.from(hkdfSync('sha256', shared, salt, `jami-linkd/seal/v1/${purpose}`, 32));
}

/** version(1) || ephemeral X25519 public(32) || nonce(12) || GCM tag(16) || ciphertext. */
export function seal(recipient: KeyObject, purpose: SealPurpose, plaintext: Buffer): Buffer {
  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralPublic = exportRawPublicKey(ephemeral.publicKey);
  const recipientPublic = exportRawPublicKey(recipient);
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient });
  const key = deriveKey(shared, ephemeralPublic, recipientPublic, purpose);
  const nonce = randomBytes(NONCE_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  const header = Buffer.concat([Buffer.from([VERSION]), ephemeralPublic]);
  cipher.setAAD(header);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, nonce, cipher.getAuthTag(), ciphertext]);
}

/** The plaintext, or undefined when the value is not sealed to this key for this purpose (or was altered). */
export function open(recipientPrivate: KeyObject, recipientPublic: KeyObject, purpose: SealPurpose, sealed: Buffer): Buffer | undefined {
  if (sealed.length < HEADER_LENGTH || sealed[0] !== VERSION) return undefined;
  try {
    const ephemeralPublic = sealed.subarray(1, 1 + RAW_PUBLIC_KEY_LENGTH);
    const nonce = sealed.subarray(1 + RAW_PUBLIC_KEY_LENGTH, 1 + RAW_PUBLIC_KEY_LENGTH + NONCE_LENGTH);
    const tag = sealed.subarray(HEADER_LENGTH - TAG_LENGTH, HEADER_LENGTH);
    const ciphertext = sealed.subarray(HEADER_LENGTH);
    const shared = diffieHellman({ privateKey: recipientPrivate, publicKey: importRawPublicKey('X25519', Buffer.from(ephemeralPublic)) });
    const key = deriveKey(shared, ephemeralPublic, exportRawPublicKey(recipientPublic), purpose);
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(sealed.subarray(0, 1 + RAW_PUBLIC_KEY_LENGTH));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
}
