// The step both sides end their handshake with, once the peer's signed SDP is applied: the connect time-outs
// (ICE, then DTLS and SCTP), the data channel checked against that SDP (DTLS fingerprint) and located (the
// selected pair), then framed. Every outcome reaches the side's machine as an input; the machine decides
// what it means. Where a failed connection stopped is the peer link's to say (diagnosis()).

import type { DataChannel } from 'node-datachannel';
import { OneShotTimer } from '../contract/clock.js';
import { describeError } from '../contract/guards.js';
import type { LinkFailure, NetworkDiagnosis, PeerLocation } from '../contract/link-contract.js';
import type { Logger } from '../contract/logger.js';
import { MachineRunner } from '../contract/machine-runner.js';
import type { Input, StepResult } from '../contract/transition-table.js';
import { FramedChannel } from './channel/framed-channel.js';
import type { TransportSettings } from './transport-settings.js';
import type { PeerLink, SelectedPair } from './webrtc/peer-link.js';
import { candidateAddressOf, candidateTypeOf, hostOfAddress, type DtlsFingerprint, type RemoteCandidate } from './webrtc/session-description.js';

/** The effects both sides' tables name for this step and the end of a handshake. */
export type OpeningEffect = 'startConnectTimer' | 'awaitChannel' | 'frameChannel' | 'release' | 'emitFailed';

/** What the step tells its side's machine. */
export type OpeningInput =
  | { type: 'link_lost'; why: string }
  | { type: 'connect_timeout' }
  /** The data channel is open, to the peer the signed SDP names, at `location`. */
  | { type: 'channel_open'; dc: DataChannel; location: PeerLocation }
  | { type: 'channel_failed'; error: LinkFailure; why: string };

export class ChannelOpening {
  private link: PeerLink | undefined;
  private heartbeatLane: DataChannel | undefined;
  private channel: FramedChannel | undefined;
  private readonly timer: OneShotTimer;

  constructor(private readonly settings: TransportSettings, private readonly log: Logger, private readonly deliver: (input: OpeningInput) => void) {
    this.timer = new OneShotTimer(settings.clock);
  }

  /** The peer connection this side will open its channel on; its loss becomes 'link_lost'. Its heartbeat lane
   *  is opened now, on both sides before any ICE check, as a negotiated lane must be. */
  adopt(link: PeerLink): void {
    this.link = link;
    this.heartbeatLane = link.openHeartbeatChannel();
    link.onLost((why) => this.deliver({ type: 'link_lost', why }));
    // ICE found its pair: DTLS and SCTP get their own time, a lossy path needs it (retransmits of 1 s and more).
    link.onIceConnected(() => {
      if (this.timer.running) this.timer.start(this.settings.handshakeTimeoutMs, () => this.deliver({ type: 'connect_timeout' }));
    });
  }

  get peerLink(): PeerLink | undefined {
    return this.link;
  }

  /** Where a connection that failed stopped: before a peer link existed, still signaling. */
  diagnosis(): NetworkDiagnosis {
    return this.link?.diagnose() ?? { stage: 'signaling' };
  }

  /** For the failure's log line: what the peer link saw. */
  summary(): Record<string, unknown> {
    return this.link?.summary() ?? {};
  }

  /** From here ICE must connect within connectTimeoutMs (then the channel open within handshakeTimeoutMs). */
  startTimer(): void {
    this.timer.start(this.settings.connectTimeoutMs, () => this.deliver({ type: 'connect_timeout' }));
  }

  /**
   * Waits for the data channel and checks it against the fingerprint of the peer's signed SDP. `announced`:
   * the candidates the peer signed (its SDP's and trickled ones), read when the channel opens, to say where
   * the peer is when the pair goes through a relay.
   */
  awaitChannel(fingerprint: DtlsFingerprint, announced: () => readonly RemoteCandidate[]): void {
    const link = this.link;
    if (link === undefined) return;
    link.channelOpen().then(
      (dc) => this.deliver(this.verdict(link, dc, fingerprint, announced())),
      (err: unknown) => this.deliver({ type: 'channel_failed', error: 'network', why: describeError(err) }),
    );
  }

