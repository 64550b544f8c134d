// What may travel as text on the data channel: the linking layer's ControlMessages and the transport's own
// "link.*" frames (archive header/ack, heartbeat, close handshake). Strict validation; no I/O.

import type { ControlMessage, LinkFailure } from './link-transport.js';

export const MAX_CONTROL_FRAME_BYTES = 64 * 1024;
const MAX_PASSWORD_LENGTH = 4096;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const LINK_FAILURES: readonly LinkFailure[] = ['network', 'authentication', 'timeout', 'canceled'];

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

export type ChannelFrame = ControlMessage | LinkFrame;

type Validator = (o: Record<string, unknown>) => boolean;

const VALIDATORS: Record<string, Validator> = {
  auth: (o) => keys(o, 'scheme') && (o.scheme === 'none' || o.scheme === 'password'),
  password: (o) => keys(o, 'password') && typeof o.password === 'string' && o.password.length <= MAX_PASSWORD_LENGTH,
  bad_password: (o) => keys(o, 'attemptsLeft') && Number.isSafeInteger(o.attemptsLeft) && (o.attemptsLeft as number) >= 0 && (o.attemptsLeft as number) <= 100,
  transfer: (o) => keys(o, 'size') && Number.isSafeInteger(o.size) && (o.size as number) >= 0,
  stored: (o) => keys(o),
  abort: (o) => keys(o, 'error') && LINK_FAILURES.includes(o.error as LinkFailure),
  'link.archive': (o) => keys(o, 'size', 'sha256') && Number.isSafeInteger(o.size) && (o.size as number) >= 0 && isSha256(o.sha256),
  'link.archive_ack': (o) => keys(o, 'sha256') && isSha256(o.sha256),
  'link.archive_bad': (o) => keys(o),
  'link.ping': (o) => keys(o),
  'link.bye': (o) => keys(o),
  'link.bye_ack': (o) => keys(o),
  'link.error': (o) => keys(o, 'reason') && typeof o.reason === 'string' && o.reason.length <= 200,
};

const CONTROL_TYPES = new Set(['auth', 'password', 'bad_password', 'transfer', 'stored', 'abort']);

function keys(o: Record<string, unknown>, ...expected: string[]): boolean {
  const present = Object.keys(o);
  return present.length === expected.length + 1 && expected.every((key) => Object.hasOwn(o, key));
}

function isSha256(value: unknown): boolean {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

function isFrame(value: unknown): value is ChannelFrame {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const o = value as Record<string, unknown>;
  const validate = typeof o.t === 'string' && Object.hasOwn(VALIDATORS, o.t) ? VALIDATORS[o.t] : undefined;
  return validate !== undefined && validate(o);
}

/** True for a well-formed ControlMessage (the linking layer's vocabulary, not the transport's). */
export function isControlMessage(value: unknown): value is ControlMessage {
  return isFrame(value) && CONTROL_TYPES.has(value.t);
}

export function isLinkFrame(frame: ChannelFrame): frame is LinkFrame {
  return !CONTROL_TYPES.has(frame.t);
}

/** The frame in a text message, or undefined when it is oversized, not JSON, or not a known well-formed frame. */
export function parseChannelFrame(text: string): ChannelFrame | undefined {
  if (Buffer.byteLength(text, 'utf8') > MAX_CONTROL_FRAME_BYTES) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isFrame(value) ? value : undefined;
}

export function encodeChannelFrame(frame: ChannelFrame): string {
  return JSON.stringify(frame);
}
