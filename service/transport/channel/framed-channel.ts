// The PeerChannel the linking layer uses: its messages as opaque JSON text, the archive as flow-controlled binary
// chunks behind a size + SHA-256 header, a heartbeat, and a bye/bye_ack handshake so close() loses nothing.
// The channel's life is the table in framed-channel-machine.ts; this file classifies what the data channel
// (and the heartbeat lane beside it) says into the machine's inputs and performs its effects.
//
// Liveness on a slow, lossy path is progress, not complete messages. The sender of an archive hears little:
// it counts the peer's acknowledgements (its send queue draining) as signs of life. The archive is pumped so
// that at most one chunk waits in libdatachannel's send queue, one FIFO for all streams in front of usrsctp
// (it held 1 MiB, and every ping waited behind it). Pings also go, four per heartbeat, on the heartbeat lane
// (webrtc/heartbeat-lane.ts: unordered, never retransmitted, a stream of its own): a lost one is dropped, so
// on a lossy, otherwise idle link the pings never stall in SCTP's retransmission back-off. PROTOCOL.md
// section 7 ("Liveness") says what no ping can bridge.

import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { DataChannel } from 'node-datachannel';
import { OneShotTimer, type Clock } from '../../contract/clock.js';
import { Deferred } from '../../contract/deferred.js';
import { describeError, safeEmit } from '../../contract/guards.js';
import type { CloseOptions, LinkFailure, LinkMessage, PeerChannel, PeerLocation } from '../../contract/link-contract.js';
import type { Logger } from '../../contract/logger.js';
import { MachineRunner } from '../../contract/machine-runner.js';
import { encodeLinkFrame, encodeLinkMessage, parseTextFrame, type LinkFrame } from './channel-frames.js';
import { CHANNEL_MACHINE, stepChannel, type ChannelEffect, type ChannelInput, type ChannelState } from './framed-channel-machine.js';

/** What sits under the channel: told when the connection dies, closed when the channel ends. */
export interface ChannelCarrier {
  onLost(handler: (why: string) => void): void;
  close(): void;
}

export interface FramedChannelOptions {
  readonly logger: Logger;
  readonly clock: Clock;
  /** A ping is sent this often on the channel, and PULSES_PER_HEARTBEAT times as often on the heartbeat lane;
   *  0 disables the heartbeat. */
  readonly heartbeatMs: number;
  /** Nothing received for this long => the peer is gone ('network'). 0 disables. */
  readonly idleTimeoutMs: number;
  /** close() gives up waiting for the peer's bye_ack after this long (and a lingering channel after as long). */
  readonly closeTimeoutMs: number;
  /** close({ lastWord: true }) after this long (default: closeTimeoutMs). */
  readonly lastWordTimeoutMs?: number;
  readonly maxArchiveBytes: number;
  /** Binary chunk size, capped by the channel's maxMessageSize. */
  readonly chunkBytes?: number;
  /** Pumping stops while bufferedAmount is at or above this, and resumes on bufferedAmountLow. */
  readonly highWaterBytes?: number;
}

export const DEFAULT_CHUNK_BYTES = 64 * 1024;
/**
 * bufferedAmount counts only libdatachannel's own queue, which fills once usrsctp's send buffer (1 MiB) is full:
 * pumping stops as soon as one chunk waits there, and resumes when it drained (usrsctp keeps the path busy
 * meanwhile; loopback throughput is unchanged). Whatever waits there delays every later message, pings too.
 */
export const DEFAULT_HIGH_WATER_BYTES = 1;
/** Lane pings are never retransmitted: several per heartbeat, so losing a few on a lossy path is not silence. */
export const PULSES_PER_HEARTBEAT = 4;

interface IncomingArchive {
  readonly size: number;
  readonly sha256: string;
  /**
   * The archive's bytes, each chunk copied in as it comes: joining the chunks once the last was in held the event
   * loop ~30-60 ms for 37 MB, on the link's critical path. Allocated uninitialized for the size armed (bounded by
   * maxArchiveBytes), so its pages become memory only as they are written: what is resident grows with what the
   * peer sent, not with what it announced.
   */
  readonly data: Buffer;
  readonly hash: ReturnType<typeof createHash>;
  /** expectArchive's onChunk. */
  readonly onChunk: ((chunk: Buffer) => void) | undefined;
  received: number;
}

interface OutgoingArchive {
  readonly data: Buffer;
  readonly sha256: string;
  offset: number;
  readonly done: Deferred<void>;
}

type Relay = { channel: FramedChannel | undefined };

