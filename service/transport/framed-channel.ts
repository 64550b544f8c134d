// The PeerChannel the linking layer uses: JSON control frames as text messages, the archive as flow-controlled
// binary chunks behind a size + SHA-256 header, a heartbeat, and a bye/bye_ack handshake so close() loses nothing.

import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { DataChannel } from 'node-datachannel';
import type { Logger } from 'pino';
import {
  encodeChannelFrame,
  isControlMessage,
  isLinkFrame,
  parseChannelFrame,
  type ChannelFrame,
  type LinkFrame,
} from './channel-frames.js';
import { Deferred } from './deferred.js';
import type { ControlMessage, LinkFailure, PeerChannel } from './link-transport.js';
import { OneShotTimer, type TransportClock } from './transport-clock.js';

/** What sits under the channel: told when the connection dies, closed when the channel ends. */
export interface ChannelCarrier {
  onLost(handler: (why: string) => void): void;
  close(): void;
}

export interface FramedChannelOptions {
  readonly logger: Logger;
  readonly clock: TransportClock;
  /** A ping is sent this often; 0 disables the heartbeat. */
  readonly heartbeatMs: number;
  /** Nothing received for this long => the peer is gone ('network'). 0 disables. */
  readonly idleTimeoutMs: number;
  /** close() gives up waiting for the peer's bye_ack after this long. */
  readonly closeTimeoutMs: number;
  readonly maxArchiveBytes: number;
  /** Binary chunk size, capped by the channel's maxMessageSize. */
  readonly chunkBytes?: number;
  /** Pumping stops while bufferedAmount is at or above this, and resumes on bufferedAmountLow. */
  readonly highWaterBytes?: number;
}

export const DEFAULT_CHUNK_BYTES = 64 * 1024;
export const DEFAULT_HIGH_WATER_BYTES = 1024 * 1024;

interface IncomingArchive {
  readonly size: number;
  readonly sha256: string;
  readonly data: Buffer;
  readonly hash: ReturnType<typeof createHash>;
  received: number;
}

interface OutgoingArchive {
  readonly data: Buffer;
  readonly sha256: string;
  offset: number;
  readonly done: Deferred<void>;
}

type ChannelState = 'open' | 'closing' | 'ended';

export class FramedChannel extends EventEmitter implements PeerChannel {
  private state: ChannelState = 'open';
  /** Ended, but the connection stays up a moment so a last error frame reaches the peer. */
  private lingering = false;
  private incoming: IncomingArchive | undefined;
  private outgoing: OutgoingArchive | undefined;
  private readonly closed = new Deferred<void>();
  private readonly closeTimer: OneShotTimer;
  private readonly idleTimer: OneShotTimer;
  private readonly heartbeatTimer: OneShotTimer;
  private readonly chunkBytes: number;
  private readonly highWaterBytes: number;
  private readonly logger: Logger;
  /** The only way the data channel's callbacks reach this object; emptied when the carrier is closed. */
  private readonly relay: { channel: FramedChannel | undefined } = { channel: this };

  constructor(
    private readonly dc: DataChannel,
    private readonly carrier: ChannelCarrier,
    readonly peerAddress: string,
    private readonly options: FramedChannelOptions,
  ) {
    super();
    this.logger = options.logger;
    this.closeTimer = new OneShotTimer(options.clock);
    this.idleTimer = new OneShotTimer(options.clock);
    this.heartbeatTimer = new OneShotTimer(options.clock);
    const maxMessage = dc.maxMessageSize();
    this.chunkBytes = Math.max(1, Math.min(options.chunkBytes ?? DEFAULT_CHUNK_BYTES, maxMessage > 0 ? maxMessage : DEFAULT_CHUNK_BYTES));
    this.highWaterBytes = options.highWaterBytes ?? DEFAULT_HIGH_WATER_BYTES;
    dc.setBufferedAmountLowThreshold(Math.floor(this.highWaterBytes / 4));
    FramedChannel.listen(dc, this.relay);
    carrier.onLost((why) => this.lost(why));
    this.armIdleTimer();
    this.scheduleHeartbeat();
  }

  send(message: ControlMessage): void {
    if (!isControlMessage(message)) throw new TypeError('not a valid control message');
    if (this.state !== 'open') {
      this.logger.debug({ type: message.t }, 'control message dropped: channel not open');
      return;
    }
    this.sendFrame(message);
  }

