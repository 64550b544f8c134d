// Export side: fetch the importer's identity named by the token, send it a sealed offer signed by the device key
// (code, certificate chain, SDP), take its signed answer, and hand over the data channel once it opens.
// What happens when is the table in export-connection-machine.ts; this file turns DHT values and WebRTC
// events into its inputs and performs its effects.

import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { OneShotTimer } from '../contract/clock.js';
import { describeError, guarded, safeEmit } from '../contract/guards.js';
import type { AuthToken, ExportConnection, ExporterCredentials, LinkFailure, NetworkDiagnosis } from '../contract/link-contract.js';
import type { Logger } from '../contract/logger.js';
import type { MachineRunner } from '../contract/machine-runner.js';
import {
  exportMachine,
  MAX_REMOTE_CANDIDATES,
  stepExport,
  type ExportContext,
  type ExportEffect,
  type ExportInput,
  type ExportState,
  type OfferSession,
} from './export-connection-machine.js';
import { startHandshake, type ChannelOpening } from './open-channel.js';
import { IdentityWatch } from './signaling/identity-watch.js';
import { exportRawPublicKey } from './signaling/raw-keys.js';
import { identityKey, inboxKey, replyKey } from './signaling/rendezvous-keys.js';
import { open, seal } from './signaling/sealed-envelope.js';
import {
  decodeSignedMessage,
  encodeSignedMessage,
  exporterCandidatesText,
  gaveUpText,
  MAX_SIGNALING_VALUE_BYTES,
  MAX_TRICKLED_CANDIDATES,
  offerDigest,
  parseReplyBody,
  type OfferBody,
  type ReadyBody,
} from './signaling/signaling-messages.js';
import { signFor, verifyFor } from './signaling/signatures.js';
import type { PublishedIdentity } from './signaling/temporary-identity.js';
import type { TransportSettings } from './transport-settings.js';
import { PeerLink } from './webrtc/peer-link.js';
import { candidatesOf, dtlsFingerprintOf, type RemoteCandidate } from './webrtc/session-description.js';

/** Starts at once; every outcome ('channel' or 'failed') is emitted asynchronously, after the caller subscribed. */
export function openExportConnection(settings: TransportSettings, token: AuthToken, credentials: ExporterCredentials): ExportConnection {
  const connection = new Connection(settings, token);
  connection.start(credentials);
  return connection;
}

class Connection extends EventEmitter implements ExportConnection {
  private readonly runner: MachineRunner<ExportState, ExportInput, ExportEffect, ExportContext, LinkFailure>;
  private readonly opening: ChannelOpening;
  private readonly signalingTimer: OneShotTimer;
  private readonly identityWatch: IdentityWatch;
  private identityListener: { cancel(): void } | undefined;
  private replyListener: { cancel(): void } | undefined;
  /** The offer's put: trickled candidates follow it, never overtake it. */
  private offerPut: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(private readonly settings: TransportSettings, token: AuthToken) {
    super();
    this.log = settings.logger.child({ side: 'export', rendezvous: token.peerId.slice(0, 8) });
    ({ runner: this.runner, opening: this.opening } = startHandshake(
      settings,
      this.log,
      exportMachine(token),
      stepExport,
      (effect, input, context, error) => this.perform(effect, input, context, error),
      (effect) => ({ type: 'signaling_failed', why: `${effect} failed` }),
    ));
    this.signalingTimer = new OneShotTimer(settings.clock);
    this.identityWatch = new IdentityWatch(token.peerId);
  }

  start(credentials: ExporterCredentials): void {
    // Nothing is emitted before the caller had a chance to subscribe.
    queueMicrotask(() => this.runner.dispatch({ type: 'begin', credentials }));
  }

  close(): void {
    if (this.runner.dispatch({ type: 'close' })) this.log.info('export connection closed');
  }

