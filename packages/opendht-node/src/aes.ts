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
