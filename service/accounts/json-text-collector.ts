// JSON text that comes in pieces (an archive inflating), kept for one JSON.parse at the end, with its long string
// values set aside as they come. A large archive is mostly one or two such values (conversation data: base64):
// parsing them once the last byte is in held the new device's event loop ~80-110 ms for 50 MB (the text is a
// rope to flatten, then a string of its own to copy), on the link's critical path. Set aside, each is already the
// string it will be; the parse at the end meets a placeholder. What JSON.parse makes of the text is the same
// object as without: only a value that is exactly its own text (no escape, no control character) is set aside,
// and its placeholder carries a random nonce this collector made, which no archive's author can know.
// Only a string that spans pieces is set aside (zlib hands out up to 1 MiB at a time): one that lies inside a
// piece stays in the text, which is always correct, and the bulk of a large archive spans many pieces.

import { isAscii } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type { JsonShapeScan } from './json-shape.js';

/** Strings from this many bytes (that span pieces) are set aside (certificates and keys are a few KB). */
export const LONG_STRING_BYTES = 64 * 1024;

const QUOTE = Buffer.from('"');
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const LAST_CONTROL = 0x1f;

/** The string being collected: its bytes so far while it may still be short, its text once long. `ascii`: every
 *  byte of it so far was ASCII, decoded as latin1 (the same text; 37 MB of base64 in 1 MiB pieces took 10-18 ms
 *  here against 35-45 ms through the decoder) without the decoder, which is then as the opening quote left it:
 *  empty. */
type OpenString = { kind: 'pending'; bytes: Buffer[]; length: number } | { kind: 'long'; text: string; verbatim: boolean; ascii: boolean };

export class JsonTextCollector {
  private readonly decoder = new StringDecoder('utf8');
  /** The text so far: appended piece by piece, V8 keeps it as a rope that the parse flattens once. */
  private text = '';
  private open: OpenString | undefined;
  /** A long verbatim string just closed: a value (set aside) unless a ':' follows (a key: kept in the text). */
  private closed: { text: string; whitespace: Buffer[] } | undefined;
  private readonly aside: string[] = [];
  /** A placeholder is NUL, this nonce, ":" and the index of the value in `aside`; parsedPrefix is its start as
   *  JSON.parse gives it back. */
  private readonly nonce = randomBytes(12).toString('hex');
  private readonly parsedPrefix = `\u0000${this.nonce}:`;

  /** `scan` sees every piece first (it throws for a shape refused) and says where strings begin and end in it. */
  constructor(private readonly scan: JsonShapeScan) {}

  /** The next piece of the text, in order; it must not change afterwards (a short string's bytes may wait). */
  write(piece: Buffer): void {
    const inString = this.open !== undefined;
    this.scan.write(piece);
    const { closedAt, openedAt } = this.scan;
    let at = 0;
    if (inString) {
      if (closedAt < 0) return this.stringBytes(piece);
      this.stringBytes(piece.subarray(0, closedAt));
      this.stringClosed();
      at = closedAt + 1;
    }
    if (openedAt < 0) return this.outside(piece.subarray(at));
    this.outside(piece.subarray(at, openedAt));
    this.open = { kind: 'pending', bytes: [], length: 0 };
    this.stringBytes(piece.subarray(openedAt));
  }

  /** The whole text, and what puts the values set aside back into what JSON.parse made of it (in place, and
   *  returned: a text that is one long string parses to its placeholder). */
  finish(): { text: string; restore(parsed: unknown): unknown } {
    this.decideClosed(false);
    const open = this.open;
    this.open = undefined;
    if (open?.kind === 'long') this.text += open.text;
    else if (open !== undefined) this.text += this.decoder.write(Buffer.concat(open.bytes, open.length));
    const text = this.text + this.decoder.end();
    this.text = '';
    return { text, restore: (parsed) => this.restore(parsed) };
  }

