// One WebRTC peer connection with one data channel (node-datachannel): the local description as soon as the
// candidates that matter are in (later ones trickle), the selected candidate pair, the remote DTLS
// fingerprint, what it saw of ICE (to say why it failed), deterministic close.
// Every libdatachannel callback is guarded: nothing throws back into the binding.

import nodeDataChannel, { type DataChannel, type IceServer, type PeerConnection } from 'node-datachannel';
import { Deferred } from '../../contract/deferred.js';
import { describeError } from '../../contract/guards.js';
import type { CandidateType, IceProblem, NetworkDiagnosis } from '../../contract/link-contract.js';
import type { Logger } from '../../contract/logger.js';
import { HEARTBEAT_LANE_INIT, HEARTBEAT_LANE_LABEL } from './heartbeat-lane.js';
import { eventsSince, gatheringCounts, type GatheringCounts } from './ice-log.js';
import { candidateHostOf, candidatesOf, candidateTypeOf, sameFingerprint, type DtlsFingerprint, type RemoteCandidate } from './session-description.js';

/**
 * How long the local description waits for server-reflexive candidates (a STUN answer takes one round trip)
 * before it is sent with what is there; a TURN relay takes longer and an unanswering server forever (libjuice
 * gives up after ~23 s), and both trickle instead. Short enough that a LAN link with a dead server configured
 * is not noticeably slower.
 */
export const DEFAULT_DESCRIPTION_WAIT_MS = 250;
/** After a first server-reflexive candidate, the other servers' answers are usually a moment behind. */
const REFLEXIVE_GRACE_MS = 20;

export const DATA_CHANNEL_LABEL = 'jami-link';

export interface PeerLinkOptions {
  readonly iceServers: readonly IceServer[];
  readonly bindAddress?: string;
  readonly portRange?: { readonly begin: number; readonly end: number };
  readonly iceTransportPolicy?: 'all' | 'relay';
  readonly logger: Logger;
  /** See DEFAULT_DESCRIPTION_WAIT_MS. */
  readonly descriptionWaitMs?: number;
}

/** The selected candidate pair, as far as this side needs it. */
export interface SelectedPair {
  readonly remote: { readonly address: string; readonly type: CandidateType | 'unknown' };
  readonly localType: CandidateType | 'unknown';
  /** Our side's "ip:port": our relay's allocation when localType is relay. */
  readonly localAddress: string;
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
  private readonly described = new Deferred<string>();
  private readonly opened = new Deferred<DataChannel>();
  private lostHandler: ((why: string) => void) | undefined;
  private closed = false;
  private readonly logger: Logger;
  private readonly servers: readonly IceServer[];
  private readonly descriptionWaitMs: number;
  private descriptionTimer: NodeJS.Timeout | undefined;
  /** The candidates the handed-out description carried; undefined until it was handed out. */
  private sentCandidates: Set<string> | undefined;
  private readonly lateCandidates: RemoteCandidate[] = [];
  private lateHandler: ((candidates: RemoteCandidate[]) => void) | undefined;
  private iceConnectedHandler: (() => void) | undefined;
  /** What this side saw, to say where a failed connection stopped. */
  private readonly gatheredTypes = new Set<CandidateType>();
  /** The IP addresses of our own relay candidates (our TURN server's relay address). */
  private readonly ownRelayHosts = new Set<string>();
  private readonly countsAtStart: GatheringCounts = gatheringCounts();
  private iceConnected = false;
  private dtlsConnected = false;
  private channelOpened = false;

