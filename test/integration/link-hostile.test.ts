// Links under hostile or heavy conditions on the real DHT: a third DHT node that forges, replays,
// eavesdrops on signaling and, knowing the id but not the code, tries to end the import; and an account whose
// archive is 45 MB (60 MB of data, near the 64 MiB bound).

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { DhtRunner, type Value } from 'opendht-node';
import { startLinkNetwork, startSide, stopSide, startImport, startExport, consent, type LinkNetwork, type Side, type StateRecord } from '../support/link-fixture.js';
import { createBigAccount } from '../support/big-archive.js';
import { identityKey, inboxKey } from '../../service/transport/signaling/rendezvous-keys.js';
import { parseAuthToken } from '../../service/linking/auth-token.js';
import { parseIdentityValue } from '../../service/transport/signaling/temporary-identity.js';
import { handMadeOffer } from './transport/hand-made-offers.js';
import { until } from '../support/wait.js';

describe('links under hostile and heavy conditions', function () {
  this.timeout(120000);
  let network: LinkNetwork;
  let oldDevice: Side;
  let newDevice: Side;
  let third: DhtRunner;
  let account: string;
  let jamiId: string;

  before(async () => {
    network = await startLinkNetwork();
    [oldDevice, newDevice] = await Promise.all([startSide(network.dht), startSide(network.dht)]);
    third = new DhtRunner();
    await third.run({ port: 0, bindIPv4: '127.0.0.1', ipv6: false, peerDiscovery: false });
    await third.bootstrap('127.0.0.1', network.dht.port);
    account = await oldDevice.client.createAccount({ 'Account.alias': 'Target' });
    jamiId = (await oldDevice.client.call<Record<string, string>>('getAccountDetails', account))['Account.username'];
  });

  after(async () => {
    await third?.shutdown();
    await stopSide(oldDevice);
    await stopSide(newDevice);
    await network?.stop();
  });

  it('ignores forged and replayed signaling from a third DHT node, which learns nothing, and still links', async () => {
    const imported = await startImport(newDevice);
    const { peerId, code } = parseAuthToken(imported.token);
    const seen: Value[] = [];
    const inbox = third.listen(inboxKey(peerId, code), (values, expired) => {
      if (!expired) seen.push(...values);
    });
    const identity = third.listen(identityKey(peerId), (values, expired) => {
      if (!expired) seen.push(...values);
    });
    await Promise.all([inbox.ready, identity.ready]);

    // Forgeries: garbage, a plaintext "offer" with the right code, a huge value, and a fake identity record.
    const forged = [
      randomBytes(200),
      Buffer.from(JSON.stringify({ type: 'offer', code, sdp: 'v=0', chain: 'x' })),
      randomBytes(60000),
    ];
    for (const data of forged) await third.put(inboxKey(peerId, code), data);
    const fakeIdentity = Buffer.from(JSON.stringify({ ed25519: randomBytes(32).toString('base64'), x25519: randomBytes(32).toString('base64') }));
    forged.push(fakeIdentity);
    await third.put(identityKey(peerId), fakeIdentity);
    await until(() => seen.length >= 4, 10000, 'the forged values to spread');
    assert.deepEqual(imported.recorder.states.map(([state]) => state), [1], 'forgeries do not move the new device');

    const exported = await startExport(oldDevice, account, imported.token);
    const { peer_address: peerAddress } = await exported.recorder.waitFor(3);
    // Replay everything the third node saw so far, including the real exporter's sealed offer.
    const offers = seen.filter((value) => value.data.length > 100 && value.data.length < 50000);
    for (const value of offers) await third.put(inboxKey(peerId, code), value.data);
    assert.equal(await oldDevice.client.call('confirmAddDevice', account, exported.opId), true);
    await consent(newDevice, imported);
    assert.deepEqual(await imported.recorder.waitFor(5), { error: '' });
    assert.deepEqual(await exported.recorder.waitFor(5), { error: '' });
    assert.deepEqual<StateRecord[]>(imported.recorder.states, [
      [1, { token: imported.token }],
      [2, {}],
      [3, { peer_id: jamiId, auth_scheme: '' }],
      [4, {}],
      [4, {}],
      [5, { error: '' }],
    ]);
    assert.deepEqual<StateRecord[]>(exported.recorder.states, [[2, {}], [3, { peer_address: peerAddress, peer_address_type: 'host' }], [4, {}], [5, { error: '' }]]);

    inbox.cancel();
    identity.cancel();
    const theirs = seen.filter((value) => !forged.some((data) => data.equals(value.data)));
    assert.ok(theirs.length >= 2, 'the daemons\' own signaling went through the third node\'s view');
    const everything = Buffer.concat(theirs.map((value) => value.data)).toString('latin1');
    for (const secret of [code, 'a=fingerprint', 'a=candidate', '127.0.0.1', 'BEGIN CERTIFICATE', peerAddress]) {
      assert.ok(!everything.includes(secret), `the third node saw ${secret}`);
    }
  });

  it('lets a stranger DHT node that knows the id but not the code neither read the identity value nor end the import', async () => {
    const imported = await startImport(newDevice);
    const { peerId, code } = parseAuthToken(imported.token);
    // Worst case: the stranger learned the id elsewhere and listens to the identity key; it never has the code.
    const stored: Buffer[] = [];
    const listener = third.listen(identityKey(peerId), (values, expired) => {
      if (!expired) stored.push(...values.map((value) => value.data));
    });
    await listener.ready;
    await until(() => stored.length >= 1, 10000, 'the identity value to reach the stranger');
    listener.cancel();
    const value = stored[0]!;
    const identity = parseIdentityValue(value, peerId);
    assert.ok(identity, 'a holder of the id reads it');
    const rawKeys = [identity.signingKey, identity.sealingKey].map((key) => key.export({ format: 'der', type: 'spki' }).subarray(-32));
    for (const visible of [Buffer.from(peerId, 'hex'), Buffer.from(peerId, 'ascii'), ...rawKeys, Buffer.from('BEGIN'), Buffer.from('jami-linkd')]) {
      assert.ok(!value.includes(visible), 'the identity value shows the id, a key or a record');
    }
    for (let start = 0; start + 78 <= value.length; start += 1) {
      assert.notEqual(createHash('sha1').update(value.subarray(start, start + 78)).digest('hex'), peerId, 'a part of the value hashes to the id');
    }
    assert.notEqual(createHash('sha1').update(value).digest('hex'), peerId);

    // Five sealed offers with wrong codes, no certificate and no signature, on every key it can name without the code.
    const wrongCodes = [1, 2, 3, 4, 5].map((step) => String((Number(code) + step) % 1_000_000).padStart(6, '0'));
    const oldInbox = createHash('sha1').update(`jami-linkd/v1/inbox/${peerId}`).digest('hex');
    for (const wrong of wrongCodes) {
      for (const key of [oldInbox, identityKey(peerId), inboxKey(peerId, wrong)]) await third.put(key, handMadeOffer(identity, wrong, 'x').value);
    }

    const exported = await startExport(oldDevice, account, imported.token);
    await exported.recorder.waitFor(3);
    assert.equal(await oldDevice.client.call('confirmAddDevice', account, exported.opId), true);
    await consent(newDevice, imported);
    assert.deepEqual(await imported.recorder.waitFor(5), { error: '' });
    assert.deepEqual(await exported.recorder.waitFor(5), { error: '' });
  });

  it('links an account whose archive is 45 MB (60 MB of data, near the 64 MiB bound), checked end to end', async () => {
    const big = await createBigAccount(oldDevice.client, 60, 'Sixty');
    assert.ok(big.archiveBytes >= 44 * 1000 * 1000, `archive of ${big.archiveBytes} bytes`);
    const bigJamiId = (await oldDevice.client.call<Record<string, string>>('getAccountDetails', big.accountId))['Account.username'];
    const imported = await startImport(newDevice);
    const exported = await startExport(oldDevice, big.accountId, imported.token);
    await exported.recorder.waitFor(3);
    await oldDevice.client.call('confirmAddDevice', big.accountId, exported.opId);
    await consent(newDevice, imported);
    assert.deepEqual(await imported.recorder.waitFor(5, 120000), { error: '' });
    assert.deepEqual(await exported.recorder.waitFor(5, 120000), { error: '' });
    assert.equal((await newDevice.client.call<Record<string, string>>('getAccountDetails', imported.accountId))['Account.username'], bigJamiId);
  });
});
