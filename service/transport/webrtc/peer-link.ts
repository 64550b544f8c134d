// One WebRTC peer connection with one data channel (node-datachannel): full-SDP signaling (ICE gathering
// complete, no trickle), the selected candidate pair, the remote DTLS fingerprint, deterministic close.
// Every libdatachannel callback is guarded: nothing throws back into the binding.

import nodeDataChannel, { type DataChannel, type IceServer, type PeerConnection } from 'node-datachannel';
import { Deferred } from '../../contract/deferred.js';
import { describeError } from '../../contract/guards.js';
import type { Logger } from '../../contract/logger.js';
import { HEARTBEAT_LANE_INIT, HEARTBEAT_LANE_LABEL } from './heartbeat-lane.js';
import { sameFingerprint, type DtlsFingerprint } from './session-description.js';

export const DATA_CHANNEL_LABEL = 'jami-link';

export interface PeerLinkOptions {
  readonly iceServers: readonly IceServer[];
  readonly bindAddress?: string;
  readonly portRange?: { readonly begin: number; readonly end: number };
  readonly iceTransportPolicy?: 'all' | 'relay';
  readonly logger: Logger;
}

export type PeerRole = 'offerer' | 'answerer';

export class PeerLinkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeerLinkError';
  }
}

let nextPeerNumber = 1;

export class PeerLink {
  private readonly pc: PeerConnection;
  private channel: DataChannel | undefined;
  private readonly gathered = new Deferred<string>();
  private readonly opened = new Deferred<DataChannel>();
  private lostHandler: ((why: string) => void) | undefined;
  private closed = false;
  private readonly logger: Logger;

  constructor(readonly role: PeerRole, options: PeerLinkOptions) {
    this.logger = options.logger;
    this.pc = new nodeDataChannel.PeerConnection(`jami-link-${role}-${nextPeerNumber++}`, {
      iceServers: [...options.iceServers],
      ...(options.bindAddress !== undefined ? { bindAddress: options.bindAddress } : {}),
      ...(options.portRange !== undefined ? { portRangeBegin: options.portRange.begin, portRangeEnd: options.portRange.end } : {}),
      ...(options.iceTransportPolicy !== undefined ? { iceTransportPolicy: options.iceTransportPolicy } : {}),
    });
    this.pc.onGatheringStateChange(this.guard((state) => {
      if (state !== 'complete') return;
      const local = this.pc.localDescription();
      if (local !== null) this.gathered.resolve(local.sdp);
    }));
    this.pc.onStateChange(this.guard((state) => {
      if (state === 'failed' || state === 'disconnected' || state === 'closed') this.lose(`peer connection ${state}`);
    }));
    if (role === 'offerer') {
      this.adopt(this.pc.createDataChannel(DATA_CHANNEL_LABEL));
    } else {
      this.pc.onDataChannel(this.guard((dc: DataChannel) => {
        if (this.channel !== undefined || dc.getLabel() !== DATA_CHANNEL_LABEL) {
          dc.close();
          return;
        }
        this.adopt(dc);
      }));
    }
  }

  /** The full local SDP (offer or answer) once ICE gathering is complete: candidates included. */
  localDescription(): Promise<string> {
    return this.gathered.promise;
  }

  /** Throws PeerLinkError when libdatachannel refuses the SDP. */
  acceptRemoteDescription(sdp: string, type: 'offer' | 'answer'): void {
    if (this.closed) throw new PeerLinkError('peer connection closed');
    try {
      this.pc.setRemoteDescription(sdp, type);
    } catch (error) {
      throw new PeerLinkError(`remote description refused: ${(error as Error).message}`);
    }
  }

  /** Adds one remote ICE candidate; false when libdatachannel refuses it (or the link is closed). */
  addRemoteCandidate(candidate: string, mid: string): boolean {
    if (this.closed) return false;
    try {
      this.pc.addRemoteCandidate(candidate, mid);
      return true;
    } catch (error) {
      this.logger.debug({ err: describeError(error) }, 'remote candidate refused');
      return false;
    }
  }

