// The contract between the linking state machines (service/linking) and the transport
// (DHT signaling + WebRTC). The linking layer sees only these types; fakes implement them in unit tests.

import type { EventEmitter } from 'node:events';
import type { AuthToken } from '../linking/auth-token.js';

/** What the transport needs from the DHT: raw values under 40-hex keys. Implemented over opendht-node. */
export interface SignalingBus {
  put(key: string, data: Buffer): Promise<void>;
  get(key: string): Promise<Buffer[]>;
  /** Calls onValue for values present now and put later, until cancel(). */
  listen(key: string, onValue: (data: Buffer) => void): { cancel(): void; ready: Promise<void> };
}

/** Why a link ended badly, as the seed's state 5 `error` detail says it. */
export type LinkFailure = 'network' | 'authentication' | 'timeout' | 'canceled';

/** Control messages the two linking sessions exchange over the data channel (JSON). */
export type ControlMessage =
  /** exporter -> importer, after its user confirmed: which authentication the account needs. */
  | { t: 'auth'; scheme: 'none' | 'password' }
  /** importer -> exporter */
  | { t: 'password'; password: string }
  /** exporter -> importer: the password did not open the archive. */
  | { t: 'bad_password'; attemptsLeft: number }
  /** exporter -> importer: the archive follows now (seed state 4 on both sides). */
  | { t: 'transfer'; size: number }
  /** importer -> exporter: the account is durably stored. */
  | { t: 'stored' }
  /** either side: the operation ends; the receiver ends with `error`. */
  | { t: 'abort'; error: LinkFailure };

/** An open, authenticated data channel to the peer. Events: 'message' (ControlMessage),
 *  'archive' (Buffer: complete, hash-checked), 'closed' (LinkFailure: why, when not closed by us). */
export interface PeerChannel extends EventEmitter {
  /** "ip:port" of the remote side on the selected ICE candidate pair. */
  readonly peerAddress: string;
  send(message: ControlMessage): void;
  /** Chunked, flow-controlled, checked end to end (hash); resolves once everything left our buffers. */
  sendArchive(data: Buffer): Promise<void>;
  /** Graceful close: flushes what was sent first (libdatachannel drops buffered data on early close). */
  close(): Promise<void>;
}

/** The exporter's proof of the account, shown to the importer. */
export interface AccountProof {
  /** Jami ID (40 hex): id of the account certificate. */
  readonly accountId: string;
  /** Device certificate's id (40 hex). */
  readonly deviceId: string;
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
 *  'channel' (PeerChannel: data channel open), 'failed' (LinkFailure). */
export interface ImportRendezvous extends EventEmitter {
  readonly token: AuthToken;
  /** Tears everything down (DHT listeners, peer connection, temporary identity). Idempotent. */
  close(): void;
}

/** Export side: connecting to the importer named by a token.
 *  Events: 'channel' (PeerChannel), 'failed' (LinkFailure). */
export interface ExportConnection extends EventEmitter {
  close(): void;
}

export interface LinkTransport {
  startImport(): Promise<ImportRendezvous>;
  startExport(token: AuthToken, credentials: ExporterCredentials): ExportConnection;
}
