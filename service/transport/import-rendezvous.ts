// Import side: publish a fresh temporary identity (encrypted under its id), listen on the inbox named by the id
// and the code, take the first exporter whose sealed offer carries the right code and a valid account chain,
// answer it (signed, sealed), and hand over the data channel once it opens.
// What happens when is the table in import-rendezvous-machine.ts; this file turns DHT values and WebRTC
// events into its inputs and performs its effects.

import { createHash, randomInt, timingSafeEqual, type KeyObject } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { describeError, guarded, safeEmit } from '../contract/guards.js';
import type { AuthToken, ImportRendezvous, LinkFailure, NetworkDiagnosis } from '../contract/link-contract.js';
import type { Logger } from '../contract/logger.js';
import type { MachineRunner } from '../contract/machine-runner.js';
import {
  importMachine,
  MAX_REMOTE_CANDIDATES,
  stepImport,
  type ImportContext,
  type ImportEffect,
  type ImportInput,
  type ImportState,
  type ReceivedOffer,
} from './import-rendezvous-machine.js';
import { startHandshake, type ChannelOpening } from './open-channel.js';
import { BoundedSet } from './signaling/bounded-set.js';
import { importRawPublicKey } from './signaling/raw-keys.js';
import { identityKey, inboxKey, replyKey } from './signaling/rendezvous-keys.js';
import { open, seal } from './signaling/sealed-envelope.js';
import {
  decodeSignedMessage,
  encodeSignedMessage,
  MAX_SIGNALING_VALUE_BYTES,
  MAX_TRICKLED_CANDIDATES,
  parseInboxBody,
  replyBodyText,
  type OfferBody,
  type RefusalReason,
  type SignedMessage,
} from './signaling/signaling-messages.js';
import { verifyFor } from './signaling/signatures.js';
import { TemporaryIdentity } from './signaling/temporary-identity.js';
import type { TransportSettings } from './transport-settings.js';
import { PeerLink } from './webrtc/peer-link.js';
import { candidatesOf, dtlsFingerprintOf, withoutCandidates, type RemoteCandidate } from './webrtc/session-description.js';

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

class Rendezvous extends EventEmitter implements ImportRendezvous {
  readonly token: AuthToken;
  private readonly runner: MachineRunner<ImportState, ImportInput, ImportEffect, ImportContext, LinkFailure>;
  private readonly opening: ChannelOpening;
  private inbox: { cancel(): void } | undefined;
  private readonly seenValues = new BoundedSet<string>(REPLAY_MEMORY);
  private readonly seenSessions = new BoundedSet<string>(REPLAY_MEMORY);
  /** The answer's put: trickled candidates follow it, never overtake it. */
  private answerPut: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(private readonly settings: TransportSettings, private readonly identity: TemporaryIdentity, code: string) {
    super();
    this.token = { peerId: identity.id, code };
    this.log = settings.logger.child({ side: 'import', rendezvous: identity.id.slice(0, 8) });
    ({ runner: this.runner, opening: this.opening } = startHandshake(
      settings,
      this.log,
      importMachine(identity.id, settings.maxFailedAttempts),
      stepImport,
      (effect, input, context, error) => this.perform(effect, input, context, error),
      (effect) => ({ type: 'channel_failed', error: 'network', why: `${effect} failed` }),
    ));
  }

  async publish(): Promise<void> {
    await this.settings.signaling.put(identityKey(this.identity.id), this.identity.publishedValue);
    // Only holders of the whole token can compute the inbox: strangers' offers never reach us, nor count.
    const inbox = this.settings.signaling.listen(inboxKey(this.identity.id, this.token.code), (value) => this.onInboxValue(value));
    this.inbox = inbox;
    await inbox.ready;
    this.log.info('temporary identity published, waiting for an exporter');
  }

  close(): void {
    if (this.runner.dispatch({ type: 'close' })) this.log.info('rendezvous closed');
  }

