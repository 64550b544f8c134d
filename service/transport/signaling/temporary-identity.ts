// The import side's throwaway identity: an Ed25519 signing key and an X25519 sealing key, named on the DHT
// by id = SHA-1(public record). The record is published signed and encrypted under the id (identity-value-cipher.ts);
// exporters, who know the id from the token, decrypt it and check it hashes to that id.

import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { decryptIdentityValue, encryptIdentityValue } from './identity-value-cipher.js';
import { exportRawPublicKey, importRawPublicKey } from './raw-keys.js';
import { signFor, verifyFor } from './signatures.js';

const RECORD_MAGIC = Buffer.from('jami-linkd-id1', 'ascii');
const TOMBSTONE_MAGIC = Buffer.from('jami-linkd-end1', 'ascii');
const RECORD_LENGTH = RECORD_MAGIC.length + 32 + 32;
const SIGNATURE_LENGTH = 64;
const CLAIMANT_LENGTH = 16;
const TOMBSTONE_BODY_LENGTH = TOMBSTONE_MAGIC.length + 20 + 1 + CLAIMANT_LENGTH;

/** Why the importer no longer takes offers: another exporter got the token, or the import ended. */
export type TombstoneReason = 'claimed' | 'closed';
const REASON_CODES: Record<TombstoneReason, number> = { claimed: 1, closed: 2 };

export interface Tombstone {
  readonly reason: TombstoneReason;
  /** For 'claimed': claimantTag(session) of the accepted offer, so its exporter knows the claim is its own. */
  readonly claimant: string;
}

/** Names the accepted session in a public tombstone without revealing the (secret) session id. */
export function claimantTag(sessionId: string): string {
  return createHash('sha256').update(`jami-linkd/claimant/v1/${sessionId}`).digest().subarray(0, CLAIMANT_LENGTH).toString('hex');
}

/** What an exporter learns from the DHT about the importer. */
export interface PublishedIdentity {
  readonly id: string;
  readonly signingKey: KeyObject;
  readonly sealingKey: KeyObject;
}

export class TemporaryIdentity implements PublishedIdentity {
  readonly id: string;
  readonly signingKey: KeyObject;
  readonly sealingKey: KeyObject;
  /** The signed record, encrypted under the id, as published under identityKey(id). */
  readonly publishedValue: Buffer;

  private constructor(
    private readonly signingPrivate: KeyObject,
    signingPublic: KeyObject,
    readonly sealingPrivate: KeyObject,
    sealingPublic: KeyObject,
  ) {
    this.signingKey = signingPublic;
    this.sealingKey = sealingPublic;
    const record = Buffer.concat([RECORD_MAGIC, exportRawPublicKey(signingPublic), exportRawPublicKey(sealingPublic)]);
    this.id = createHash('sha1').update(record).digest('hex');
    this.publishedValue = encryptIdentityValue(this.id, Buffer.concat([record, signFor('identity', record, signingPrivate)]));
  }

  static generate(): TemporaryIdentity {
    const signing = generateKeyPairSync('ed25519');
    const sealing = generateKeyPairSync('x25519');
    return new TemporaryIdentity(signing.privateKey, signing.publicKey, sealing.privateKey, sealing.publicKey);
  }

  sign(purpose: 'reply', data: Buffer): Buffer {
    return signFor(purpose, data, this.signingPrivate);
  }

  /** A signed "no more offers" marker, encrypted under the id, published under identityKey(id). */
  tombstone(reason: TombstoneReason, claimedSession?: string): Buffer {
    const claimant = claimedSession === undefined ? Buffer.alloc(CLAIMANT_LENGTH) : Buffer.from(claimantTag(claimedSession), 'hex');
    const body = Buffer.concat([TOMBSTONE_MAGIC, Buffer.from(this.id, 'hex'), Buffer.from([REASON_CODES[reason]]), claimant]);
    return encryptIdentityValue(this.id, Buffer.concat([body, signFor('tombstone', body, this.signingPrivate)]));
  }
}

/** The identity in a DHT value, when it decrypts under expectedId to a well-signed record whose SHA-1 is expectedId. */
export function parseIdentityValue(encrypted: Buffer, expectedId: string): PublishedIdentity | undefined {
  const value = decryptIdentityValue(expectedId, encrypted);
  if (value === undefined || value.length !== RECORD_LENGTH + SIGNATURE_LENGTH) return undefined;
  const record = value.subarray(0, RECORD_LENGTH);
  if (!record.subarray(0, RECORD_MAGIC.length).equals(RECORD_MAGIC)) return undefined;
  if (createHash('sha1').update(record).digest('hex') !== expectedId) return undefined;
  try {
    const signingKey = importRawPublicKey('Ed25519', Buffer.from(record.subarray(RECORD_MAGIC.length, RECORD_MAGIC.length + 32)));
    const sealingKey = importRawPublicKey('X25519', Buffer.from(record.subarray(RECORD_MAGIC.length + 32)));
    if (!verifyFor('identity', Buffer.from(record), value.subarray(RECORD_LENGTH), signingKey)) return undefined;
    return { id: expectedId, signingKey, sealingKey };
  } catch {
    return undefined;
  }
}

/** The tombstone in a DHT value, when it decrypts under the identity's id and is signed by it; else undefined. */
export function parseTombstone(encrypted: Buffer, identity: PublishedIdentity): Tombstone | undefined {
  const value = decryptIdentityValue(identity.id, encrypted);
  if (value === undefined || value.length !== TOMBSTONE_BODY_LENGTH + SIGNATURE_LENGTH) return undefined;
  const body = value.subarray(0, TOMBSTONE_BODY_LENGTH);
  if (!body.subarray(0, TOMBSTONE_MAGIC.length).equals(TOMBSTONE_MAGIC)) return undefined;
  if (body.subarray(TOMBSTONE_MAGIC.length, TOMBSTONE_MAGIC.length + 20).toString('hex') !== identity.id) return undefined;
  if (!verifyFor('tombstone', Buffer.from(body), value.subarray(TOMBSTONE_BODY_LENGTH), identity.signingKey)) return undefined;
  const offset = TOMBSTONE_MAGIC.length + 20;
  const reason = (Object.keys(REASON_CODES) as TombstoneReason[]).find((candidate) => REASON_CODES[candidate] === body[offset]);
  return reason === undefined ? undefined : { reason, claimant: body.subarray(offset + 1).toString('hex') };
}
