import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { slicedSha256Hex } from '../../../service/linking/sliced-digest.js';

describe('slicedSha256Hex', () => {
  it('is the SHA-256 of the whole, for sizes around the slice', async () => {
    const data = randomBytes(4 * 16 + 3);
    for (const size of [0, 1, 15, 16, 17, 64, data.length]) {
      const part = data.subarray(0, size);
      assert.equal(await slicedSha256Hex(part, 16), createHash('sha256').update(part).digest('hex'), `size ${size}`);
    }
  });

  it('lets the event loop run between slices', async () => {
    const order: string[] = [];
    setImmediate(() => order.push('immediate'));
    // Hashed in one go, the digest would be ready before the event loop turns once.
    await slicedSha256Hex(randomBytes(8 * 1024), 1024).then(() => order.push('digest'));
    assert.deepEqual(order, ['immediate', 'digest']);
  });
});
