// Jami's account archive: a JSON object (keys, certificates, Account.* config strings), gzip-compressed,
// or with a password, OpenDHT aesEncrypt(zlib-compressed JSON, password). Unknown keys are kept as they are.

import { gunzipSync, gzipSync, inflateSync, deflateSync } from 'node:zlib';
import { aesDecrypt, aesEncrypt } from 'opendht-node';

/** The archive's JSON object. Values are strings except a few structured keys (contacts, conversations). */
export type ArchiveContent = Record<string, unknown>;

export const ArchiveKey = {
  caKey: 'ringCaKey',
  accountKey: 'ringAccountKey',
  accountCert: 'ringAccountCert',
  accountCrl: 'ringAccountCRL',
  ethKey: 'ethKey',
  contacts: 'ringAccountContacts',
} as const;

export type ArchiveProblem = 'bad_password' | 'corrupt' | 'missing_key';

export class ArchiveError extends Error {
  constructor(readonly problem: ArchiveProblem, message: string) {
    super(message);
    this.name = 'ArchiveError';
  }
}

const GZIP_MAGIC = [0x1f, 0x8b];

function decompress(bytes: Buffer): Buffer {
  try {
    if (bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) return gunzipSync(bytes);
    return inflateSync(bytes);
  } catch {
    throw new ArchiveError('corrupt', 'the archive is not gzip or zlib data (truncated or not an archive)');
  }
}

/** Parses the decompressed JSON of an archive. */
export function parseArchiveJson(json: Buffer): ArchiveContent {
  let content: unknown;
  try {
    content = JSON.parse(json.toString('utf8'));
  } catch {
    throw new ArchiveError('corrupt', 'the archive does not hold a JSON object');
  }
  if (typeof content !== 'object' || content === null || Array.isArray(content)) {
    throw new ArchiveError('corrupt', 'the archive does not hold a JSON object');
  }
  return content as ArchiveContent;
}

/** The unencrypted archive form: gzip of the JSON (what Jami writes without a password). */
export function packPlainArchive(content: ArchiveContent): Buffer {
  return gzipSync(Buffer.from(JSON.stringify(content), 'utf8'));
}

export function unpackPlainArchive(bytes: Buffer): ArchiveContent {
  return parseArchiveJson(decompress(bytes));
}

/** The archive file's bytes: plain (gzip) without a password, aesEncrypt(zlib(JSON)) with one. */
export async function encodeArchive(content: ArchiveContent, password?: string): Promise<Buffer> {
  if (!password) return packPlainArchive(content);
  return aesEncrypt(deflateSync(Buffer.from(JSON.stringify(content), 'utf8')), password);
}

/**
 * Re-encodes an archive received in plain form (gzip or zlib JSON) for storage, reusing its compressed
 * bytes when they already have the needed form: a 50 MB archive is not compressed twice.
 */
export async function encodeReceivedArchive(received: Buffer, content: ArchiveContent, password?: string): Promise<Buffer> {
  const gzip = received[0] === GZIP_MAGIC[0] && received[1] === GZIP_MAGIC[1];
  if (!password) return gzip ? received : packPlainArchive(content);
  return aesEncrypt(gzip ? deflateSync(Buffer.from(JSON.stringify(content), 'utf8')) : received, password);
}

/**
 * Opens an encrypted archive file's bytes into their plain form (zlib JSON, as inside Jami's encrypted
 * archives), without parsing the JSON. Throws ArchiveError('bad_password') for a wrong password.
 */
export async function decryptArchive(bytes: Buffer, password: string): Promise<Buffer> {
  let plain: Buffer;
  try {
    plain = await aesDecrypt(bytes, password);
  } catch (error) {
    if ((error as { code?: string }).code === 'EDECRYPT') throw new ArchiveError('bad_password', 'wrong password for this archive');
    throw new ArchiveError('corrupt', 'the archive could not be decrypted (truncated or not an archive)');
  }
  decompress(plain);
  return plain;
}

/** Opens archive file bytes. Without a password the bytes must be gzip/zlib; with one they are decrypted first. */
export async function decodeArchive(bytes: Buffer, password?: string): Promise<ArchiveContent> {
  if (looksLikeText(bytes)) throw new ArchiveError('corrupt', 'the file is plain text, not an account archive');
  if (!password) {
    if (!looksCompressed(bytes)) {
      throw new ArchiveError('bad_password', 'the archive is encrypted: a password is needed');
    }
    return unpackPlainArchive(bytes);
  }
  const plain = await decryptArchive(bytes, password);
  return parseArchiveJson(decompress(plain));
}

/** Ciphertext and compressed data are never all printable text; a text file is not an archive. */
function looksLikeText(bytes: Buffer): boolean {
  const sample = bytes.subarray(0, 512);
  return sample.length > 0 && sample.every((byte) => byte === 0x09 || byte === 0x0a || byte === 0x0d || (byte >= 0x20 && byte < 0x7f));
}

function looksCompressed(bytes: Buffer): boolean {
  if (bytes.length < 2) return false;
  if (bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) return true;
  // zlib header: CMF 0x78 and (CMF*256 + FLG) % 31 == 0
  return bytes[0] === 0x78 && ((bytes[0] << 8) | bytes[1]) % 31 === 0;
}

const fromBase64Pem = (value: unknown, key: string): string => {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ArchiveError('missing_key', `the archive has no ${key}`);
  }
  const text = Buffer.from(value, 'base64').toString('utf8');
  if (!text.includes('-----BEGIN')) throw new ArchiveError('corrupt', `${key} is not base64 of PEM`);
  return text;
};

export const toBase64Pem = (pem: string): string => Buffer.from(pem, 'utf8').toString('base64');

/** The account key and certificate chain (account certificate then its CA), as PEM. */
export function accountSecrets(content: ArchiveContent): { accountKeyPem: string; accountCertPem: string; caKeyPem?: string } {
  const accountKeyPem = fromBase64Pem(content[ArchiveKey.accountKey], ArchiveKey.accountKey);
  const accountCertPem = fromBase64Pem(content[ArchiveKey.accountCert], ArchiveKey.accountCert);
  const caKey = content[ArchiveKey.caKey];
  return { accountKeyPem, accountCertPem, caKeyPem: caKey ? fromBase64Pem(caKey, ArchiveKey.caKey) : undefined };
}
