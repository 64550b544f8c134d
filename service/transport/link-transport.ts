// Transitional: the contract types now live in service/contract/link-contract.ts; this file keeps the
// linking layer's control messages until the linking layer declares them itself.

import type { LinkFailure } from '../contract/link-contract.js';

export type {
  AccountProof,
  AuthToken,
  ExportConnection,
  ExporterCredentials,
  ImportRendezvous,
  LinkFailure,
  LinkTransport,
  PeerChannel,
  SignalingBus,
} from '../contract/link-contract.js';

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

