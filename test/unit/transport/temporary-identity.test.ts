import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { identityKey, inboxKey, replyKey } from '../../../service/transport/signaling/rendezvous-keys.js';
import { claimantTag, parseIdentityValue, parseTombstone, TemporaryIdentity } from '../../../service/transport/signaling/temporary-identity.js';

describe('temporary identity', () => {
  const identity = TemporaryIdentity.generate();

  it('is named by the SHA-1 of its public record (40 lowercase hex), fresh each time', () => {
    assert.match(identity.id, /^[0-9a-f]{40}$/);
    assert.equal(createHash('sha1').update(identity.publishedValue.subarray(0, 78)).digest('hex'), identity.id);
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

  it('signs tombstones that only its own record verifies, naming the claiming session by a tag', () => {
    const published = parseIdentityValue(identity.publishedValue, identity.id)!;
    const session = 'ab'.repeat(16);
    assert.deepEqual(parseTombstone(identity.tombstone('claimed', session), published), { reason: 'claimed', claimant: claimantTag(session) });
    assert.equal(parseTombstone(identity.tombstone('closed'), published)?.reason, 'closed');
    const stranger = TemporaryIdentity.generate();
    assert.equal(parseTombstone(stranger.tombstone('claimed', session), published), undefined);
    assert.equal(parseTombstone(identity.publishedValue, published), undefined);
  });

  it('derives distinct DHT keys from its id, none equal to the id', () => {
    const keys = [identityKey(identity.id), inboxKey(identity.id), replyKey(identity.id, '01'.repeat(16)), replyKey(identity.id, '02'.repeat(16))];
    assert.equal(new Set([...keys, identity.id]).size, 5);
    for (const key of keys) assert.match(key, /^[0-9a-f]{40}$/);
    assert.throws(() => inboxKey('not-an-id'));
  });
});
