// Argument normalisation for binary data: Buffer, Uint8Array or (UTF-8) string.
import { invalid } from './errors.js';

export type BytesLike = Buffer | Uint8Array | string;

export function toBytes(data: BytesLike, name: string): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array) return data;
  throw invalid(`${name} must be a Buffer, Uint8Array or string`);
}

export function toBinary(data: Buffer | Uint8Array, name: string): Uint8Array {
  if (data instanceof Uint8Array) return data;
  throw invalid(`${name} must be a Buffer or Uint8Array`);
}