  /** The device key and chain, checked against each other. */
  private checkCredentials(credentials: ExporterCredentials): ExportInput {
    try {
      const privateKey = createPrivateKey(credentials.devicePrivateKeyPem);
      const verified = this.settings.verifyAccountChain(credentials.certificateChainPem, new Date(this.settings.clock.now()));
      const probe = randomBytes(32);
      if (!verifyFor('offer', probe, signFor('offer', probe, privateKey), verified.devicePublicKey)) {
        return { type: 'credentials_bad', why: 'the device key does not match the device certificate' };
      }
      return { type: 'credentials_good', device: { privateKey, chainPem: credentials.certificateChainPem } };
    } catch (err) {
      return { type: 'credentials_bad', why: `unusable credentials: ${describeError(err)}` };
    }
  }

  /** Values under the identity key, through the watch that sorts them into one verdict. */
  private onIdentityValues(values: readonly Buffer[]): void {
    guarded(this.log, 'identity value handling failed', () => {
      const verdict = this.identityWatch.add(values, this.runner.context.session?.id);
      if (verdict !== undefined) this.runner.dispatch(verdict);
    });
  }

  /** A sealed value on our reply key: the importer's signed answer or refusal of our offer, or nothing. */
  private onReplyValue(value: Buffer): void {
    guarded(this.log, 'reply value handling failed', () => {
      const input = this.classifyReply(value);
      if (input !== undefined) this.runner.dispatch(input);
    });
  }

  private classifyReply(value: Buffer): ExportInput | undefined {
    const { session, identity } = this.runner.context;
    if (session === undefined || identity === undefined || value.length > MAX_SIGNALING_VALUE_BYTES) return undefined;
    const plaintext = open(session.replyPrivate, session.replyPublic, 'reply', value);
    const message = plaintext === undefined ? undefined : decodeSignedMessage(plaintext);
    const body = message === undefined ? undefined : parseReplyBody(message.bodyText);
    if (message === undefined || body === undefined) return undefined;
    if (body.from !== identity.id || body.session !== session.id || body.offer !== session.offerDigest) return undefined;
    if (!verifyFor('reply', Buffer.from(message.bodyText, 'utf8'), message.signature, identity.signingKey)) {
      this.log.warn('ignored a reply with a bad signature');
      return undefined;
    }
    if (body.t === 'refused') return { type: 'refused', reason: body.reason };
    if (body.t === 'candidates') {
      return this.runner.context.remoteCandidates.length < MAX_REMOTE_CANDIDATES ? { type: 'remote_candidates', candidates: [...body.candidates] } : undefined;
    }
    const fingerprint = dtlsFingerprintOf(body.sdp);
    if (fingerprint === undefined) return { type: 'answer_bad', why: 'the answer has no DTLS fingerprint' };
    return { type: 'answer', answer: { bodyText: message.bodyText, sdp: body.sdp, fingerprint } };
  }

