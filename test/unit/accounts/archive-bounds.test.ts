// Archives that would take the daemon down are refused before they can: an inflate bound, and a shape
// check (depth, number of values) before JSON.parse. Real-sized archives still open.

import { strict as assert } from 'node:assert';
import { deflateSync } from 'node:zlib';
import { ArchiveError, decodeArchive, MAX_ARCHIVE_JSON_BYTES, parseArchiveJson, unpackPlainArchive } from '../../../service/accounts/archive.js';
import { checkJsonShape, JsonShapeError } from '../../../service/accounts/json-shape.js';
import { gzipBomb } from '../../support/archive-bomb.js';

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
});