  /** A sealed value in our inbox: a new offer, an exporter's `ready`, or something to ignore. */
  private onInboxValue(value: Buffer): void {
    guarded(this.log, 'inbox value handling failed', () => {
      const message = this.unseal(value);
      if (message === undefined) return;
      const body = parseInboxBody(message.bodyText);
      switch (body?.t) {
        case 'offer': {
          const received = body.to === this.identity.id ? this.receivedOffer(message, body) : undefined;
          if (received !== undefined) this.runner.dispatch({ type: 'offer', offer: received });
          return;
        }
        case 'ready':
          this.runner.dispatch({ type: 'ready', body, message });
          return;
        case 'candidates':
          if (this.fromAcceptedExporter('candidates', body.to, body.session, message)) this.runner.dispatch({ type: 'remote_candidates', candidates: [...body.candidates] });
          return;
        case 'gave_up':
          if (this.fromAcceptedExporter('gave_up', body.to, body.session, message)) this.runner.dispatch({ type: 'exporter_gave_up' });
          return;
        default:
          this.log.debug('ignored a value that is not an offer to us');
      }
    });
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

  /** Signed by the accepted exporter's device key, for its session with us (and for candidates, with room left). */
  private fromAcceptedExporter(purpose: 'candidates' | 'gave_up', to: string, session: string, message: SignedMessage): boolean {
    const accepted = this.runner.context.accepted;
    if (accepted === undefined || to !== this.identity.id || session !== accepted.received.body.session) return false;
    if (purpose === 'candidates' && accepted.candidates.length >= MAX_REMOTE_CANDIDATES) return false;
    return verifyFor(purpose, Buffer.from(message.bodyText, 'utf8'), message.signature, accepted.devicePublicKey);
  }

  /** The offer with its reply key, unless its session was seen before (a replay). */
  private receivedOffer(message: SignedMessage, body: OfferBody): ReceivedOffer | undefined {
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

  private perform(effect: ImportEffect, input: ImportInput, context: ImportContext, error: LinkFailure | undefined): void {
    switch (effect) {
      case 'judgeOffer':
        if (input.type === 'offer') this.runner.dispatch(this.judge(input.offer));
        return;
      case 'refuseOffer':
        if (input.type !== 'offer_refused') return;
        this.log.warn({ session: input.offer.body.session, failedCheck: input.check, failedAttempts: context.failedAttempts }, 'refused an offer');
        return this.refuse(input.offer, 'not_accepted');
      case 'refuseInUse':
        if (input.type !== 'offer' && input.type !== 'offer_refused' && input.type !== 'offer_good') return;
        this.log.info({ session: sessionOf(input) }, 'refused an offer: the token is in use');
        return this.refuse(input.type === 'offer_good' ? input.offer.received : input.offer, 'in_use');
      case 'closeOfferLink':
        if (input.type === 'offer_good') input.link.close();
        return;
      case 'publishClaim':
        return this.publishTombstone('claimed', context.accepted?.received.body.session);
      case 'adoptLink':
        if (input.type !== 'offer_good') return;
        this.log.info({ session: input.offer.received.body.session, accountId: input.offer.proof.accountId }, 'exporter authenticated, connecting');
        return this.opening.adopt(input.link);
      case 'startConnectTimer':
        return this.opening.startTimer();
      case 'emitPeer':
        return safeEmit(this, this.log, 'peer', context.accepted?.proof);
      case 'gatherAnswer': {
        const link = this.opening.peerLink;
        link?.localDescription().then(
          (sdp) => {
            this.runner.dispatch({ type: 'answer_gathered', sdp, at: this.settings.clock.now() });
            link.onLateCandidates((candidates) => this.runner.dispatch({ type: 'local_candidates', candidates }));
          },
          (err: unknown) => this.runner.dispatch({ type: 'link_lost', why: describeError(err) }),
        );
        return;
      }
      case 'putAnswer':
        // The channel may open before the DHT confirms this put (the exporter read the answer from a nearer node):
        // read it as soon as it opens. Messages left waiting for a late reader are flushed by libdatachannel while
        // its network thread delivers new ones, and the two interleave (an archive arrived reordered).
        if (context.accepted === undefined || context.answerText === undefined) return;
        this.answerPut = this.putReply(context.accepted.received, context.answerText);
        this.answerPut.catch((err: unknown) => this.runner.dispatch({ type: 'answer_unpublished', why: `answer not published: ${describeError(err)}` }));
        return;
      case 'awaitChannel':
        if (context.accepted !== undefined) this.opening.awaitChannel(context.accepted.fingerprint, () => this.runner.context.accepted?.candidates ?? []);
        return;
      case 'addTrickledCandidates':
        if (input.type === 'remote_candidates') for (const { candidate, mid } of input.candidates) this.opening.peerLink?.addRemoteCandidate(candidate, mid);
        return;
      case 'sendCandidates':
        if (input.type === 'local_candidates') this.sendCandidates(context, input.candidates);
        return;
      case 'addCandidates': {
        const candidates = context.accepted?.candidates ?? [];
        for (const { candidate, mid } of candidates) this.opening.peerLink?.addRemoteCandidate(candidate, mid);
        this.log.debug({ candidates: candidates.length }, 'exporter ready, starting ICE checks');
        return;
      }
      case 'frameChannel':
        if (input.type === 'channel_open') safeEmit(this, this.log, 'channel', this.opening.frame(input.dc, input.location));
        return;
      case 'refuseAccepted':
        if (context.accepted !== undefined) this.refuse(context.accepted.received, 'closed');
        return;
      case 'release':
        this.inbox?.cancel();
        this.inbox = undefined;
        this.opening.release();
        return this.publishTombstone('closed');
      case 'emitFailed': {
        const diagnosis = error === 'network' ? this.diagnosis(input) : undefined;
        this.log.warn({ reason: error, why: whyOf(input), ...diagnosis, connection: this.opening.summary() }, 'import failed');
        return safeEmit(this, this.log, 'failed', error, diagnosis);
      }
    }
  }

  /** An answer the DHT would not take is a signaling failure; otherwise the peer link says where it stopped. */
  private diagnosis(input: ImportInput): NetworkDiagnosis {
    return input.type === 'answer_unpublished' ? { stage: 'signaling' } : this.opening.diagnosis();
  }

  /** Our late candidates, after the answer (the exporter applies candidates only with or after the answer). */
  private sendCandidates(context: ImportContext, candidates: readonly RemoteCandidate[]): void {
    const accepted = context.accepted;
    const answerPut = this.answerPut;
    if (accepted === undefined || answerPut === undefined) return;
    const offer = { session: accepted.received.body.session, bodyText: accepted.received.bodyText };
    for (let first = 0; first < candidates.length; first += MAX_TRICKLED_CANDIDATES) {
      const batch = candidates.slice(first, first + MAX_TRICKLED_CANDIDATES).map(({ candidate, mid }) => ({ candidate, mid }));
      const text = replyBodyText(this.identity.id, offer, { t: 'candidates', candidates: batch }, this.settings.clock.now());
      answerPut
        .then(() => this.putReply(accepted.received, text))
        .then(
          () => this.log.debug({ candidates: batch.length }, 'late candidates sent'),
          (err: unknown) => this.log.debug({ err: describeError(err) }, 'late candidates not published'),
        );
    }
  }

  /**
   * The offer's checks, in order: code, account chain, signature, an SDP with a fingerprint libdatachannel takes.
   * Which one failed stays in our log: the exporter is told 'not_accepted' for each (no oracle on the code).
   */
  private judge(offer: ReceivedOffer): ImportInput {
    const log = this.log.child({ session: offer.body.session });
    if (!timingSafeEqual(Buffer.from(offer.body.code, 'ascii'), Buffer.from(this.token.code, 'ascii'))) return { type: 'offer_refused', offer, check: 'code' };
    let verified;
    try {
      verified = this.settings.verifyAccountChain(offer.body.chain, new Date(this.settings.clock.now()));
    } catch (err) {
      log.warn({ reason: describeError(err) }, 'offer with an invalid certificate chain');
      return { type: 'offer_refused', offer, check: 'certificate' };
    }
    if (!verifyFor('offer', Buffer.from(offer.bodyText, 'utf8'), offer.signature, verified.devicePublicKey)) {
      log.warn('offer not signed by its device certificate');
      return { type: 'offer_refused', offer, check: 'signature' };
    }
    const fingerprint = dtlsFingerprintOf(offer.body.sdp);
    const link = fingerprint === undefined ? undefined : this.linkFor(offer);
    if (fingerprint === undefined || link === undefined) return { type: 'offer_refused', offer, check: 'sdp' };
    const accepted = { received: offer, proof: verified.proof, devicePublicKey: verified.devicePublicKey, fingerprint, candidates: candidatesOf(offer.body.sdp) };
    return { type: 'offer_good', offer: accepted, link };
  }

  /** A peer connection that took the offer's SDP, or undefined when libdatachannel refuses it. */
  private linkFor(offer: ReceivedOffer): PeerLink | undefined {
    const link = new PeerLink('answerer', this.settings.peer);
    try {
      // Candidates are held back until 'ready': see PROTOCOL.md, "Why the importer waits for 'ready'".
      link.acceptRemoteDescription(withoutCandidates(offer.body.sdp), 'offer');
      return link;
    } catch (err) {
      this.log.warn({ err: describeError(err) }, 'offer SDP refused');
      link.close();
      return undefined;
    }
  }

  /** Fire and forget: a lost refusal only makes that exporter time out. */
  private refuse(offer: ReceivedOffer, reason: RefusalReason): void {
    const text = replyBodyText(this.identity.id, { session: offer.body.session, bodyText: offer.bodyText }, { t: 'refused', reason }, this.settings.clock.now());
    this.putReply(offer, text).catch((err: unknown) => this.log.debug({ err: describeError(err) }, 'reply not published'));
  }

  private putReply(offer: ReceivedOffer, bodyText: string): Promise<void> {
    const signature = this.identity.sign('reply', Buffer.from(bodyText, 'utf8'));
    const sealed = seal(offer.replyTo, 'reply', encodeSignedMessage({ bodyText, signature }));
    return this.settings.signaling.put(replyKey(this.identity.id, offer.body.session), sealed);
  }

  /** 'claimed' when an exporter is accepted (later exporters fail at once), 'closed' when the rendezvous ends. */
  private publishTombstone(reason: 'claimed' | 'closed', claimedSession?: string): void {
    this.settings.signaling.put(identityKey(this.identity.id), this.identity.tombstone(reason, claimedSession))
      .catch((err: unknown) => this.log.debug({ err: describeError(err) }, 'tombstone not published'));
  }
}

function sessionOf(input: Extract<ImportInput, { type: 'offer' | 'offer_refused' | 'offer_good' }>): string {
  return input.type === 'offer_good' ? input.offer.received.body.session : input.offer.body.session;
}

function whyOf(input: ImportInput): string {
  switch (input.type) {
    case 'offer_refused':
      return 'too many refused offers';
    case 'link_lost':
    case 'channel_failed':
    case 'answer_unpublished':
      return input.why;
    case 'connect_timeout':
      return 'peer connection timed out';
    case 'exporter_gave_up':
      return 'the exporter gave up';
    default:
      return input.type;
  }
}
