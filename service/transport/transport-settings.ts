// The transport's options, validated once at the edge and completed with defaults.

import { systemClock, type Clock } from '../contract/clock.js';
import { MAX_ARCHIVE_BYTES, type SignalingBus } from '../contract/link-contract.js';
import { silentLogger, type Logger } from '../contract/logger.js';
import type { FramedChannelOptions } from './channel/framed-channel.js';
import { verifyAccountChain, type AccountChainVerifier } from './signaling/certificate-chain.js';
import { DEFAULT_LISTEN_POLL, polledListens } from './signaling/polled-listens.js';
import { DEFAULT_FIRST_PAUSE_MS, DEFAULT_MAX_PAUSE_MS, DEFAULT_SIGNALING_ATTEMPTS, retryingSignaling } from './signaling/retrying-signaling.js';
import { parseIceServers, type IceServerSpec } from './webrtc/ice-servers.js';
import { DEFAULT_DESCRIPTION_WAIT_MS, type PeerLinkOptions } from './webrtc/peer-link.js';

export interface LinkTransportOptions {
  /** The DHT (or the in-memory bus in tests). */
  readonly signaling: SignalingBus;
  /** STUN/TURN servers; none => host candidates only (enough on one machine or LAN). */
  readonly iceServers?: readonly IceServerSpec[];
  /** Local address ICE binds to (e.g. "127.0.0.1" to link over loopback); default: all interfaces. */
  readonly bindAddress?: string;
  readonly portRange?: { readonly begin: number; readonly end: number };
  /** 'relay' forces TURN. */
  readonly iceTransportPolicy?: 'all' | 'relay';
  readonly logger?: Logger;
  /** Replaces the Node crypto verification of the exporter's certificate chain. */
  readonly verifyAccountChain?: AccountChainVerifier;
  readonly clock?: Clock;
  /** Export side: from the token to the importer's answer (default 30 s) => 'network'. */
  readonly signalingTimeoutMs?: number;
  /** A DHT put or get the network failed is tried this often in all (default 5; 1: never again), each within
   *  signalingTimeoutMs of its first try. */
  readonly signalingAttempts?: number;
  /** Either side: from answer to ICE connected (default 20 s) => 'network'. */
  readonly connectTimeoutMs?: number;
  /** Either side: from ICE connected to open data channel (default 45 s) => 'network'. Through a router losing 20%
   *  each way, DTLS and SCTP alone took up to 25 s (100 tries: median 2 s, 2 over 20 s), 31 s through two such; and
   *  libdatachannel gives a DTLS handshake up after ~31 s by itself: this timer is for a connection that hangs. */
  readonly handshakeTimeoutMs?: number;
  /** How long a local description waits for server-reflexive candidates (default 250 ms; later ones trickle). */
  readonly descriptionWaitMs?: number;
  /** close(): how long to wait for the peer's acknowledgement (default 5 s), a teardown's wait. */
  readonly closeTimeoutMs?: number;
  /** close({ lastWord }): the same wait when what we sent last decides the peer's outcome (default 30 s: longer
   *  than SCTP keeps retransmitting, ~25 s, so it ends with the acknowledgement or with SCTP giving up). 5 s was
   *  too short behind a lossy path: the new device sent `stored`, gave up on the bye_ack after 5 s and closed,
   *  and the old device, never told, ended in failure while the new one had the account (one CI run, 20% loss
   *  each way). A peer that goes silent still ends the wait at the idle time-out. */
  readonly lastWordTimeoutMs?: number;
  /** Data channel heartbeat period (default 5 s) and silence that ends the link (default 20 s). */
  readonly heartbeatMs?: number;
  readonly idleTimeoutMs?: number;
  /** Import side: refused offers (wrong code, bad certificate) before it gives up (default 3). */
  readonly maxFailedAttempts?: number;
  /** Largest archive accepted (default MAX_ARCHIVE_BYTES, 65 MiB: an account archive can be no larger). */
  readonly maxArchiveBytes?: number;
}

/** See handshakeTimeoutMs. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 45_000;
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
export const DEFAULT_LAST_WORD_TIMEOUT_MS = 30_000;

export interface TransportSettings {
  readonly signaling: SignalingBus;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly verifyAccountChain: AccountChainVerifier;
  readonly peer: PeerLinkOptions;
  readonly channel: FramedChannelOptions;
  readonly signalingTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
  readonly maxFailedAttempts: number;
}

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`);
  }
  return value;
}

export function resolveTransportSettings(options: LinkTransportOptions): TransportSettings {
  if (options.signaling === undefined || options.signaling === null) throw new TypeError('a signaling bus is required');
  const logger = (options.logger ?? silentLogger).child({ component: 'transport' });
  const clock = options.clock ?? systemClock;
  if (options.portRange !== undefined) {
    const { begin, end } = options.portRange;
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 1 || end > 65535 || begin > end) {
      throw new RangeError('portRange must be 1 <= begin <= end <= 65535');
    }
  }
  const maxFailedAttempts = positive('maxFailedAttempts', options.maxFailedAttempts, 3);
  if (!Number.isInteger(maxFailedAttempts)) throw new RangeError('maxFailedAttempts must be an integer');
  const signalingTimeoutMs = positive('signalingTimeoutMs', options.signalingTimeoutMs, 30_000);
  // retryingSignaling checks the policy (an integer count of attempts).
  const signalingRetry = {
    attempts: options.signalingAttempts ?? DEFAULT_SIGNALING_ATTEMPTS,
    firstPauseMs: DEFAULT_FIRST_PAUSE_MS,
    maxPauseMs: DEFAULT_MAX_PAUSE_MS,
    deadlineMs: signalingTimeoutMs,
  };
  return {
    // Polls outside the retries: a poll that failed is tried again at its next turn.
    signaling: retryingSignaling(polledListens(options.signaling, DEFAULT_LISTEN_POLL, clock, logger), signalingRetry, clock, logger),
    logger,
    clock,
    verifyAccountChain: options.verifyAccountChain ?? verifyAccountChain,
    peer: {
      iceServers: parseIceServers(options.iceServers ?? []),
      ...(options.bindAddress !== undefined ? { bindAddress: options.bindAddress } : {}),
      ...(options.portRange !== undefined ? { portRange: options.portRange } : {}),
      ...(options.iceTransportPolicy !== undefined ? { iceTransportPolicy: options.iceTransportPolicy } : {}),
      descriptionWaitMs: positive('descriptionWaitMs', options.descriptionWaitMs, DEFAULT_DESCRIPTION_WAIT_MS, true),
      logger,
    },
    channel: {
      logger,
      clock,
      heartbeatMs: positive('heartbeatMs', options.heartbeatMs, 5_000, true),
      idleTimeoutMs: positive('idleTimeoutMs', options.idleTimeoutMs, 20_000, true),
      closeTimeoutMs: positive('closeTimeoutMs', options.closeTimeoutMs, DEFAULT_CLOSE_TIMEOUT_MS),
      lastWordTimeoutMs: positive('lastWordTimeoutMs', options.lastWordTimeoutMs, DEFAULT_LAST_WORD_TIMEOUT_MS),
      maxArchiveBytes: positive('maxArchiveBytes', options.maxArchiveBytes, MAX_ARCHIVE_BYTES, true),
    },
    signalingTimeoutMs,
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, 20_000),
    handshakeTimeoutMs: positive('handshakeTimeoutMs', options.handshakeTimeoutMs, DEFAULT_HANDSHAKE_TIMEOUT_MS),
    maxFailedAttempts,
  };
}
