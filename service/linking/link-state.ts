// The seed's link states (0-5) and the `error` values a DONE carries, shared by both sides.
// These numbers and strings cross D-Bus unchanged (deviceAuthStateChanged / addDeviceStateChanged).

import type { LinkFailure } from '../contract/link-contract.js';

/** Seed "State overview": the number a client sees. */
export const LinkState = {
  INIT: 0,
  TOKEN_AVAILABLE: 1,
  CONNECTING: 2,
  AUTHENTICATING: 3,
  IN_PROGRESS: 4,
  DONE: 5,
} as const;
export type LinkState = (typeof LinkState)[keyof typeof LinkState];

/**
 * The `error` detail of state 5, in jamid's words (the seed's "authentication" is jamid's "auth_error"):
 * '' success; network (the peer or the path went away); timeout; auth_error (wrong password three times,
 * a token already used, an archive of another account than the one proved); canceled; unknown (the peer
 * broke the protocol, or sent an archive that does not open).
 */
export const LinkError = {
  NONE: '',
  NETWORK: 'network',
  TIMEOUT: 'timeout',
  AUTH_ERROR: 'auth_error',
  CANCELED: 'canceled',
  UNKNOWN: 'unknown',
} as const;
export type LinkError = (typeof LinkError)[keyof typeof LinkError];
/** A DONE that is not a success. */
export type LinkFailureWord = Exclude<LinkError, ''>;

const FAILURE_WORDS: readonly string[] = ['network', 'timeout', 'auth_error', 'canceled', 'unknown'] satisfies LinkFailureWord[];

/** What a transport failure means to the user. */
export function failureWordOf(failure: LinkFailure): LinkFailureWord {
  return failure === 'authentication' ? 'auth_error' : failure;
}

/** A failure word from an untrusted value (a peer's abort): 'network' when it is none of ours. */
export function asFailureWord(value: unknown): LinkFailureWord {
  return typeof value === 'string' && FAILURE_WORDS.includes(value) ? (value as LinkFailureWord) : 'network';
}

/** State 3's auth_error after a wrong password (jamid's word; the seed says bad_password). */
export const INVALID_CREDENTIALS = 'invalid_credentials';

/** The seed's names for the states, as its diagrams spell them (Import_<name> / Export_<name>). */
export const SEED_STATE_NAMES: Readonly<Record<LinkState, string>> = {
  0: 'Init',
  1: 'TokenAvailable',
  2: 'Connecting',
  3: 'Authenticating',
  4: 'InProgress',
  5: 'Done',
};

/** Details map of a state signal (D-Bus a{ss}). */
export type LinkDetails = Record<string, string>;

/** The whole operation must end within this time unless told otherwise. */
export const DEFAULT_LINK_TIMEOUT_MS = 5 * 60 * 1000;

/** Wrong passwords the export side accepts before it gives up. */
export const MAX_PASSWORD_ATTEMPTS = 3;
