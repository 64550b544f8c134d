// A linear scan of JSON text before JSON.parse sees it: too deep or too many values would make the parse
// itself the attack (a stack overflow, or millions of tiny objects filling the heap of the daemon).

/** Nesting deeper than this is no archive (Jami's nests a few levels). */
export const MAX_JSON_DEPTH = 64;
/** Values (array elements, object members), counted by their separators; generous for contacts and conversations. */
export const MAX_JSON_VALUES = 1_000_000;

export class JsonShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JsonShapeError';
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

type ShapeLimits = { readonly depth: number; readonly values: number };

/** Throws JsonShapeError when the text nests deeper than MAX_JSON_DEPTH or holds more than MAX_JSON_VALUES values. */
export function checkJsonShape(json: Uint8Array, limits: ShapeLimits = { depth: MAX_JSON_DEPTH, values: MAX_JSON_VALUES }): void {
  new JsonShapeScan(limits).write(json);
}

/**
 * checkJsonShape over text that comes in pieces, cut anywhere (inside a string, between a backslash and what it
 * escapes): the same answer as one scan of the whole. write() throws JsonShapeError as soon as the text so far
 * is too deep or holds too many values.
 */
export class JsonShapeScan {
  private depth = 0;
  private values = 0;
  private inString = false;
  private closed = -1;
  private opened = -1;
  /** Inside a string, the previous piece ended with an odd run of backslashes: the next byte is escaped. */
  private escaped = false;

  constructor(private readonly limits: ShapeLimits = { depth: MAX_JSON_DEPTH, values: MAX_JSON_VALUES }) {}

  /** In the piece last written, the index of the closing quote of the string open when it began (-1: none closed):
   *  where JsonTextCollector's string ends. */
  get closedAt(): number {
    return this.closed;
  }

  /** In the piece last written, the index just past the opening quote of a string it opened and left open (-1:
   *  none): where JsonTextCollector's next string begins. */
  get openedAt(): number {
    return this.opened;
  }

  write(json: Uint8Array): void {
    this.closed = -1;
    this.opened = -1;
    let i = 0;
    if (this.inString) {
      i = this.skipString(json, 0);
      if (!this.inString) this.closed = i - 1;
    }
    while (i < json.length) {
      const byte = json[i]!;
      if (byte === QUOTE) {
        this.inString = true;
        const contentStart = i + 1;
        i = this.skipString(json, contentStart);
        this.opened = this.inString ? contentStart : -1;
        continue;
      }
      if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
        this.depth += 1;
        this.values += 1;
        if (this.depth > this.limits.depth) throw new JsonShapeError(`nests deeper than ${this.limits.depth} levels`);
      } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
        this.depth -= 1;
      } else if (byte === COMMA) {
        this.values += 1;
      }
      if (this.values > this.limits.values) throw new JsonShapeError(`holds more than ${this.limits.values} values`);
      i += 1;
    }
  }

  /**
   * From `from`, inside a string: the index just past its closing quote (leaving the string), or the piece's
   * length when it does not close in this piece. The bulk of a large archive is a few long strings: indexOf finds
   * each quote at memchr speed (a byte-by-byte loop took ~180 ms for 50 MB), and a quote is escaped exactly when
   * an odd run of backslashes stands before it.
   */
  private skipString(json: Uint8Array, from: number): number {
    let at = from;
    if (this.escaped) {
      if (at >= json.length) return at;
      this.escaped = false;
      at += 1;
    }
    for (;;) {
      const quote = json.indexOf(QUOTE, at);
      const end = quote < 0 ? json.length : quote;
      let backslash = end - 1;
      while (backslash >= at && json[backslash] === BACKSLASH) backslash -= 1;
      const odd = (end - 1 - backslash) % 2 === 1;
      if (quote < 0) {
        this.escaped = odd;
        return json.length;
      }
      if (!odd) {
        this.inString = false;
        return quote + 1;
      }
      at = quote + 1;
    }
  }
}
