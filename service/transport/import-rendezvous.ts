// Import side: publish a fresh temporary identity, take the first exporter whose sealed offer carries the right
// code and a valid account chain, answer it (signed, sealed), and hand over the data channel once it opens.

import { createHash, randomInt, timingSafeEqual, type KeyObject } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AuthToken } from '../contract/link-contract.js';
import { BoundedSet } from './bounded-set.js';
import type { VerifiedAccountChain } from './certificate-chain.js';
import { FramedChannel } from './framed-channel.js';
import type { ImportRendezvous, LinkFailure } from './link-transport.js';
import { PeerLink } from './peer-link.js';
import { importRawPublicKey } from './raw-keys.js';
import { identityKey, inboxKey, replyKey } from './rendezvous-keys.js';
import { open, seal } from './sealed-envelope.js';
import { candidatesOf, dtlsFingerprintOf, withoutCandidates, type DtlsFingerprint, type RemoteCandidate } from './session-description.js';
import {
  decodeSignedMessage,
  encodeSignedMessage,
  MAX_SIGNALING_VALUE_BYTES,
  offerDigest,
  parseOfferBody,
  parseReadyBody,
  type OfferBody,
  type ReadyBody,
  type SignedMessage,
  type RefusalReason,
  type ReplyBody,
} from './signaling-messages.js';
import { verifyFor } from './signatures.js';
import { TemporaryIdentity, type TombstoneReason } from './temporary-identity.js';
import { OneShotTimer } from './transport-clock.js';
import type { TransportSettings } from './transport-settings.js';

const REPLAY_MEMORY = 1024;

/** Publishes the identity and listens for offers; resolves once both are in place (the token is then usable). */
export async function openImportRendezvous(settings: TransportSettings): Promise<ImportRendezvous> {
  const rendezvous = new Rendezvous(settings, TemporaryIdentity.generate(), randomInt(0, 1_000_000).toString().padStart(6, '0'));
  try {
    await rendezvous.publish();
  } catch (error) {
    rendezvous.close();
    throw error;
  }
  return rendezvous;
}

type ImportStage = 'waiting' | 'connecting' | 'linked' | 'ended';

/** The offer this rendezvous took, and what it needs to finish the ICE start-up with its exporter. */
interface AcceptedOffer {
  readonly offer: ReceivedOffer;
  readonly devicePublicKey: KeyObject;
  /** The offer's candidates, held back until the exporter says 'ready'. */
  readonly candidates: readonly RemoteCandidate[];
  answerDigest: string | undefined;
  candidatesAdded: boolean;
}

/** An offer that decrypted and parsed, with what is needed to answer it. */
interface ReceivedOffer {
  readonly body: OfferBody;
  readonly bodyText: string;
  readonly signature: Buffer;
  readonly replyTo: KeyObject;
}

class Rendezvous extends EventEmitter implements ImportRendezvous {
  readonly token: AuthToken;
  private stage: ImportStage = 'waiting';
  private inbox: { cancel(): void } | undefined;
  private readonly seenValues = new BoundedSet<string>(REPLAY_MEMORY);
  private readonly seenSessions = new BoundedSet<string>(REPLAY_MEMORY);
  private failedAttempts = 0;
  private link: PeerLink | undefined;
  private channel: FramedChannel | undefined;
  private readonly connectTimer: OneShotTimer;
  private claimPublished = false;
  private closePublished = false;
  private accepted: AcceptedOffer | undefined;
  private readonly log: Logger;

  constructor(private readonly settings: TransportSettings, private readonly identity: TemporaryIdentity, code: string) {
    super();
    this.token = { peerId: identity.id, code };
    this.connectTimer = new OneShotTimer(settings.clock);
    this.log = settings.logger.child({ side: 'import', rendezvous: identity.id.slice(0, 8) });
  }

  async publish(): Promise<void> {
    await this.settings.signaling.put(identityKey(this.identity.id), this.identity.publishedValue);
    const inbox = this.settings.signaling.listen(inboxKey(this.identity.id), (value) => this.onInboxValue(value));
    this.inbox = inbox;
    await inbox.ready;
    this.log.info('temporary identity published, waiting for an exporter');
  }

  close(): void {
    if (this.stage === 'ended') return;
    this.log.info('rendezvous closed');
    this.teardown();
  }

  private onInboxValue(value: Buffer): void {
    if (this.stage === 'ended') return;
    try {
      const message = this.unseal(value);
      if (message === undefined) return;
      const offer = parseOfferBody(message.bodyText);
      if (offer !== undefined) {
        const received = this.receivedOffer(offer, message);
        if (received !== undefined) this.consider(received);
        return;
      }
      const ready = parseReadyBody(message.bodyText);
      if (ready !== undefined) this.onReady(ready, message);
      else this.log.debug('ignored a value that is not an offer to us');
    } catch (error) {
      this.log.error({ err: error }, 'inbox value handling failed');
    }
  }

