// The archive inflated while it arrives (accounts/archive-inflation.ts) gives the content a whole inflate and parse
// give, whatever the pieces, and refuses what decompress() and parseArchiveJson refuse: a corrupt stream, a bomb,
// nothing at all, JSON too deep or not an object.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { deflateSync, gzipSync } from 'node:zlib';
import { ArchiveInflation } from '../../../service/accounts/archive-inflation.js';
import { ArchiveError } from '../../../service/accounts/archive.js';
import { gzipBomb } from '../../support/archive-bomb.js';
import { SeededRandom } from '../../support/seeded-random.js';

/** `bytes` cut at random places (1-byte pieces included: the format is told from two bytes). */
function pieces(bytes: Buffer, random: SeededRandom): Buffer[] {
  const out: Buffer[] = [bytes.subarray(0, 1)];
  for (let at = 1; at < bytes.length; ) {
    const size = random.int(1, Math.min(70_000, bytes.length - at));
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

const problem = (expected: string) => (error: unknown) => error instanceof ArchiveError && error.problem === expected;

describe('an archive inflated while it arrives', () => {
  const random = new SeededRandom(14);
  // Random text compresses little: the stream is several hundred KB, many zlib chunks either way.
  const json = Buffer.from(JSON.stringify({ ringAccountKey: random.string(400_000), 'Account.alias': 'Ada' }));

  for (const [format, compress] of [['gzip (Jami without a password)', gzipSync], ['zlib (inside an encrypted archive)', deflateSync]] as const) {
    it(`gives the JSON a whole inflate gives, for ${format} in pieces of any size`, async () => {
      const compressed = compress(json);
      const inflation = new ArchiveInflation();
      for (const piece of pieces(compressed, random)) inflation.write(piece);
      assert.equal(inflation.bytesTaken, compressed.length);
      assert.deepEqual(await inflation.finish(), JSON.parse(json.toString()));
    });
  }

  it('gives the same content for an archive of several batches (3 MB of incompressible data), views or copies', async () => {
    const big = Buffer.from(JSON.stringify({ ringAccountKey: randomBytes(2_300_000).toString('base64') }));
    const compressed = gzipSync(big, { level: 1 });
    assert.ok(compressed.length > 2 * 1024 * 1024, `${compressed.length} bytes`);
    // Views of one buffer (as the framed channel hands them) are joined without a copy; pieces of their own are copied.
    for (const fed of [(piece: Buffer) => piece, (piece: Buffer) => Buffer.from(piece)]) {
      const inflation = new ArchiveInflation();
      for (const piece of pieces(compressed, random)) inflation.write(fed(piece));
      assert.deepEqual(await inflation.finish(), JSON.parse(big.toString()));
    }
  });

  it('decodes UTF-8 that zlib hands back cut inside a character', async () => {
    // Four-byte characters from the first byte on: zlib's output pieces (64 KiB and up) end inside some of them.
    const text = { 'Account.displayName': '\u{1F600}é'.repeat(200_000) };
    const inflation = new ArchiveInflation();
    for (const piece of pieces(gzipSync(JSON.stringify(text)), random)) inflation.write(piece);
    assert.deepEqual(await inflation.finish(), text);
  });

  it('refuses JSON too deep (too_large), and text that is no JSON object (corrupt), as parseArchiveJson does', async () => {
    for (const [what, json, expected] of [
      ['nested 100 deep', `${'['.repeat(100)}${']'.repeat(100)}`, 'too_large'],
      ['not JSON', '{"a": ', 'corrupt'],
      ['an array', '[1, 2]', 'corrupt'],
      ['a string', '"text"', 'corrupt'],
    ] as const) {
      const inflation = new ArchiveInflation();
      inflation.write(gzipSync(json));
      await assert.rejects(inflation.finish(), problem(expected), what);
    }
  });

  it('refuses a corrupt stream, an empty one, and one cut short', async () => {
    const compressed = gzipSync(json);
    const corrupt = Buffer.from(compressed);
    corrupt.fill(0x55, 100, 200);
    for (const [what, bytes] of [['corrupt', corrupt], ['empty', Buffer.alloc(0)], ['one byte', compressed.subarray(0, 1)], ['cut short', compressed.subarray(0, compressed.length - 10)]] as const) {
      const inflation = new ArchiveInflation();
      inflation.write(bytes);
      await assert.rejects(inflation.finish(), problem('corrupt'), what);
    }
  });

  it('stops a bomb at the bound', async () => {
    const inflation = new ArchiveInflation(8 * 1024 * 1024);
    for (const piece of pieces(gzipBomb(64), random)) inflation.write(piece);
    await assert.rejects(inflation.finish(), problem('too_large'));
  });

  it('lets go when the link ends: abort() rejects, later bytes are ignored', async () => {
    const inflation = new ArchiveInflation();
    const compressed = gzipSync(json);
    inflation.write(compressed.subarray(0, 1000));
    inflation.abort();
    inflation.write(compressed.subarray(1000));
    await assert.rejects(inflation.finish(), problem('corrupt'));
  });
});
