// Device keys for accounts awaiting a link are made ahead of time, so the link need not wait; but an RSA-4096
// key takes a second of a libuv thread, and forty of them at once starve every other file and crypto call of
// the daemon. They are made one at a time, and a key no longer wanted (its account removed) is never started.

import { PrivateKey } from 'opendht-node';

export class DeviceKeyQueue {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly bits: number) {}

  /** A key made after the ones asked before; undefined when `wanted()` is false by the time its turn comes. */
  make(wanted: () => boolean): Promise<PrivateKey | undefined> {
    const key = this.tail.then(() => (wanted() ? PrivateKey.generate({ bits: this.bits }) : undefined));
    this.tail = key.catch(() => undefined);
    return key;
  }
}
