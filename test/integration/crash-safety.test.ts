// SIGKILL at random moments while the daemon writes or deletes an account: after a restart there is
// the whole account or none, and the accounts that existed before are untouched.

import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { startTestBus, type PrivateBus } from '../support/private-bus.js';
import { startDaemonProcess, tempDir, type RunningDaemon } from '../support/daemon-process.js';
import { TestClient } from '../support/client.js';
import { SeededRandom } from '../support/seeded-random.js';

const RUNS = Number(process.env.JAMI_LINKD_CRASH_RUNS ?? 8);
const SEED = Number(process.env.JAMI_LINKD_FUZZ_SEED ?? 20261126);
type Details = Record<string, string>;

describe(`crash safety: SIGKILL during account writes and deletes (${RUNS} runs each, seed ${SEED})`, function () {
  this.timeout(600000);
  let bus: PrivateBus;
  let daemon: RunningDaemon;
  let client: TestClient;
  let dataDir: string;
  let archiveFile: string;
  const existing = new Map<string, Details>();
  const random = new SeededRandom(SEED);
  /** How long each operation takes uninterrupted: kills are spread over that window and a bit past it. */
  const duration = { import: 0, create: 0, remove: 0 };
  const measure = async (work: () => Promise<unknown>): Promise<number> => {
    const start = performance.now();
    await work();
    return performance.now() - start;
  };
  const moment = (window: number) => random.int(0, Math.ceil(window * 1.2));

  before(async () => {
    bus = await startTestBus();
    daemon = await startDaemonProcess({ busAddress: bus.address });
    dataDir = daemon.dataDir;
    client = await TestClient.connect(bus.address);
    for (const alias of ['Keep 1', 'Keep 2']) {
      const id = await client.createAccount({ 'Account.alias': alias });
      existing.set(id, await client.call<Details>('getAccountDetails', id));
    }
    // An archive of a few MB so that its write takes long enough to be interrupted.
    const dir = tempDir('crash-archive-');
    const seed = path.join(dir, 'seed.gz');
    await client.call('exportToFile', [...existing.keys()][0], seed, '', '');
    const content = JSON.parse(gunzipSync(await fs.readFile(seed)).toString('utf8'));
    content.conversations = [{ id: 'bulk', data: randomBytes(4 * 1024 * 1024).toString('base64') }];
    archiveFile = path.join(dir, 'big.gz');
    await fs.writeFile(archiveFile, gzipSync(JSON.stringify(content), { level: 1 }));
    let imported = '';
    duration.import = await measure(async () => {
      imported = await client.createAccount({ 'Account.archivePath': archiveFile });
    });
    duration.remove = await measure(() => client.call('removeAccount', imported));
    duration.create = await measure(async () => client.call('removeAccount', await client.createAccount({})));
    console.log(`      uninterrupted: import ${duration.import.toFixed(0)} ms, create ${duration.create.toFixed(0)} ms, remove ${duration.remove.toFixed(0)} ms`);
  });

  after(async () => {
    client?.close();
    await daemon?.stop();
    await bus?.stop();
  });

  async function killAndRestart(afterMs: number, work: () => Promise<unknown>): Promise<void> {
    const pending = work().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, afterMs)); // the fault's moment, chosen at random
    daemon.child.kill('SIGKILL');
    await daemon.exited;
    await pending;
    client.close();
    daemon = await startDaemonProcess({ busAddress: bus.address, dataDir });
    client = await TestClient.connect(bus.address);
  }

  async function checkStore(): Promise<string[]> {
    const list = await client.call<string[]>('getAccountList');
    for (const [id, details] of existing) {
      assert.deepEqual(await client.call('getAccountDetails', id), details, `existing account ${id} intact`);
    }
    for (const id of list) {
      const details = await client.call<Details>('getAccountDetails', id);
      assert.match(details['Account.username'], /^[0-9a-f]{40}$/, `account ${id} complete`);
      // A complete account opens: its archive can be read back.
      const out = path.join(tempDir('crash-check-'), 'backup.gz');
      assert.equal(await client.call('exportToFile', id, out, '', ''), true, `archive of ${id} readable`);
    }
    const onDisk = (await fs.readdir(dataDir)).filter((name) => !name.startsWith('.'));
    assert.deepEqual(onDisk.sort(), [...list].sort(), 'the directories on disk are exactly the accounts listed');
    return list;
  }

  it('leaves the whole imported account or none when killed while writing it', async () => {
    const outcomes = { complete: 0, none: 0 };
    for (let run = 0; run < RUNS; run++) {
      const before = new Set(await client.call<string[]>('getAccountList'));
      // addAccount answers at once; the daemon then writes in the background, which the kill interrupts.
      await killAndRestart(moment(duration.import), () => client.call('addAccount', { 'Account.archivePath': archiveFile }));
      const after = await checkStore();
      const added = after.filter((id) => !before.has(id));
      assert.ok(added.length <= 1);
      outcomes[added.length ? 'complete' : 'none']++;
      for (const id of added) await client.call('removeAccount', id);
    }
    console.log(`      import killed ${RUNS} times: ${outcomes.complete} complete, ${outcomes.none} none, 0 corrupt`);
  });

  it('leaves the whole new account or none when killed while creating it', async () => {
    const outcomes = { complete: 0, none: 0 };
    for (let run = 0; run < RUNS; run++) {
      const before = new Set(await client.call<string[]>('getAccountList'));
      await killAndRestart(moment(duration.create), () => client.call('addAccount', { 'Account.alias': `Crash ${run}` }));
      const added = (await checkStore()).filter((id) => !before.has(id));
      assert.ok(added.length <= 1);
      outcomes[added.length ? 'complete' : 'none']++;
      for (const id of added) await client.call('removeAccount', id);
    }
    console.log(`      creation killed ${RUNS} times: ${outcomes.complete} complete, ${outcomes.none} none, 0 corrupt`);
  });

  it('leaves the whole account or none when killed while removing it', async () => {
    const outcomes = { kept: 0, removed: 0 };
    for (let run = 0; run < RUNS; run++) {
      const id = await client.createAccount({ 'Account.archivePath': archiveFile });
      await killAndRestart(moment(duration.remove), () => client.call('removeAccount', id));
      const list = await checkStore();
      outcomes[list.includes(id) ? 'kept' : 'removed']++;
      if (list.includes(id)) await client.call('removeAccount', id);
    }
    console.log(`      removal killed ${RUNS} times: ${outcomes.kept} kept whole, ${outcomes.removed} removed, 0 corrupt`);
  });
});
