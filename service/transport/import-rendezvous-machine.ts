// The import side's rendezvous as a table: waiting for an exporter's offer, connecting to the one it accepted,
// linked once the data channel is open, ended otherwise. PROTOCOL.md ("Handshake tables") reads against it.
// The adapter (import-rendezvous.ts) classifies DHT values and WebRTC events into these inputs.

import type { KeyObject } from 'node:crypto';
import type { AccountProof, LinkFailure } from '../contract/link-contract.js';
import { makeStep, rowsOf, type MachineSpec } from '../contract/transition-table.js';
import type { OpeningEffect, OpeningInput } from './open-channel.js';
import type { OfferBody, ReadyBody, SignedMessage } from './signaling/signaling-messages.js';
import { offerDigest, replyBodyText } from './signaling/signaling-messages.js';
import { verifyFor } from './signaling/signatures.js';
import type { PeerLink } from './webrtc/peer-link.js';
import type { DtlsFingerprint, RemoteCandidate } from './webrtc/session-description.js';

export type ImportState = 'waiting' | 'connecting' | 'linked' | 'ended';

/** An offer that opened, parsed and is new, with the key its reply is sealed to. */
export interface ReceivedOffer {
  readonly body: OfferBody;
  readonly bodyText: string;
  readonly signature: Buffer;
  readonly replyTo: KeyObject;
}

/** An offer that passed every check: right code, account chain, signature, an SDP libdatachannel took. */
export interface AcceptedOffer {
  readonly received: ReceivedOffer;
  readonly proof: AccountProof;
  readonly devicePublicKey: KeyObject;
  readonly fingerprint: DtlsFingerprint;
  /** The offer's candidates and those trickled after it, held back until the exporter says `ready` (PROTOCOL.md). */
  readonly candidates: readonly RemoteCandidate[];
}

export type ImportInput =
  | { type: 'close' }
  /** A fresh offer to us; judged only while waiting. */
  | { type: 'offer'; offer: ReceivedOffer }
  /** `check`: which check failed, for our log only; the exporter is told 'not_accepted' whatever it was. */
  | { type: 'offer_refused'; offer: ReceivedOffer; check: FailedCheck }
  | { type: 'offer_good'; offer: AcceptedOffer; link: PeerLink }
  | { type: 'answer_gathered'; sdp: string; at: number }
  | { type: 'answer_unpublished'; why: string }
  | { type: 'ready'; body: ReadyBody; message: SignedMessage }
  /** Our candidates gathered after the answer went (trickle). */
  | { type: 'local_candidates'; candidates: RemoteCandidate[] }
  /** The accepted exporter's candidates gathered after its offer, signed by its device key for this session. */
  | { type: 'remote_candidates'; candidates: RemoteCandidate[] }
  /** The accepted exporter gave up on its session (signed by its device key). */
  | { type: 'exporter_gave_up' }
  | OpeningInput;

/** The importer's checks of an offer, in order. */
export type FailedCheck = 'code' | 'certificate' | 'signature' | 'sdp';

export type ImportInputName = ImportInput['type'];

export type ImportEffect =
  | OpeningEffect
  | 'judgeOffer'
  | 'refuseOffer'
  | 'refuseInUse'
  | 'closeOfferLink'
  | 'publishClaim'
  | 'adoptLink'
  | 'emitPeer'
  | 'gatherAnswer'
  | 'putAnswer'
  | 'addCandidates'
  | 'addTrickledCandidates'
  | 'sendCandidates'
  | 'refuseAccepted';

export type ImportRecord = 'countFailedAttempt' | 'recordOffer' | 'recordAnswer' | 'recordCandidatesAdded' | 'recordRemoteCandidates';
export type ImportGuard = 'lastAttempt' | 'readyForUs' | 'checksStarted';

/** More than any honest peer trickles (a few per interface and server): the rest is ignored. */
export const MAX_REMOTE_CANDIDATES = 64;

export interface ImportContext {
  readonly importerId: string;
  readonly maxFailedAttempts: number;
  /** Counted refusals: offers that reached the code's inbox and failed a check. */
  readonly failedAttempts: number;
  readonly accepted: AcceptedOffer | undefined;
  /** Our answer's body text, as signed: `ready` quotes its digest. */
  readonly answerText: string | undefined;
  readonly candidatesAdded: boolean;
}

const { row, ignore } = rowsOf<ImportState, ImportInputName, ImportEffect | ImportRecord, ImportGuard, LinkFailure>();

/** Ending while connecting: the accepted exporter, which may still wait for our answer, is told at once. */
const END_CONNECTING = ['refuseAccepted', 'release'] as const;

