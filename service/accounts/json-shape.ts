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

/** Throws JsonShapeError when the text nests deeper than MAX_JSON_DEPTH or holds more than MAX_JSON_VALUES values. */
export function checkJsonShape(json: Uint8Array, limits = { depth: MAX_JSON_DEPTH, values: MAX_JSON_VALUES }): void {
  let depth = 0;
  let values = 0;
  for (let i = 0; i < json.length; i += 1) {
    const byte = json[i]!;
    if (byte === QUOTE) {
      i = closingQuote(json, i);
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth += 1;
      values += 1;
      if (depth > limits.depth) throw new JsonShapeError(`nests deeper than ${limits.depth} levels`);
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth -= 1;
    } else if (byte === COMMA) {
      values += 1;
    }
    if (values > limits.values) throw new JsonShapeError(`holds more than ${limits.values} values`);
  }
}

/**
 * Where the string opened at `open` ends (the text's length when it never does: JSON.parse refuses that). The
 * bulk of a large archive is a few long strings: indexOf finds each quote at memchr speed (a byte-by-byte loop
 * took ~180 ms for 50 MB), and a quote is escaped exactly when an odd run of backslashes stands before it.
 */
function closingQuote(json: Uint8Array, open: number): number {
  let from = open + 1;
  for (;;) {
    const quote = json.indexOf(QUOTE, from);
    if (quote < 0) return json.length;
    let backslash = quote - 1;
    while (backslash > open && json[backslash] === BACKSLASH) backslash -= 1;
    if ((quote - 1 - backslash) % 2 === 0) return quote;
    from = quote + 1;
  }
}