  /** The signed message in a DHT value sealed to us, unless it was seen before (replay) or is not for us. */
  private unseal(value: Buffer): SignedMessage | undefined {
    if (value.length > MAX_SIGNALING_VALUE_BYTES) return undefined;
    const valueId = createHash('sha256').update(value).digest('hex');
    if (this.seenValues.has(valueId)) {
      this.log.debug('ignored a replayed offer');
      return undefined;
    }
    this.seenValues.add(valueId);
    const plaintext = open(this.identity.sealingPrivate, this.identity.sealingKey, 'offer', value);
    const message = plaintext === undefined ? undefined : decodeSignedMessage(plaintext);
    if (message === undefined) this.log.debug('ignored a value that is not an offer to us');
    return message;
  }

  private receivedOffer(body: OfferBody, message: SignedMessage): ReceivedOffer | undefined {
    if (body.to !== this.identity.id) return undefined;
    if (this.seenSessions.has(body.session)) {
      this.log.debug({ session: body.session }, 'ignored a replayed offer');
      return undefined;
    }
    this.seenSessions.add(body.session);
    let replyTo: KeyObject;
    try {
      replyTo = importRawPublicKey('X25519', Buffer.from(body.replyTo, 'base64url'));
    } catch {
      return undefined;
    }
    return { body, bodyText: message.bodyText, signature: message.signature, replyTo };
  }

  /** The accepted exporter applied our answer: now our ICE agent may check its candidates too. */
  private onReady(ready: ReadyBody, message: SignedMessage): void {
    const accepted = this.accepted;
    if (accepted === undefined || this.stage !== 'connecting' || accepted.candidatesAdded) return;
    if (ready.to !== this.identity.id || ready.session !== accepted.offer.body.session || ready.answer !== accepted.answerDigest) return;
    if (!verifyFor('ready', Buffer.from(message.bodyText, 'utf8'), message.signature, accepted.devicePublicKey)) return;
    accepted.candidatesAdded = true;
    for (const { candidate, mid } of accepted.candidates) this.link?.addRemoteCandidate(candidate, mid);
    this.log.debug({ candidates: accepted.candidates.length }, 'exporter ready, starting ICE checks');
  }

  private consider(offer: ReceivedOffer): void {
    const log = this.log.child({ session: offer.body.session });
    if (this.stage !== 'waiting') {
      log.info('refused an offer: the token is in use');
      this.reply(offer, { t: 'refused', reason: 'in_use' });
      return;
    }
    if (!timingSafeEqual(Buffer.from(offer.body.code, 'ascii'), Buffer.from(this.token.code, 'ascii'))) {
      this.refuseAttempt(offer, 'bad_code');
      return;
    }
    let verified: VerifiedAccountChain;
    try {
      verified = this.settings.verifyAccountChain(offer.body.chain, new Date(this.settings.clock.now()));
    } catch (error) {
      log.warn({ reason: (error as Error).message }, 'offer with an invalid certificate chain');
      this.refuseAttempt(offer, 'bad_certificate');
      return;
    }
    if (!verifyFor('offer', Buffer.from(offer.bodyText, 'utf8'), offer.signature, verified.devicePublicKey)) {
      log.warn('offer not signed by its device certificate');
      this.refuseAttempt(offer, 'bad_certificate');
      return;
    }
    const fingerprint = dtlsFingerprintOf(offer.body.sdp);
    const link = fingerprint === undefined ? undefined : this.linkFor(offer);
    if (fingerprint === undefined || link === undefined) {
      this.refuseAttempt(offer, 'bad_offer');
      return;
    }
    this.accept(offer, verified, link, fingerprint);
  }

  /** A peer connection that took the offer's SDP, or undefined when libdatachannel refuses it. */
  private linkFor(offer: ReceivedOffer): PeerLink | undefined {
    const link = new PeerLink('answerer', this.settings.peer);
    try {
      // Candidates are held back until 'ready': see PROTOCOL.md, "Why the importer waits for 'ready'".
      link.acceptRemoteDescription(withoutCandidates(offer.body.sdp), 'offer');
      return link;
    } catch (error) {
      this.log.warn({ err: error }, 'offer SDP refused');
      link.close();
      return undefined;
    }
  }

  private accept(offer: ReceivedOffer, verified: VerifiedAccountChain, link: PeerLink, fingerprint: DtlsFingerprint): void {
    this.stage = 'connecting';
    this.link = link;
    this.accepted = { offer, devicePublicKey: verified.devicePublicKey, candidates: candidatesOf(offer.body.sdp), answerDigest: undefined, candidatesAdded: false };
    this.publishTombstone('claimed', offer.body.session);
    this.log.info({ session: offer.body.session, accountId: verified.proof.accountId }, 'exporter authenticated, connecting');
    link.onLost((why) => this.fail('network', why));
    this.connectTimer.start(this.settings.connectTimeoutMs, () => this.fail('network', 'peer connection timed out'));
    this.safeEmit('peer', verified.proof);
    if (this.stage !== 'connecting') return;
    this.connect(offer, link, fingerprint).catch((error: Error) => this.fail('network', error.message));
  }

