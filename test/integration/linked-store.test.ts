// The account store's side of a link, on real files: a received archive stored as it came, and nothing of it left
// in the data dir however the store ends (stored, another account, removed meanwhile). Without a password the
// received gzip is written ahead while it is unpacked (account-store.ts storeLinked), beside the accounts.

import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { AccountStore } from '../../service/accounts/account-store.js';
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
    source = {
      id,
      jamiId: store.get(id)!.jamiId,
      archive: (await store.openArchive(id, ''))!,
      chainPem: (await store.deviceCredentials(id)).chainPem,
    };
  });

  after(() => rmSync(path.dirname(dataDir), { recursive: true, force: true }));

  /** The data dir holds exactly these accounts' directories: no staging directory, no file written ahead. */
  const onlyAccounts = (...ids: string[]) => assert.deepEqual(readdirSync(dataDir).sort(), [...ids].sort());

  it('stores the received gzip byte for byte, and leaves nothing beside the accounts', async () => {
    const id = store.beginLink({ alias: 'Linked' });
    const outcome = await store.storeLinked(id, source.archive, '', { jamiId: source.jamiId, exporterChainPem: source.chainPem });
    assert.equal(outcome.stored, true);
    assert.ok(readFileSync(path.join(dataDir, id, 'archive.gz')).equals(source.archive), 'the stored archive is the one received');
    onlyAccounts(source.id, id);
    assert.equal(await store.remove(id), true);
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
