// Values as stored on the DHT (dht::Value), and the low-level packing used to craft them.
import { toBinary } from './bytes.js';
import { callNative, invalid } from './errors.js';
import { handle } from './handle.js';
import { PrivateKey, PublicKey } from './keys.js';
import { type NativeValue, native } from './native.js';

export interface Value {
  /** Value id, unique per key (random unless given to put()). */
  id: bigint;
  data: Buffer;
  /** Value type id (0 = user data). */
  type: number;
  /** Sequence number of signed values (edits of the same id increase it). */
  seq: number;
  /** Signer's public key: present only on signed values, whose signature OpenDHT verified. */
  owner?: PublicKey;
  /** 40 hex: id of `owner`. */
  ownerId?: string;
  /** 40 hex: id of the public key the value was encrypted for. */
  recipient?: string;
  signed: boolean;
  /** True for values that travelled encrypted (this node decrypted them: it is the recipient). */
  encrypted: boolean;
  /** OpenDHT's optional user_type string. */
  userType?: string;
}

export function toValue(v: NativeValue): Value {
  const value: Value = {
    id: v.id,
    data: v.data,
    type: v.type,
    seq: v.seq,
    signed: v.signed,
    encrypted: v.encrypted,
  };
  if (v.owner) value.owner = new PublicKey(v.owner);
  if (v.ownerId !== undefined) value.ownerId = v.ownerId;
  if (v.recipient !== undefined) value.recipient = v.recipient;
  if (v.userType !== undefined) value.userType = v.userType;
  return value;
}

export interface PackValueOptions {
  type?: number;
  id?: bigint | number;
  seq?: number;
  /** Sign the value with this key (as SecureDht::sign). */
  signer?: PrivateKey;
}

export function checkType(type: unknown): number {
  if (!Number.isInteger(type) || (type as number) < 0 || (type as number) > 0xffff) {
    throw invalid(`type must be an integer in [0, 65535], got ${String(type)}`);
  }
  return type as number;
}

export function checkId(id: unknown): bigint | number | undefined {
  if (id === undefined) return undefined;
  if (typeof id === 'bigint' && id >= 0n && id < 1n << 64n) return id;
  if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) return id;
  throw invalid(`id must be a non-negative 64-bit integer (bigint or safe number), got ${String(id)}`);
}

/**
 * Low level: the wire form (msgpack) of a value, optionally signed. With DhtRunner.putPacked()
 * it lets a test or a tool put a value exactly as given, e.g. one whose signature was altered.
 */
export function packValue(data: Buffer | Uint8Array, opts: PackValueOptions = {}): Buffer {
  const d = toBinary(data, 'data');
  const type = checkType(opts.type ?? 0);
  const id = checkId(opts.id);
  const seq = opts.seq ?? 0;
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xffff) throw invalid('seq must be an integer in [0, 65535]');
  if (opts.signer !== undefined && !(opts.signer instanceof PrivateKey)) throw invalid('signer must be a PrivateKey');
  const signer = opts.signer ? opts.signer[handle] : null;
  return callNative('could not pack value', () => native.packValue(d, type, id, seq, signer));
}

/** Low level: decodes a packed value; `signatureValid` tells whether its signature checks out. */
export function unpackValue(packed: Buffer | Uint8Array): Value & { signatureValid: boolean } {
  const p = toBinary(packed, 'packed');
  const v = callNative('not a packed OpenDHT value', () => native.unpackValue(p));
  return { ...toValue(v), signatureValid: v.signatureValid };
}