  private perform(effect: ExportEffect, input: ExportInput, context: ExportContext, error: LinkFailure | undefined): void {
    switch (effect) {
      case 'startSignalingTimer':
        return this.signalingTimer.start(this.settings.signalingTimeoutMs, () => this.runner.dispatch({ type: 'signaling_timeout' }));
      case 'checkCredentials':
        if (input.type === 'begin') this.runner.dispatch(this.checkCredentials(input.credentials));
        return;
      case 'getIdentity':
        // One get first, so a used token (record + tombstone side by side) is judged on the whole picture;
        // then a listen, for a record not there yet and for tombstones published while we wait.
        this.settings.signaling.get(identityKey(context.token.peerId)).then((values) => {
          this.onIdentityValues(values);
          this.runner.dispatch({ type: 'identity_listed' });
        }, (err: unknown) => this.signalingFailed(err));
        return;
      case 'listenIdentity':
        this.identityListener = this.settings.signaling.listen(identityKey(context.token.peerId), (value) => this.onIdentityValues([value]));
        return;
      case 'createLink':
        return this.opening.adopt(new PeerLink('offerer', this.settings.peer));
      case 'gatherOffer': {
        const link = this.opening.peerLink;
        link?.localDescription().then(
          (sdp) => {
            this.runner.dispatch({ type: 'offer_gathered', session: this.offerSession(this.runner.context, sdp) });
            link.onLateCandidates((candidates) => this.runner.dispatch({ type: 'local_candidates', candidates }));
          },
          (err: unknown) => this.runner.dispatch({ type: 'link_lost', why: describeError(err) }),
        );
        return;
      }
      case 'listenReplies': {
        if (context.session === undefined || context.identity === undefined) return;
        const replies = this.settings.signaling.listen(replyKey(context.identity.id, context.session.id), (value) => this.onReplyValue(value));
        this.replyListener = replies;
        replies.ready.then(() => this.runner.dispatch({ type: 'replies_listening' }), (err: unknown) => this.signalingFailed(err));
        return;
      }
      case 'putOffer':
        if (context.session === undefined || context.identity === undefined || context.device === undefined) return;
        this.offerPut = this.putSigned(context.identity, 'offer', context.session.bodyText, context.device);
        this.offerPut.then(
          () => {
            this.log.info({ session: context.session!.id }, 'offer sent, waiting for the answer');
            this.runner.dispatch({ type: 'offer_published' });
          },
          (err: unknown) => this.runner.dispatch({ type: 'offer_unpublished', why: `offer not published: ${describeError(err)}` }),
        );
        return;
      case 'sendCandidates':
        if (input.type === 'local_candidates') this.sendCandidates(context, input.candidates);
        return;
      case 'addRemoteCandidates':
        if (input.type === 'remote_candidates') this.addRemoteCandidates(input.candidates);
        return;
      case 'tellImporter':
        return this.tellImporter(context);
      case 'applyAnswer':
        if (input.type !== 'answer') return;
        try {
          this.opening.peerLink!.acceptRemoteDescription(input.answer.sdp, 'answer');
        } catch (err) {
          this.runner.dispatch({ type: 'answer_unusable', why: describeError(err) });
          return;
        }
        // Candidates the importer trickled ahead of its answer's arrival.
        this.addRemoteCandidates(context.remoteCandidates);
        this.log.info('importer answered, connecting');
        this.runner.dispatch({ type: 'answer_applied' });
        return;
      case 'sendReady':
        return this.sendReady(context);
      case 'stopSignalingTimer':
        return this.signalingTimer.clear();
      case 'startConnectTimer':
        return this.opening.startTimer();
      case 'awaitChannel': {
        const answer = context.answer;
        if (answer !== undefined) this.opening.awaitChannel(answer.fingerprint, () => [...candidatesOf(answer.sdp), ...this.runner.context.remoteCandidates]);
        return;
      }
      case 'stopListening':
        return this.stopListening();
      case 'frameChannel':
        if (input.type === 'channel_open') safeEmit(this, this.log, 'channel', this.opening.frame(input.dc, input.location));
        return;
      case 'release':
        this.signalingTimer.clear();
        this.stopListening();
        return this.opening.release();
      case 'emitFailed': {
        const diagnosis = error === 'network' ? this.diagnosis(context) : undefined;
        this.log.warn({ reason: error, why: whyOf(input), ...diagnosis, connection: this.opening.summary() }, 'export failed');
        return safeEmit(this, this.log, 'failed', error, diagnosis);
      }
    }
  }

  /** Before the answer is applied, the link is still signaling; after it, the peer link says where it stopped. */
  private diagnosis(context: ExportContext): NetworkDiagnosis {
    return context.answer === undefined ? { stage: 'signaling' } : this.opening.diagnosis();
  }

  /** Our late candidates, after the offer (the importer ignores candidates of a session it does not know). */
  private sendCandidates(context: ExportContext, candidates: readonly RemoteCandidate[]): void {
    const { identity, session, device } = context;
    if (identity === undefined || session === undefined || device === undefined || this.offerPut === undefined) return;
    for (let first = 0; first < candidates.length; first += MAX_TRICKLED_CANDIDATES) {
      const batch = candidates.slice(first, first + MAX_TRICKLED_CANDIDATES);
      const text = exporterCandidatesText(identity.id, session.id, batch, this.settings.clock.now());
      offerSettled(this.offerPut)
        .then(() => this.putSigned(identity, 'candidates', text, device))
        .then(
          () => this.log.debug({ candidates: batch.length }, 'late candidates sent'),
          (err: unknown) => this.log.debug({ err: describeError(err) }, 'late candidates not published'),
        );
    }
  }