  /**
   * The heartbeat lane (heartbeat-lane.ts). Both sides must open it before the SCTP association is up (before
   * ICE can connect), or the peer refuses data on its stream; the answerer after the offer is applied, or
   * libdatachannel would make an offer of its own. Its loss alone does not end the link, so neither does its
   * absence: undefined once closed, too early on the answerer, or when libdatachannel refuses it.
   */
  openHeartbeatChannel(): DataChannel | undefined {
    if (this.closed || (this.role === 'answerer' && this.pc.remoteDescription() === null)) return undefined;
    try {
      const lane = this.pc.createDataChannel(HEARTBEAT_LANE_LABEL, HEARTBEAT_LANE_INIT);
      // node-datachannel 0.33 keeps every channel in a registry that cleanup() (shutdownTransport) walks, and
      // forgets one only when libdatachannel reports it closed to a JS onClosed handler; a channel collected
      // before that is a dangling entry, and cleanup() crashes on it (the transport tests did, at exit). So an
      // onClosed handler from the start (the framed channel replaces it with its own), and a callback that
      // keeps the lane reachable until then (node-datachannel drops it with the others at that report).
      lane.onClosed(() => {});
      lane.onOpen(() => void lane);
      return lane;
    } catch (error) {
      this.logger.debug({ err: describeError(error) }, 'heartbeat lane refused');
      return undefined;
    }
  }

  /** The data channel once open; rejects when the connection fails or closes first. */
  channelOpen(): Promise<DataChannel> {
    return this.opened.promise;
  }

  /** Called once if the connection is lost after (or before) the channel opened. Replaces any earlier handler. */
  onLost(handler: (why: string) => void): void {
    this.lostHandler = handler;
  }

  /** "ip:port" (IPv6 as "[ip]:port") of the remote candidate of the selected pair, if there is one. */
  remoteAddress(): string | undefined {
    try {
      const remote = this.pc.getSelectedCandidatePair()?.remote;
      if (remote === undefined || !remote.address || !remote.port) return undefined;
      return remote.address.includes(':') ? `[${remote.address}]:${remote.port}` : `${remote.address}:${remote.port}`;
    } catch {
      return undefined;
    }
  }

  /** True when the DTLS certificate the peer presented has the fingerprint its signed SDP announced. */
  remoteFingerprintMatches(expected: DtlsFingerprint): boolean {
    try {
      const actual = this.pc.remoteFingerprint();
      return typeof actual?.value === 'string' && actual.value !== '' && sameFingerprint(expected, actual);
    } catch {
      return false;
    }
  }

  /** Closes the data channel and the peer connection; idempotent; no handler runs afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.lostHandler = undefined;
    const error = new PeerLinkError('peer connection closed');
    this.gathered.reject(error);
    this.opened.reject(error);
    try {
      this.channel?.close();
    } catch {
      // already closed by the peer
    }
    try {
      this.pc.close();
    } catch (closeError) {
      this.logger.debug({ err: describeError(closeError) }, 'peer connection close failed');
    }
  }

  private adopt(dc: DataChannel): void {
    this.channel = dc;
    dc.onOpen(this.guard(() => this.opened.resolve(dc)));
    dc.onClosed(this.guard(() => this.lose('data channel closed')));
    dc.onError(this.guard((message: string) => this.lose(`data channel error: ${message}`)));
    // An incoming channel is announced already open: onOpen will not fire for it.
    if (dc.isOpen()) this.opened.resolve(dc);
  }

  private lose(why: string): void {
    if (this.closed) return;
    this.opened.reject(new PeerLinkError(why));
    this.gathered.reject(new PeerLinkError(why));
    const handler = this.lostHandler;
    this.lostHandler = undefined;
    handler?.(why);
  }

  private guard<A extends unknown[]>(callback: (...args: A) => void): (...args: A) => void {
    return (...args: A) => {
      if (this.closed) return;
      try {
        callback(...args);
      } catch (error) {
        this.logger.error({ err: describeError(error) }, 'peer connection callback failed');
        this.lose('internal error');
      }
    };
  }
}
