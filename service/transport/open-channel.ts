// The step both sides end their handshake with, once the peer's signed SDP is applied: the connect time-out,
// the data channel checked against that SDP (DTLS fingerprint) and located (remote address), then framed.
// Every outcome reaches the side's machine as an input; the machine decides what it means.

import type { DataChannel } from 'node-datachannel';
import { OneShotTimer } from '../contract/clock.js';
import { describeError } from '../contract/guards.js';
import type { LinkFailure } from '../contract/link-contract.js';
import type { Logger } from '../contract/logger.js';
import { MachineRunner } from '../contract/machine-runner.js';
import type { Input, StepResult } from '../contract/transition-table.js';
import { FramedChannel } from './channel/framed-channel.js';
import type { TransportSettings } from './transport-settings.js';
import type { PeerLink } from './webrtc/peer-link.js';
import type { DtlsFingerprint } from './webrtc/session-description.js';

/** The effects both sides' tables name for this step and the end of a handshake. */
export type OpeningEffect = 'startConnectTimer' | 'awaitChannel' | 'frameChannel' | 'release' | 'emitFailed';

/** What the step tells its side's machine. */
export type OpeningInput =
  | { type: 'link_lost'; why: string }
  | { type: 'connect_timeout' }
  /** The data channel is open, to the peer the signed SDP names, at `peerAddress`. */
  | { type: 'channel_open'; dc: DataChannel; peerAddress: string }
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
  }

  get peerLink(): PeerLink | undefined {
    return this.link;
  }

  /** From here the channel must open within connectTimeoutMs. */
  startTimer(): void {
    this.timer.start(this.settings.connectTimeoutMs, () => this.deliver({ type: 'connect_timeout' }));
  }

  /** Waits for the data channel and checks it against the fingerprint of the peer's signed SDP. */
  awaitChannel(fingerprint: DtlsFingerprint): void {
    const link = this.link;
    if (link === undefined) return;
    link.channelOpen().then(
      (dc) => this.deliver(this.verdict(link, dc, fingerprint)),
      (err: unknown) => this.deliver({ type: 'channel_failed', error: 'network', why: describeError(err) }),
    );
  }

  /** The verified channel as the PeerChannel the linking layer gets; the time-out stops. */
  frame(dc: DataChannel, peerAddress: string): FramedChannel {
    this.timer.clear();
    this.channel = new FramedChannel(dc, this.link!, peerAddress, this.settings.channel, this.heartbeatLane);
    this.log.info({ peerAddress }, 'data channel open');
    return this.channel;
  }

  /** Ends whatever was started: the time-out, the framed channel (without an event) or the bare connection. */
  release(): void {
    this.timer.clear();
    if (this.channel !== undefined) this.channel.destroy();
    else this.link?.close();
  }

  private verdict(link: PeerLink, dc: DataChannel, fingerprint: DtlsFingerprint): OpeningInput {
    if (!link.remoteFingerprintMatches(fingerprint)) {
      return { type: 'channel_failed', error: 'authentication', why: 'the DTLS certificate differs from the signed session description' };
    }
    const peerAddress = link.remoteAddress();
    if (peerAddress === undefined) return { type: 'channel_failed', error: 'network', why: 'no selected candidate pair' };
    return { type: 'channel_open', dc, peerAddress };
  }
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
