// Raw 32-byte X25519/Ed25519 public keys through DER (raw-keys.ts): the bytes are the key itself (the RFCs' test
// vectors), they import back to the same key, and anything else is refused. No JWK here either (raw-keys.ts says why).

import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { exportRawPublicKey, importRawPublicKey, RAW_PUBLIC_KEY_LENGTH, type OkpCurve } from '../../../service/transport/signaling/raw-keys.js';

const spkiOf = (key: KeyObject): Buffer => key.export({ format: 'der', type: 'spki' });

/** RFC 8032 7.1 TEST 1 (Ed25519) and RFC 7748 6.1 Alice (X25519): private key, public key; PKCS#8 header per curve. */
const VECTORS = [
  { curve: 'Ed25519', pkcs8: '302e020100300506032b657004220420', secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a' },
  { curve: 'X25519', pkcs8: '302e020100300506032b656e04220420', secret: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', public: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a' },
] as const;

describe('raw public keys (X25519, Ed25519)', () => {
  for (const vector of VECTORS) {
    it(`exports the ${vector.curve} test vector's public key as its 32 bytes`, () => {
      const privateKey = createPrivateKey({ key: Buffer.from(vector.pkcs8 + vector.secret, 'hex'), format: 'der', type: 'pkcs8' });
      assert.equal(exportRawPublicKey(createPublicKey(privateKey)).toString('hex'), vector.public);
    });
  }

  for (const [curve, type] of [['X25519', 'x25519'], ['Ed25519', 'ed25519']] as const) {
    it(`exports an ${curve} key as its 32 raw bytes and imports them back to the same key`, () => {
      const { publicKey } = generateKeyPairSync(type as 'x25519');
      const raw = exportRawPublicKey(publicKey);
      assert.equal(raw.length, RAW_PUBLIC_KEY_LENGTH);
      const imported = importRawPublicKey(curve as OkpCurve, raw);
      assert.equal(imported.asymmetricKeyType, type);
      assert.deepEqual(spkiOf(imported), spkiOf(publicKey));
    });
  }

  it('refuses to export a key of another kind, and to import bytes that are not 32', () => {
    assert.throws(() => exportRawPublicKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey), /not an X25519 or Ed25519/);
    assert.throws(() => exportRawPublicKey(generateKeyPairSync('ed448').publicKey), /not an X25519 or Ed25519/);
    assert.throws(() => importRawPublicKey('Ed25519', Buffer.alloc(31)), /32 bytes/);
    assert.throws(() => importRawPublicKey('X25519', Buffer.alloc(33)), /32 bytes/);
  });

  it('imports the same 32 bytes as a key of the curve asked for', () => {
    const raw = exportRawPublicKey(generateKeyPairSync('x25519').publicKey);
    assert.equal(importRawPublicKey('X25519', raw).asymmetricKeyType, 'x25519');
    assert.equal(importRawPublicKey('Ed25519', raw).asymmetricKeyType, 'ed25519');
  });
});
