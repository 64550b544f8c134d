// What the linking layer needs from the accounts and the D-Bus face: narrow ports wired at start-up,
// so the sessions are tested with in-memory fakes.

import type { AccountProof, ExporterCredentials } from '../contract/link-contract.js';
import type { LinkDetails, LinkState } from './link-state.js';

/** The old device's side: the account being exported. */
export interface ExportAccountPort {
  exists(accountId: string): boolean;
  hasPassword(accountId: string): boolean;
  credentials(accountId: string): Promise<ExporterCredentials>;
  /** The plain archive bytes when `password` opens the account's archive ('' for an account without a
   *  password), undefined when it does not. Slow (argon2). */
  openArchive(accountId: string, password: string): Promise<Buffer | undefined>;
  /** Lists the new device (its certificate chain, signed by the account) among the account's devices. */
  recordDevice(accountId: string, deviceChainPem: string): Promise<void>;
}

/** What storing a received archive gave: the new device's certificate chain, or nothing at all because the
 *  archive holds another account than the exporter proved (checked before anything is written). */
export type StoreOutcome = { readonly stored: true; readonly deviceChain: string } | { readonly stored: false; readonly foundAccount: string };

/** The new device's side: where the received account goes. */
export interface ImportAccountPort {
  /** Durably stores the received archive as account `localAccountId` with a new device certificate signed
   *  by the account, if it holds the account `exporter` proved; the exporter's device joins the account's
   *  devices. Throws on an invalid archive. */
  storeLinkedAccount(localAccountId: string, archive: Buffer, password: string, exporter: AccountProof): Promise<StoreOutcome>;
  /** Our user gave `password` (sent to the old device, which checks it): start stretching it now, so that storing
   *  the archive under it later does not wait for a second KDF. Best effort, returns at once. */
  prepareSealingKey(localAccountId: string, password: string): void;
  /** The archive is announced: the returned function takes its bytes as they arrive (unchecked yet), so that the
   *  account store can start unpacking before the last one is in. Best effort, returns at once. */
  beginReceiving(localAccountId: string): (chunk: Buffer) => void;
  /** After any failure or cancel: nothing half-made stays (what was stored and the device key go; the
   *  account stays listed, holding nothing, until its client removes it). Idempotent. */
  discard(localAccountId: string): Promise<void>;
}

/** The two D-Bus signals of the seed's API. */
export interface LinkSignals {
  deviceAuthStateChanged(accountId: string, state: LinkState, details: LinkDetails): void;
  addDeviceStateChanged(accountId: string, opId: number, state: LinkState, details: LinkDetails): void;
}
