// Jami's account archive: a JSON object (keys, certificates, Account.* config strings), gzip-compressed,
// or with a password, OpenDHT aesEncrypt(zlib-compressed JSON, password). Unknown keys are kept as they are.

import { promisify } from 'node:util';
import { deflateSync, gunzip, gzipSync, inflate } from 'node:zlib';
import { aesDecrypt, aesEncrypt, aesEncryptWithKey, stretchKey, type StretchedKey } from 'opendht-node';
import { CONTROL_CHARACTERS } from '../contract/patterns.js';
import { checkJsonShape, JsonShapeError } from './json-shape.js';

const gunzipBounded = promisify(gunzip);
const inflateBounded = promisify(inflate);

/**
 * The largest archive JSON we inflate: real archives (keys, certificates, contacts, conversation data) stay far
 * below it, and a 470 KB "archive bomb" that inflates to 458 MiB is stopped here instead of exhausting the heap.
 */
export const MAX_ARCHIVE_JSON_BYTES = 64 * 1024 * 1024;
/** Compressed or encrypted, an archive is never much larger than its JSON: anything beyond is not one. */
export const MAX_ARCHIVE_FILE_BYTES = MAX_ARCHIVE_JSON_BYTES + 1024 * 1024;

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

export type ArchiveProblem = 'bad_password' | 'corrupt' | 'missing_key' | 'too_large';