  /** The verified channel as the PeerChannel the linking layer gets; the time-out stops. */
  frame(dc: DataChannel, location: PeerLocation): FramedChannel {
    this.timer.clear();
    this.channel = new FramedChannel(dc, this.link!, location, this.settings.channel, this.heartbeatLane);
    this.log.info({ peerAddress: location.address, peerAddressType: location.type, relay: location.relay }, 'data channel open');
    return this.channel;
  }

  /** Ends whatever was started: the time-out, the framed channel (without an event) or the bare connection. */
  release(): void {
    this.timer.clear();
    if (this.channel !== undefined) this.channel.destroy();
    else this.link?.close();
  }

  private verdict(link: PeerLink, dc: DataChannel, fingerprint: DtlsFingerprint, announced: readonly RemoteCandidate[]): OpeningInput {
    if (!link.remoteFingerprintMatches(fingerprint)) {
      return { type: 'channel_failed', error: 'authentication', why: 'the DTLS certificate differs from the signed session description' };
    }
    const pair = link.selectedPair();
    if (pair === undefined) return { type: 'channel_failed', error: 'network', why: 'no selected candidate pair' };
    return { type: 'channel_open', dc, location: peerLocationOf(pair, announced, (host) => link.relaysFrom(host)) };
  }
}

/**
 * Where the peer is and whether a relay is in between, from the selected pair. Through the peer's relay (both
 * relays too), the relay is the remote side and the peer is where it said it was. Through our own relay only,
 * the peer's checks reach us from its router's mapping toward the TURN server, which ICE names peer-reflexive:
 * that mapping is where the peer is, our allocation the relay.
 */
export function peerLocationOf(
  pair: SelectedPair,
  announced: readonly RemoteCandidate[],
  relaysFromOurServer: (host: string) => boolean,
): PeerLocation {
  const { address, type } = pair.remote;
  if (type === 'relay' || isRelayOf(address, announced) || relaysFromOurServer(hostOfAddress(address))) {
    return { address: ownAddressOf(announced), type: 'relay', relay: address };
  }
  if (pair.localType === 'relay') return { address, type: 'relay', relay: pair.localAddress };
  return { address, type };
}

/** A side's machine, run to completion, with the open-channel step feeding it. */
export interface Handshake<S extends string, I extends Input, E extends string, C> {
  readonly runner: MachineRunner<S, I | OpeningInput, E, C, LinkFailure>;
  readonly opening: ChannelOpening;
}

/** Wires a side's machine to its adapter: an effect that throws is logged and fed back as `failureOf(effect)`. */
export function startHandshake<S extends string, I extends Input, E extends string, C>(
  settings: TransportSettings,
  log: Logger,
  machine: { readonly initial: S; readonly context: C },
  step: (state: S, context: C, input: I | OpeningInput) => StepResult<S, E, C, LinkFailure>,
  perform: (effect: E, input: I | OpeningInput, context: C, error: LinkFailure | undefined) => void,
  failureOf: (effect: E) => I | OpeningInput,
): Handshake<S, I, E, C> {
  const runner = new MachineRunner<S, I | OpeningInput, E, C, LinkFailure>({
    initial: machine.initial,
    context: machine.context,
    step,
    perform,
    onEffectError: (effect, err) => {
      log.error({ effect, err: describeError(err) }, 'handshake effect failed');
      runner.dispatch(failureOf(effect));
    },
  });
  return { runner, opening: new ChannelOpening(settings, log, (input) => runner.dispatch(input)) };
}

/**
 * True when `address` is one of the relays the peer announced: its checks through the relay often arrive before
 * the trickled relay candidate does, and ICE then names the pair's remote side peer-reflexive. When even the
 * channel opens first, the relay is known by its host: the TURN server we use relays for the peer too.
 */
function isRelayOf(address: string, announced: readonly RemoteCandidate[]): boolean {
  return announced.some(({ candidate }) => candidateTypeOf(candidate) === 'relay' && candidateAddressOf(candidate) === address);
}

/** The address a peer announced for itself: its public one (server-reflexive) if it learnt it, else a local one. */
export function ownAddressOf(candidates: readonly RemoteCandidate[]): string {
  for (const wanted of ['srflx', 'host'] as const) {
    for (const { candidate } of candidates) {
      const address = candidateTypeOf(candidate) === wanted ? candidateAddressOf(candidate) : undefined;
      if (address !== undefined) return address;
    }
  }
  return '';
}
