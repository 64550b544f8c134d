import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { open, seal } from '../../../service/transport/signaling/sealed-envelope.js';

describe('sealed envelope (X25519 + HKDF-SHA256 + AES-256-GCM)', () => {
  const recipient = generateKeyPairSync('x25519');
  const message = Buffer.from('v=0 a=fingerprint:sha-256 AB:CD candidate 127.0.0.1 123456');

  it('opens with the recipient key and purpose it was sealed for', () => {
    assert.deepEqual(open(recipient.privateKey, recipient.publicKey, 'offer', seal(recipient.publicKey, 'offer', message)), message);
  });

  it('shows none of the plaintext and never seals the same message to the same bytes (ephemeral key per message)', () => {
    const a = seal(recipient.publicKey, 'offer', message);
    const b = seal(recipient.publicKey, 'offer', message);
    assert.ok(!a.equals(b));
    assert.ok(!a.includes(Buffer.from('fingerprint')) && !a.includes(Buffer.from('123456')));
  });

  it('does not open for another key, for the other purpose, or once a single bit changed', () => {
    const other = generateKeyPairSync('x25519');
    const sealed = seal(recipient.publicKey, 'offer', message);
    assert.equal(open(other.privateKey, other.publicKey, 'offer', sealed), undefined);
    assert.equal(open(recipient.privateKey, recipient.publicKey, 'reply', sealed), undefined);
    for (const index of [0, 5, 40, 60, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[index]! ^= 0x01;
      assert.equal(open(recipient.privateKey, recipient.publicKey, 'offer', tampered), undefined, `bit flip at ${index}`);
    }
    assert.equal(open(recipient.privateKey, recipient.publicKey, 'offer', sealed.subarray(0, 30)), undefined);
  });
});
