// The export side's connection as a table: starting (credentials checked), signaling (the importer's identity
// found, our offer sent, its reply awaited), connecting (answer applied, data channel awaited), linked, ended.
// PROTOCOL.md ("Handshake tables") reads against it. The adapter (export-connection.ts) classifies DHT values
// and WebRTC events into these inputs.

import type { KeyObject } from 'node:crypto';
import type { AuthToken, ExporterCredentials, LinkFailure } from '../contract/link-contract.js';
import { makeStep, rowsOf, type MachineSpec } from '../contract/transition-table.js';
import type { OpeningEffect, OpeningInput } from './open-channel.js';
import type { IdentityVerdict } from './signaling/identity-watch.js';
import type { RefusalReason } from './signaling/signaling-messages.js';
import type { PublishedIdentity } from './signaling/temporary-identity.js';
import type { DtlsFingerprint, RemoteCandidate } from './webrtc/session-description.js';

export type ExportState = 'starting' | 'signaling' | 'connecting' | 'linked' | 'ended';

/** The device key and its chain, checked against each other. */
export interface DeviceCredentials {
  readonly privateKey: KeyObject;
  readonly chainPem: string;
}

/** Our offer: its signed body text, and the keys its reply is sealed to. */
export interface OfferSession {
  readonly id: string;
  readonly bodyText: string;
  readonly offerDigest: string;
  readonly replyPrivate: KeyObject;
  readonly replyPublic: KeyObject;
}

/** The importer's signed answer, as verified. */
export interface VerifiedAnswer {
  readonly bodyText: string;
  readonly sdp: string;
  readonly fingerprint: DtlsFingerprint;
}

export type ExportInput =
  | { type: 'close' }
  | { type: 'begin'; credentials: ExporterCredentials }
  | { type: 'credentials_good'; device: DeviceCredentials }
  | { type: 'credentials_bad'; why: string }
  | IdentityVerdict
  /** The first get of the identity key is done: listen from now on. */
  | { type: 'identity_listed' }
  | { type: 'offer_gathered'; session: OfferSession }
  | { type: 'replies_listening' }
  /** The DHT took our offer: the importer's answer is awaited from now. */
  | { type: 'offer_published' }
  /** Our candidates gathered after the offer went (trickle). */
  | { type: 'local_candidates'; candidates: RemoteCandidate[] }
  /** The importer's candidates gathered after its answer, signed by it for this session. */
  | { type: 'remote_candidates'; candidates: RemoteCandidate[] }
  | { type: 'signaling_failed'; why: string }
  /** The DHT reported our offer's put failed (after the retries): no node confirmed it, yet one may hold it. */
  | { type: 'offer_unpublished'; why: string }
  | { type: 'answer'; answer: VerifiedAnswer }
  /** A genuine answer we cannot use (no DTLS fingerprint). */
  | { type: 'answer_bad'; why: string }
  | { type: 'refused'; reason: RefusalReason }
  | { type: 'answer_applied' }
  | { type: 'answer_unusable'; why: string }
  | { type: 'signaling_timeout' }
  | OpeningInput;

export type ExportInputName = ExportInput['type'];

export type ExportEffect =
  | OpeningEffect
  | 'checkCredentials'
  | 'startSignalingTimer'
  | 'getIdentity'
  | 'listenIdentity'
  | 'createLink'
  | 'gatherOffer'
  | 'listenReplies'
  | 'putOffer'
  | 'applyAnswer'
  | 'sendReady'
  | 'sendCandidates'
  | 'addRemoteCandidates'
  | 'tellImporter'
  | 'stopSignalingTimer'
  | 'stopListening';

export interface ExportContext {
  readonly token: AuthToken;
  readonly device: DeviceCredentials | undefined;
  readonly identity: PublishedIdentity | undefined;
  readonly session: OfferSession | undefined;
  readonly answer: VerifiedAnswer | undefined;
  /** The importer's trickled candidates, applied with the answer (and as they come after it). */
  readonly remoteCandidates: readonly RemoteCandidate[];
}