  /** The text is not wanted any more (the inflation failed): what it held is let go. */
  discard(): void {
    this.text = '';
    this.open = undefined;
    this.closed = undefined;
    this.aside.length = 0;
  }

  /** Bytes outside any string still open: text, once a long string just closed is known to be a value or a key. */
  private outside(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.closed !== undefined) {
      const next = firstNonWhitespace(bytes);
      if (next < 0) {
        this.closed.whitespace.push(bytes);
        return;
      }
      this.decideClosed(bytes[next] === COLON);
    }
    this.text += this.decoder.write(bytes);
  }

  /** Content bytes of the string open (its closing quote excluded). */
  private stringBytes(bytes: Buffer): void {
    const open = this.open!;
    if (open.kind === 'long') {
      open.ascii &&= isAscii(bytes);
      open.text += open.ascii ? bytes.toString('latin1') : this.decoder.write(bytes);
      open.verbatim &&= isVerbatim(bytes);
      return;
    }
    open.bytes.push(bytes);
    open.length += bytes.length;
    if (open.length < LONG_STRING_BYTES) return;
    const all = Buffer.concat(open.bytes, open.length);
    const ascii = isAscii(all);
    this.open = { kind: 'long', text: ascii ? all.toString('latin1') : this.decoder.write(all), verbatim: isVerbatim(all), ascii };
  }

  /** The open string's closing quote (decoded with it: an incomplete character before it ends there, as in one
   *  decode of the whole). A short one joins the text; a long verbatim one waits to be known as value or key. */
  private stringClosed(): void {
    const open = this.open!;
    this.open = undefined;
    if (open.kind === 'pending') {
      this.text += this.decoder.write(Buffer.concat([...open.bytes, QUOTE], open.length + 1));
      return;
    }
    const end = this.decoder.write(QUOTE);
    const text = open.text + end.slice(0, -1);
    if (open.verbatim) this.closed = { text, whitespace: [] };
    else this.text += `${text}"`;
  }

  /** The long string that closed last goes to the text as it was (a key, followed by ':') or as a placeholder. */
  private decideClosed(isKey: boolean): void {
    const closed = this.closed;
    if (closed === undefined) return;
    this.closed = undefined;
    if (isKey) this.text += `${closed.text}"`;
    else {
      this.text += `\\u0000${this.nonce}:${this.aside.length}"`;
      this.aside.push(closed.text);
    }
    for (const bytes of closed.whitespace) this.text += this.decoder.write(bytes);
  }

  /** `value` with every placeholder in it replaced by the string it stands for: objects and arrays are walked and
   *  changed in place (the shape scan bounded their depth). */
  private restore(value: unknown): unknown {
    if (this.aside.length === 0) return value;
    if (typeof value === 'string') return value.startsWith(this.parsedPrefix) ? this.aside[Number(value.slice(this.parsedPrefix.length))] : value;
    if (typeof value !== 'object' || value === null) return value;
    const slots = value as Record<string, unknown>;
    for (const key of Object.keys(slots)) {
      const member = slots[key];
      if (typeof member === 'object' || (typeof member === 'string' && member.startsWith(this.parsedPrefix))) slots[key] = this.restore(member);
    }
    return value;
  }
}

/** True when the bytes are a string's content exactly as JSON.parse returns it: no escape, no control byte
 *  (which JSON.parse refuses: such a string stays in the text, for the parse to refuse). 33 indexOf passes, each
 *  at memchr speed: ~18-23 ms of the event loop for 50 MB, spread over the transfer (a byte loop: ~180 ms). */
function isVerbatim(bytes: Buffer): boolean {
  if (bytes.indexOf(BACKSLASH) >= 0) return false;
  for (let byte = 0; byte <= LAST_CONTROL; byte++) if (bytes.indexOf(byte) >= 0) return false;
  return true;
}

/** JSON's whitespace: space, tab, line feed, carriage return. */
function firstNonWhitespace(bytes: Buffer): number {
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return i;
  }
  return -1;
}
