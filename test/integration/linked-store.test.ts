// The account store's side of a link, on real files: a received archive stored as it came, and nothing of it left
// in the data dir however the store ends (stored, another account, removed meanwhile, corrupt). Without a password a
// large received gzip is written ahead while it is unpacked (account-store.ts storeLinked), beside the accounts: the
// archive here is the source account's with 1.5 MB of conversation data added, above WRITE_AHEAD_MIN_BYTES.

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { AccountStore, WRITE_AHEAD_MIN_BYTES } from '../../service/accounts/account-store.js';
import { tempDir } from '../support/daemon-process.js';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('storing a linked account (real files)', function () {
  this.timeout(60000);
  let dataDir: string;
  let store: AccountStore;
  let source: { id: string; jamiId: string; archive: Buffer; chainPem: string };

  before(async () => {
    dataDir = path.join(tempDir('linked-store-'), 'data');
    store = await AccountStore.open(dataDir, { keyBits: 2048, logger: silent });
    const id = store.create({ alias: 'Source' });
    await once(store, 'ready');
    const content = JSON.parse(gunzipSync((await store.openArchive(id, ''))!).toString()) as Record<string, unknown>;
    content.conversations = [{ id: 'bulk', data: randomBytes(1_100_000).toString('base64') }];
    source = { id, jamiId: store.get(id)!.jamiId, archive: gzipSync(JSON.stringify(content), { level: 1 }), chainPem: (await store.deviceCredentials(id)).chainPem };
    assert.ok(source.archive.length >= WRITE_AHEAD_MIN_BYTES, `${source.archive.length} bytes: not written ahead`);
  });

  after(() => rmSync(path.dirname(dataDir), { recursive: true, force: true }));

  /** The data dir holds exactly these accounts' directories: no staging directory, no file written ahead. */
  const onlyAccounts = (...ids: string[]) => assert.deepEqual(readdirSync(dataDir).sort(), [...ids].sort());

  it('stores the received gzip byte for byte, large or small, and leaves nothing beside the accounts', async () => {
    const small = (await store.openArchive(source.id, ''))!;
    for (const archive of [source.archive, small]) {
      const id = store.beginLink({ alias: 'Linked' });
      const outcome = await store.storeLinked(id, archive, '', { jamiId: source.jamiId, exporterChainPem: source.chainPem });
      assert.equal(outcome.stored, true);
      assert.ok(readFileSync(path.join(dataDir, id, 'archive.gz')).equals(archive), 'the stored archive is the one received');
      onlyAccounts(source.id, id);
      assert.equal(await store.remove(id), true);
    }
  });

  it('stores an archive fed as it arrives (views of one buffer, as the framed channel hands them), or nothing if corrupt', async () => {
    const corrupt = Buffer.from(source.archive);
    corrupt.fill(0, 40, 80);
    for (const [archive, stored] of [[source.archive, true], [corrupt, false]] as const) {
      const id = store.beginLink({ alias: 'Fed' });
      const receiving = store.beginReceiving(id);
      const arrived = Buffer.from(archive);
      for (let at = 0; at < arrived.length; at += 64 * 1024) receiving(arrived.subarray(at, at + 64 * 1024));
      const outcome = store.storeLinked(id, arrived, '', { jamiId: source.jamiId, exporterChainPem: source.chainPem });
      if (stored) {
        assert.equal((await outcome).stored, true);
        assert.ok(readFileSync(path.join(dataDir, id, 'archive.gz')).equals(archive));
        onlyAccounts(source.id, id);
      } else {
        await assert.rejects(outcome);
        onlyAccounts(source.id);
      }
      await store.remove(id);
    }
  });

  it('leaves nothing when the disk is full: a data dir on a 1 MiB tmpfs refuses the 1.5 MB archive', async function () {
    if (process.getuid?.() !== 0) this.skip(); // mounting needs root (CI is)
    const small = path.join(tempDir('linked-store-full-'), 'data');
    execFileSync('mkdir', ['-p', small]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', small]);
    try {
      const full = await AccountStore.open(small, { keyBits: 2048, logger: silent });
      const id = full.beginLink({ alias: 'Full' });
      await assert.rejects(full.storeLinked(id, source.archive, '', { jamiId: source.jamiId, exporterChainPem: source.chainPem }), /ENOSPC/);
      assert.deepEqual(readdirSync(small), [], 'no staging directory, device key nor archive left');
      await full.remove(id);
    } finally {
      execFileSync('umount', [small]);
      rmSync(path.dirname(small), { recursive: true, force: true });
    }
  });

  it('writes nothing for an archive of another account than the one proved', async () => {
    const id = store.beginLink({ alias: 'Other' });
    const outcome = await store.storeLinked(id, source.archive, '', { jamiId: 'f'.repeat(40), exporterChainPem: source.chainPem });
    assert.deepEqual(outcome, { stored: false, foundAccount: source.jamiId });
    onlyAccounts(source.id);
    await store.remove(id);
  });

  it('writes nothing when the account is removed while its archive is stored', async () => {
    const id = store.beginLink({ alias: 'Gone' });
    const storing = store.storeLinked(id, source.archive, '', { jamiId: source.jamiId, exporterChainPem: source.chainPem });
    assert.equal(await store.remove(id), true);
    await assert.rejects(storing);
    onlyAccounts(source.id);
  });

  it('writes nothing for a corrupt archive', async () => {
    const id = store.beginLink({ alias: 'Corrupt' });
    const corrupt = Buffer.from(source.archive);
    corrupt.fill(0, 40, 80);
    await assert.rejects(store.storeLinked(id, corrupt, '', { jamiId: source.jamiId, exporterChainPem: source.chainPem }));
    onlyAccounts(source.id);
    await store.remove(id);
  });
});
