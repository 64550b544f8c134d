// The linking layer's vocabulary on the data channel: the control messages the two sessions exchange,
// and the one place where a message from the peer (untrusted JSON the transport carries opaquely) is judged.

import { asFailureWord, type LinkFailureWord } from './link-state.js';

/** Longest password the importer may send (characters); more is a protocol violation, not a password. */
export const MAX_PASSWORD_LENGTH = 4096;
/** A device certificate chain (device, account, CA) is a few KB of PEM. */
const MAX_DEVICE_CHAIN_LENGTH = 32 * 1024;

/** Control messages the two linking sessions exchange over the data channel (JSON). */
export type ControlMessage =
  /** exporter -> importer, after its user confirmed: which authentication the account needs. */
  | { readonly t: 'auth'; readonly scheme: 'none' | 'password' }
  /** importer -> exporter, once its user consented: the password ('' for an account without one). */
  | { readonly t: 'password'; readonly password: string }
  /** exporter -> importer: the password did not open the archive; the importer's user may try again. */
  | { readonly t: 'bad_password' }
  /** exporter -> importer: the archive follows now (seed state 4 on both sides). */
  | { readonly t: 'transfer'; readonly size: number }
  /** importer -> exporter: the account is durably stored; `device` is the new device's certificate chain
   *  (signed by the account, its name as common name), which the old device lists as the account's. */
  | { readonly t: 'stored'; readonly device: string }
  /** either side: the operation ends; the receiver ends with `error`. */
  | { readonly t: 'abort'; readonly error: LinkFailureWord };

type Reader = (o: Record<string, unknown>) => ControlMessage | undefined;

/** Each known type with exactly its fields; the shape of every field checked. */
const READERS: Readonly<Record<ControlMessage['t'], Reader>> = {
  auth: (o) => (hasFields(o, 'scheme') && (o.scheme === 'none' || o.scheme === 'password') ? { t: 'auth', scheme: o.scheme } : undefined),
  password: (o) =>
    hasFields(o, 'password') && typeof o.password === 'string' && o.password.length <= MAX_PASSWORD_LENGTH
      ? { t: 'password', password: o.password }
      : undefined,
  bad_password: (o) => (hasFields(o) ? { t: 'bad_password' } : undefined),
  transfer: (o) => (hasFields(o, 'size') && isCount(o.size) ? { t: 'transfer', size: o.size } : undefined),
  stored: (o) =>
    hasFields(o, 'device') && typeof o.device === 'string' && o.device.length <= MAX_DEVICE_CHAIN_LENGTH
      ? { t: 'stored', device: o.device }
      : undefined,
  // A peer that leaves for a reason we do not know still leaves: its link failed ('network').
  abort: (o) => (hasFields(o, 'error') ? { t: 'abort', error: asFailureWord(o.error) } : undefined),
};

/** The control message in a value received from the peer, or 'malformed' for anything else
 *  (not an object, an unknown type, a missing, extra or ill-shaped field). */
export function readControlMessage(value: unknown): ControlMessage | 'malformed' {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'malformed';
  const o = value as Record<string, unknown>;
  const read = typeof o.t === 'string' && Object.hasOwn(READERS, o.t) ? READERS[o.t as ControlMessage['t']] : undefined;
  return read?.(o) ?? 'malformed';
}

/** `t` and exactly these fields, all own properties. */
function hasFields(o: Record<string, unknown>, ...fields: string[]): boolean {
  const present = Object.keys(o);
  return present.length === fields.length + 1 && fields.every((field) => Object.hasOwn(o, field));
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
