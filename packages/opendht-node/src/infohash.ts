// 160-bit DHT keys, as OpenDHT's dht::InfoHash.
import { randomBytes } from 'node:crypto';

import { invalid } from './errors.js';
import { native } from './native.js';

const HEX40 = /^[0-9a-fA-F]{40}$/;

export class InfoHash {
  readonly #bytes: Buffer;

  private constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  /** Parses 40 hex characters (either case). Throws EINVAL otherwise. */
  static fromHex(hex: string): InfoHash {
    if (typeof hex !== 'string' || !HEX40.test(hex)) throw invalid(`not an InfoHash (40 hex characters expected): ${String(hex)}`);
    return new InfoHash(Buffer.from(hex, 'hex'));
  }

  /** Wraps 20 raw bytes. */
  static fromBuffer(bytes: Buffer | Uint8Array): InfoHash {
    if (!(bytes instanceof Uint8Array) || bytes.length !== 20) throw invalid('an InfoHash is exactly 20 bytes');
    return new InfoHash(Buffer.from(bytes));
  }

  /** SHA-1 of `data` (a string is hashed as UTF-8), computed by OpenDHT's InfoHash::get. */
  static get(data: string | Buffer | Uint8Array): InfoHash {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) throw invalid('InfoHash.get() takes a string or a Buffer');
    return new InfoHash(native.infoHashGet(data));
  }

  static random(): InfoHash {
    return new InfoHash(randomBytes(20));
  }

  /** True for a 40-hex string (either case). */
  static isHex(hex: unknown): hex is string {
    return typeof hex === 'string' && HEX40.test(hex);
  }

  /** 40 lowercase hex characters. */
  toString(): string {
    return this.#bytes.toString('hex');
  }

  toJSON(): string {
    return this.toString();
  }

  toBuffer(): Buffer {
    return Buffer.from(this.#bytes);
  }

  equals(other: InfoHash | string): boolean {
    if (other instanceof InfoHash) return this.#bytes.equals(other.#bytes);
    return InfoHash.isHex(other) && other.toLowerCase() === this.toString();
  }
}

export type InfoHashLike = InfoHash | string;

/** Lowercase hex of a key given as InfoHash or 40-hex string; EINVAL naming `what` otherwise. */
export function hashHex(key: InfoHashLike, what: string): string {
  if (key instanceof InfoHash) return key.toString();
  if (InfoHash.isHex(key)) return key.toLowerCase();
  throw invalid(`${what} must be an InfoHash or 40 hex characters, got ${typeof key === 'string' ? JSON.stringify(key) : typeof key}`);
}
