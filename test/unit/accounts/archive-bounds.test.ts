// Archives that would take the daemon down are refused before they can: an inflate bound, and a shape
// check (depth, number of values) before JSON.parse. Real-sized archives still open.

import { strict as assert } from 'node:assert';
import { deflateSync } from 'node:zlib';
import { ArchiveError, decodeArchive, MAX_ARCHIVE_JSON_BYTES, parseArchiveJson, unpackPlainArchive } from '../../../service/accounts/archive.js';
import { checkJsonShape, JsonShapeError, JsonShapeScan } from '../../../service/accounts/json-shape.js';
import { gzipBomb } from '../../support/archive-bomb.js';
import { SeededRandom } from '../../support/seeded-random.js';

/** The shape check as a byte-by-byte scan (what checkJsonShape did before it skipped strings with indexOf):
 *  the oracle the fast one must agree with. Returns the first limit passed, or 'ok'. */
function shapeByBytes(json: Uint8Array, limits: { depth: number; values: number }): 'depth' | 'values' | 'ok' {
  let depth = 0;
  let values = 0;
  let inString = false;
  for (let i = 0; i < json.length; i += 1) {
    const byte = json[i]!;
    if (inString) {
      if (byte === 0x5c) i += 1;
      else if (byte === 0x22) inString = false;
      continue;
    }
    if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) {
      depth += 1;
      values += 1;
      if (depth > limits.depth) return 'depth';
    } else if (byte === 0x7d || byte === 0x5d) depth -= 1;
    else if (byte === 0x2c) values += 1;
    if (values > limits.values) return 'values';
  }
  return 'ok';
}

function shapeOf(json: Uint8Array, limits: { depth: number; values: number }): 'depth' | 'values' | 'ok' {
  try {
    checkJsonShape(json, limits);
    return 'ok';
  } catch (error) {
    if (!(error instanceof JsonShapeError)) throw error;
    return error.message.startsWith('nests') ? 'depth' : 'values';
  }
}

const tooLarge = (error: unknown) => error instanceof ArchiveError && error.problem === 'too_large';

describe('archive bounds', () => {
  it('refuses an archive that inflates past 64 MiB (a 470 KB gzip of 458 MiB), without inflating it whole', async () => {
    const bomb = gzipBomb(458);
    assert.ok(bomb.length < 500_000, `the bomb is ${bomb.length} bytes`);
    await assert.rejects(unpackPlainArchive(bomb), tooLarge);
    await assert.rejects(decodeArchive(bomb), tooLarge);
    await assert.rejects(unpackPlainArchive(deflateSync(Buffer.alloc(MAX_ARCHIVE_JSON_BYTES + 1))), tooLarge);
  });

  it('opens an archive just under the bound', async () => {
    const content = await unpackPlainArchive(gzipBomb(63));
    assert.equal((content.a as string).length, 63 * 1024 * 1024);
  });

  it('refuses JSON nested deeper than 64 levels, and JSON with more than a million values, before parsing', () => {
    const deep = Buffer.from(`{"a":${'['.repeat(100)}${']'.repeat(100)}}`);
    assert.throws(() => parseArchiveJson(deep), tooLarge);
    const many = Buffer.from(`{"a":[${'0,'.repeat(1_000_001)}0]}`);
    assert.throws(() => parseArchiveJson(many), tooLarge);
  });

  it('counts only structure outside strings', () => {
    checkJsonShape(Buffer.from(JSON.stringify({ text: '[[[[,,,,{{{{ \\" ]]]' })), { depth: 2, values: 2 });
    assert.throws(() => checkJsonShape(Buffer.from('[[[]]]'), { depth: 2, values: 10 }), JsonShapeError);
    assert.throws(() => checkJsonShape(Buffer.from('[1,2,3]'), { depth: 2, values: 2 }), JsonShapeError);
  });

  it('ends a string at the first quote not escaped by an odd run of backslashes', () => {
    const limits = { depth: 1, values: 1 };
    // Inside the string: an escaped quote, then brackets; the string ends after the two backslashes.
    assert.equal(shapeOf(Buffer.from('["a\\"[[[["]'), limits), 'ok');
    assert.equal(shapeOf(Buffer.from('["a\\\\"[[]'), limits), 'depth', 'two backslashes escape each other: the quote ends the string');
    assert.equal(shapeOf(Buffer.from('["\\\\\\"[["]'), limits), 'ok', 'three: the quote is escaped');
    assert.equal(shapeOf(Buffer.from('["never closed [[[['), limits), 'ok');
  });

  it('agrees with a byte-by-byte scan on random text of quotes, backslashes and brackets', () => {
    const random = new SeededRandom(14);
    for (let round = 0; round < 3000; round += 1) {
      const text = random.string(random.int(0, 60), '"\\\\[]{},a');
      const limits = { depth: random.int(1, 4), values: random.int(1, 6) };
      assert.equal(shapeOf(Buffer.from(text), limits), shapeByBytes(Buffer.from(text), limits), `${JSON.stringify(text)} ${JSON.stringify(limits)}`);
    }
  });

  it('gives the same answer in pieces cut anywhere (inside a run of backslashes too) as in one piece', () => {
    const random = new SeededRandom(15);
    const inPieces = (json: Buffer, cuts: number[], limits: { depth: number; values: number }) => {
      const scan = new JsonShapeScan(limits);
      try {
        let from = 0;
        for (const cut of [...cuts, json.length]) {
          scan.write(json.subarray(from, cut));
          from = cut;
        }
        return 'ok';
      } catch (error) {
        if (!(error instanceof JsonShapeError)) throw error;
        return error.message.startsWith('nests') ? 'depth' : 'values';
      }
    };
    for (let round = 0; round < 2000; round += 1) {
      const json = Buffer.from(random.string(random.int(0, 40), '"\\\\[]{},a'));
      const limits = { depth: random.int(1, 4), values: random.int(1, 6) };
      const whole = shapeByBytes(json, limits);
      for (let cut = 0; cut <= json.length; cut += 1) {
        assert.equal(inPieces(json, [cut], limits), whole, `${JSON.stringify(json.toString())} cut at ${cut}`);
      }
      const cuts = Array.from({ length: random.int(0, 8) }, () => random.int(0, json.length)).sort((a, b) => a - b);
      assert.equal(inPieces(json, cuts, limits), whole, `${JSON.stringify(json.toString())} cut at ${cuts.join(',')}`);
    }
  });
});
