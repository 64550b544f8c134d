// Issue #12, finding 7: accounts waiting for another device are capped (the next addAccount gets a clear
// error), their device keys are made one at a time and never for an account removed before its turn, so
// forty pending imports leave the daemon's other work (a backup here) as prompt as ever.

import assert from 'node:assert/strict';
import path from 'node:path';
import { TestClient } from '../support/client.js';
import { startDaemonProcess, tempDir, type RunningDaemon } from '../support/daemon-process.js';
import { startLocalDht, type LocalDht } from '../support/local-dht.js';
import { startTestBus, type PrivateBus } from '../support/private-bus.js';

const CAP = 8;
const ASKED = 40;
/** A backup of an account without a password is one small file write: far below this even on a busy machine. */
const PROMPT_MS = 3000;

describe('pending imports', function () {
  this.timeout(180000);
  let dht: LocalDht;
  let bus: PrivateBus;
  let daemon: RunningDaemon;
  let client: TestClient;

  before(async () => {
    dht = await startLocalDht();
    bus = await startTestBus();
    // Jami's own key size: each device key is a second or more of a libuv thread.
    daemon = await startDaemonProcess({ busAddress: bus.address, bootstrap: dht.bootstrap, extraArgs: ['--key-bits', '4096', '--max-pending-imports', String(CAP)] });
    client = await TestClient.connect(bus.address);
  });
  after(async () => {
    client?.close();
    await daemon?.stop();
    await bus?.stop();
    await dht?.stop();
  });

  it(`refuses the import past --max-pending-imports (${CAP}) with LimitReached, and answers a backup promptly with ${ASKED} asked`, async () => {
    const existing = await client.createAccount({ 'Account.alias': 'Existing' }, 120000);
    const outcomes = await Promise.all(
      Array.from({ length: ASKED }, () =>
        client.call<string>('addAccount', { 'Account.type': 'RING', 'Account.archiveURL': 'jami-auth' }).then(
          (id) => ({ id }),
          (error: { type?: string; text?: string }) => ({ error }),
        ),
      ),
    );
    const accepted = outcomes.flatMap((o) => ('id' in o ? [o.id] : []));
    const refused = outcomes.flatMap((o) => ('error' in o ? [o.error] : []));
    assert.equal(accepted.length, CAP);
    assert.equal(refused.length, ASKED - CAP);
    for (const error of refused) {
      assert.equal(error.type, 'cx.ring.Ring.Error.LimitReached');
      assert.match(error.text ?? '', /already wait for another device.*--max-pending-imports/);
    }

    const started = performance.now();
    assert.equal(await client.call('exportToFile', existing, path.join(tempDir('pending-'), 'backup.gz'), '', ''), true);
    const elapsed = performance.now() - started;
    console.log(`      ${CAP} pending imports with 4096-bit device keys: exportToFile answered in ${elapsed.toFixed(0)} ms`);
    assert.ok(elapsed < PROMPT_MS, `exportToFile took ${elapsed.toFixed(0)} ms`);

    // Removing them frees the places at once (their keys, not made yet, never will be).
    for (const id of accepted) await client.call('removeAccount', id);
    const again = await client.call<string>('addAccount', { 'Account.type': 'RING', 'Account.archiveURL': 'jami-auth' });
    await client.call('removeAccount', again);
  });
});
