// JSON text collected in pieces with its long strings set aside (accounts/json-text-collector.ts): what JSON.parse
// makes of the collected text, once restored, is what it makes of the whole text at once, and JSON.parse refuses
// what it refuses, whatever the pieces; and the long values really are set aside (the text parsed is short).

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { JsonShapeScan } from '../../../service/accounts/json-shape.js';
import { JsonTextCollector, LONG_STRING_BYTES } from '../../../service/accounts/json-text-collector.js';
import { SeededRandom } from '../../support/seeded-random.js';

/** `bytes` cut at random places, pieces of 1 byte to `largest`. */
function pieces(bytes: Buffer, random: SeededRandom, largest: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = random.int(1, Math.min(largest, bytes.length - at));
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

/** The text collected from `bytes` in pieces, parsed and restored; or what the parse threw. */
function collected(bytes: Buffer, cut: Buffer[]): { value?: unknown; error?: unknown; textLength: number } {
  const collector = new JsonTextCollector(new JsonShapeScan());
  for (const piece of cut) collector.write(piece);
  const { text, restore } = collector.finish();
  assert.equal(cut.reduce((sum, piece) => sum + piece.length, 0), bytes.length);
  try {
    return { value: restore(JSON.parse(text)), textLength: text.length };
  } catch (error) {
    return { error, textLength: text.length };
  }
}

function direct(bytes: Buffer): { value?: unknown; error?: unknown } {
  try {
    return { value: JSON.parse(bytes.toString('utf8')) };
  } catch (error) {
    return { error };
  }
}

const long = (length: number, fill = 'x'): string => fill.repeat(Math.ceil(length / fill.length)).slice(0, length);

describe('JSON text collected with its long strings set aside', () => {
  const random = new SeededRandom(2026);
  const data = randomBytes(600_000).toString('base64');

  // Each text, and whether a long string of it is set aside (cut in pieces of at most 70 KB).
  const texts: Array<[string, string | Buffer, boolean]> = [
    ['long values in objects and arrays, nested', JSON.stringify({ a: 'short', data, nested: { list: [data.slice(7), 'x', data.slice(3), { deep: data.slice(11) }] }, n: 1 }), true],
    ['a long key (whitespace cut across pieces before its colon)', `{"${long(200_000, 'k')}"  \n\t  :  "${data}" , "b" : [ "${data.slice(1)}" \n ] }`, true],
    ['long values with escapes (kept in the text)', JSON.stringify({ quoted: `${long(100_000)}"\\\n\u0001é${long(100_000)}`, plain: data }), true],
    ['multibyte characters cut anywhere', JSON.stringify({ emoji: long(300_000, '\u{1F600}é€'), plain: data }), true],
    ['ASCII, then multibyte characters, in one long string', JSON.stringify({ mixed: `${long(200_000)}${long(200_000, 'é\u{1F600}')}x` }), true],
    ['a raw control character in a long string (refused)', `{"a": "${long(100_000)}\u0007${long(100_000)}", "b": "${data}"}`, true],
    ['a raw line feed at the very end of a long string (refused)', `{"a": "${long(100_000)}\n"}`, false],
    ['invalid UTF-8 inside and at the edges of long strings', Buffer.concat([Buffer.from(`{"a": "${long(100_000)}`), Buffer.from([0xf0, 0x9f]), Buffer.from(`", "b": "`), Buffer.from([0xc3]), Buffer.from(`${long(100_000)}\xff"}`, 'latin1')]), true],
    ['a long top-level string (then refused as no object by the archive, but parsed alike)', JSON.stringify(data), true],
    ['a long string left open (refused)', `{"a": "${data}`, false],
    ['a value that looks like a placeholder', JSON.stringify({ a: '\u0000deadbeef:0', b: data, c: '\u0000' }), true],
    ['not JSON after a long value (refused)', `{"a": "${data}" "b": 1}`, true],
    ['a long value that is an object key in an array (refused)', `["${data}": 1]`, false],
  ];

  for (const [what, text, setAside] of texts) {
    it(`parses alike: ${what}`, () => {
      const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
      const expected = direct(bytes);
      for (const largest of [1 << 20, 70_000, 3_000]) {
        const got = collected(bytes, pieces(bytes, random, largest));
        if (largest <= 70_000) assert.equal(got.textLength < bytes.length - LONG_STRING_BYTES, setAside, `${what}: ${got.textLength} characters parsed of ${bytes.length}`);
        if (expected.error !== undefined) assert.ok(got.error instanceof SyntaxError, `${what}: expected a refusal, got ${JSON.stringify(got.value)?.slice(0, 80)}`);
        else assert.deepEqual(got.value, expected.value, what);
      }
    });
  }

  it('parses only the short rest of a text made mostly of long values', () => {
    const bytes = Buffer.from(JSON.stringify({ ringAccountKey: 'k'.repeat(3000), conversations: [{ id: 'bulk', data }], more: data }));
    const got = collected(bytes, pieces(bytes, random, 70_000));
    assert.ok(got.textLength < 10_000, `${got.textLength} characters parsed of ${bytes.length}`);
    assert.deepEqual(got.value, JSON.parse(bytes.toString()));
  });

  it('keeps a string just under the bound in the text, sets one at the bound aside (one that spans pieces)', () => {
    for (const [length, aside] of [[LONG_STRING_BYTES - 1, false], [LONG_STRING_BYTES, true]] as const) {
      const bytes = Buffer.from(JSON.stringify({ a: long(length) }));
      const got = collected(bytes, pieces(bytes, random, 1000));
      assert.equal(got.textLength < 100, aside, `${length} bytes`);
      assert.deepEqual(got.value, { a: long(length) });
    }
  });
});