export class FramedChannel extends EventEmitter implements PeerChannel {
  private readonly runner: MachineRunner<ChannelState, ChannelInput, ChannelEffect, null, LinkFailure>;
  /** The one archive our user expects (expectArchive), until its header comes. */
  private expected: { readonly size: number; readonly onChunk: ((chunk: Buffer) => void) | undefined } | undefined;
  private incoming: IncomingArchive | undefined;
  private outgoing: OutgoingArchive | undefined;
  private readonly closed = new Deferred<void>();
  private readonly closeTimer: OneShotTimer;
  private readonly idleTimer: OneShotTimer;
  private readonly heartbeatTimer: OneShotTimer;
  /** Heartbeat ticks so far: every PULSES_PER_HEARTBEAT-th also pings on the channel. */
  private beats = 0;
  /** The heartbeat lane while it is usable: dropped when it closes (a peer without one resets its stream). */
  private lane: DataChannel | undefined;
  private readonly chunkBytes: number;
  private readonly highWaterBytes: number;
  private readonly logger: Logger;
  /** The only way the data channel's callbacks reach this object; emptied when the carrier is closed. */
  private readonly relay: Relay = { channel: this };

  get peerAddress(): string {
    return this.location.address;
  }

  constructor(
    private readonly dc: DataChannel,
    private readonly carrier: ChannelCarrier,
    readonly location: PeerLocation,
    private readonly options: FramedChannelOptions,
    lane?: DataChannel,
  ) {
    super();
    this.logger = options.logger;
    this.lane = lane;
    this.runner = new MachineRunner({
      initial: CHANNEL_MACHINE.initial,
      context: CHANNEL_MACHINE.context,
      step: stepChannel,
      perform: (effect, input, _context, error) => this.perform(effect, input, error),
      onEffectError: (effect, err) => {
        this.logger.error({ effect, err: describeError(err) }, 'framed channel effect failed');
        this.runner.dispatch({ type: 'connection_lost', why: 'internal error' });
      },
    });
    this.closeTimer = new OneShotTimer(options.clock);
    this.idleTimer = new OneShotTimer(options.clock);
    this.heartbeatTimer = new OneShotTimer(options.clock);
    const maxMessage = dc.maxMessageSize();
    this.chunkBytes = Math.max(1, Math.min(options.chunkBytes ?? DEFAULT_CHUNK_BYTES, maxMessage > 0 ? maxMessage : DEFAULT_CHUNK_BYTES));
    this.highWaterBytes = options.highWaterBytes ?? DEFAULT_HIGH_WATER_BYTES;
    dc.setBufferedAmountLowThreshold(Math.floor(this.highWaterBytes / 4));
    FramedChannel.listen(dc, this.relay);
    if (lane !== undefined) FramedChannel.listenLane(lane, this.relay);
    carrier.onLost((why) => this.runner.dispatch({ type: 'connection_lost', why }));
    this.restartIdleTimer();
    this.scheduleHeartbeat();
  }

  /** Throws TypeError for what is not a LinkMessage the channel may carry; dropped (logged) once not open. */
  send(message: LinkMessage): void {
    const text = encodeLinkMessage(message);
    if (!this.runner.dispatch({ type: 'send_message', text })) this.logger.debug({ type: message.t.slice(0, 32) }, 'message dropped: channel not open');
  }

  sendArchive(data: Buffer, sha256?: string): Promise<void> {
    const done = new Deferred<void>();
    if (!this.runner.dispatch({ type: 'send_archive', data, sha256, done })) done.reject(new Error('the channel is closed'));
    return done.promise;
  }

  expectArchive(size: number, onChunk?: (chunk: Buffer) => void): void {
    if (!Number.isSafeInteger(size) || size < 0) throw new TypeError('an archive size is a non-negative safe integer');
    if (this.expected !== undefined || this.incoming !== undefined) throw new Error('an archive is already expected');
    if (!this.runner.dispatch({ type: 'expect_archive', size, onChunk })) this.logger.debug('archive not expected: channel not open');
  }

  close(options: CloseOptions = {}): Promise<void> {
    this.runner.dispatch({ type: 'close', lastWord: options.lastWord === true });
    return this.closed.promise;
  }

  /** Immediate teardown by the owner (rendezvous/connection closed): no handshake, no event. */
  destroy(): void {
    this.runner.dispatch({ type: 'destroy' });
  }