  private async connect(offer: ReceivedOffer, link: PeerLink, fingerprint: DtlsFingerprint): Promise<void> {
    const sdp = await link.localDescription();
    if (this.stage !== 'connecting') return;
    const answerText = this.replyText(offer, { t: 'answer', sdp });
    if (this.accepted !== undefined) this.accepted.answerDigest = offerDigest(answerText);
    // The channel may open before the DHT confirms this put (the exporter read the answer from a nearer node):
    // read it as soon as it opens. Messages left waiting for a late reader are flushed by libdatachannel while
    // its network thread delivers new ones, and the two interleave (an archive arrived reordered).
    this.putReply(offer, answerText).catch((error: Error) => this.fail('network', `answer not published: ${error.message}`));
    const dc = await link.channelOpen();
    if (this.stage !== 'connecting') return;
    if (!link.remoteFingerprintMatches(fingerprint)) {
      this.fail('authentication', 'the DTLS certificate differs from the signed offer');
      return;
    }
    const peerAddress = link.remoteAddress();
    if (peerAddress === undefined) {
      this.fail('network', 'no selected candidate pair');
      return;
    }
    this.connectTimer.clear();
    this.stage = 'linked';
    this.channel = new FramedChannel(dc, link, peerAddress, this.settings.channel);
    this.log.info({ peerAddress }, 'data channel open');
    this.safeEmit('channel', this.channel);
  }

  private refuseAttempt(offer: ReceivedOffer, reason: RefusalReason): void {
    this.failedAttempts += 1;
    this.log.warn({ session: offer.body.session, reason, failedAttempts: this.failedAttempts }, 'refused an offer');
    this.reply(offer, { t: 'refused', reason });
    if (this.failedAttempts >= this.settings.maxFailedAttempts) this.fail('authentication', 'too many refused offers');
  }

  /** Fire and forget: a lost reply only makes that exporter time out. */
  private reply(offer: ReceivedOffer, content: { t: 'refused'; reason: RefusalReason }): void {
    this.putReply(offer, this.replyText(offer, content)).catch((error: Error) => this.log.debug({ err: error }, 'reply not published'));
  }

  private replyText(offer: ReceivedOffer, content: { t: 'answer'; sdp: string } | { t: 'refused'; reason: RefusalReason }): string {
    const common = { v: 1, from: this.identity.id, session: offer.body.session, offer: offerDigest(offer.bodyText), ts: this.settings.clock.now() } as const;
    const body: ReplyBody = content.t === 'answer'
      ? { t: 'answer', ...common, sdp: content.sdp }
      : { t: 'refused', ...common, reason: content.reason };
    return JSON.stringify(body);
  }

  private putReply(offer: ReceivedOffer, bodyText: string): Promise<void> {
    const signature = this.identity.sign('reply', Buffer.from(bodyText, 'utf8'));
    const sealed = seal(offer.replyTo, 'reply', encodeSignedMessage({ bodyText, signature }));
    return this.settings.signaling.put(replyKey(this.identity.id, offer.body.session), sealed);
  }

  /** 'claimed' when an exporter is accepted (later exporters fail at once), 'closed' when the rendezvous ends. */
  private publishTombstone(reason: TombstoneReason, claimedSession?: string): void {
    if (reason === 'claimed' ? this.claimPublished : this.closePublished) return;
    if (reason === 'claimed') this.claimPublished = true;
    else this.closePublished = true;
    this.settings.signaling.put(identityKey(this.identity.id), this.identity.tombstone(reason, claimedSession))
      .catch((error: Error) => this.log.debug({ err: error }, 'tombstone not published'));
  }

  private fail(reason: LinkFailure, why: string): void {
    if (this.stage === 'ended' || this.stage === 'linked') return;
    this.log.warn({ reason, why }, 'import failed');
    this.teardown();
    this.safeEmit('failed', reason);
  }

  private teardown(): void {
    // The accepted exporter may still wait for our answer: tell it at once rather than let it time out.
    if (this.stage === 'connecting' && this.accepted !== undefined) this.reply(this.accepted.offer, { t: 'refused', reason: 'closed' });
    this.stage = 'ended';
    this.inbox?.cancel();
    this.inbox = undefined;
    this.connectTimer.clear();
    if (this.channel !== undefined) this.channel.destroy();
    else this.link?.close();
    this.publishTombstone('closed');
  }

  private safeEmit(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch (error) {
      this.log.error({ err: error, event }, 'a rendezvous listener threw');
    }
  }
}