export type ExportRecord = 'recordDevice' | 'recordIdentity' | 'recordSession' | 'recordAnswer' | 'recordRemoteCandidates';
export type ExportGuard = 'identityKnown' | 'importerClosed';

const { row, ignore } = rowsOf<ExportState, ExportInputName, ExportEffect | ExportRecord, ExportGuard, LinkFailure>();

const FAIL = ['release', 'emitFailed'] as const;
/** Giving up on a session the importer may have accepted: it is told (best effort), then we end. */
const GIVE_UP = ['tellImporter', ...FAIL] as const;
/** More than any honest peer trickles (a few per interface and server): the rest is ignored. */
export const MAX_REMOTE_CANDIDATES = 64;
const BEFORE_LINKED = ['signaling', 'connecting'] as const;

export const EXPORT_ROWS = [
  // Starting: nothing is sent with credentials that do not hold together.
  row('starting', 'begin', 'starting', ['checkCredentials'], { label: 'a microtask after the caller got the connection' }),
  row('starting', 'credentials_good', 'signaling', ['recordDevice', 'startSignalingTimer', 'getIdentity']),
  row('starting', 'credentials_bad', 'ended', [...FAIL], { error: 'authentication' }),
  row('starting', 'close', 'ended', ['release']),

  // Signaling: the whole picture of the identity key first (get), then a listen; once the record is known,
  // an offer; then the importer's signed reply.
  row('signaling', 'identity_found', 'signaling', ['recordIdentity', 'createLink', 'gatherOffer'], { unless: 'identityKnown' }),
  row('signaling', 'identity_found', 'signaling', [], { when: 'identityKnown', label: 'the record again, and nothing against it' }),
  row('signaling', 'identity_listed', 'signaling', ['listenIdentity']),
  row('signaling', 'offer_gathered', 'signaling', ['recordSession', 'listenReplies']),
  row('signaling', 'replies_listening', 'signaling', ['putOffer']),
  row('signaling', 'offer_published', 'signaling', ['startSignalingTimer'], { label: 'the importer has the whole window from here' }),
  row('signaling', 'remote_candidates', 'signaling', ['recordRemoteCandidates'], { label: 'ahead of the answer: applied with it' }),
  row('signaling', 'answer', 'signaling', ['recordAnswer', 'applyAnswer']),
  row('signaling', 'answer_applied', 'connecting', ['sendReady', 'stopSignalingTimer', 'startConnectTimer', 'awaitChannel']),
  row('signaling', 'answer_bad', 'ended', [...FAIL], { error: 'authentication' }),
  row('signaling', 'answer_unusable', 'ended', [...GIVE_UP], { error: 'network' }),
  row('signaling', 'refused', 'ended', [...FAIL], { when: 'importerClosed', error: 'network' }),
  row('signaling', 'refused', 'ended', [...FAIL], { unless: 'importerClosed', error: 'authentication' }),
  row('signaling', 'signaling_timeout', 'ended', [...GIVE_UP], { error: 'network' }),
  row('signaling', 'offer_unpublished', 'ended', [...GIVE_UP], { error: 'network', label: 'a node may hold the offer all the same' }),
  row('signaling', 'link_lost', 'ended', [...GIVE_UP], { error: 'network' }),
  row('signaling', 'close', 'ended', ['release']),

  // Signaling or connecting: the identity key still speaks (tombstones), a late put may still fail.
  ...BEFORE_LINKED.map((state) => row(state, 'token_claimed', 'ended', [...FAIL], { error: 'authentication' })),
  ...BEFORE_LINKED.map((state) => row(state, 'importer_gone', 'ended', [...FAIL], { error: 'network' })),
  ...BEFORE_LINKED.map((state) => row(state, 'signaling_failed', 'ended', [...GIVE_UP], { error: 'network' })),
  ...BEFORE_LINKED.map((state) => row(state, 'local_candidates', state, ['sendCandidates'])),

  // Connecting: the answer is applied, the importer told `ready`; the data channel must open in time.
  ignore('connecting', 'identity_found', 'answered: the record matters no more, only tombstones'),
  ignore('connecting', 'answer', 'answered already: a repeat'),
  ignore('connecting', 'offer_published', 'answered before the DHT confirmed the offer'),
  // OpenDHT fails a put that some of the nodes it chose did not confirm: on a lossy path the importer can hold
  // the offer, and answer it, while our put is still retried, and then fails.
  ignore('connecting', 'offer_unpublished', 'answered: the importer has the offer, whatever the DHT said of the put'),
  row('connecting', 'remote_candidates', 'connecting', ['recordRemoteCandidates', 'addRemoteCandidates']),
  row('connecting', 'refused', 'ended', [...FAIL], { when: 'importerClosed', error: 'network', label: 'the importer gave up connecting' }),
  row('connecting', 'refused', 'connecting', [], { unless: 'importerClosed', label: 'answered already: a refusal cannot take it back' }),
  row('connecting', 'channel_open', 'linked', ['stopListening', 'frameChannel']),
  row('connecting', 'channel_failed', 'ended', [...GIVE_UP], { error: 'event' }),
  row('connecting', 'link_lost', 'ended', [...GIVE_UP], { error: 'network' }),
  row('connecting', 'connect_timeout', 'ended', [...GIVE_UP], { error: 'network' }),
  row('connecting', 'close', 'ended', ['release']),

  // Linked: the channel is the linking layer's, and reports its own end.
  row('linked', 'close', 'ended', ['release']),
  ignore('linked', 'link_lost', 'the framed channel reports its own end'),
  ignore('linked', 'token_claimed', 'linked: the listeners were stopped, a queued tombstone'),
  ignore('linked', 'importer_gone', 'linked: the listeners were stopped, a queued tombstone'),
  ignore('linked', 'signaling_failed', 'linked: the DHT is not needed any more'),
  ignore('linked', 'local_candidates', 'linked: ICE needs nothing more'),
  ignore('linked', 'offer_published', 'linked before the DHT confirmed the offer'),
  ignore('linked', 'offer_unpublished', 'linked: the importer had the offer'),
];

