// Export side: fetch the importer's identity named by the token, send it a sealed offer signed by the device key
// (code, certificate chain, SDP), take its signed answer, and hand over the data channel once it opens.

import { createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AuthToken } from '../contract/link-contract.js';
import type { VerifiedAccountChain } from './certificate-chain.js';
import { Deferred } from './deferred.js';
import { FramedChannel } from './framed-channel.js';
import type { ExportConnection, ExporterCredentials, LinkFailure } from './link-transport.js';
import { PeerLink } from './peer-link.js';
import { exportRawPublicKey } from './raw-keys.js';
import { identityKey, inboxKey, replyKey } from './rendezvous-keys.js';
import { open, seal } from './sealed-envelope.js';
import { dtlsFingerprintOf, type DtlsFingerprint } from './session-description.js';
import {
  decodeSignedMessage,
  encodeSignedMessage,
  MAX_SIGNALING_VALUE_BYTES,
  offerDigest,
  parseReplyBody,
  type OfferBody,
  type ReadyBody,
} from './signaling-messages.js';
import { signFor, verifyFor } from './signatures.js';
import { claimantTag, parseIdentityValue, parseTombstone, type PublishedIdentity } from './temporary-identity.js';
import { OneShotTimer } from './transport-clock.js';
import type { TransportSettings } from './transport-settings.js';

const MAX_UNMATCHED_IDENTITY_VALUES = 16;

/** Starts at once; every outcome ('channel' or 'failed') is emitted asynchronously, after the caller subscribed. */
export function openExportConnection(settings: TransportSettings, token: AuthToken, credentials: ExporterCredentials): ExportConnection {
  const connection = new Connection(settings, token);
  connection.start(credentials);
  return connection;
}

type ExportStage = 'starting' | 'signaling' | 'connecting' | 'linked' | 'ended';

interface Session {
  readonly id: string;
  readonly offerDigest: string;
  readonly replyPrivate: KeyObject;
  readonly replyPublic: KeyObject;
  readonly devicePrivateKey: KeyObject;
}

class Connection extends EventEmitter implements ExportConnection {
  private stage: ExportStage = 'starting';
  private readonly timer: OneShotTimer;
  private identity: PublishedIdentity | undefined;
  private readonly identityFound = new Deferred<PublishedIdentity>();
  private unmatchedIdentityValues: Buffer[] = [];
  private identityListener: { cancel(): void } | undefined;
  private replyListener: { cancel(): void } | undefined;
  private session: Session | undefined;
  private link: PeerLink | undefined;
  private channel: FramedChannel | undefined;
  private readonly log: Logger;

  constructor(private readonly settings: TransportSettings, private readonly token: AuthToken) {
    super();
    this.timer = new OneShotTimer(settings.clock);
    this.log = settings.logger.child({ side: 'export', rendezvous: token.peerId.slice(0, 8) });
  }

  start(credentials: ExporterCredentials): void {
    this.run(credentials).catch((error: Error) => this.fail('network', error.message));
  }

  close(): void {
    if (this.stage === 'ended') return;
    this.log.info('export connection closed');
    this.teardown();
  }

