// What the linking layer and the transport agree on, and what the DHT offers the transport: the
// token's shape, why a link fails, the transport port and the signaling bus. Types and constants only.

import type { EventEmitter } from 'node:events';

/** A parsed jami-auth:// token (parsing and formatting live in linking/auth-token.ts). */
export interface AuthToken {
  /** DHT id (InfoHash, 40 lowercase hex) of the import side's temporary identity. */
  readonly peerId: string;
  /** 6-digit secret the exporter must echo inside its first sealed message. */
  readonly code: string;
}

/** Why a link ended badly, as the seed's state 5 `error` detail says it. */
export type LinkFailure = 'network' | 'authentication' | 'timeout' | 'canceled';
export const LINK_FAILURES: readonly LinkFailure[] = ['network', 'authentication', 'timeout', 'canceled'];

/** A LinkFailure from an untrusted value (a peer's abort, a transport event); 'network' otherwise. */
export function asLinkFailure(value: unknown): LinkFailure {
  return typeof value === 'string' && (LINK_FAILURES as readonly string[]).includes(value) ? (value as LinkFailure) : 'network';
}

/** Where a link that failed with 'network' broke: the DHT exchange, ICE (no candidate pair worked), the DTLS
 *  handshake, the SCTP association over it, or the data channel once it was open. */
export type NetworkStage = 'signaling' | 'ice' | 'dtls' | 'sctp' | 'transfer';

/** Why ICE found no path, as far as this side can tell from what it gathered. */
export type IceProblem = 'no_relay_configured' | 'turn_auth_failed' | 'turn_unreachable' | 'no_path';

/** What the transport knows of a 'network' failure; the linking layer passes it on in state 5. */
export interface NetworkDiagnosis {
  readonly stage: NetworkStage;
  /** Only when `stage` is 'ice'. */
  readonly ice?: IceProblem;
}

/** An ICE candidate type (RFC 8445): the peer's own address, its address as a NAT shows it (learnt from a
 *  STUN server, or from its checks), or a TURN relay's. */
export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';

/** Where the peer is, as the selected candidate pair says. */
export interface PeerLocation {
  /** "ip:port" ("[ip6]:port") of the peer; through a relay, the address the peer itself announced (its
   *  public one if it learnt it, else its local one), or '' when it announced none. */
  readonly address: string;
  readonly type: CandidateType | 'unknown';
  /** Through a TURN relay: the relay's "ip:port" (what the packets come from; not the peer). */
  readonly relay?: string;
}

/** What the transport needs from the DHT: raw values under 40-hex keys. Implemented over opendht-node. */
export interface SignalingBus {
  put(key: string, data: Buffer): Promise<void>;
  get(key: string): Promise<Buffer[]>;
  /** Calls onValue for values present now and put later, until cancel(). */
  listen(key: string, onValue: (data: Buffer) => void): { cancel(): void; ready: Promise<void> };
}

/**
 * A message of the linking layer: a JSON object whose `t` names it. The transport carries it opaquely
 * (it only bounds its size and reserves the `link.` prefix of `t` for its own frames); the linking layer
 * declares and validates its vocabulary (linking/control-messages.ts).
 */
export type LinkMessage = { readonly t: string } & Readonly<Record<string, unknown>>;

/** Largest encoded LinkMessage either side sends or accepts (bytes of JSON). */
export const MAX_LINK_MESSAGE_BYTES = 64 * 1024;

/**
 * Largest account archive either side sends or accepts (bytes as stored: encrypted or gzip). Kept equal to
 * accounts/archive.ts's MAX_ARCHIVE_FILE_BYTES (64 MiB of JSON + 1 MiB); a unit test holds them in step.
 */
export const MAX_ARCHIVE_BYTES = 65 * 1024 * 1024;

/** PeerChannel.close()'s options (see there). */
export interface CloseOptions {
  readonly lastWord?: boolean;
}

/** An open, authenticated data channel to the peer. Events: 'message' (unknown: a JSON object of at most
 *  MAX_LINK_MESSAGE_BYTES, to be validated by the receiver), 'archive' (Buffer: complete, hash-checked, of the
 *  size expectArchive armed), 'closed' (LinkFailure: why, when not closed by us). */
export interface PeerChannel extends EventEmitter {
  /** "ip:port" of the remote side on the selected ICE candidate pair (`location.address`). */
  readonly peerAddress: string;
  readonly location: PeerLocation;
  /** Throws TypeError for a message that is not a JSON object with a string `t`, or is too large. */
  send(message: LinkMessage): void;
  /**
   * Arms the receiver for one archive of exactly `size` bytes, when the linking layer expects one (the
   * importer, once `transfer{size}` came). Unarmed, or for another size, an archive the peer announces is a
   * protocol error ('closed' 'network'); nothing is allocated for an announcement. Throws TypeError for a
   * size that is not a non-negative safe integer; ignored once the channel is closing. `onChunk` sees the
   * archive's bytes in order as they arrive, before they are checked (to start work on them early): only
   * the 'archive' event says they were all there and intact.
   */
  expectArchive(size: number, onChunk?: (chunk: Buffer) => void): void;
  /** Chunked, flow-controlled, checked end to end (hash); resolves once the peer acknowledged it whole.
   *  `sha256` (hex): the data's digest when the caller computed it already, off the event loop; a wrong one
   *  only makes the peer refuse the archive. */
  sendArchive(data: Buffer, sha256?: string): Promise<void>;
  /** Graceful close: flushes what was sent first (libdatachannel drops buffered data on early close), waiting a
   *  while for the peer's acknowledgement. `lastWord`: what we sent last decides the peer's outcome (the new
   *  device's `stored`), so the wait is as long as the connection may take to deliver it, not a teardown's. */
  close(options?: CloseOptions): Promise<void>;
}

/** The exporter's proof of the account, shown to the importer. */
export interface AccountProof {
  /** Jami ID (40 hex): id of the account certificate. */
  readonly accountId: string;
  /** Device certificate's id (40 hex). */
  readonly deviceId: string;
  /** The chain the exporter presented, verified (device, account, CA certificates, PEM). */
  readonly chainPem: string;
}

/** What the export side brings: its account's certificates and its device key (PEM). */
export interface ExporterCredentials {
  /** Device certificate followed by the account certificate (and its CA), PEM. */
  readonly certificateChainPem: string;
  /** The device's private key, PEM (PKCS#8), used to sign signaling messages. */
  readonly devicePrivateKeyPem: string;
}

/** Import side: a temporary identity published on the DHT, waiting for one exporter.
 *  Events: 'peer' (AccountProof: a verified exporter's offer arrived — seed state 2),
 *  'channel' (PeerChannel: data channel open), 'failed' (LinkFailure, NetworkDiagnosis | undefined). */
export interface ImportRendezvous extends EventEmitter {
  readonly token: AuthToken;
  /** Tears everything down (DHT listeners, peer connection, temporary identity). Idempotent. */
  close(): void;
}

/** Export side: connecting to the importer named by a token.
 *  Events: 'channel' (PeerChannel), 'failed' (LinkFailure, NetworkDiagnosis | undefined). */
export interface ExportConnection extends EventEmitter {
  close(): void;
}

export interface LinkTransport {
  startImport(): Promise<ImportRendezvous>;
  startExport(token: AuthToken, credentials: ExporterCredentials): ExportConnection;
}