  /** Only once the offer's put has settled, either way (OpenDHT fails a put some nodes did not confirm, and another may
   *  hold it): before, no importer can have accepted the session. A lost put costs the importer its own connect
   *  time-out, no more. */
  private tellImporter(context: ExportContext): void {
    const { identity, session, device } = context;
    if (identity === undefined || session === undefined || device === undefined || this.offerPut === undefined) return;
    const text = gaveUpText(identity.id, session.id, this.settings.clock.now());
    offerSettled(this.offerPut)
      .then(() => this.putSigned(identity, 'gave_up', text, device))
      .catch((err: unknown) => this.log.debug({ err: describeError(err) }, 'gave_up not published'));
  }

  private addRemoteCandidates(candidates: readonly RemoteCandidate[]): void {
    for (const { candidate, mid } of candidates) this.opening.peerLink?.addRemoteCandidate(candidate, mid);
  }

  /** Our offer for this SDP: a fresh session id and reply key pair, signed over everything it binds. */
  private offerSession(context: ExportContext, sdp: string): OfferSession {
    const replyKeys = generateKeyPairSync('x25519');
    const body: OfferBody = {
      t: 'offer',
      v: 1,
      to: context.identity!.id,
      session: randomBytes(16).toString('hex'),
      code: context.token.code,
      replyTo: exportRawPublicKey(replyKeys.publicKey).toString('base64url'),
      sdp,
      chain: context.device!.chainPem,
      ts: this.settings.clock.now(),
    };
    const bodyText = JSON.stringify(body);
    return { id: body.session, bodyText, offerDigest: offerDigest(bodyText), replyPrivate: replyKeys.privateKey, replyPublic: replyKeys.publicKey };
  }

  /** Tells the importer it may start its ICE checks (see PROTOCOL.md). Best effort: without it we still connect on a LAN. */
  private sendReady(context: ExportContext): void {
    const { identity, session, answer, device } = context;
    if (identity === undefined || session === undefined || answer === undefined || device === undefined) return;
    const body: ReadyBody = { t: 'ready', v: 1, to: identity.id, session: session.id, answer: offerDigest(answer.bodyText), ts: this.settings.clock.now() };
    this.putSigned(identity, 'ready', JSON.stringify(body), device).catch((err: unknown) => this.log.debug({ err: describeError(err) }, 'ready not published'));
  }

  /** Signed by the device key, sealed to the importer, put on its inbox (named by the id and the token's code). */
  private putSigned(identity: PublishedIdentity, purpose: 'offer' | 'ready' | 'candidates' | 'gave_up', bodyText: string, device: { readonly privateKey: KeyObject }): Promise<void> {
    const signature = signFor(purpose, Buffer.from(bodyText, 'utf8'), device.privateKey);
    const inbox = inboxKey(identity.id, this.runner.context.token.code);
    return this.settings.signaling.put(inbox, seal(identity.sealingKey, 'offer', encodeSignedMessage({ bodyText, signature })));
  }

  private signalingFailed(err: unknown): void {
    this.runner.dispatch({ type: 'signaling_failed', why: describeError(err) });
  }

  private stopListening(): void {
    this.identityListener?.cancel();
    this.replyListener?.cancel();
    this.identityListener = undefined;
    this.replyListener = undefined;
  }
}

/** The offer's put once it is done, whatever OpenDHT said of it (its failure is the machine's offer_unpublished). */
function offerSettled(offerPut: Promise<void>): Promise<void> {
  return offerPut.catch(() => undefined);
}

function whyOf(input: ExportInput): string {
  switch (input.type) {
    case 'credentials_bad':
    case 'signaling_failed':
    case 'offer_unpublished':
    case 'answer_bad':
    case 'answer_unusable':
    case 'link_lost':
    case 'channel_failed':
      return input.why;
    case 'refused':
      return `the importer refused the offer: ${input.reason}`;
    case 'token_claimed':
      return 'the token is already used by another device';
    case 'importer_gone':
      return 'the importer is no longer waiting';
    case 'signaling_timeout':
      return 'no answer from the importer in time';
    case 'connect_timeout':
      return 'peer connection timed out';
    default:
      return input.type;
  }
}
