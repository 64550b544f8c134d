// Assertions shared by the package's tests.

import assert from 'node:assert/strict';
import { OpenDhtError } from '../../src/index.js';

/** Awaits `p`, which must reject with an OpenDhtError of `code`; returns that error. */
export async function rejectsWithCode(p: Promise<unknown>, code: string): Promise<OpenDhtError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof OpenDhtError, `expected an OpenDhtError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected a rejection with ${code}`);
}
