// Crypto round trips through OpenDHT's GnuTLS wrappers: keys, certificates, identities, AES.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

import {
  Certificate,
  Identity,
  InfoHash,
  OpenDhtError,
  PrivateKey,
  PublicKey,
  aesDecrypt,
  aesEncrypt,
  aesEncryptWithKey,
  stretchKey,
  capabilities,
} from '../src/index.js';
import { rejectsWithCode } from './support/assertions.js';

const HEX40 = /^[0-9a-f]{40}$/;
const HEX64 = /^[0-9a-f]{64}$/;

function pemBlocks(pem: string): number {
  return pem.split('-----BEGIN CERTIFICATE-----').length - 1;
}


function throwsWithCode(fn: () => unknown, code: string): OpenDhtError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof OpenDhtError, `expected an OpenDhtError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected a throw with ${code}`);
}

/** Runs `work` while a 10 ms interval ticks; returns the longest gap between ticks. */
async function longestEventLoopGap(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(longest, performance.now() - last);
}

describe('InfoHash', () => {
  it('parses 40 hex characters and prints them in lowercase', () => {
    const hex = 'AB'.repeat(20);
    const h = InfoHash.fromHex(hex);
    assert.equal(h.toString(), hex.toLowerCase());
    assert.equal(h.toBuffer().length, 20);
    assert.ok(h.equals(hex));
    assert.ok(h.equals(InfoHash.fromHex(hex.toLowerCase())));
  });

  it('rejects anything that is not 40 hex characters', () => {
    for (const bad of ['', 'ab', 'zz'.repeat(20), 'ab'.repeat(21)]) throwsWithCode(() => InfoHash.fromHex(bad), 'EINVAL');
  });

  it('hashes like OpenDHT InfoHash::get (SHA-1)', () => {
    assert.equal(InfoHash.get('hello').toString(), createHash('sha1').update('hello').digest('hex'));
    const bytes = Buffer.from([0, 1, 2, 255]);
    assert.equal(InfoHash.get(bytes).toString(), createHash('sha1').update(bytes).digest('hex'));
  });

  it('draws random keys', () => {
    const a = InfoHash.random();
    assert.match(a.toString(), HEX40);
    assert.ok(!a.equals(InfoHash.random()));
  });
});