  constructor(readonly role: PeerRole, options: PeerLinkOptions) {
    this.logger = options.logger;
    this.servers = options.iceServers;
    this.descriptionWaitMs = options.descriptionWaitMs ?? DEFAULT_DESCRIPTION_WAIT_MS;
    this.pc = new nodeDataChannel.PeerConnection(`jami-link-${role}-${nextPeerNumber++}`, {
      iceServers: [...options.iceServers],
      ...(options.bindAddress !== undefined ? { bindAddress: options.bindAddress } : {}),
      ...(options.portRange !== undefined ? { portRangeBegin: options.portRange.begin, portRangeEnd: options.portRange.end } : {}),
      ...(options.iceTransportPolicy !== undefined ? { iceTransportPolicy: options.iceTransportPolicy } : {}),
    });
    this.pc.onGatheringStateChange(this.guard((state) => {
      if (state === 'in-progress') this.describeWithin(this.descriptionWaitMs);
      else if (state === 'complete') this.describe();
    }));
    this.pc.onLocalCandidate(this.guard((candidate, mid) => this.gatheredCandidate(candidate.replace(/^a=/, ''), mid)));
    this.pc.onIceStateChange(this.guard((state) => {
      if ((state !== 'connected' && state !== 'completed') || this.iceConnected) return;
      this.iceConnected = true;
      this.iceConnectedHandler?.();
    }));
    this.pc.onStateChange(this.guard((state) => {
      if (state === 'connected') this.dtlsConnected = true;
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

  /** The local SDP (offer or answer) with the candidates gathered by then: all of them, or the host and
   *  server-reflexive ones when the rest is slow (DEFAULT_DESCRIPTION_WAIT_MS); the rest go to onLateCandidates. */
  localDescription(): Promise<string> {
    return this.described.promise;
  }

  /** Candidates gathered after the description was handed out, in batches, from now on (earlier ones at once). */
  onLateCandidates(handler: (candidates: RemoteCandidate[]) => void): void {
    this.lateHandler = handler;
    if (this.lateCandidates.length > 0) handler(this.lateCandidates.splice(0));
  }

  /** Called once, when ICE found a working pair (DTLS and SCTP still to come). */
  onIceConnected(handler: () => void): void {
    this.iceConnectedHandler = handler;
    if (this.iceConnected) handler();
  }

  /** What this side saw, for the log of a failed link: candidate types gathered, servers' trouble, how far it got. */
  summary(): Record<string, unknown> {
    return {
      gathered: [...this.gatheredTypes],
      serverTrouble: [...eventsSince(this.countsAtStart)],
      servers: this.servers.map((server) => `${server.relayType === undefined ? 'stun' : server.relayType}:${server.hostname}:${server.port}`),
      iceConnected: this.iceConnected,
      dtlsConnected: this.dtlsConnected,
      selected: this.selectedPair(),
    };
  }

  /** True when `host` (an IP) is where our own relays are: the same TURN server relays for the peer too. */
  relaysFrom(host: string): boolean {
    return this.ownRelayHosts.has(host);
  }

  /** Where this connection stopped, for a failure before (or after) the channel opened. */
  diagnose(): NetworkDiagnosis {
    if (this.channelOpened) return { stage: 'transfer' };
    if (this.dtlsConnected) return { stage: 'sctp' };
    if (this.iceConnected) return { stage: 'dtls' };
    return { stage: 'ice', ice: this.iceProblem() };
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

  /** The selected pair: the remote candidate's "ip:port" (IPv6 as "[ip]:port") and type, our candidate's type. */
  selectedPair(): SelectedPair | undefined {
    try {
      const pair = this.pc.getSelectedCandidatePair();
      const remote = pair?.remote;
      if (pair === null || pair === undefined || remote === undefined || !remote.address || !remote.port) return undefined;
      const local = pair.local;
      return {
        remote: { address: formatAddress(remote.address, remote.port), type: asCandidateType(remote.type) },
        localType: asCandidateType(local?.type),
        localAddress: local?.address && local.port ? formatAddress(local.address, local.port) : '',
      };
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
    this.lateHandler = undefined;
    this.iceConnectedHandler = undefined;
    clearTimeout(this.descriptionTimer);
    const error = new PeerLinkError('peer connection closed');
    this.described.reject(error);
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
    dc.onOpen(this.guard(() => this.markOpen(dc)));
    dc.onClosed(this.guard(() => this.lose('data channel closed')));
    dc.onError(this.guard((message: string) => this.lose(`data channel error: ${message}`)));
    // An incoming channel is announced already open: onOpen will not fire for it.
    if (dc.isOpen()) this.markOpen(dc);
  }

  private markOpen(dc: DataChannel): void {
    this.channelOpened = true;
    this.opened.resolve(dc);
  }

  /** Hands out the description once, at the latest `ms` from now. */
  private describeWithin(ms: number): void {
    if (this.sentCandidates !== undefined || this.descriptionTimer !== undefined) return;
    this.descriptionTimer = setTimeout(this.guard(() => this.describe()), ms);
    this.descriptionTimer.unref();
  }

  private describe(): void {
    if (this.sentCandidates !== undefined) return;
    const local = this.pc.localDescription();
    if (local === null) return;
    clearTimeout(this.descriptionTimer);
    this.sentCandidates = new Set(candidatesOf(local.sdp).map(({ candidate }) => candidate));
    this.described.resolve(local.sdp);
  }

  private gatheredCandidate(candidate: string, mid: string): void {
    const type = candidateTypeOf(candidate);
    if (type !== undefined) this.gatheredTypes.add(type);
    const relayHost = type === 'relay' ? candidateHostOf(candidate) : undefined;
    if (relayHost !== undefined) this.ownRelayHosts.add(relayHost);
    if (this.sentCandidates === undefined) {
      if (type === 'srflx') {
        clearTimeout(this.descriptionTimer);
        this.descriptionTimer = undefined;
        this.describeWithin(REFLEXIVE_GRACE_MS);
      }
      return;
    }
    if (this.sentCandidates.has(candidate)) return;
    this.sentCandidates.add(candidate);
    this.lateCandidates.push({ candidate, mid });
    if (this.lateHandler !== undefined) this.lateHandler(this.lateCandidates.splice(0));
  }

  /** No pair worked: what this side can tell from its servers and what they gave it. */
  private iceProblem(): IceProblem {
    const seen = eventsSince(this.countsAtStart);
    const turn = this.servers.some((server) => server.relayType !== undefined);
    if (turn && !this.gatheredTypes.has('relay')) return seen.has('turn_auth_failed') ? 'turn_auth_failed' : 'turn_unreachable';
    if (turn) return 'no_path';
    return 'no_relay_configured';
  }

  private lose(why: string): void {
    if (this.closed) return;
    this.opened.reject(new PeerLinkError(why));
    this.described.reject(new PeerLinkError(why));
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

function formatAddress(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function asCandidateType(type: string | undefined): CandidateType | 'unknown' {
  const lower = type?.toLowerCase();
  if (lower === 'host' || lower === 'srflx' || lower === 'prflx' || lower === 'relay') return lower;
  // libdatachannel spells them out in some versions.
  if (lower === 'server_reflexive' || lower === 'serverreflexive') return 'srflx';
  if (lower === 'peer_reflexive' || lower === 'peerreflexive') return 'prflx';
  if (lower === 'relayed') return 'relay';
  return 'unknown';
}
