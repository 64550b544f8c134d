// What the linking layer needs from the accounts and the D-Bus face: narrow ports wired at start-up,
// so the sessions are tested with in-memory fakes.

import type { ExporterCredentials } from '../contract/link-contract.js';
import type { LinkDetails, LinkState } from './link-state.js';

/** The old device's side: the account being exported. */
export interface ExportAccountPort {
  exists(accountId: string): boolean;
  hasPassword(accountId: string): boolean;
  credentials(accountId: string): Promise<ExporterCredentials>;
  /** The plain archive bytes when the password opens the account's archive (or there is none),
   *  undefined when it does not. Slow (argon2). */
  openArchive(accountId: string, password: string | undefined): Promise<Buffer | undefined>;
}

/** The new device's side: where the received account goes. */
export interface ImportAccountPort {
  /** Durably stores the received archive as account `localAccountId` with a new device certificate
   *  signed by the account. Returns the Jami ID found in the archive. Throws on an invalid archive. */
  storeLinkedAccount(localAccountId: string, archive: Buffer, password: string | undefined): Promise<{ jamiId: string }>;
  /** After any failure or cancel: nothing half-made stays, on disk or in the account list (a pending
   *  account is forgotten, a stored one deleted). Idempotent. */
  discard(localAccountId: string): Promise<void>;
}

/** The two D-Bus signals of the seed's API. */
export interface LinkSignals {
  deviceAuthStateChanged(accountId: string, state: LinkState, details: LinkDetails): void;
  addDeviceStateChanged(accountId: string, opId: number, state: LinkState, details: LinkDetails): void;
}