  sendArchive(data: Buffer): Promise<void> {
    if (this.state !== 'open') return Promise.reject(new Error('the channel is closed'));
    if (this.outgoing !== undefined) return Promise.reject(new Error('an archive is already being sent'));
    const sha256 = createHash('sha256').update(data).digest('hex');
    const outgoing: OutgoingArchive = { data, sha256, offset: 0, done: new Deferred<void>() };
    this.outgoing = outgoing;
    this.logger.debug({ size: data.length }, 'sending archive');
    this.sendFrame({ t: 'link.archive', size: data.length, sha256 });
    this.pump();
    return outgoing.done.promise;
  }

  close(): Promise<void> {
    if (this.state === 'open') {
      this.state = 'closing';
      this.failOutgoing('the channel was closed before the archive was acknowledged');
      this.heartbeatTimer.clear();
      this.closeTimer.start(this.options.closeTimeoutMs, () => {
        this.logger.warn('peer did not acknowledge close in time');
        this.teardown();
      });
      if (!this.sendFrame({ t: 'link.bye' })) this.teardown();
    }
    return this.closed.promise;
  }

  /** Immediate teardown by the owner (rendezvous/connection closed): no handshake, no event. */
  destroy(): void {
    this.teardown();
  }

  private receive(message: string | Buffer | ArrayBuffer): void {
    if (this.state === 'ended') return;
    this.armIdleTimer();
    if (typeof message === 'string') {
      const frame = parseChannelFrame(message);
      if (frame === undefined) {
        this.protocolError('malformed, unknown or oversized control frame');
        return;
      }
      this.receiveFrame(frame);
      return;
    }
    this.receiveChunk(Buffer.isBuffer(message) ? message : Buffer.from(message));
  }

  private receiveFrame(frame: ChannelFrame): void {
    if (!isLinkFrame(frame)) {
      if (this.state === 'open') this.safeEmit('message', frame);
      return;
    }
    this.receiveLinkFrame(frame);
  }

  private receiveLinkFrame(frame: LinkFrame): void {
    switch (frame.t) {
      case 'link.archive':
        if (this.incoming !== undefined) return this.protocolError('archive header during an archive');
        if (frame.size > this.options.maxArchiveBytes) return this.protocolError('archive too large');
        this.incoming = { size: frame.size, sha256: frame.sha256, data: Buffer.allocUnsafe(frame.size), hash: createHash('sha256'), received: 0 };
        if (frame.size === 0) this.completeIncoming();
        return;
      case 'link.archive_ack':
        if (this.outgoing === undefined || this.outgoing.offset < this.outgoing.data.length || frame.sha256 !== this.outgoing.sha256) {
          return this.protocolError('unexpected archive acknowledgement');
        }
        this.outgoing.done.resolve();
        this.outgoing = undefined;
        return;
      case 'link.archive_bad':
        this.failOutgoing('the peer received a corrupted archive');
        return this.lost('the peer received a corrupted archive');
      case 'link.ping':
        return;
      case 'link.bye':
        this.sendFrame({ t: 'link.bye_ack' });
        return;
      case 'link.bye_ack':
        if (this.state === 'closing') this.teardown();
        return;
      case 'link.error':
        this.logger.warn({ reason: frame.reason }, 'peer reported a protocol error');
        return this.lost('peer reported a protocol error');
    }
  }

  private receiveChunk(chunk: Buffer): void {
    const incoming = this.incoming;
    if (incoming === undefined) return this.protocolError('binary data outside an archive');
    if (chunk.length > incoming.size - incoming.received) return this.protocolError('archive longer than announced');
    chunk.copy(incoming.data, incoming.received);
    incoming.hash.update(chunk);
    incoming.received += chunk.length;
    if (incoming.received === incoming.size) this.completeIncoming();
  }

  private completeIncoming(): void {
    const incoming = this.incoming!;
    this.incoming = undefined;
    if (incoming.hash.digest('hex') !== incoming.sha256) {
      this.logger.warn({ size: incoming.size }, 'archive hash mismatch');
      this.sendFrame({ t: 'link.archive_bad' });
      this.lost('archive hash mismatch', true);
      return;
    }
    this.sendFrame({ t: 'link.archive_ack', sha256: incoming.sha256 });
    if (this.state === 'open') this.safeEmit('archive', incoming.data);
  }

  private pump(): void {
    if (this.state !== 'open') return;
    const outgoing = this.outgoing;
    if (outgoing === undefined || this.state !== 'open') return;
    try {
      while (outgoing.offset < outgoing.data.length && this.dc.bufferedAmount() < this.highWaterBytes) {
        const end = Math.min(outgoing.offset + this.chunkBytes, outgoing.data.length);
        // false only means "queued", not "failed": libdatachannel throws on real errors.
        this.dc.sendMessageBinary(outgoing.data.subarray(outgoing.offset, end));
        outgoing.offset = end;
      }
    } catch (error) {
      this.logger.debug({ err: error }, 'archive send failed');
      this.lost('send failed');
    }
  }