export const IMPORT_ROWS = [
  // Waiting: every fresh offer is judged; three counted refusals end the rendezvous.
  row('waiting', 'offer', 'waiting', ['judgeOffer']),
  row('waiting', 'offer_refused', 'waiting', ['countFailedAttempt', 'refuseOffer'], { unless: 'lastAttempt' }),
  row('waiting', 'offer_refused', 'ended', ['countFailedAttempt', 'refuseOffer', 'release', 'emitFailed'], { when: 'lastAttempt', error: 'authentication' }),
  row('waiting', 'offer_good', 'connecting', ['recordOffer', 'publishClaim', 'adoptLink', 'startConnectTimer', 'emitPeer', 'gatherAnswer']),
  row('waiting', 'close', 'ended', ['release']),
  ignore('waiting', 'ready', 'no exporter accepted yet: nothing to start'),

  // Connecting: one exporter accepted; later offers are refused as "in use", uncounted.
  row('connecting', 'offer', 'connecting', ['refuseInUse']),
  row('connecting', 'offer_refused', 'connecting', ['refuseInUse'], { label: 'judged before the accepted offer was taken' }),
  row('connecting', 'offer_good', 'connecting', ['refuseInUse', 'closeOfferLink'], { label: 'judged before the accepted offer was taken' }),
  row('connecting', 'answer_gathered', 'connecting', ['recordAnswer', 'putAnswer', 'awaitChannel']),
  row('connecting', 'ready', 'connecting', ['recordCandidatesAdded', 'addCandidates'], { when: 'readyForUs' }),
  row('connecting', 'ready', 'connecting', [], { unless: 'readyForUs', label: 'not from the accepted exporter, not for our answer, or a repeat' }),
  row('connecting', 'remote_candidates', 'connecting', ['recordRemoteCandidates'], { unless: 'checksStarted', label: 'held back with the offer\'s until `ready`' }),
  row('connecting', 'remote_candidates', 'connecting', ['recordRemoteCandidates', 'addTrickledCandidates'], { when: 'checksStarted' }),
  row('connecting', 'local_candidates', 'connecting', ['sendCandidates']),
  row('connecting', 'channel_open', 'linked', ['frameChannel']),
  row('connecting', 'channel_failed', 'ended', [...END_CONNECTING, 'emitFailed'], { error: 'event' }),
  row('connecting', 'link_lost', 'ended', [...END_CONNECTING, 'emitFailed'], { error: 'network' }),
  row('connecting', 'connect_timeout', 'ended', [...END_CONNECTING, 'emitFailed'], { error: 'network' }),
  row('connecting', 'answer_unpublished', 'ended', [...END_CONNECTING, 'emitFailed'], { unless: 'checksStarted', error: 'network' }),
  // OpenDHT fails a put that some of the nodes it chose did not confirm: the exporter may have the answer anyway.
  row('connecting', 'answer_unpublished', 'connecting', [], { when: 'checksStarted', label: 'the exporter quoted our answer in its `ready`: it has it, whatever the DHT said of the put' }),
  row('connecting', 'exporter_gave_up', 'ended', ['release', 'emitFailed'], { error: 'network', label: 'no need to tell it: it is gone' }),
  row('connecting', 'close', 'ended', [...END_CONNECTING]),

  // Linked: the channel is the linking layer's; the rendezvous only still refuses offers until closed.
  row('linked', 'offer', 'linked', ['refuseInUse']),
  ignore('linked', 'ready', 'the channel is open: ICE needs nothing more'),
  ignore('linked', 'remote_candidates', 'the channel is open: ICE needs nothing more'),
  ignore('linked', 'local_candidates', 'the channel is open: ICE needs nothing more'),
  ignore('waiting', 'remote_candidates', 'no exporter accepted yet'),
  ignore('waiting', 'exporter_gave_up', 'no exporter accepted yet'),
  ignore('linked', 'exporter_gave_up', 'the channel opened: the framed channel reports its own end'),
  ignore('linked', 'link_lost', 'the framed channel reports its own end'),
  ignore('linked', 'answer_unpublished', 'the channel opened without the DHT confirming the answer'),
  row('linked', 'close', 'ended', ['release']),
];

function readyForUs(context: ImportContext, input: ImportInput): boolean {
  const accepted = context.accepted;
  if (input.type !== 'ready' || accepted === undefined || context.candidatesAdded || context.answerText === undefined) return false;
  const { body, message } = input;
  if (body.to !== context.importerId || body.session !== accepted.received.body.session || body.answer !== offerDigest(context.answerText)) return false;
  return verifyFor('ready', Buffer.from(message.bodyText, 'utf8'), message.signature, accepted.devicePublicKey);
}

export function importMachine(importerId: string, maxFailedAttempts: number): MachineSpec<ImportState, ImportInput, ImportEffect, ImportRecord, ImportGuard, ImportContext, LinkFailure> {
  return {
    name: 'import rendezvous',
    initial: 'waiting',
    final: ['ended'],
    rows: IMPORT_ROWS,
    context: { importerId, maxFailedAttempts, failedAttempts: 0, accepted: undefined, answerText: undefined, candidatesAdded: false },
    records: {
      countFailedAttempt: (context) => ({ ...context, failedAttempts: context.failedAttempts + 1 }),
      recordOffer: (context, input) => (input.type === 'offer_good' ? { ...context, accepted: input.offer } : context),
      recordAnswer: (context, input) => {
        if (input.type !== 'answer_gathered' || context.accepted === undefined) return context;
        const offer = { session: context.accepted.received.body.session, bodyText: context.accepted.received.bodyText };
        return { ...context, answerText: replyBodyText(context.importerId, offer, { t: 'answer', sdp: input.sdp }, input.at) };
      },
      recordCandidatesAdded: (context) => ({ ...context, candidatesAdded: true }),
      recordRemoteCandidates: (context, input) => {
        if (input.type !== 'remote_candidates' || context.accepted === undefined) return context;
        const candidates = [...context.accepted.candidates, ...input.candidates].slice(0, MAX_REMOTE_CANDIDATES);
        return { ...context, accepted: { ...context.accepted, candidates } };
      },
    },
    guards: {
      lastAttempt: (context) => context.failedAttempts + 1 >= context.maxFailedAttempts,
      readyForUs,
      checksStarted: (context) => context.candidatesAdded,
    },
    localCalls: ['close'],
  };
}

/** The step of any import machine (the table does not depend on the rendezvous). */
export const stepImport = makeStep(importMachine('0'.repeat(40), 3));
