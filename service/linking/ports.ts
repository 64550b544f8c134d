// What the linking layer needs from the rest of the daemon (accounts, signals, time, logs):
// narrow ports wired at start-up, so the machines are tested with in-memory fakes.

import type { ExporterCredentials } from '../transport/link-transport.js';
import type { LinkDetails, LinkState } from './link-state.js';

export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

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
  /** Removes anything stored for this account (after a failure or a cancel). Idempotent. */
  discard(localAccountId: string): Promise<void>;
}

/** The two D-Bus signals of the seed's API. */
export interface LinkSignals {
  deviceAuthStateChanged(accountId: string, state: LinkState, details: LinkDetails): void;
  addDeviceStateChanged(accountId: string, opId: number, state: LinkState, details: LinkDetails): void;
}

/** The subset of pino we use: always (fields, message). */
export interface LinkLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export const silentLogger: LinkLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
