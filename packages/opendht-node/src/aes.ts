// Password-based encryption as OpenDHT's dht::crypto::aesEncrypt/aesDecrypt(data, password):
// argon2-stretched key (about 1.5 s, run off the JS thread) then AES-GCM.
import { OpenDhtError, awaitNative, invalid } from './errors.js';
import { toBinary } from './bytes.js';
import { native } from './native.js';

// salt (16) + IV (12) + GCM tag (16): anything not longer cannot be an OpenDHT AES blob.
const MIN_CIPHERTEXT = 16 + 12 + 16;

function password(pw: unknown): string {
  if (typeof pw !== 'string') throw invalid('password must be a string');
  return pw;
}

export async function aesEncrypt(data: Buffer | Uint8Array, pw: string): Promise<Buffer> {
  const d = toBinary(data, 'data');
  return awaitNative('could not encrypt', () => native.aesEncrypt(d, password(pw)));
}

/** A key stretched from a password as aesEncrypt stretches it (argon2, then a hash: 32 bytes), and its salt. */
export interface StretchedKey {
  readonly key: Buffer;
  readonly salt: Buffer;
}

/**
 * The slow half of aesEncrypt(data, password), on its own (off the JS thread): stretch a password once, ahead of
 * time, and aesEncryptWithKey is then as fast as AES. Without `salt` a random one is drawn; with a blob's salt
 * (its first 16 bytes) this is the key aesDecrypt derives for it.
 */
export async function stretchKey(pw: string, salt?: Buffer | Uint8Array): Promise<StretchedKey> {
  const p = password(pw);
  const s = salt === undefined ? undefined : toBinary(salt, 'salt');
  return awaitNative('could not stretch the password', () => native.stretchKey(p, s));
}

/** aesEncrypt(data, password) for a password stretched beforehand: the same bytes (salt, IV, ciphertext, tag),
 *  so aesDecrypt(result, password) opens them. */
export async function aesEncryptWithKey(data: Buffer | Uint8Array, stretched: StretchedKey): Promise<Buffer> {
  const d = toBinary(data, 'data');
  const sealed = await awaitNative('could not encrypt', () => native.aesEncryptWithKey(d, stretched.key));
  return Buffer.concat([stretched.salt, sealed]);
}

/**
 * Rejects with code EDECRYPT when the password is wrong or the data was altered (AES-GCM cannot
 * tell the two apart), and EINVAL when the data is too short to be an OpenDHT AES blob.
 */
export async function aesDecrypt(data: Buffer | Uint8Array, pw: string): Promise<Buffer> {
  const d = toBinary(data, 'data');
  const p = password(pw);
  if (d.length <= MIN_CIPHERTEXT) throw invalid(`not OpenDHT AES data: ${d.length} bytes is too short`);
  try {
    return await native.aesDecrypt(d, p);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'EDECRYPT') throw new OpenDhtError('EDECRYPT', 'wrong password or corrupted data', { cause: err });
    throw new OpenDhtError('ENATIVE', `could not decrypt: ${(err as Error).message}`, { cause: err });
  }
}
