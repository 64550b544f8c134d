import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { decryptIdentityValue } from '../../../service/transport/signaling/identity-value-cipher.js';
import { identityKey, inboxKey, replyKey } from '../../../service/transport/signaling/rendezvous-keys.js';
import { claimantTag, parseIdentityValue, parseTombstone, TemporaryIdentity } from '../../../service/transport/signaling/temporary-identity.js';

describe('temporary identity', () => {
  const identity = TemporaryIdentity.generate();

  it('is named by the SHA-1 of its public record (40 lowercase hex), fresh each time', () => {
    assert.match(identity.id, /^[0-9a-f]{40}$/);
    const record = decryptIdentityValue(identity.id, identity.publishedValue)!.subarray(0, 78);
    assert.equal(createHash('sha1').update(record).digest('hex'), identity.id);
    assert.notEqual(TemporaryIdentity.generate().id, identity.id);
  });

  it('publishes a signed record that parses only under its own id and only unaltered', () => {
    const parsed = parseIdentityValue(identity.publishedValue, identity.id);
    assert.ok(parsed);
    assert.equal(parsed.signingKey.asymmetricKeyType, 'ed25519');
    assert.equal(parsed.sealingKey.asymmetricKeyType, 'x25519');
    assert.equal(parseIdentityValue(identity.publishedValue, TemporaryIdentity.generate().id), undefined);
    const badSignature = Buffer.from(identity.publishedValue);
    badSignature[badSignature.length - 1]! ^= 1;
    assert.equal(parseIdentityValue(badSignature, identity.id), undefined);
  });

  it('publishes its record and tombstones encrypted under its id: no id, no key, no hash of the id in the bytes', () => {
    const published = parseIdentityValue(identity.publishedValue, identity.id)!;
    const rawKeys = [published.signingKey, published.sealingKey].map((key) => key.export({ format: 'der', type: 'spki' }).subarray(-32));
    for (const value of [identity.publishedValue, identity.tombstone('claimed', 'ab'.repeat(16)), identity.tombstone('closed')]) {
      for (const secret of [Buffer.from(identity.id, 'hex'), Buffer.from(identity.id, 'ascii'), ...rawKeys, Buffer.from('jami-linkd')]) {
        assert.ok(!value.includes(secret), 'an identity value shows the id, a key or a magic');
      }
      assert.notEqual(createHash('sha1').update(value).digest('hex'), identity.id);
      assert.equal(decryptIdentityValue(TemporaryIdentity.generate().id, value), undefined, 'another id cannot open it');
    }
    assert.notDeepEqual(identity.tombstone('closed'), identity.tombstone('closed'), 'a fresh nonce each time');
  });

  it('signs tombstones that only its own record verifies, naming the claiming session by a tag', () => {
    const published = parseIdentityValue(identity.publishedValue, identity.id)!;
    const session = 'ab'.repeat(16);
    assert.deepEqual(parseTombstone(identity.tombstone('claimed', session), published), { reason: 'claimed', claimant: claimantTag(session) });
    assert.equal(parseTombstone(identity.tombstone('closed'), published)?.reason, 'closed');
    const stranger = TemporaryIdentity.generate();
    assert.equal(parseTombstone(stranger.tombstone('claimed', session), published), undefined);
    assert.equal(parseTombstone(identity.publishedValue, published), undefined);
  });

  it('derives distinct DHT keys from its id (the inbox also from the code), none equal to the id', () => {
    const keys = [identityKey(identity.id), inboxKey(identity.id, '012345'), inboxKey(identity.id, '012346'), replyKey(identity.id, '01'.repeat(16)), replyKey(identity.id, '02'.repeat(16))];
    assert.equal(new Set([...keys, identity.id]).size, 6);
    for (const key of keys) assert.match(key, /^[0-9a-f]{40}$/);
    assert.throws(() => inboxKey('not-an-id', '012345'));
    assert.throws(() => inboxKey(identity.id, '12345'));
  });
});
