// Jami-style identities: a CA certificate, an account certificate signed by it (its id is the Jami ID),
// and one device certificate per device, signed by the account. Built on opendht-node's crypto.

import { randomBytes } from 'node:crypto';
import { Certificate, Identity, PrivateKey } from 'opendht-node';
import { ArchiveError, ArchiveKey, accountSecrets, toBase64Pem, type ArchiveContent } from './archive.js';

export interface DeviceCredentials {
  /** Device private key, PEM (PKCS#8). */
  readonly keyPem: string;
  /** Device certificate followed by the account certificate and its CA, PEM. */
  readonly chainPem: string;
  /** Device id as Jami shows it (64 hex: the certificate's long id). */
  readonly deviceId: string;
  /** The account's Jami ID (40 hex: id of the account certificate). */
  readonly jamiId: string;
}

export interface NewAccount {
  readonly content: ArchiveContent;
  readonly jamiId: string;
}

/** Makes the CA and account identities and the archive content that holds them. */
export async function generateAccountArchive(alias: string, keyBits: number): Promise<NewAccount> {
  const ca = await Identity.generate(`${alias || 'Jami'} CA`, { bits: keyBits, isCA: true });
  const account = await Identity.generate(alias || 'Jami account', { ca, bits: keyBits, isCA: true });
  const content: ArchiveContent = {
    [ArchiveKey.caKey]: toBase64Pem(ca.key.exportPem()),
    [ArchiveKey.accountKey]: toBase64Pem(account.key.exportPem()),
    [ArchiveKey.accountCert]: toBase64Pem(account.certificate.toPem(true)),
    [ArchiveKey.ethKey]: randomBytes(32).toString('base64'),
  };
  return { content, jamiId: account.certificate.id };
}

/** Loads the account identity from archive content, checking that the key matches the certificate. */
export function accountIdentityOf(content: ArchiveContent): Identity {
  const { accountKeyPem, accountCertPem } = accountSecrets(content);
  let key: PrivateKey;
  let certificate: Certificate;
  try {
    key = PrivateKey.import(accountKeyPem);
  } catch {
    throw new ArchiveError('corrupt', 'the account key in the archive is not a valid private key');
  }
  try {
    certificate = Certificate.import(accountCertPem);
  } catch {
    throw new ArchiveError('corrupt', 'the account certificate in the archive is not a valid certificate');
  }
  if (key.publicKey.id !== certificate.publicKey.id) {
    throw new ArchiveError('corrupt', 'the account key does not match the account certificate');
  }
  return new Identity(key, certificate);
}

/** Issues a device certificate signed by the account for `deviceKey` (or a new key). */
export async function issueDevice(
  content: ArchiveContent,
  deviceName: string,
  keyBits: number,
  deviceKey?: PrivateKey,
): Promise<DeviceCredentials> {
  const account = accountIdentityOf(content);
  const key = deviceKey ?? (await PrivateKey.generate({ bits: keyBits }));
  const certificate = await Certificate.generate(key, deviceName || 'device', { ca: account });
  if (!certificate.isSignedBy(account.certificate)) {
    throw new Error('the new device certificate does not verify against the account');
  }
  return {
    keyPem: key.exportPem(),
    chainPem: certificate.toPem(true),
    deviceId: certificate.longId,
    jamiId: account.certificate.id,
  };
}

/** The device a certificate chain proves for account `jamiId`: its long id and name (the certificate's common
 *  name, signed by the account), or undefined when the chain does not prove a device of that account. */
export function deviceOfChain(chainPem: string, jamiId: string): { deviceId: string; name: string } | undefined {
  try {
    const device = Certificate.import(chainPem);
    const account = device.issuer;
    if (!account || account.id !== jamiId || !device.isSignedBy(account)) return undefined;
    return { deviceId: device.longId, name: device.subjectName };
  } catch {
    return undefined;
  }
}

/** Checks device credentials read back from disk: the device certificate is signed by the account. */
export function verifyDeviceChain(chainPem: string, jamiId: string): boolean {
  try {
    const device = Certificate.import(chainPem);
    const account = device.issuer;
    return !!account && account.id === jamiId && device.isSignedBy(account);
  } catch {
    return false;
  }
}