  /** False when the channel can no longer send. */
  private sendFrame(frame: ChannelFrame): boolean {
    try {
      this.dc.sendMessage(encodeChannelFrame(frame));
      return true;
    } catch (error) {
      this.logger.debug({ err: error, type: frame.t }, 'frame send failed');
      if (this.state === 'open') this.lost('send failed');
      return false;
    }
  }

  private protocolError(reason: string): void {
    this.logger.warn({ reason }, 'protocol error on the data channel');
    this.sendFrame({ t: 'link.error', reason });
    this.lost(`protocol error: ${reason}`, true);
  }

  /**
   * The link ended without our asking: one 'closed' event, unless we were closing anyway. With `linger`, the
   * connection stays up until the peer closes it (or closeTimeoutMs), so the frame just sent is not dropped.
   */
  private lost(why: string, linger = false): void {
    if (this.state === 'ended') {
      if (this.lingering) this.stopLingering();
      return;
    }
    const wasOpen = this.state === 'open';
    this.logger.debug({ why }, 'channel lost');
    this.teardown(linger);
    if (wasOpen) this.safeEmit('closed', 'network' satisfies LinkFailure);
  }

  private teardown(linger = false): void {
    if (this.state === 'ended') {
      if (this.lingering && !linger) this.stopLingering();
      return;
    }
    this.state = 'ended';
    this.closeTimer.clear();
    this.idleTimer.clear();
    this.heartbeatTimer.clear();
    this.incoming = undefined;
    this.failOutgoing('the channel closed before the archive was acknowledged');
    this.closed.resolve();
    if (linger) {
      this.lingering = true;
      this.closeTimer.start(this.options.closeTimeoutMs, () => this.stopLingering());
    } else {
      this.closeCarrier();
    }
  }

  private stopLingering(): void {
    this.lingering = false;
    this.closeTimer.clear();
    this.closeCarrier();
  }

  private failOutgoing(why: string): void {
    this.outgoing?.done.reject(new Error(why));
    this.outgoing = undefined;
  }

  private armIdleTimer(): void {
    if (this.options.idleTimeoutMs > 0 && this.state !== 'ended') {
      this.idleTimer.start(this.options.idleTimeoutMs, () => this.lost('peer silent'));
    }
  }

  private scheduleHeartbeat(): void {
    if (this.options.heartbeatMs <= 0 || this.state !== 'open') return;
    this.heartbeatTimer.start(this.options.heartbeatMs, () => {
      this.sendFrame({ t: 'link.ping' });
      this.scheduleHeartbeat();
    });
  }

  private safeEmit(event: string, ...args: unknown[]): void {
    try {
      this.emit(event, ...args);
    } catch (error) {
      this.logger.error({ err: error, event }, 'a channel listener threw');
    }
  }

  /**
   * node-datachannel keeps a channel's onClosed callback until libdatachannel reports the close, which it does not
   * always do once the connection is closed too. Built here, outside the constructor's scope, the callbacks hold
   * only `relay`, so an ended channel (its listeners, the session behind them) can still be collected.
   */
  private static listen(dc: DataChannel, relay: { channel: FramedChannel | undefined }): void {
    const to = <A extends unknown[]>(act: (channel: FramedChannel, ...args: A) => void) => (...args: A): void => {
      const channel = relay.channel;
      if (channel !== undefined) channel.guard((...inner: A) => act(channel, ...inner))(...args);
    };
    dc.onBufferedAmountLow(to((channel) => channel.pump()));
    dc.onMessage(to((channel, message: string | Buffer | ArrayBuffer) => channel.receive(message)));
    dc.onClosed(to((channel) => channel.lost('data channel closed')));
    dc.onError(to((channel, why: string) => channel.lost(`data channel error: ${why}`)));
  }

  /** The end of this channel's life: nothing of it is reachable from the data channel any more. */
  private closeCarrier(): void {
    this.relay.channel = undefined;
    this.carrier.close();
  }

  private guard<A extends unknown[]>(callback: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      if (this.state === 'ended' && !this.lingering) return;
      try {
        callback(...args);
      } catch (error) {
        this.logger.error({ err: error }, 'data channel callback failed');
        this.lost('internal error');
      }
    };
  }
}