export function exportMachine(token: AuthToken): MachineSpec<ExportState, ExportInput, ExportEffect, ExportRecord, ExportGuard, ExportContext, LinkFailure> {
  return {
    name: 'export connection',
    initial: 'starting',
    final: ['ended'],
    rows: EXPORT_ROWS,
    context: { token, device: undefined, identity: undefined, session: undefined, answer: undefined, remoteCandidates: [] },
    records: {
      recordDevice: (context, input) => (input.type === 'credentials_good' ? { ...context, device: input.device } : context),
      recordIdentity: (context, input) => (input.type === 'identity_found' ? { ...context, identity: input.identity } : context),
      recordSession: (context, input) => (input.type === 'offer_gathered' ? { ...context, session: input.session } : context),
      recordAnswer: (context, input) => (input.type === 'answer' ? { ...context, answer: input.answer } : context),
      recordRemoteCandidates: (context, input) =>
        input.type === 'remote_candidates' ? { ...context, remoteCandidates: [...context.remoteCandidates, ...input.candidates].slice(0, MAX_REMOTE_CANDIDATES) } : context,
    },
    guards: {
      identityKnown: (context) => context.identity !== undefined,
      importerClosed: (_context, input) => input.type === 'refused' && input.reason === 'closed',
    },
    localCalls: ['close'],
  };
}

/** The step of any export machine (the table does not depend on the token). */
export const stepExport = makeStep(exportMachine({ peerId: '0'.repeat(40), code: '000000' }));
