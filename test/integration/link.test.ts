// The seed's full sequence diagram between two real daemons: two private dbus-daemons, one local
// dhtnode, WebRTC on loopback. Each test asserts the exact ordered (state, details) signals of both sides.

import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { aesDecrypt, Certificate } from 'opendht-node';
import {
  startLinkNetwork,
  startSide,
  stopSide,
  restartSide,
  startImport,
  startExport,
  consent,
  type LinkNetwork,
  type Side,
  type StateRecord,
} from '../support/link-fixture.js';
import { rememberSecret } from '../support/secrets.js';

const HEX40 = /^[0-9a-f]{40}$/;
const PASSWORD = rememberSecret('correct horse');
const PEER_ADDRESS = /^127\.0\.0\.1:\d+$/;

/** The archive the new device stored opens with `password` as Jami opens it (OpenDHT aesDecrypt, zlib JSON) and
 *  holds account `jamiId`; another password does not open it. */
async function assertArchiveOpensWith(side: Side, accountId: string, password: string, jamiId: string): Promise<void> {
  const bytes = await readFile(path.join(side.daemon.dataDir, accountId, 'archive.gz'));
  const content = JSON.parse(inflateSync(await aesDecrypt(bytes, password)).toString('utf8')) as Record<string, string>;
  assert.equal(Certificate.import(Buffer.from(content.ringAccountCert, 'base64').toString('utf8')).id, jamiId);
  await assert.rejects(aesDecrypt(bytes, `${password} but not quite`), (error: { code?: string }) => error.code === 'EDECRYPT');
}