  /** A message from the data channel as the machine's inputs: `heard`, then what it is. */
  private receive(message: string | Buffer | ArrayBuffer): void {
    this.runner.dispatch({ type: 'heard' });
    if (typeof message !== 'string') {
      this.runner.dispatch({ type: 'chunk', data: Buffer.isBuffer(message) ? message : Buffer.from(message) });
      return;
    }
    const parsed = parseTextFrame(message);
    if (parsed === undefined) this.runner.dispatch({ type: 'protocol_error', why: 'malformed or oversized text frame' });
    else if (parsed.kind === 'message') this.runner.dispatch({ type: 'message', message: parsed.message });
    else {
      if (parsed.frame.t === 'link.error') this.logger.warn({ reason: parsed.frame.reason }, 'peer reported a protocol error');
      this.runner.dispatch(inputOf(parsed.frame));
    }
  }

  /** What came on the heartbeat lane: a ping, the only thing it carries, or a protocol error. */
  private receivePulse(message: string | Buffer | ArrayBuffer): void {
    this.runner.dispatch({ type: 'heard' });
    const parsed = typeof message === 'string' ? parseTextFrame(message) : undefined;
    if (parsed?.kind === 'frame' && parsed.frame.t === 'link.ping') this.runner.dispatch({ type: 'ping' });
    else this.runner.dispatch({ type: 'protocol_error', why: 'not a ping on the heartbeat lane' });
  }

  private perform(effect: ChannelEffect, input: ChannelInput, error: LinkFailure | undefined): void {
    switch (effect) {
      case 'sendMessage':
        if (input.type === 'send_message') this.sendText(input.text);
        return;
      case 'startArchive':
        if (input.type === 'send_archive') this.startArchive(input.data, input.sha256, input.done);
        return;
      case 'pump':
        return this.pump();
      case 'restartIdleTimer':
        return this.restartIdleTimer();
      case 'armReceiver':
        if (input.type === 'expect_archive') this.expected = { size: input.size, onChunk: input.onChunk };
        return;
      case 'emitMessage':
        if (input.type === 'message') safeEmit(this, this.logger, 'message', input.message);
        return;
      case 'takeHeader':
        if (input.type === 'archive_header') this.takeHeader(input.size, input.sha256);
        return;
      case 'takeChunk':
        if (input.type === 'chunk') this.takeChunk(input.data);
        return;
      case 'settleArchive':
        if (input.type === 'archive_ack') this.settleArchive(input.sha256);
        return;
      case 'ackArchive':
        if (input.type === 'archive_received') this.sendFrame({ t: 'link.archive_ack', sha256: input.sha256 });
        return;
      case 'emitArchive':
        if (input.type === 'archive_received') safeEmit(this, this.logger, 'archive', input.data);
        return;
      case 'sendArchiveBad':
        this.sendFrame({ t: 'link.archive_bad' });
        return;
      case 'sendError':
        if (input.type === 'protocol_error') {
          this.logger.warn({ reason: input.why }, 'protocol error on the data channel');
          this.sendFrame({ t: 'link.error', reason: input.why });
        }
        return;
      case 'sendByeAck':
        this.sendFrame({ t: 'link.bye_ack' });
        return;
      case 'beat':
        this.sendPulse();
        this.beats += 1;
        if (this.beats % PULSES_PER_HEARTBEAT === 0) this.sendFrame({ t: 'link.ping' });
        return this.scheduleHeartbeat();
      case 'sendBye':
        this.sendFrame({ t: 'link.bye' }, 'bye_unsent');
        return;
      case 'stopHeartbeat':
        return this.heartbeatTimer.clear();
      case 'startCloseTimer':
        return this.closeTimer.start(this.closeWaitFor(input), () => {
          this.logger.warn('peer did not acknowledge close in time');
          this.runner.dispatch({ type: 'close_timeout' });
        });
      case 'rejectArchiveOnClose':
        return this.rejectOutgoing('the channel was closed before the archive was acknowledged');
      case 'rejectArchiveCorrupted':
        return this.rejectOutgoing('the peer received a corrupted archive');
      case 'release':
        return this.release();
      case 'closeCarrier':
        return this.closeCarrier();
      case 'startLingerTimer':
        return this.closeTimer.start(this.options.closeTimeoutMs, () => this.runner.dispatch({ type: 'linger_over' }));
      case 'emitClosed':
        this.logger.debug({ why: describeInput(input) }, 'channel lost');
        safeEmit(this, this.logger, 'closed', error ?? 'network');
        return;
    }
  }

  private startArchive(data: Buffer, known: string | undefined, done: Deferred<void>): void {
    if (this.outgoing !== undefined) {
      done.reject(new Error('an archive is already being sent'));
      return;
    }
    // Hashing 37 MB here holds the event loop ~35 ms before the first chunk: a digest the caller made is taken.
    const sha256 = known !== undefined && SHA256_HEX.test(known) ? known : createHash('sha256').update(data).digest('hex');
    this.outgoing = { data, sha256, offset: 0, done };
    this.logger.debug({ size: data.length }, 'sending archive');
    this.sendFrame({ t: 'link.archive', size: data.length, sha256 });
    this.pump();
  }

