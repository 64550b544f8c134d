// What travels as text on the data channel: the transport's own `link.*` frames (archive header and
// acknowledgement, heartbeat, close handshake, error), validated strictly, and the linking layer's messages,
// carried opaquely (any JSON object with a string `t` outside `link.*`, size-bounded). No I/O.

import { MAX_LINK_MESSAGE_BYTES, type LinkMessage } from '../../contract/link-contract.js';
import { SHA256_HEX } from '../../contract/patterns.js';

/** The prefix of `t` the transport keeps for its own frames. */
export const TRANSPORT_FRAME_PREFIX = 'link.';

export type LinkFrame =
  /** An archive follows as binary messages: exactly `size` bytes whose SHA-256 is `sha256`. */
  | { t: 'link.archive'; size: number; sha256: string }
  /** The receiver got the archive whole and its hash matched. */
  | { t: 'link.archive_ack'; sha256: string }
  /** The receiver got `size` bytes whose hash did not match; the link ends. */
  | { t: 'link.archive_bad' }
  | { t: 'link.ping' }
  /** The sender closes: the receiver answers bye_ack once it has read everything sent before. */
  | { t: 'link.bye' }
  | { t: 'link.bye_ack' }
  /** The sender saw a protocol violation and ends the link. */
  | { t: 'link.error'; reason: string };

/** A text message as read: one of our frames, or a message of the linking layer to hand on unchanged. */
export type TextFrame = { readonly kind: 'frame'; readonly frame: LinkFrame } | { readonly kind: 'message'; readonly message: LinkMessage };

type Validator = (o: Record<string, unknown>) => boolean;

const LINK_FRAMES: Record<LinkFrame['t'], Validator> = {
  'link.archive': (o) => keys(o, 'size', 'sha256') && Number.isSafeInteger(o.size) && (o.size as number) >= 0 && isSha256(o.sha256),
  'link.archive_ack': (o) => keys(o, 'sha256') && isSha256(o.sha256),
  'link.archive_bad': (o) => keys(o),
  'link.ping': (o) => keys(o),
  'link.bye': (o) => keys(o),
  'link.bye_ack': (o) => keys(o),
  'link.error': (o) => keys(o, 'reason') && typeof o.reason === 'string' && o.reason.length <= 200,
};

function keys(o: Record<string, unknown>, ...expected: string[]): boolean {
  const present = Object.keys(o);
  return present.length === expected.length + 1 && expected.every((key) => Object.hasOwn(o, key));
}

function isSha256(value: unknown): boolean {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The frame in a text message, or undefined when it is oversized, not a JSON object with a string `t`, or a
 *  `link.*` frame that is unknown or malformed (all protocol errors). */
export function parseTextFrame(text: string): TextFrame | undefined {
  if (Buffer.byteLength(text, 'utf8') > MAX_LINK_MESSAGE_BYTES) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isJsonObject(value) || typeof value.t !== 'string') return undefined;
  if (!value.t.startsWith(TRANSPORT_FRAME_PREFIX)) return { kind: 'message', message: value as LinkMessage };
  const validate = Object.hasOwn(LINK_FRAMES, value.t) ? LINK_FRAMES[value.t as LinkFrame['t']] : undefined;
  return validate !== undefined && validate(value) ? { kind: 'frame', frame: value as LinkFrame } : undefined;
}

/** The text of a linking-layer message; throws TypeError for what the channel may not carry for it. */
export function encodeLinkMessage(message: unknown): string {
  if (!isJsonObject(message)) throw new TypeError('a link message is a JSON object');
  if (typeof message.t !== 'string') throw new TypeError('a link message has a string `t`');
  if (message.t.startsWith(TRANSPORT_FRAME_PREFIX)) throw new TypeError(`\`t\` may not start with "${TRANSPORT_FRAME_PREFIX}" (the transport's own frames)`);
  let text: string;
  try {
    text = JSON.stringify(message);
  } catch {
    throw new TypeError('a link message must encode as JSON');
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_LINK_MESSAGE_BYTES) throw new TypeError(`a link message is at most ${MAX_LINK_MESSAGE_BYTES} bytes of JSON`);
  return text;
}

export function encodeLinkFrame(frame: LinkFrame): string {
  return JSON.stringify(frame);
}
