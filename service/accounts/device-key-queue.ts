// Device keys for accounts awaiting a link are made ahead of time, so the link need not wait; but an RSA-4096
// key takes a second of a libuv thread, and forty of them at once starve every other file and crypto call of
// the daemon. They are made two at a time (the pool has 8 threads, bin/jami-linkd.cts: six stay free; many
// imports at once get their keys twice as fast as one at a time on a machine of two cores or more), and a key
// no longer wanted (its account removed) is never started.

import { PrivateKey } from 'opendht-node';

/** Keys made at once. */
export const KEYS_AT_ONCE = 2;

export class DeviceKeyQueue {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly bits: number,
    private readonly generate: (bits: number) => Promise<PrivateKey> = (size) => PrivateKey.generate({ bits: size }),
  ) {}

  /** A key made after the ones asked before; undefined when `wanted()` is false by the time its turn comes. */
  async make(wanted: () => boolean): Promise<PrivateKey | undefined> {
    // A free slot is taken at once only while nobody waits (waiting is empty unless all slots are busy);
    // otherwise the slot comes from a key that ends, handed over, so a later call cannot slip in before.
    if (this.running < KEYS_AT_ONCE) this.running += 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return wanted() ? await this.generate(this.bits) : undefined;
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.running -= 1;
    }
  }
}