  private pump(): void {
    const outgoing = this.outgoing;
    if (outgoing === undefined) return;
    try {
      while (outgoing.offset < outgoing.data.length && this.dc.bufferedAmount() < this.highWaterBytes) {
        const end = Math.min(outgoing.offset + this.chunkBytes, outgoing.data.length);
        // false only means "queued", not "failed": libdatachannel throws on real errors.
        this.dc.sendMessageBinary(outgoing.data.subarray(outgoing.offset, end));
        outgoing.offset = end;
      }
    } catch (err) {
      this.logger.debug({ err: describeError(err) }, 'archive send failed');
      this.runner.dispatch({ type: 'send_failed' });
    }
  }

  /** One header per expectArchive, of the size it named: nothing is allocated for the header itself. */
  private takeHeader(size: number, sha256: string): void {
    if (this.incoming !== undefined) return this.protocolError('archive header during an archive');
    if (this.expected === undefined) return this.protocolError('archive not expected');
    if (size !== this.expected.size) return this.protocolError('archive of another size than expected');
    if (size > this.options.maxArchiveBytes) return this.protocolError('archive too large');
    const { onChunk } = this.expected;
    this.expected = undefined;
    this.incoming = { size, sha256, data: Buffer.allocUnsafeSlow(size), hash: createHash('sha256'), onChunk, received: 0 };
    if (size === 0) this.completeIncoming();
  }

  private takeChunk(chunk: Buffer): void {
    const incoming = this.incoming;
    if (incoming === undefined) return this.protocolError('binary data outside an archive');
    if (chunk.length > incoming.size - incoming.received) return this.protocolError('archive longer than announced');
    const at = incoming.received;
    chunk.copy(incoming.data, at);
    incoming.hash.update(chunk);
    incoming.received += chunk.length;
    // A view of the archive, which is never written there again: a consumer may keep it, and join adjacent views.
    incoming.onChunk?.(incoming.data.subarray(at, incoming.received));
    if (incoming.received === incoming.size) this.completeIncoming();
  }

  private completeIncoming(): void {
    const incoming = this.incoming!;
    this.incoming = undefined;
    if (incoming.hash.digest('hex') !== incoming.sha256) {
      this.logger.warn({ size: incoming.size }, 'archive hash mismatch');
      this.runner.dispatch({ type: 'archive_corrupt' });
      return;
    }
    this.runner.dispatch({ type: 'archive_received', data: incoming.data, sha256: incoming.sha256 });
  }

  private settleArchive(sha256: string): void {
    const outgoing = this.outgoing;
    if (outgoing === undefined || outgoing.offset < outgoing.data.length || sha256 !== outgoing.sha256) {
      return this.protocolError('unexpected archive acknowledgement');
    }
    outgoing.done.resolve();
    this.outgoing = undefined;
  }

  private protocolError(why: string): void {
    this.runner.dispatch({ type: 'protocol_error', why });
  }

  private sendFrame(frame: LinkFrame, failure: 'send_failed' | 'bye_unsent' = 'send_failed'): void {
    this.sendText(encodeLinkFrame(frame), failure);
  }

  /** A failed send is fed to the machine as `failure`. */
  private sendText(text: string, failure: 'send_failed' | 'bye_unsent' = 'send_failed'): void {
    try {
      this.dc.sendMessage(text);
    } catch (err) {
      this.logger.debug({ err: describeError(err) }, 'frame send failed');
      this.runner.dispatch({ type: failure });
    }
  }

  private closeWaitFor(input: ChannelInput): number {
    const lastWord = input.type === 'close' && input.lastWord;
    return lastWord ? (this.options.lastWordTimeoutMs ?? this.options.closeTimeoutMs) : this.options.closeTimeoutMs;
  }

  /** Everything the channel holds, let go: its timers, a half-received archive, a pending send, close()'s wait. */
  private release(): void {
    this.closeTimer.clear();
    this.idleTimer.clear();
    this.heartbeatTimer.clear();
    this.lane = undefined;
    this.expected = undefined;
    this.incoming = undefined;
    this.rejectOutgoing('the channel closed before the archive was acknowledged');
    this.closed.resolve();
  }

  private rejectOutgoing(why: string): void {
    this.outgoing?.done.reject(new Error(why));
    this.outgoing = undefined;
  }

