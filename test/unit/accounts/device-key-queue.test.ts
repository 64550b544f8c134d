// Device keys for waiting imports are made KEYS_AT_ONCE at a time, in the order asked, and never for an account
// that is gone by its turn (accounts/device-key-queue.ts). The keys come from a maker the test holds back.

import { strict as assert } from 'node:assert';
import type { PrivateKey } from 'opendht-node';
import { DeviceKeyQueue, KEYS_AT_ONCE } from '../../../service/accounts/device-key-queue.js';

describe('the device key queue', () => {
  it(`makes ${KEYS_AT_ONCE} keys at a time, in the order asked, and skips a key no longer wanted`, async () => {
    const pending: Array<{ name: string; finish: () => void }> = [];
    let asking = '';
    const queue = new DeviceKeyQueue(2048, () => new Promise<PrivateKey>((resolve) => {
      const name = asking;
      pending.push({ name, finish: () => resolve({ name } as unknown as PrivateKey) });
    }));
    const started = () => pending.map((p) => p.name);
    const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
    const ask = (name: string, wanted = true) => queue.make(() => {
      asking = name;
      return wanted;
    });
    const keys = [ask('a'), ask('b'), ask('c'), ask('gone', false), ask('d')];
    await settle();
    assert.deepEqual(started(), ['a', 'b'], 'two at once');
    pending[1]!.finish();
    await settle();
    assert.deepEqual(started(), ['a', 'b', 'c'], 'b done: c starts');
    pending[0]!.finish();
    await settle();
    assert.deepEqual(started(), ['a', 'b', 'c', 'd'], 'a done: gone is skipped, d starts');
    pending[2]!.finish();
    pending[3]!.finish();
    const made = await Promise.all(keys);
    assert.deepEqual(made.map((key) => (key as unknown as { name: string } | undefined)?.name), ['a', 'b', 'c', undefined, 'd']);
  });

  it('hands a freed slot to the next one waiting: a key asked just then waits its turn', async () => {
    const pending: Array<{ name: string; finish: () => void }> = [];
    let asking = '';
    const queue = new DeviceKeyQueue(2048, () => new Promise<PrivateKey>((resolve) => {
      pending.push({ name: asking, finish: () => resolve({} as PrivateKey) });
    }));
    const ask = (name: string) => queue.make(() => {
      asking = name;
      return true;
    });
    const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
    const keys = [ask('a'), ask('b'), ask('c')];
    await settle();
    pending[0]!.finish();
    await Promise.resolve(); // a's slot is freed, c not yet resumed
    keys.push(ask('late'));
    await settle();
    assert.deepEqual(pending.map((p) => p.name), ['a', 'b', 'c'], `${KEYS_AT_ONCE} at once, c before late`);
    for (const p of pending.slice(1)) p.finish();
    await settle();
    assert.deepEqual(pending.map((p) => p.name), ['a', 'b', 'c', 'late']);
    pending[3]!.finish();
    await Promise.all(keys);
  });

  it('goes on after a key that could not be made', async () => {
    let calls = 0;
    const queue = new DeviceKeyQueue(2048, async () => {
      calls += 1;
      if (calls <= KEYS_AT_ONCE) throw new Error('no entropy');
      return {} as PrivateKey;
    });
    const results = await Promise.allSettled([...Array.from({ length: KEYS_AT_ONCE }, () => queue.make(() => true)), queue.make(() => true)]);
    assert.deepEqual(results.map((r) => r.status), [...Array.from({ length: KEYS_AT_ONCE }, () => 'rejected'), 'fulfilled']);
  });
});