describe('link a new device between two daemons', function () {
  this.timeout(90000);
  let network: LinkNetwork;
  let oldDevice: Side;
  let newDevice: Side;
  let plainAccount: string;
  let plainJamiId: string;
  let passwordAccount: string;
  let passwordJamiId: string;

  before(async () => {
    network = await startLinkNetwork();
    [oldDevice, newDevice] = await Promise.all([startSide(network.dht), startSide(network.dht)]);
    plainAccount = await oldDevice.client.createAccount({ 'Account.alias': 'Plain' });
    passwordAccount = await oldDevice.client.createAccount({ 'Account.alias': 'Guarded', 'Account.archivePassword': PASSWORD });
    plainJamiId = (await oldDevice.client.call<Record<string, string>>('getAccountDetails', plainAccount))['Account.username'];
    passwordJamiId = (await oldDevice.client.call<Record<string, string>>('getAccountDetails', passwordAccount))['Account.username'];
  });

  after(async () => {
    await stopSide(oldDevice);
    await stopSide(newDevice);
    await network?.stop();
  });

  /** Runs the import and export up to both sides' state 3, returning what a test needs to go on. */
  async function connect(accountId: string) {
    const imported = await startImport(newDevice);
    const exported = await startExport(oldDevice, accountId, imported.token);
    assert.ok(exported.opId > 0, `addDevice returned ${exported.opId}`);
    const { peer_address } = await exported.recorder.waitFor(3);
    return { imported, exported, peerAddress: peer_address };
  }

  it('shows a 59-character jami-auth:// token as soon as the import starts', async () => {
    const { token, accountId, recorder } = await startImport(newDevice);
    assert.match(token, /^jami-auth:\/\/[0-9a-f]{40}\/[0-9]{6}$/);
    assert.equal(token.length, 59);
    assert.deepEqual(recorder.states, [[1, { token }]]);
    await newDevice.client.call('removeAccount', accountId);
    assert.deepEqual((await recorder.waitFor(5)), { error: 'canceled' });
  });

  it('links an account without a password once the new device\'s user consents: 1-2-3-4-4-5 there, 2-3-4-5 on the old one', async () => {
    const { imported, exported, peerAddress } = await connect(plainAccount);
    assert.match(peerAddress, PEER_ADDRESS);
    assert.equal(await oldDevice.client.call('confirmAddDevice', plainAccount, exported.opId), true);
    await imported.recorder.waitFor(3);
    // The new device shows the Jami ID and waits: nothing of the account leaves the old device before consent.
    assert.deepEqual(exported.recorder.states.map(([s]) => s), [2, 3]);
    await consent(newDevice, imported);
    const importDone = await imported.recorder.waitFor(5);
    const exportDone = await exported.recorder.waitFor(5);
    assert.deepEqual(importDone, { error: '' });
    assert.deepEqual(exportDone, { error: '' });
    assert.deepEqual<StateRecord[]>(imported.recorder.states, [
      [1, { token: imported.token }],
      [2, {}],
      [3, { peer_id: plainJamiId, auth_scheme: '' }],
      [4, {}],
      [4, {}],
      [5, { error: '' }],
    ]);
    assert.deepEqual<StateRecord[]>(exported.recorder.states, [[2, {}], [3, { peer_address: peerAddress, peer_address_type: 'host' }], [4, {}], [5, { error: '' }]]);

    const details = await newDevice.client.call<Record<string, string>>('getAccountDetails', imported.accountId);
    const source = await oldDevice.client.call<Record<string, string>>('getAccountDetails', plainAccount);
    assert.equal(details['Account.username'], plainJamiId);
    assert.match(details['Account.deviceID'], /^[0-9a-f]{64}$/);
    assert.notEqual(details['Account.deviceID'], source['Account.deviceID'], 'a new device certificate');
    assert.equal(details['Account.archiveHasPassword'], 'false');

    // Both devices now list both: the old one learned the new one from the link's last message.
    const newDeviceId = (await newDevice.client.call<Record<string, string>>('getVolatileAccountDetails', imported.accountId))['Account.deviceID'];
    const oldDeviceId = (await oldDevice.client.call<Record<string, string>>('getVolatileAccountDetails', plainAccount))['Account.deviceID'];
    assert.equal(newDeviceId, details['Account.deviceID']);
    const onOld = await oldDevice.client.call<Record<string, string>>('getKnownRingDevices', plainAccount);
    const onNew = await newDevice.client.call<Record<string, string>>('getKnownRingDevices', imported.accountId);
    assert.deepEqual(Object.keys(onOld).sort(), [newDeviceId, oldDeviceId].sort());
    assert.deepEqual(onNew, onOld);
    assert.equal(onOld[newDeviceId], details['Account.deviceName']);
    assert.ok(oldDevice.client.signals.some(({ name, args }) => name === 'knownDevicesChanged' && args[0] === plainAccount && newDeviceId in (args[1] as object)));
  });

  it('links a password account when the right password is given first', async () => {
    const { imported, exported, peerAddress } = await connect(passwordAccount);
    assert.deepEqual(imported.recorder.states.map(([s]) => s), [1, 2], 'no password prompt before the old device confirms');
    assert.equal(await oldDevice.client.call('confirmAddDevice', passwordAccount, exported.opId), true);
    await imported.recorder.waitFor(3);
    assert.equal(await newDevice.client.call('provideAccountAuthentication', imported.accountId, PASSWORD, 'password'), true);
    assert.deepEqual(await imported.recorder.waitFor(5), { error: '' });
    assert.deepEqual(await exported.recorder.waitFor(5), { error: '' });
    assert.deepEqual<StateRecord[]>(imported.recorder.states, [
      [1, { token: imported.token }],
      [2, {}],
      [3, { peer_id: passwordJamiId, auth_scheme: 'password' }],
      [4, {}],
      [4, {}],
      [5, { error: '' }],
    ]);
    assert.deepEqual<StateRecord[]>(exported.recorder.states, [[2, {}], [3, { peer_address: peerAddress, peer_address_type: 'host' }], [4, {}], [5, { error: '' }]]);
    const details = await newDevice.client.call<Record<string, string>>('getAccountDetails', imported.accountId);
    assert.equal(details['Account.username'], passwordJamiId);
    assert.equal(details['Account.archiveHasPassword'], 'true');
    await assertArchiveOpensWith(newDevice, imported.accountId, PASSWORD, passwordJamiId);
  });

  it('asks again after a wrong password and links with the right one', async () => {
    const { imported, exported } = await connect(passwordAccount);
    await oldDevice.client.call('confirmAddDevice', passwordAccount, exported.opId);
    await imported.recorder.waitFor(3);
    assert.equal(await newDevice.client.call('provideAccountAuthentication', imported.accountId, 'wrong', 'password'), true);
    await imported.recorder.waitFor(3, 30000, 3);
    assert.equal(await newDevice.client.call('provideAccountAuthentication', imported.accountId, PASSWORD, 'password'), true);
    assert.deepEqual(await imported.recorder.waitFor(5), { error: '' });
    assert.deepEqual(await exported.recorder.waitFor(5), { error: '' });
    assert.deepEqual<StateRecord[]>(imported.recorder.states.slice(2), [
      [3, { peer_id: passwordJamiId, auth_scheme: 'password' }],
      [4, {}],
      [3, { peer_id: passwordJamiId, auth_scheme: 'password', auth_error: 'invalid_credentials' }],
      [4, {}],
      [4, {}],
      [5, { error: '' }],
    ]);
    // Stored under the password that opened it on the old device, not the wrong one given first.
    await assertArchiveOpensWith(newDevice, imported.accountId, PASSWORD, passwordJamiId);
  });

  it('ends with DONE/auth_error on both sides after the third wrong password; the account stays listed, holding nothing', async () => {
    const { imported, exported, peerAddress } = await connect(passwordAccount);
    await oldDevice.client.call('confirmAddDevice', passwordAccount, exported.opId);
    for (let attempt = 0; attempt < 3; attempt++) {
      await imported.recorder.waitFor(3, 30000, 2 + 2 * attempt);
      assert.equal(await newDevice.client.call('provideAccountAuthentication', imported.accountId, `wrong ${attempt}`, 'password'), true);
    }
    assert.deepEqual(await imported.recorder.waitFor(5), { error: 'auth_error' });
    assert.deepEqual(await exported.recorder.waitFor(5), { error: 'auth_error' });
    const bad = { peer_id: passwordJamiId, auth_scheme: 'password', auth_error: 'invalid_credentials' };
    assert.deepEqual<StateRecord[]>(imported.recorder.states.slice(1), [
      [2, {}],
      [3, { peer_id: passwordJamiId, auth_scheme: 'password' }],
      [4, {}],
      [3, bad],
      [4, {}],
      [3, bad],
      [4, {}],
      [5, { error: 'auth_error' }],
    ]);
    assert.deepEqual<StateRecord[]>(exported.recorder.states, [[2, {}], [3, { peer_address: peerAddress, peer_address_type: 'host' }], [5, { error: 'auth_error' }]]);
    // As jamid leaves it: listed, INITIALIZING, no device, nothing on disk, until its client removes it.
    assert.ok((await newDevice.client.call<string[]>('getAccountList')).includes(imported.accountId));
    assert.deepEqual(await newDevice.client.call('getVolatileAccountDetails', imported.accountId), { 'Account.registrationStatus': 'INITIALIZING', 'Account.active': 'true' });
    assert.ok(!readdirSync(newDevice.daemon.dataDir).some((name) => name.includes(imported.accountId)), 'nothing on disk');
    assert.equal(await newDevice.client.call('provideAccountAuthentication', imported.accountId, PASSWORD, 'password'), true, 'true while the account exists');
    await newDevice.client.call('removeAccount', imported.accountId);
    assert.ok(!(await newDevice.client.call<string[]>('getAccountList')).includes(imported.accountId));
    assert.equal(await newDevice.client.call('provideAccountAuthentication', imported.accountId, PASSWORD, 'password'), false, 'false once removed');
  });

  it('refuses malformed and truncated tokens with -1 and no signal', async () => {
    const good = (await startImport(newDevice)).token;
    const bad = [good.slice(0, -1), good.toUpperCase(), good.replace('jami-auth', 'jami-auht'), `${good}0`, '', 'jami-auth://', good.replace(/\/\d{6}$/, '/abcdef')];
    const before = oldDevice.client.signals.length;
    for (const token of bad) {
      assert.equal(await oldDevice.client.call('addDevice', plainAccount, token), -1, token);
    }
    assert.equal(oldDevice.client.signals.length, before, 'no signal');
  });

  it('refuses a second addDevice on the same account with -2 while a link is in progress', async () => {
    const { imported, exported } = await connect(plainAccount);
    const second = await startImport(newDevice);
    assert.equal(await oldDevice.client.call('addDevice', plainAccount, second.token), -2);
    assert.equal(await oldDevice.client.call('cancelAddDevice', plainAccount, exported.opId), true);
    assert.deepEqual(await exported.recorder.waitFor(5), { error: 'canceled' });
    assert.notEqual((await imported.recorder.waitFor(5)).error, '');
    await newDevice.client.call('removeAccount', second.accountId);
  });

  it('cancels from the old device in state 2: canceled there; the new device ends once, with an error', async () => {
    const imported = await startImport(newDevice);
    const exported = await startExport(oldDevice, plainAccount, imported.token);
    await exported.recorder.waitFor(2);
    assert.equal(await oldDevice.client.call('cancelAddDevice', plainAccount, exported.opId), true);
    assert.deepEqual(await exported.recorder.waitFor(5), { error: 'canceled' });
    assert.deepEqual(exported.recorder.states, [[2, {}], [5, { error: 'canceled' }]]);
    assert.equal(await oldDevice.client.call('cancelAddDevice', plainAccount, exported.opId), false, 'already done');
    // The offer may not have reached the new device yet: it may still be waiting with its token.
    await newDevice.client.call('removeAccount', imported.accountId);
    assert.notEqual((await imported.recorder.waitFor(5)).error, '');
    assert.equal(imported.recorder.states.filter(([s]) => s === 5).length, 1);
  });

  it('cancels from the old device in state 3: canceled there, an error on the new device', async () => {
    const { imported, exported, peerAddress } = await connect(plainAccount);
    assert.equal(await oldDevice.client.call('cancelAddDevice', plainAccount, exported.opId), true);
    assert.deepEqual(await exported.recorder.waitFor(5), { error: 'canceled' });
    assert.deepEqual(await imported.recorder.waitFor(5), { error: 'canceled' });
    assert.deepEqual(exported.recorder.states, [[2, {}], [3, { peer_address: peerAddress, peer_address_type: 'host' }], [5, { error: 'canceled' }]]);
    assert.deepEqual(imported.recorder.states, [[1, { token: imported.token }], [2, {}], [5, { error: 'canceled' }]]);
    assert.equal(await oldDevice.client.call('cancelAddDevice', plainAccount, exported.opId), false, 'already done');
  });

  for (const state of [1, 2, 3] as const) {
    it(`cancels from the new device in state ${state} with removeAccount: canceled there, nothing left on disk`, async () => {
      const imported = await startImport(newDevice);
      let exported;
      if (state >= 2) {
        exported = await startExport(oldDevice, state === 3 ? passwordAccount : plainAccount, imported.token);
        await imported.recorder.waitFor(2);
        if (state === 3) {
          await exported.recorder.waitFor(3);
          await oldDevice.client.call('confirmAddDevice', passwordAccount, exported.opId);
          await imported.recorder.waitFor(3);
        }
      }
      await newDevice.client.call('removeAccount', imported.accountId);
      assert.deepEqual(await imported.recorder.waitFor(5), { error: 'canceled' });
      if (exported) assert.notEqual((await exported.recorder.waitFor(5)).error, '');
      assert.ok(!existsSync(path.join(newDevice.daemon.dataDir, imported.accountId)));
      assert.ok(!readdirSync(newDevice.daemon.dataDir).some((name) => name.includes(imported.accountId)));
    });
  }

  it('ends the second exporter of an already-used token with an error within 10 s; the first is unaffected', async () => {
    const { imported, exported } = await connect(plainAccount);
    const intruder = await oldDevice.client.createAccount({ 'Account.alias': 'Intruder' });
    const second = await startExport(oldDevice, intruder, imported.token);
    assert.ok(second.opId > 0);
    const secondDone = await second.recorder.waitFor(5, 10000);
    assert.notEqual(secondDone.error, '');
    await oldDevice.client.call('confirmAddDevice', plainAccount, exported.opId);
    await consent(newDevice, imported);
    assert.deepEqual(await imported.recorder.waitFor(5), { error: '' });
    assert.deepEqual(await exported.recorder.waitFor(5), { error: '' });
  });

  it('runs 5 links at once between different accounts', async () => {
    const accounts = await Promise.all(
      Array.from({ length: 5 }, (_, i) => oldDevice.client.createAccount({ 'Account.alias': `Concurrent ${i}` })),
    );
    const links = await Promise.all(
      accounts.map(async (accountId) => {
        const imported = await startImport(newDevice);
        const exported = await startExport(oldDevice, accountId, imported.token);
        await exported.recorder.waitFor(3);
        assert.equal(await oldDevice.client.call('confirmAddDevice', accountId, exported.opId), true);
        await consent(newDevice, imported);
        return { accountId, imported, exported };
      }),
    );
    for (const { imported, exported } of links) {
      assert.deepEqual(await imported.recorder.waitFor(5), { error: '' });
      assert.deepEqual(await exported.recorder.waitFor(5), { error: '' });
    }
    for (const { accountId, imported } of links) {
      const jamiId = (await oldDevice.client.call<Record<string, string>>('getAccountDetails', accountId))['Account.username'];
      assert.match(jamiId, HEX40);
      assert.equal((await newDevice.client.call<Record<string, string>>('getAccountDetails', imported.accountId))['Account.username'], jamiId);
    }
  });

  it('keeps a linked account across a restart of the new device', async () => {
    const { imported, exported } = await connect(plainAccount);
    await oldDevice.client.call('confirmAddDevice', plainAccount, exported.opId);
    await consent(newDevice, imported);
    await imported.recorder.waitFor(5);
    const details = await newDevice.client.call<Record<string, string>>('getAccountDetails', imported.accountId);
    newDevice = await restartSide(newDevice, network.dht);
    assert.deepEqual(await newDevice.client.call('getAccountDetails', imported.accountId), details);
  });
});
