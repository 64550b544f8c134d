// The framed channel's life as a table: open, closing (our bye sent, waiting for the peer's bye_ack),
// lingering (ended for our user, the connection kept a moment so a last error frame reaches the peer), ended.
// The peer is alive while it makes progress: anything it sends, on the channel or on the heartbeat lane, and
// the data it acknowledges (our queue drains), restart the idle timer; a complete message is not needed.
// The archive bookkeeping and the bytes on the wire are effects; which of them happen, and when the user
// hears 'closed', is decided here. PROTOCOL.md ("Both sides: the framed channel") reads against it.

import type { Deferred } from '../../contract/deferred.js';
import type { LinkFailure, LinkMessage } from '../../contract/link-contract.js';
import { makeStep, rowsOf, type MachineSpec } from '../../contract/transition-table.js';

export type ChannelState = 'open' | 'closing' | 'lingering' | 'ended';

export type ChannelInput =
  // calls from our user
  | { type: 'send_message'; text: string }
  | { type: 'send_archive'; data: Buffer; sha256: string | undefined; done: Deferred<void> }
  | { type: 'expect_archive'; size: number; onChunk: ((chunk: Buffer) => void) | undefined }
  | { type: 'close'; lastWord: boolean }
  | { type: 'destroy' }
  // what the peer sent, classified (any text or binary message is `heard` first)
  | { type: 'heard' }
  | { type: 'message'; message: LinkMessage }
  | { type: 'archive_header'; size: number; sha256: string }
  | { type: 'chunk'; data: Buffer }
  | { type: 'archive_ack'; sha256: string }
  | { type: 'archive_bad' }
  | { type: 'ping' }
  | { type: 'bye' }
  | { type: 'bye_ack' }
  | { type: 'peer_error'; reason: string }
  // what our effects found
  | { type: 'archive_received'; data: Buffer; sha256: string }
  | { type: 'archive_corrupt' }
  | { type: 'protocol_error'; why: string }
  | { type: 'send_failed' }
  | { type: 'bye_unsent' }
  // the connection and the timers
  | { type: 'buffer_low' }
  | { type: 'connection_lost'; why: string }
  | { type: 'peer_silent' }
  /** A heartbeat tick: a ping on the heartbeat lane, and every PULSES_PER_HEARTBEAT-th tick one on the channel. */
  | { type: 'heartbeat_due' }
  | { type: 'close_timeout' }
  | { type: 'linger_over' };

export type ChannelInputName = ChannelInput['type'];

export type ChannelEffect =
  | 'sendMessage'
  | 'startArchive'
  | 'pump'
  | 'restartIdleTimer'
  | 'armReceiver'
  | 'emitMessage'
  | 'takeHeader'
  | 'takeChunk'
  | 'settleArchive'
  | 'ackArchive'
  | 'emitArchive'
  | 'sendArchiveBad'
  | 'sendError'
  | 'sendByeAck'
  | 'beat'
  | 'sendBye'
  | 'stopHeartbeat'
  | 'startCloseTimer'
  | 'rejectArchiveOnClose'
  | 'rejectArchiveCorrupted'
  | 'release'
  | 'closeCarrier'
  | 'startLingerTimer'
  | 'emitClosed';

const { row, ignore } = rowsOf<ChannelState, ChannelInputName, ChannelEffect, never, LinkFailure>();

/** The same row in each state it is listed for, staying there. */
function staying(states: readonly ('open' | 'closing')[], on: ChannelInputName, outputs: readonly ChannelEffect[]) {
  return states.map((state) => row(state, on, state, outputs));
}

const READING = ['open', 'closing'] as const;
/** What the peer says once we ended: nothing more is read (the error frame we sent is on its way). */
const PEER_INPUTS: readonly ChannelInputName[] = ['heard', 'message', 'archive_header', 'chunk', 'archive_ack', 'archive_bad', 'ping', 'bye', 'bye_ack', 'peer_error'];
/** Ended for our user: everything is released, the carrier is closed (closeCarrier) or lingers. */
const END = ['release', 'closeCarrier'] as const;
const LINGER = ['release', 'startLingerTimer'] as const;

