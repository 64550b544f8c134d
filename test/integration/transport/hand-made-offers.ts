// Offers built by hand, as a modified client or a stranger on the DHT would: any code, any chain, any signer,
// sealed to an importer's published key, and the means to read the importer's sealed reply to one of them.

import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { exportRawPublicKey } from '../../../service/transport/signaling/raw-keys.js';
import { open, seal } from '../../../service/transport/signaling/sealed-envelope.js';
import {
  decodeSignedMessage,
  encodeSignedMessage,
  parseReplyBody,
  type OfferBody,
  type ReplyBody,
} from '../../../service/transport/signaling/signaling-messages.js';
import { signFor } from '../../../service/transport/signaling/signatures.js';
import type { PublishedIdentity } from '../../../service/transport/signaling/temporary-identity.js';

export interface HandMadeOffer {
  /** The sealed DHT value. */
  readonly value: Buffer;
  readonly session: string;
  /** The importer's reply to this offer in a DHT value, when the value is one. */
  readReply(value: Buffer): ReplyBody | undefined;
}

/** An offer to `identity` carrying `code` and `chain`, signed by `signer` (random bytes when there is none). */
export function handMadeOffer(identity: PublishedIdentity, code: string, chain: string, signer?: KeyObject): HandMadeOffer {
  const replyKeys = generateKeyPairSync('x25519');
  const body: OfferBody = {
    t: 'offer',
    v: 1,
    to: identity.id,
    session: randomBytes(16).toString('hex'),
    code,
    replyTo: exportRawPublicKey(replyKeys.publicKey).toString('base64url'),
    sdp: 'v=0\r\n',
    chain,
    ts: Date.now(),
  };
  const bodyText = JSON.stringify(body);
  const signature = signer === undefined ? randomBytes(64) : signFor('offer', Buffer.from(bodyText, 'utf8'), signer);
  return {
    value: seal(identity.sealingKey, 'offer', encodeSignedMessage({ bodyText, signature })),
    session: body.session,
    readReply: (value) => {
      const plaintext = open(replyKeys.privateKey, replyKeys.publicKey, 'reply', value);
      const message = plaintext === undefined ? undefined : decodeSignedMessage(plaintext);
      return message === undefined ? undefined : parseReplyBody(message.bodyText);
    },
  };
}
