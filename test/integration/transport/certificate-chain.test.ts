// Specification of the account proof: which chains are accepted, and the ids reported (OpenDHT's getId()).

import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { certificateId, CertificateChainError, verifyAccountChain } from '../../../service/transport/signaling/certificate-chain.js';
import { sharedAccount, type AccountFixture } from './certificate-fixtures.js';

describe('certificate chain: the exporter\'s account proof', function () {
  this.timeout(30_000);
  let alice: AccountFixture;
  let mallory: AccountFixture;
  before(() => {
    alice = sharedAccount('alice');
    mallory = sharedAccount('mallory');
  });

  it('computes ids as SHA-1 of the DER SubjectPublicKeyInfo (as openssl encodes it, and as GnuTLS key ids are)', () => {
    assert.equal(certificateId(new X509Certificate(alice.accountPem)), alice.accountIdByOpenssl);
    assert.equal(certificateId(new X509Certificate(alice.devicePem)), alice.deviceIdByOpenssl);
  });

  it('accepts device -> account -> CA and device -> account, reporting the account and device ids and the chain itself', () => {
    for (const pem of [alice.chainPem, alice.devicePem + alice.accountPem]) {
      const verified = verifyAccountChain(pem, new Date());
      assert.deepEqual(verified.proof, { accountId: alice.accountIdByOpenssl, deviceId: alice.deviceIdByOpenssl, chainPem: pem });
    }
  });

  it('refuses a device certificate not signed by the account, a wrong CA, a lone certificate, garbage and an expired chain', () => {
    const refused = [
      mallory.devicePem + alice.accountPem + alice.caPem,
      alice.devicePem + alice.accountPem + mallory.caPem,
      alice.devicePem,
      alice.accountPem + alice.caPem + alice.caPem + alice.caPem,
      'not a certificate',
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
    ];
    for (const pem of refused) assert.throws(() => verifyAccountChain(pem, new Date()), CertificateChainError);
    assert.throws(() => verifyAccountChain(alice.chainPem, new Date(Date.now() + 30 * 86_400_000)), /not valid now/);
  });
});