  private async run(credentials: ExporterCredentials): Promise<void> {
    await Promise.resolve(); // nothing is emitted before the caller had a chance to subscribe
    if (this.stage !== 'starting') return;
    const device = this.loadCredentials(credentials);
    if (device === undefined) return;
    this.stage = 'signaling';
    this.timer.start(this.settings.signalingTimeoutMs, () => this.fail('network', 'no answer from the importer in time'));

    // One get first, so a used token (record + tombstone side by side) is judged on the whole picture;
    // then a listen, for a record not there yet and for tombstones published while we wait.
    const key = identityKey(this.token.peerId);
    const present = await this.settings.signaling.get(key);
    if (this.stage !== 'signaling') return;
    this.onIdentityValues(present);
    if (this.stage !== 'signaling') return;
    this.identityListener = this.settings.signaling.listen(key, (value) => this.guarded(() => this.onIdentityValues([value])));
    const identity = await this.identityFound.promise;
    if (this.stage !== 'signaling') return;

    const link = new PeerLink('offerer', this.settings.peer);
    this.link = link;
    link.onLost((why) => this.fail('network', why));
    const sdp = await link.localDescription();
    if (this.stage !== 'signaling') return;

    const replyKeys = generateKeyPairSync('x25519');
    const body: OfferBody = {
      t: 'offer',
      v: 1,
      to: identity.id,
      session: randomBytes(16).toString('hex'),
      code: this.token.code,
      replyTo: exportRawPublicKey(replyKeys.publicKey).toString('base64url'),
      sdp,
      chain: device.chainPem,
      ts: this.settings.clock.now(),
    };
    const bodyText = JSON.stringify(body);
    this.session = { id: body.session, offerDigest: offerDigest(bodyText), replyPrivate: replyKeys.privateKey, replyPublic: replyKeys.publicKey, devicePrivateKey: device.privateKey };
    const replies = this.settings.signaling.listen(replyKey(identity.id, body.session), (value) => this.guarded(() => this.onReplyValue(value)));
    this.replyListener = replies;
    await replies.ready;
    if (this.stage !== 'signaling') return;
    const signature = signFor('offer', Buffer.from(bodyText, 'utf8'), device.privateKey);
    await this.settings.signaling.put(inboxKey(identity.id), seal(identity.sealingKey, 'offer', encodeSignedMessage({ bodyText, signature })));
    this.log.info({ session: body.session }, 'offer sent, waiting for the answer');
  }

  /** The device key and chain, checked against each other; undefined (and failed) when unusable. */
  private loadCredentials(credentials: ExporterCredentials): { privateKey: KeyObject; chainPem: string } | undefined {
    let privateKey: KeyObject;
    let verified: VerifiedAccountChain;
    try {
      privateKey = createPrivateKey(credentials.devicePrivateKeyPem);
      verified = this.settings.verifyAccountChain(credentials.certificateChainPem, new Date(this.settings.clock.now()));
    } catch (error) {
      this.fail('authentication', `unusable credentials: ${(error as Error).message}`);
      return undefined;
    }
    const probe = randomBytes(32);
    if (!verifyFor('offer', probe, signFor('offer', probe, privateKey), verified.devicePublicKey)) {
      this.fail('authentication', 'the device key does not match the device certificate');
      return undefined;
    }
    return { privateKey, chainPem: credentials.certificateChainPem };
  }

  /** The identity record, and tombstones saying the token is used by another exporter or the import is over. */
  private onIdentityValues(values: readonly Buffer[]): void {
    if (this.stage !== 'signaling' && this.stage !== 'connecting') return;
    if (this.identity === undefined) {
      const identity = values.map((value) => parseIdentityValue(value, this.token.peerId)).find((found) => found !== undefined);
      if (identity === undefined) {
        this.unmatchedIdentityValues = [...this.unmatchedIdentityValues, ...values].slice(-MAX_UNMATCHED_IDENTITY_VALUES);
        return;
      }
      this.identity = identity;
      values = [...this.unmatchedIdentityValues, ...values];
      this.unmatchedIdentityValues = [];
    }
    const tombstones = values.map((value) => parseTombstone(value, this.identity!)).filter((found) => found !== undefined);
    const ownClaim = this.session === undefined ? undefined : claimantTag(this.session.id);
    if (tombstones.some((tombstone) => tombstone.reason === 'claimed' && tombstone.claimant !== ownClaim)) {
      this.fail('authentication', 'the token is already used by another device');
    } else if (tombstones.some((tombstone) => tombstone.reason === 'closed')) {
      this.fail('network', 'the importer is no longer waiting');
    } else {
      this.identityFound.resolve(this.identity);
    }
  }