export class ArchiveError extends Error {
  constructor(readonly problem: ArchiveProblem, message: string) {
    super(message);
    this.name = 'ArchiveError';
  }
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** Inflates off the event loop, stopping as soon as the output passes MAX_ARCHIVE_JSON_BYTES. */
async function decompress(bytes: Buffer): Promise<Buffer> {
  // 256 KiB output chunks instead of zlib's 16 KiB: a 50 MB archive inflates in ~250 ms instead of ~350 (fewer
  // hops between the thread pool and the event loop, fewer buffers to join).
  const bound = { maxOutputLength: MAX_ARCHIVE_JSON_BYTES, chunkSize: 256 * 1024 };
  try {
    return await (isGzip(bytes) ? gunzipBounded(bytes, bound) : inflateBounded(bytes, bound));
  } catch (error) {
    throw (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? tooLargeWhenInflated(MAX_ARCHIVE_JSON_BYTES) : notCompressed();
  }
}

export const tooLargeWhenInflated = (maxJsonBytes: number): ArchiveError =>
  new ArchiveError('too_large', `the archive inflates past ${maxJsonBytes / (1024 * 1024)} MiB: not an account archive`);

export const notCompressed = (): ArchiveError => new ArchiveError('corrupt', 'the archive is not gzip or zlib data (truncated or not an archive)');

export function isGzip(bytes: Buffer): boolean {
  return bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/** Parses the decompressed JSON of an archive, once its shape is known to be one JSON.parse can take. */
export function parseArchiveJson(json: Buffer): ArchiveContent {
  try {
    checkJsonShape(json);
  } catch (error) {
    throw asArchiveError(error);
  }
  return parseArchiveText(json.toString('utf8'));
}

/** A JsonShapeError (json-shape.ts) as the archive's problem; anything else as it is. */
export function asArchiveError(error: unknown): unknown {
  return error instanceof JsonShapeError ? new ArchiveError('too_large', `the archive ${error.message}: not an account archive`) : error;
}

/** The archive's JSON text (its shape checked already, as parseArchiveJson does) as the object it must be. */
export function parseArchiveText(text: string): ArchiveContent {
  let content: unknown;
  try {
    content = JSON.parse(text);
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

export async function unpackPlainArchive(bytes: Buffer): Promise<ArchiveContent> {
  return parseArchiveJson(await decompress(bytes));
}

/** The archive file's bytes: plain (gzip) without a password, aesEncrypt(zlib(JSON)) with one. */
export async function encodeArchive(content: ArchiveContent, password?: string): Promise<Buffer> {
  if (!password) return packPlainArchive(content);
  return aesEncrypt(deflateSync(Buffer.from(JSON.stringify(content), 'utf8')), password);
}

/** A password stretched for sealing an archive (the slow argon2 half of aesEncrypt), with its fresh salt. */
export type SealingKey = StretchedKey;

/** Stretches `password` for encodeReceivedArchive, ahead of time if wanted (about one second, off the JS thread). */
export function stretchArchivePassword(password: string): Promise<SealingKey> {
  return stretchKey(password);
}

/**
 * Re-encodes an archive received in plain form (gzip or zlib JSON) for storage, reusing its compressed
 * bytes when they already have the needed form: a 50 MB archive is not compressed twice. With a key (the
 * password stretched beforehand), the bytes are those aesEncrypt(zlib JSON, password) writes: Jami opens them.
 */
export async function encodeReceivedArchive(received: Buffer, content: ArchiveContent, key?: SealingKey): Promise<Buffer> {
  const gzip = isGzip(received);
  if (!key) return gzip ? received : packPlainArchive(content);
  return aesEncryptWithKey(gzip ? deflateSync(Buffer.from(JSON.stringify(content), 'utf8')) : received, key);
}

/**
 * Opens an encrypted archive file's bytes into their plain form (zlib JSON, as inside Jami's encrypted
 * archives), without parsing the JSON. Throws ArchiveError('bad_password') for a wrong password.
 */
export async function decryptArchive(bytes: Buffer, password: string): Promise<Buffer> {
  const plain = await decrypt(bytes, password);
  await decompress(plain);
  return plain;
}

async function decrypt(bytes: Buffer, password: string): Promise<Buffer> {
  try {
    return await aesDecrypt(bytes, password);
  } catch (error) {
    if ((error as { code?: string }).code === 'EDECRYPT') throw new ArchiveError('bad_password', 'wrong password for this archive');
    throw new ArchiveError('corrupt', 'the archive could not be decrypted (truncated or not an archive)');
  }
}

/** Opens archive file bytes. Without a password the bytes must be gzip/zlib; with one they are decrypted first. */
export async function decodeArchive(bytes: Buffer, password?: string): Promise<ArchiveContent> {
  if (bytes.length > MAX_ARCHIVE_FILE_BYTES) throw new ArchiveError('too_large', 'the file is too large to be an account archive');
  if (looksLikeText(bytes)) throw new ArchiveError('corrupt', 'the file is plain text, not an account archive');
  if (!password) {
    if (!looksCompressed(bytes)) {
      throw new ArchiveError('bad_password', 'the archive is encrypted: a password is needed');
    }
    return unpackPlainArchive(bytes);
  }
  // Inflated once, here: decryptArchive's own check would inflate it a second time.
  return parseArchiveJson(await decompress(await decrypt(bytes, password)));
}

/** Ciphertext and compressed data are never all printable text; a text file is not an archive. */
function looksLikeText(bytes: Buffer): boolean {
  const sample = bytes.subarray(0, 512);
  return sample.length > 0 && sample.every((byte) => byte === 0x09 || byte === 0x0a || byte === 0x0d || (byte >= 0x20 && byte < 0x7f));
}

function looksCompressed(bytes: Buffer): boolean {
  if (bytes.length < 2) return false;
  if (isGzip(bytes)) return true;
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


/** A name an archive carries (Account.alias, Account.displayName), as text fit to show: a peer or a file chose it. */
function archiveName(content: ArchiveContent, key: string): string {
  const name = content[key];
  return typeof name === 'string' ? name.replace(CONTROL_CHARACTERS, '').slice(0, 256) : '';
}

export const archiveAlias = (content: ArchiveContent): string => archiveName(content, 'Account.alias');
export const archiveDisplayName = (content: ArchiveContent): string => archiveName(content, 'Account.displayName');

export const toBase64Pem = (pem: string): string => Buffer.from(pem, 'utf8').toString('base64');

/** The account key and certificate chain (account certificate then its CA), as PEM. */
export function accountSecrets(content: ArchiveContent): { accountKeyPem: string; accountCertPem: string; caKeyPem?: string } {
  const accountKeyPem = fromBase64Pem(content[ArchiveKey.accountKey], ArchiveKey.accountKey);
  const accountCertPem = fromBase64Pem(content[ArchiveKey.accountCert], ArchiveKey.accountCert);
  const caKey = content[ArchiveKey.caKey];
  return { accountKeyPem, accountCertPem, caKeyPem: caKey ? fromBase64Pem(caKey, ArchiveKey.caKey) : undefined };
}