describe('crypto', function () {
  this.timeout(60_000);

  let ca: Identity;
  let child: Identity;
  let otherCa: Identity;

  before(async () => {
    ca = await Identity.generate('Test CA', { bits: 2048 });
    child = await Identity.generate('device', { ca, bits: 2048 });
    otherCa = await Identity.generate('Test CA', { bits: 2048 }); // same name, different key
  });

  describe('Identity', () => {
    it('generates a self-signed CA by default, and a non-CA child under a CA', () => {
      assert.equal(ca.certificate.subjectName, 'Test CA');
      assert.ok(ca.certificate.isCA);
      assert.equal(ca.certificate.issuer, undefined);
      assert.equal(ca.certificate.id, ca.key.publicKey.id);
      assert.equal(ca.id, ca.key.publicKey.id);
      assert.match(ca.certificate.longId, HEX64);
      assert.equal(ca.certificate.subjectUid, ca.certificate.id);
      assert.ok(ca.certificate.notAfter > ca.certificate.notBefore);

      assert.equal(child.certificate.subjectName, 'device');
      assert.equal(child.certificate.issuerName, 'Test CA');
      assert.equal(child.certificate.issuerUid, ca.certificate.id);
      assert.ok(!child.certificate.isCA);
      assert.equal(child.certificate.issuer?.id, ca.certificate.id);
      assert.equal(child.key.algorithm, 'rsa');
      assert.equal(child.key.bits, 2048);
    });

    it('survives export and import (PEM key + PEM chain)', () => {
      const key = PrivateKey.import(child.key.exportPem());
      const cert = Certificate.import(child.certificate.toPem());
      const again = new Identity(key, cert);
      assert.equal(again.id, child.id);
      assert.equal(again.certificate.issuer?.id, ca.id);
      assert.ok(again.certificate.isSignedBy(ca.certificate));
    });

    it('refuses a certificate that is not for the key', () => {
      throwsWithCode(() => new Identity(child.key, ca.certificate), 'EINVAL');
    });

    it('generates RSA-4096 off the JS thread', async function () {
      this.timeout(30_000);
      let identity: Identity | undefined;
      const started = performance.now();
      const gap = await longestEventLoopGap(async () => {
        identity = await Identity.generate('big');
      });
      const took = performance.now() - started;
      assert.equal(identity?.key.bits, 4096);
      // Generation takes over a second; the event loop must keep ticking meanwhile.
      assert.ok(gap < Math.max(250, took / 3), `event loop blocked for ${gap.toFixed(0)} ms of ${took.toFixed(0)} ms`);
    });

    it('generates EC identities, whose certificate chains verify', async () => {
      const ecCa = await Identity.generate('ec ca', { ec: true });
      const ecChild = await Identity.generate('ec child', { ec: true, ca: ecCa });
      assert.equal(ecCa.key.algorithm, 'ec');
      assert.ok(ecChild.certificate.isSignedBy(ecCa.certificate));
      assert.ok(!ecChild.certificate.isSignedBy(ca.certificate));
    });

    it('validates options', async () => {
      await rejectsWithCode(Identity.generate('x', { bits: 512 }), 'EINVAL');
      await rejectsWithCode(Identity.generate('x', { ca: child, bits: 2048 }), 'EINVAL'); // child is not a CA
    });
  });

  describe('Certificate', () => {
    it('verifies a chain: child signed by its CA, not by an unrelated CA of the same name', () => {
      assert.ok(child.certificate.isSignedBy(ca.certificate));
      assert.ok(!child.certificate.isSignedBy(otherCa.certificate));
      assert.ok(ca.certificate.isSignedBy(ca.certificate), 'a self-signed CA is signed by itself');
      assert.ok(!child.certificate.isSignedBy(child.certificate), 'a child is not signed by itself');
      assert.ok(!ca.certificate.isSignedBy(child.certificate));
    });

    it('exports the chain in PEM by default and the leaf alone on request', () => {
      assert.equal(pemBlocks(child.certificate.toPem()), 2);
      assert.equal(pemBlocks(child.certificate.toPem(false)), 1);
      assert.equal(pemBlocks(ca.certificate.toPem()), 1);
    });

    it('imports a PEM chain, linking each certificate to its issuer', () => {
      const imported = Certificate.import(child.certificate.toPem());
      assert.equal(imported.id, child.certificate.id);
      assert.equal(imported.issuer?.subjectName, 'Test CA');
      assert.ok(imported.isSignedBy(imported.issuer!));
    });

    it('round-trips DER', () => {
      const der = child.certificate.toDer();
      const back = Certificate.import(der);
      assert.ok(back.toDer().equals(der));
      assert.ok(back.equals(child.certificate));
      assert.equal(back.issuer, undefined);
      assert.ok(back.isSignedBy(ca.certificate));
    });

    it('issues a certificate for an existing key', async () => {
      const key = await PrivateKey.generate({ bits: 2048 });
      const cert = await Certificate.generate(key, 'server', { ca });
      assert.equal(cert.publicKey.id, key.publicKey.id);
      assert.ok(cert.isSignedBy(ca.certificate));
      assert.equal(cert.issuer?.id, ca.id);
      const self = await Certificate.generate(key, 'self', { isCA: true });
      assert.ok(self.isCA);
      assert.ok(self.isSignedBy(self));
    });

    it('rejects garbage with ECRYPTO', () => {
      throwsWithCode(() => Certificate.import('not a certificate'), 'ECRYPTO');
      throwsWithCode(() => Certificate.import(Buffer.alloc(0)), 'ECRYPTO');
    });
  });

  describe('PrivateKey and PublicKey', () => {
    it('signs and verifies (RSA)', () => {
      const data = Buffer.from('the archive digest');
      const sig = child.key.sign(data);
      assert.ok(child.key.publicKey.verify(data, sig));
      assert.ok(child.certificate.publicKey.verify(data, sig));
      assert.ok(!child.key.publicKey.verify(Buffer.from('the archive digesT'), sig));
      const tampered = Buffer.from(sig);
      tampered[10] ^= 1;
      assert.ok(!child.key.publicKey.verify(data, tampered));
      assert.ok(!ca.key.publicKey.verify(data, sig));
    });

    it('encrypts for a key and only that key decrypts (short and long data)', async () => {
      for (const size of [16, 5000]) {
        const plain = Buffer.alloc(size, 7);
        const sealed = await child.key.publicKey.encrypt(plain);
        assert.ok((await child.key.decrypt(sealed)).equals(plain));
        await rejectsWithCode(ca.key.decrypt(sealed), 'EDECRYPT');
      }
    });

    it('exports and imports public keys in PEM and DER', () => {
      const pub = child.key.publicKey;
      const fromPem = PublicKey.import(pub.exportPem());
      const fromDer = PublicKey.import(pub.exportDer());
      assert.match(pub.id, HEX40);
      assert.match(pub.longId, HEX64);
      assert.equal(fromPem.longId, pub.longId);
      assert.equal(fromDer.id, pub.id);
      assert.ok(fromDer.equals(pub));
      throwsWithCode(() => PublicKey.import('nope'), 'ECRYPTO');
    });

    it('exports and imports password-protected keys (PEM and DER)', () => {
      const pem = child.key.exportPem('correct horse');
      assert.match(pem, /BEGIN ENCRYPTED PRIVATE KEY/);
      assert.equal(PrivateKey.import(pem, 'correct horse').publicKey.id, child.id);
      const der = child.key.exportDer('correct horse');
      assert.equal(PrivateKey.import(der, 'correct horse').publicKey.id, child.id);
      assert.equal(PrivateKey.import(child.key.exportDer()).publicKey.id, child.id);

      const wrong = throwsWithCode(() => PrivateKey.import(pem, 'battery staple'), 'EDECRYPT');
      assert.match(wrong.message, /wrong password/);
      const missing = throwsWithCode(() => PrivateKey.import(pem), 'EDECRYPT');
      assert.match(missing.message, /password/);
      throwsWithCode(() => PrivateKey.import(der, 'battery staple'), 'EDECRYPT');
      throwsWithCode(() => PrivateKey.import('garbage'), 'ECRYPTO');
      throwsWithCode(() => PrivateKey.import(Buffer.from([1, 2, 3]), 'pw'), 'ECRYPTO');
    });

    it('makes the OpenDHT 2.4 EC limitations explicit errors', async () => {
      const ec = await PrivateKey.generate({ ec: true });
      assert.equal(ec.algorithm, 'ec');
      const data = Buffer.from('x');
      const sig = ec.sign(data);
      if (capabilities.ecSignatures) assert.ok(ec.publicKey.verify(data, sig));
      else throwsWithCode(() => ec.publicKey.verify(data, sig), 'EUNSUPPORTED');
      await rejectsWithCode(ec.publicKey.encrypt(data), 'EUNSUPPORTED');
    });
  });

  describe('aesEncrypt / aesDecrypt', () => {
    it('round-trips with the right password, off the JS thread', async function () {
      this.timeout(20_000);
      const archive = Buffer.from(JSON.stringify({ account: 'archive', n: 42 }));
      let sealed: Buffer = Buffer.alloc(0);
      let opened: Buffer = Buffer.alloc(0);
      const gap = await longestEventLoopGap(async () => {
        sealed = await aesEncrypt(archive, 'pa55word');
        opened = await aesDecrypt(sealed, 'pa55word');
      });
      assert.ok(opened.equals(archive));
      assert.ok(!sealed.includes(Buffer.from('archive')));
      assert.ok(gap < 250, `event loop blocked for ${gap.toFixed(0)} ms`);
    });

    it("rejects a wrong password with code 'EDECRYPT'", async function () {
      this.timeout(20_000);
      const sealed = await aesEncrypt(Buffer.from('secret'), 'right');
      const err = await rejectsWithCode(aesDecrypt(sealed, 'wrong'), 'EDECRYPT');
      assert.match(err.message, /wrong password/);
      const tampered = Buffer.from(sealed);
      tampered[tampered.length - 1] ^= 1;
      await rejectsWithCode(aesDecrypt(tampered, 'right'), 'EDECRYPT');
      await rejectsWithCode(aesDecrypt(Buffer.alloc(10), 'right'), 'EINVAL');
    });
  });

  describe('stretchKey / aesEncryptWithKey', () => {
    it('encrypts with a key stretched beforehand into bytes aesDecrypt opens with the password, and no other', async function () {
      this.timeout(30_000);
      const archive = Buffer.from(JSON.stringify({ account: 'archive', n: 43 }));
      const stretched = await stretchKey('pa55word');
      assert.equal(stretched.key.length, 32);
      assert.equal(stretched.salt.length, 16);
      const sealed = await aesEncryptWithKey(archive, stretched);
      assert.ok(sealed.subarray(0, 16).equals(stretched.salt), 'the salt leads, as in aesEncrypt');
      assert.ok(!sealed.includes(Buffer.from('archive')));
      assert.ok((await aesDecrypt(sealed, 'pa55word')).equals(archive));
      await rejectsWithCode(aesDecrypt(sealed, 'pa55wore'), 'EDECRYPT');
    });

    it("derives aesEncrypt's key again from its salt, and a fresh salt each time without one", async function () {
      this.timeout(30_000);
      const sealed = await aesEncrypt(Buffer.from('x'), 'pw');
      const [again, twice, other] = await Promise.all([stretchKey('pw', sealed.subarray(0, 16)), stretchKey('pw', sealed.subarray(0, 16)), stretchKey('pw')]);
      assert.ok(again.key.equals(twice.key));
      assert.ok(!other.salt.equals(again.salt));
      assert.ok(!other.key.equals(again.key));
      // Re-sealing under the blob's own key gives another blob (fresh IV) that the password still opens.
      assert.ok((await aesDecrypt(await aesEncryptWithKey(Buffer.from('y'), again), 'pw')).equals(Buffer.from('y')));
    });

    it("refuses a salt or a key of the wrong size with code 'EINVAL'", async () => {
      await rejectsWithCode(stretchKey('pw', Buffer.alloc(15)), 'EINVAL');
      await rejectsWithCode(aesEncryptWithKey(Buffer.from('x'), { key: Buffer.alloc(31), salt: Buffer.alloc(16) }), 'EINVAL');
    });
  });
});