export const CHANNEL_ROWS = [
  // Our user sends; only an open channel takes anything.
  row('open', 'send_message', 'open', ['sendMessage']),
  row('open', 'send_archive', 'open', ['startArchive']),
  // Our queue drained: the peer acknowledged what was in flight, which is progress however slow the path.
  row('open', 'buffer_low', 'open', ['restartIdleTimer', 'pump']),
  ignore(['closing', 'lingering'], 'buffer_low', 'nothing is pumped once closing: the archive was rejected'),
  row('open', 'heartbeat_due', 'open', ['beat']),
  // Only an armed receiver takes an archive header (takeHeader refuses any other): the linking layer arms it
  // when it expects an archive, with the announced size, so a peer cannot make us hold an archive unasked.
  row('open', 'expect_archive', 'open', ['armReceiver']),
  ignore(['closing', 'lingering'], 'heartbeat_due', 'the heartbeat stops when closing'),

  // The peer sends: open and closing read alike (everything before the peer's bye_ack must be read), only
  // an open channel hands messages and archives to our user.
  ...staying(READING, 'heard', ['restartIdleTimer']),
  row('open', 'message', 'open', ['emitMessage']),
  ignore('closing', 'message', 'we are closing: our user no longer listens'),
  ...staying(READING, 'archive_header', ['takeHeader']),
  ...staying(READING, 'chunk', ['takeChunk']),
  ...staying(READING, 'archive_ack', ['settleArchive']),
  row('open', 'archive_received', 'open', ['ackArchive', 'emitArchive']),
  row('closing', 'archive_received', 'closing', ['ackArchive']),
  ignore(READING, 'ping', 'a heartbeat: hearing it was enough'),
  ...staying(READING, 'bye', ['sendByeAck']),

  // We close: bye, then the peer's bye_ack says it read everything we sent before (ordered channel).
  row('open', 'close', 'closing', ['rejectArchiveOnClose', 'stopHeartbeat', 'startCloseTimer', 'sendBye']),
  ignore(['closing', 'lingering'], 'close', 'already closing or ended: close() answers with the same promise'),
  row('closing', 'bye_ack', 'ended', [...END]),
  ignore('open', 'bye_ack', 'no close was asked: a stray acknowledgement is harmless'),
  row('closing', 'bye_unsent', 'ended', [...END], { label: 'the bye could not be sent: nobody will acknowledge it' }),
  row('closing', 'close_timeout', 'ended', [...END]),
  row(['open', 'closing', 'lingering'], 'destroy', 'ended', [...END], { label: 'the owner tears the link down: no handshake, no event' }),

  // The link ends without our asking: our user hears 'closed' once, unless it was closing anyway.
  row('open', 'connection_lost', 'ended', [...END, 'emitClosed'], { error: 'network' }),
  row(['closing', 'lingering'], 'connection_lost', 'ended', [...END]),
  row('open', 'peer_silent', 'ended', [...END, 'emitClosed'], { error: 'network' }),
  row('closing', 'peer_silent', 'ended', [...END]),
  ignore('lingering', 'peer_silent', 'the idle timer stopped when the channel ended'),
  row('open', 'send_failed', 'ended', [...END, 'emitClosed'], { error: 'network' }),
  ignore('closing', 'send_failed', 'a frame lost while closing: the close timer or the connection going ends it'),
  row('lingering', 'send_failed', 'ended', ['closeCarrier'], { label: 'the error frame was not sent: nothing to wait for' }),
  row('open', 'peer_error', 'ended', [...END, 'emitClosed'], { error: 'network' }),
  row('closing', 'peer_error', 'ended', [...END]),
  row('open', 'archive_bad', 'ended', ['rejectArchiveCorrupted', ...END, 'emitClosed'], { error: 'network' }),
  row('closing', 'archive_bad', 'ended', [...END]),

  // We saw the peer break the protocol: tell it, and keep the connection until it goes (or closeTimeoutMs),
  // so that frame is not dropped (node-datachannel issue #375).
  row('open', 'protocol_error', 'lingering', ['sendError', ...LINGER, 'emitClosed'], { error: 'network' }),
  row('closing', 'protocol_error', 'lingering', ['sendError', ...LINGER]),
  row('open', 'archive_corrupt', 'lingering', ['sendArchiveBad', ...LINGER, 'emitClosed'], { error: 'network' }),
  row('closing', 'archive_corrupt', 'lingering', ['sendArchiveBad', ...LINGER]),
  row('lingering', 'linger_over', 'ended', ['closeCarrier']),
  ...PEER_INPUTS.map((on) => ignore('lingering', on, 'ended: nothing more is read, the error frame is on its way')),
];

export const CHANNEL_MACHINE: MachineSpec<ChannelState, ChannelInput, ChannelEffect, never, never, null, LinkFailure> = {
  name: 'framed channel',
  initial: 'open',
  final: ['ended'],
  rows: CHANNEL_ROWS,
  context: null,
  records: {},
  guards: {},
  localCalls: ['send_message', 'send_archive', 'expect_archive', 'close', 'destroy'],
};

export const stepChannel = makeStep(CHANNEL_MACHINE);