  private restartIdleTimer(): void {
    if (this.options.idleTimeoutMs > 0) this.idleTimer.start(this.options.idleTimeoutMs, () => this.runner.dispatch({ type: 'peer_silent' }));
  }

  /** One timer for both heartbeats: a tick per lane ping, the channel's ping every PULSES_PER_HEARTBEAT ticks. */
  private scheduleHeartbeat(): void {
    if (this.options.heartbeatMs > 0) {
      this.heartbeatTimer.start(this.options.heartbeatMs / PULSES_PER_HEARTBEAT, () => this.runner.dispatch({ type: 'heartbeat_due' }));
    }
  }

  /** Best effort: a lane that cannot send is dropped, which only means fewer signs of life. One not open yet (it
   *  opens on its own, around when the channel does) misses this pulse only. */
  private sendPulse(): void {
    if (this.lane === undefined) return;
    try {
      if (!this.lane.isOpen()) return;
      this.lane.sendMessage(PING_TEXT);
    } catch (err) {
      this.dropLane(`a ping could not be sent: ${describeError(err)}`);
    }
  }

  /** The lane is gone: the peer has none (it reset the stream) or the connection is going (the channel says so). */
  private dropLane(why: string): void {
    if (this.lane === undefined) return;
    this.lane = undefined;
    this.logger.debug({ why }, 'heartbeat lane dropped');
  }

  /** The end of this channel's life: nothing of it is reachable from the data channel any more. */
  private closeCarrier(): void {
    this.closeTimer.clear();
    this.relay.channel = undefined;
    this.carrier.close();
  }

  /**
   * node-datachannel keeps a channel's onClosed callback until libdatachannel reports the close, which it does not
   * always do once the connection is closed too. Built here, outside the constructor's scope, the callbacks hold
   * only `relay`, so an ended channel (its listeners, the session behind them) can still be collected.
   */
  private static listen(dc: DataChannel, relay: Relay): void {
    const to = FramedChannel.through(relay, 'data channel');
    dc.onBufferedAmountLow(to((channel) => channel.runner.dispatch({ type: 'buffer_low' })));
    dc.onMessage(to((channel, message: string | Buffer | ArrayBuffer) => channel.receive(message)));
    dc.onClosed(to((channel) => channel.runner.dispatch({ type: 'connection_lost', why: 'data channel closed' })));
    dc.onError(to((channel, why: string) => channel.runner.dispatch({ type: 'connection_lost', why: `data channel error: ${why}` })));
  }

  /** The lane's callbacks, held through `relay` like the channel's; its end is not the link's. */
  private static listenLane(lane: DataChannel, relay: Relay): void {
    const to = FramedChannel.through(relay, 'heartbeat lane');
    lane.onMessage(to((channel, message: string | Buffer | ArrayBuffer) => channel.receivePulse(message)));
    lane.onClosed(to((channel) => channel.dropLane('closed')));
    lane.onError(to((channel, why: string) => channel.dropLane(`error: ${why}`)));
  }

  /** Callbacks that reach the channel only through `relay` (nothing once it ended); a throw ends the link. */
  private static through(relay: Relay, source: string) {
    return <A extends unknown[]>(act: (channel: FramedChannel, ...args: A) => void) => (...args: A): void => {
      const channel = relay.channel;
      if (channel === undefined) return;
      try {
        act(channel, ...args);
      } catch (err) {
        channel.logger.error({ err: describeError(err) }, `${source} callback failed`);
        channel.runner.dispatch({ type: 'connection_lost', why: 'internal error' });
      }
    };
  }
}

const PING_TEXT = encodeLinkFrame({ t: 'link.ping' });
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A transport frame as the machine's input. */
function inputOf(frame: LinkFrame): ChannelInput {
  switch (frame.t) {
    case 'link.archive':
      return { type: 'archive_header', size: frame.size, sha256: frame.sha256 };
    case 'link.archive_ack':
      return { type: 'archive_ack', sha256: frame.sha256 };
    case 'link.archive_bad':
      return { type: 'archive_bad' };
    case 'link.ping':
      return { type: 'ping' };
    case 'link.bye':
      return { type: 'bye' };
    case 'link.bye_ack':
      return { type: 'bye_ack' };
    case 'link.error':
      return { type: 'peer_error', reason: frame.reason };
  }
}

/** Why the link ended, for the log. */
function describeInput(input: ChannelInput): string {
  if (input.type === 'connection_lost') return input.why;
  if (input.type === 'protocol_error') return `protocol error: ${input.why}`;
  if (input.type === 'peer_error') return 'peer reported a protocol error';
  return input.type;
}
