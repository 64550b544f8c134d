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

/** The `error` detail of state 5: '' is success. */
export const LinkError = {
  NONE: '',
  NETWORK: 'network',
  AUTHENTICATION: 'authentication',
  TIMEOUT: 'timeout',
  CANCELED: 'canceled',
} as const satisfies Record<string, '' | LinkFailure>;
export type LinkError = (typeof LinkError)[keyof typeof LinkError];

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