  private onReplyValue(value: Buffer): void {
    const session = this.session;
    const identity = this.identity;
    if (this.stage !== 'signaling' || session === undefined || identity === undefined || value.length > MAX_SIGNALING_VALUE_BYTES) return;
    const plaintext = open(session.replyPrivate, session.replyPublic, 'reply', value);
    const message = plaintext === undefined ? undefined : decodeSignedMessage(plaintext);
    const body = message === undefined ? undefined : parseReplyBody(message.bodyText);
    if (message === undefined || body === undefined) return;
    if (body.from !== identity.id || body.session !== session.id || body.offer !== session.offerDigest) return;
    if (!verifyFor('reply', Buffer.from(message.bodyText, 'utf8'), message.signature, identity.signingKey)) {
      this.log.warn('ignored a reply with a bad signature');
      return;
    }
    if (body.t === 'refused') {
      this.fail(body.reason === 'closed' ? 'network' : 'authentication', `the importer refused the offer: ${body.reason}`);
      return;
    }
    const fingerprint = dtlsFingerprintOf(body.sdp);
    if (fingerprint === undefined) {
      this.fail('authentication', 'the answer has no DTLS fingerprint');
      return;
    }
    try {
      this.link!.acceptRemoteDescription(body.sdp, 'answer');
    } catch (error) {
      this.fail('network', (error as Error).message);
      return;
    }
    this.sendReady(identity, session, message.bodyText);
    this.stage = 'connecting';
    this.replyListener?.cancel();
    this.replyListener = undefined;
    this.timer.start(this.settings.connectTimeoutMs, () => this.fail('network', 'peer connection timed out'));
    this.log.info('importer answered, connecting');
    this.awaitChannel(this.link!, fingerprint).catch((error: Error) => this.fail('network', error.message));
  }

  /** Tells the importer it may start its ICE checks (see PROTOCOL.md). Best effort: without it we still connect on a LAN. */
  private sendReady(identity: PublishedIdentity, session: Session, answerText: string): void {
    const body: ReadyBody = { t: 'ready', v: 1, to: identity.id, session: session.id, answer: offerDigest(answerText), ts: this.settings.clock.now() };
    const bodyText = JSON.stringify(body);
    const signature = signFor('ready', Buffer.from(bodyText, 'utf8'), session.devicePrivateKey);
    this.settings.signaling.put(inboxKey(identity.id), seal(identity.sealingKey, 'offer', encodeSignedMessage({ bodyText, signature })))
      .catch((error: Error) => this.log.debug({ err: error }, 'ready not published'));
  }

  private async awaitChannel(link: PeerLink, fingerprint: DtlsFingerprint): Promise<void> {
    const dc = await link.channelOpen();
    if (this.stage !== 'connecting') return;
    if (!link.remoteFingerprintMatches(fingerprint)) {
      this.fail('authentication', 'the DTLS certificate differs from the signed answer');
      return;
    }
    const peerAddress = link.remoteAddress();
    if (peerAddress === undefined) {
      this.fail('network', 'no selected candidate pair');
      return;
    }
    this.timer.clear();
    this.stage = 'linked';
    this.cancelListeners();
    this.channel = new FramedChannel(dc, link, peerAddress, this.settings.channel);
    this.log.info({ peerAddress }, 'data channel open');
    this.safeEmit('channel', this.channel);
  }

  private fail(reason: LinkFailure, why: string): void {
    if (this.stage === 'ended' || this.stage === 'linked') return;
    this.log.warn({ reason, why }, 'export failed');
    this.teardown();
    this.safeEmit('failed', reason);
  }

  private teardown(): void {
    this.stage = 'ended';
    this.timer.clear();
    this.cancelListeners();
    this.identityFound.reject(new Error('closed'));
    if (this.channel !== undefined) this.channel.destroy();
    else this.link?.close();
  }

  private cancelListeners(): void {
    this.identityListener?.cancel();
    this.replyListener?.cancel();
    this.identityListener = undefined;
    this.replyListener = undefined;
  }

  private guarded(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.log.error({ err: error }, 'signaling value handling failed');
    }
  }

  private safeEmit(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch (error) {
      this.log.error({ err: error, event }, 'a connection listener threw');
    }
  }
}
