// A 3-node OpenDHT network on 127.0.0.1: values, listeners, signatures, encryption, size limits.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import {
  DhtRunner,
  Identity,
  InfoHash,
  OpenDhtError,
  packValue,
  unpackValue,
  type Value,
} from '../src/index.js';
import { ValueInbox, dataIs, startNetwork, startNode, stopAll, testNetworkId, waitFor, withTimeout } from './support/network.js';
import { rejectsWithCode } from './support/assertions.js';

const EVENT_MS = 10_000;


/** Gets from `node` until `match` holds for the result (values propagate asynchronously). */
async function getUntil(node: DhtRunner, key: InfoHash, match: (values: Value[]) => boolean, what: string): Promise<Value[]> {
  const deadline = Date.now() + EVENT_MS;
  for (;;) {
    const values = await node.get(key);
    if (match(values)) return values;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last get: ${values.length} values`);
  }
}

describe('DhtRunner on a 3-node loopback network', function () {
  this.timeout(60_000);

  let ids: Identity[];
  let nodes: DhtRunner[];
  let a: DhtRunner;
  let b: DhtRunner;
  let c: DhtRunner;
  const networkId = testNetworkId();

  before(async () => {
    ids = await Promise.all(['a', 'b', 'c'].map((name) => Identity.generate(name, { bits: 2048 })));
    nodes = await startNetwork(3, ids, networkId);
    [a, b, c] = nodes;
  });

  after(async () => {
    if (nodes) await stopAll(nodes);
  });

  it('reports its ids, port and routing state', () => {
    const info = a.getNodeInfo();
    assert.match(a.getNodeId(), /^[0-9a-f]{40}$/);
    assert.equal(info.nodeId, a.getNodeId());
    assert.equal(a.getId(), ids[0].id);
    assert.equal(info.id, ids[0].id);
    assert.equal(info.boundPort, a.getBoundPort());
    assert.ok(info.boundPort > 0);
    assert.ok(info.ipv4.good + info.ipv4.dubious >= 1);
    assert.equal(info.ipv6.good, 0);
  });

  it('finds from one node what another put', async () => {
    const key = InfoHash.random();
    await a.put(key, 'hello from a');
    const values = await getUntil(c, key, (vs) => vs.some(dataIs('hello from a')), 'the value on c');
    const v = values.find(dataIs('hello from a'))!;
    assert.equal(typeof v.id, 'bigint');
    assert.equal(v.type, 0);
    assert.equal(v.signed, false);
    assert.equal(v.encrypted, false);
    assert.equal(v.owner, undefined);
  });

  it('accepts keys as hex strings and keeps value type and id', async () => {
    const key = InfoHash.random().toString().toUpperCase();
    await b.put(key, Buffer.from([1, 2, 3]), { type: 7, id: 1234n });
    const [v] = await getUntil(a, InfoHash.fromHex(key), (vs) => vs.length > 0, 'the typed value');
    assert.equal(v.id, 1234n);
    assert.equal(v.type, 7);
    assert.deepEqual([...v.data], [1, 2, 3]);
  });

  it('delivers values put after listen() to the listener', async () => {
    const key = InfoHash.random();
    const inbox = new ValueInbox();
    const listener = c.listen(key, inbox.onValues);
    await withTimeout(listener.ready, EVENT_MS, 'listen to be registered');
    await a.put(key, 'first');
    await b.put(key, 'second');
    await inbox.next(dataIs('first'), EVENT_MS, 'first value');
    await inbox.next(dataIs('second'), EVENT_MS, 'second value');
    listener.cancel();
  });

  it('stops delivering once a listener is cancelled', async () => {
    const key = InfoHash.random();
    const cancelled = new ValueInbox();
    const control = new ValueInbox();
    const listener = b.listen(key, cancelled.onValues);
    const controlListener = b.listen(key, control.onValues);
    await Promise.all([listener.ready, controlListener.ready]);
    await a.put(key, 'before');
    await cancelled.next(dataIs('before'), EVENT_MS, 'value before cancel');
    listener.cancel();
    listener.cancel(); // idempotent
    await a.put(key, 'after');
    // The control listener on the same node gets 'after': the cancelled one had every chance too.
    await control.next(dataIs('after'), EVENT_MS, 'control listener');
    assert.ok(!cancelled.has(dataIs('after')), 'a cancelled listener received a value');
    controlListener.cancel();
  });

  it('keeps announcing permanent puts, found by a node that joins later', async () => {
    const key = InfoHash.random();
    await a.put(key, 'permanent', { permanent: true, id: 99n });
    const joiner = await startNode(networkId);
    try {
      await joiner.bootstrap('127.0.0.1', c.getBoundPort());
      const values = await getUntil(joiner, key, (vs) => vs.some((v) => v.id === 99n), 'the permanent value on a new node');
      assert.equal(values.find((v) => v.id === 99n)?.data.toString(), 'permanent');
    } finally {
      await joiner.shutdown();
    }
    a.cancelPut(key, 99n);
  });

  describe('value size limit', () => {
    it('stores plain values up to the limit and refuses larger ones before sending', async () => {
      const max = a.maxDataSize('plain');
      assert.ok(max > 65_000 && max <= 65_536, `plain limit ${max}`);
      const key = InfoHash.random();
      const big = randomBytes(max);
      await a.put(key, big);
      const values = await getUntil(b, key, (vs) => vs.length > 0, 'the largest value');
      assert.ok(values[0].data.equals(big));

      for (const size of [max + 1, 65_536, 70_000]) {
        const err = await rejectsWithCode(a.put(key, Buffer.alloc(size)), 'EVALUETOOLARGE');
        assert.match(err.message, /maximum value size/);
      }
    });

    it('applies the limit to signed and encrypted values too', async () => {
      const key = InfoHash.random();
      const maxSigned = a.maxDataSize('signed');
      await a.putSigned(key, randomBytes(maxSigned), { id: 1n });
      await rejectsWithCode(a.putSigned(key, Buffer.alloc(maxSigned + 1)), 'EVALUETOOLARGE');

      const recipient = ids[1].certificate.publicKey;
      const maxEncrypted = a.maxDataSize('encrypted', { recipientBits: recipient.bits });
      const secret = randomBytes(maxEncrypted);
      await a.putEncrypted(key, recipient, secret, { id: 2n });
      await rejectsWithCode(a.putEncrypted(key, recipient, Buffer.alloc(maxEncrypted + 1)), 'EVALUETOOLARGE');

      const values = await getUntil(b, key, (vs) => vs.length >= 2, 'both large values on b');
      assert.equal(values.find((v) => v.id === 1n)?.data.length, maxSigned);
      assert.ok(values.find((v) => v.id === 2n)?.data.equals(secret));
    });
  });

  describe('signed values', () => {
    it('shows the receiver who signed', async () => {
      const key = InfoHash.random();
      const inbox = new ValueInbox();
      const listener = c.listen(key, inbox.onValues);
      await listener.ready;
      await a.putSigned(key, 'signed by a');
      const v = await inbox.next(dataIs('signed by a'), EVENT_MS, 'the signed value');
      assert.equal(v.signed, true);
      assert.equal(v.ownerId, ids[0].id);
      assert.equal(v.owner?.id, ids[0].id);
      assert.equal(v.encrypted, false);
      const [got] = await b.get(key);
      assert.equal(got.ownerId, ids[0].id);
      listener.cancel();
    });

    it('drops a value whose signed data was tampered with', async () => {
      const key = InfoHash.random();
      const signer = ids[0].key;
      const genuine = packValue(Buffer.from('genuine payload'), { id: 1n, signer });
      const forged = packValue(Buffer.from('original payload'), { id: 2n, signer });
      const at = forged.indexOf('original payload');
      assert.ok(at > 0);
      forged.write('tampered', at); // same length: the value still parses, its signature no longer matches
      assert.equal(unpackValue(genuine).signatureValid, true);
      const decoded = unpackValue(forged);
      assert.equal(decoded.data.toString(), 'tampered payload');
      assert.equal(decoded.signatureValid, false);

      const inbox = new ValueInbox();
      const listener = b.listen(key, inbox.onValues);
      await listener.ready;
      // Both reach the network (the storing nodes do not check signatures)...
      await c.putPacked(key, forged);
      await c.putPacked(key, genuine);
      // ...but SecureDht on the receiving node only hands over the genuine one.
      const v = await inbox.next(dataIs('genuine payload'), EVENT_MS, 'the genuine value');
      assert.equal(v.ownerId, ids[0].id);
      const values = await a.get(key);
      assert.deepEqual(values.map((x) => x.data.toString()), ['genuine payload']);
      assert.ok(!inbox.has((x) => x.id === 2n), 'the forged value was delivered');
      listener.cancel();
    });
  });

  describe('encrypted values', () => {
    it('only the recipient reads them; a third node on the same key sees nothing', async () => {
      const key = InfoHash.random();
      const recipient = new ValueInbox();
      const eavesdropper = new ValueInbox();
      const l1 = b.listen(key, recipient.onValues);
      const l2 = c.listen(key, eavesdropper.onValues);
      await Promise.all([l1.ready, l2.ready]);

      await a.putEncrypted(key, b.getId(), 'for b only');
      const v = await recipient.next(dataIs('for b only'), EVENT_MS, 'the encrypted value at b');
      assert.equal(v.encrypted, true);
      assert.equal(v.signed, true);
      assert.equal(v.ownerId, ids[0].id);
      assert.equal(v.recipient, ids[1].id);

      // A plain marker put afterwards reaches c: by then c had its chance to see the secret.
      await a.put(key, 'marker');
      await eavesdropper.next(dataIs('marker'), EVENT_MS, 'the marker at c');
      assert.deepEqual(eavesdropper.received.map((x) => x.data.toString()), ['marker']);
      assert.deepEqual((await c.get(key)).map((x) => x.data.toString()), ['marker']);
      l1.cancel();
      l2.cancel();
    });

    it('encrypts for a public key given directly', async () => {
      const key = InfoHash.random();
      await c.putEncrypted(key, ids[0].certificate.publicKey, 'to a by key');
      const values = await getUntil(a, key, (vs) => vs.some(dataIs('to a by key')), 'the value at a');
      assert.equal(values[0].ownerId, ids[2].id);
      assert.deepEqual(await b.get(key), []);
    });

    it('fails clearly when the recipient id has no certificate on the DHT', async () => {
      const err = await rejectsWithCode(a.putEncrypted(InfoHash.random(), InfoHash.random(), 'lost'), 'EPUTFAILED');
      assert.match(err.message, /certificate was not found/);
    });
  });

  describe('argument and state errors', () => {
    it('rejects bad keys, bad data and missing identities', async () => {
      await rejectsWithCode(a.put('not a key', 'x'), 'EINVAL');
      await rejectsWithCode(a.get('12'), 'EINVAL');
      await rejectsWithCode(a.put(InfoHash.random(), 42 as unknown as string), 'EINVAL');
      await rejectsWithCode(a.put(InfoHash.random(), 'x', { type: -1 }), 'EINVAL');
      const anonymous = await startNode(testNetworkId());
      try {
        await rejectsWithCode(anonymous.putSigned(InfoHash.random(), 'x'), 'EINVAL');
        assert.equal(anonymous.getId(), '');
      } finally {
        await anonymous.shutdown();
      }
    });

    it('refuses to work before run() and after shutdown()', async () => {
      const node = new DhtRunner();
      await rejectsWithCode(node.get(InfoHash.random()), 'ENOTRUNNING');
      assert.throws(() => node.listen(InfoHash.random(), () => {}), (e: OpenDhtError) => e.code === 'ENOTRUNNING');
      await node.run({ port: 0, bindIPv4: '127.0.0.1', ipv6: false, networkId: testNetworkId() });
      await rejectsWithCode(node.run(), 'EINVAL');
      await node.shutdown();
      await rejectsWithCode(node.put(InfoHash.random(), 'x'), 'ESHUTDOWN');
      await rejectsWithCode(node.run(), 'ESHUTDOWN');
      await rejectsWithCode(node.bootstrap('127.0.0.1', 4222), 'ESHUTDOWN');
    });

    it('reports a bootstrap node that does not answer', async function () {
      this.timeout(30_000);
      const node = await startNode(testNetworkId());
      try {
        // A bound UDP port with no DHT behind it.
        const silent = await startNode(testNetworkId());
        const port = silent.getBoundPort();
        await silent.shutdown();
        await rejectsWithCode(node.bootstrap('127.0.0.1', port), 'EBOOTSTRAP');
        await rejectsWithCode(node.bootstrap('no-such-host.invalid', 4222), 'EBOOTSTRAP');
      } finally {
        await node.shutdown();
      }
    });
  });
});
