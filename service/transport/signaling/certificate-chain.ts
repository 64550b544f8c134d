// The exporter's proof of the account: device certificate -> account certificate [-> CA], and the ids
// Jami shows for them (OpenDHT's Certificate::getId()).

import { createHash, X509Certificate, type KeyObject } from 'node:crypto';
import type { AccountProof } from '../../contract/link-contract.js';

export interface VerifiedAccountChain {
  readonly proof: AccountProof;
  /** Verifies the exporter's signaling signatures. */
  readonly devicePublicKey: KeyObject;
}

/** Throws CertificateChainError when the chain does not prove an account. */
export type AccountChainVerifier = (certificateChainPem: string, now: Date) => VerifiedAccountChain;

export class CertificateChainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CertificateChainError';
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const MAX_CHAIN_LENGTH = 3;

/**
 * What OpenDHT's Certificate::getId() returns (gnutls_x509_crt_get_key_id, SHA-1 flavour): the SHA-1 of the
 * DER SubjectPublicKeyInfo of the certificate's key, as 40 lowercase hex. For an account certificate this
 * is the Jami ID.
 */
export function certificateId(certificate: X509Certificate): string {
  const spki = certificate.publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha1').update(spki).digest('hex');
}

/** The certificates of a PEM bundle in order; throws CertificateChainError on anything unparsable. */
export function parseCertificateChain(pem: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new CertificateChainError('no certificate in the chain');
  return blocks.map((block) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new CertificateChainError('a certificate of the chain does not parse');
    }
  });
}

function isIssuedBy(subject: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

function checkValidAt(certificate: X509Certificate, role: string, now: Date): void {
  const time = now.getTime();
  if (time < Date.parse(certificate.validFrom) || time > Date.parse(certificate.validTo)) {
    throw new CertificateChainError(`the ${role} certificate is not valid now`);
  }
}

/**
 * Device -> account [-> self-signed CA]: each certificate issued and signed by the next, the account
 * certificate a CA, all valid now. The account id is the id of the account certificate.
 */
export const verifyAccountChain: AccountChainVerifier = (certificateChainPem, now) => {
  const chain = parseCertificateChain(certificateChainPem);
  if (chain.length < 2 || chain.length > MAX_CHAIN_LENGTH) {
    throw new CertificateChainError(`the chain must hold 2 or 3 certificates, not ${chain.length}`);
  }
  const [device, account, ca] = chain as [X509Certificate, X509Certificate, X509Certificate | undefined];
  if (!account.ca) throw new CertificateChainError('the account certificate is not a CA');
  if (!isIssuedBy(device, account)) throw new CertificateChainError('the device certificate is not signed by the account certificate');
  if (ca !== undefined) {
    if (!isIssuedBy(account, ca)) throw new CertificateChainError('the account certificate is not signed by the CA certificate');
    if (!isIssuedBy(ca, ca)) throw new CertificateChainError('the CA certificate is not self-signed');
    checkValidAt(ca, 'CA', now);
  }
  checkValidAt(device, 'device', now);
  checkValidAt(account, 'account', now);
  return {
    proof: { accountId: certificateId(account), deviceId: certificateId(device), chainPem: certificateChainPem },
    devicePublicKey: device.publicKey,
  };
};
