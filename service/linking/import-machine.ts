// The import side (new device) as data: its states, inputs, context, outputs and transitions,
// to hold line by line against the seed's daemon and client diagrams. Pure: no I/O here.

import type { AccountProof, AuthToken } from '../contract/link-contract.js';
import { makeStep, rowsOf, type MachineSpec } from '../contract/transition-table.js';
import { PEER_MESSAGES, type LinkInput, type LinkOutput } from './link-machine.js';
import { LinkState, type LinkError } from './link-state.js';

/** Our states, each shown to the client as one of the seed's numbers. */
export const IMPORT_STATES = {
  Init: LinkState.INIT, //                     asking the transport for a token
  TokenAvailable: LinkState.TOKEN_AVAILABLE, // token shown, waiting for an exporter (as long as it takes)
  Connecting: LinkState.CONNECTING, //         a verified exporter is opening the data channel
  AwaitingAuth: LinkState.CONNECTING, //       channel open; the old device's user has not confirmed yet
  AwaitingConsent: LinkState.AUTHENTICATING, // our user sees the account's Jami ID and consents (with its password, if any)
  CheckingCredentials: LinkState.IN_PROGRESS, // consent sent, waiting for the exporter's verdict
  Receiving: LinkState.IN_PROGRESS, //         archive on its way
  Storing: LinkState.IN_PROGRESS, //           storing the account
  Acknowledging: LinkState.IN_PROGRESS, //     `stored` sent, flushing and closing the channel
  Done: LinkState.DONE,
} as const;
export type ImportStateName = keyof typeof IMPORT_STATES;

export type ImportInput =
  | LinkInput
  // from the transport
  | { readonly type: 'tokenGenerated'; readonly token: AuthToken } // startImport() gave a rendezvous
  | { readonly type: 'tokenFailed' } // startImport() failed
  | { readonly type: 'peerDetected'; readonly proof: AccountProof } // rendezvous 'peer': a verified exporter
  // from our user
  | { readonly type: 'consentGiven'; readonly password: string } // provideAccountAuthentication(credentials, '' | 'none' | 'password')
  // from our own effects
  | { readonly type: 'storeSucceeded'; readonly deviceChain: string } // stored, with our new device's certificate chain
  | { readonly type: 'accountMismatch' } // the archive holds another account than the exporter proved: nothing stored
  | { readonly type: 'storeFailed' } // the archive does not open, or the disk failed: nothing stored
  | { readonly type: 'acknowledged' } // `stored` flushed and channel closed
  | { readonly type: 'ackFailed' };
export type ImportInputName = ImportInput['type'];

/** What the machine learns on its way, for its effects and its guards. */
export interface ImportContext {
  /** The token the rendezvous answers to (state 1 on). */
  readonly token?: AuthToken;
  /** The exporter's verified proof (state 2 on). */
  readonly proof?: AccountProof;
  /** The auth scheme the exporter announced ('' for none). */
  readonly scheme: '' | 'password';
  /** What our user gave last: the password that opened the archive once `transfer` arrives. */
  readonly password?: string;
  /** The archive size `transfer` announced. */
  readonly expectedSize?: number;
  /** Our new device's certificate chain, once stored: what `stored` tells the old device. */
  readonly deviceChain?: string;
}

type ImportRecord = 'recordToken' | 'recordProof' | 'recordScheme' | 'recordPassword' | 'recordExpectedSize' | 'recordDeviceChain';

type ImportGuard = 'archiveAsAnnounced'; // the archive has the size `transfer` announced

export type ImportOutput =
  | LinkOutput
  | 'signalTokenAvailable' // state 1 {token}
  | 'signalConnecting' // state 2 {}
  | 'signalAuthenticating' // state 3 {peer_id, auth_scheme}
  | 'signalBadPassword' // state 3 {peer_id, auth_scheme:'password', auth_error:'invalid_credentials'}
  | 'signalInProgress' // state 4 {}
  | 'sendPassword'
  | 'stretchPassword' // a password consent: the account port stretches it for storing, while the old device checks it
  | 'expectArchive' // arm the channel for exactly the announced size: any other archive ends the link
  | 'store' // storeLinkedAccount(archive, password, the proved account)
  | 'sendStored' // stored{device}
  | 'closeChannel' // graceful close, then acknowledged/ackFailed
  | 'discard'; // nothing half-made stays: the account port drops what the link stored (after a store in flight)

const ALL = Object.keys(IMPORT_STATES) as ImportStateName[];
const LIVE = ALL.filter((s) => s !== 'Done');

// Every failure discards (idempotent: the account port drops what was stored and the device key; the
// account stays listed, holding nothing, until its client removes it, as jamid leaves it).
const FAIL: ImportOutput[] = ['teardown', 'discard', 'finish'];
const ABORT: ImportOutput[] = ['sendAbort', ...FAIL];

const { row, ignore } = rowsOf<ImportStateName, ImportInputName, ImportOutput | ImportRecord, ImportGuard, LinkError>();

export const IMPORT_TRANSITIONS = [
  // The happy path: the seed's daemon diagram, line by line, with jamid's consent step in state 3.
  row('Init', 'tokenGenerated', 'TokenAvailable', ['recordToken', 'signalTokenAvailable'],
    { seed: ['Import_Init --> Import_TokenAvailable: Generate token', 'Import_Init --> Import_TokenAvailable: Token received'] }),
  row('TokenAvailable', 'peerDetected', 'Connecting', ['recordProof', 'signalConnecting'],
    { seed: ['Import_TokenAvailable --> Import_Connecting: Peer detected'] }),
  row('Connecting', 'channelOpen', 'AwaitingAuth', [],
    { label: 'the exporter sends `auth` only once its user confirmed: state 3 starts with it' }),
  row('AwaitingAuth', 'authNone', 'AwaitingConsent', ['recordScheme', 'signalAuthenticating'],
    { seed: ['Import_Connecting --> Import_Authenticating: Connection established'] }),
  row('AwaitingAuth', 'authPassword', 'AwaitingConsent', ['recordScheme', 'signalAuthenticating'],
    { seed: ['Import_Connecting --> Import_Authenticating: Connection established'] }),
  // Nothing goes to the old device before our user has seen the Jami ID (peer_id) and consented.
  row('AwaitingConsent', 'consentGiven', 'CheckingCredentials', ['recordPassword', 'signalInProgress', 'sendPassword', 'stretchPassword'],
    { seed: ['Import_Authenticating --> Import_InProgress: Auth success'] }),
  row('CheckingCredentials', 'badPassword', 'AwaitingConsent', ['signalBadPassword'], { label: 'jamid: back to 3 with auth_error' }),
  row('CheckingCredentials', 'transfer', 'Receiving', ['recordExpectedSize', 'expectArchive', 'signalInProgress'], { label: 'jamid: state 4 again' }),
  row('Receiving', 'archive', 'Storing', ['store'], { when: 'archiveAsAnnounced' }),
  row('Receiving', 'archive', 'Done', ABORT,
    { unless: 'archiveAsAnnounced', error: 'unknown', label: 'another size than announced: a protocol violation' }),
  row('Storing', 'storeSucceeded', 'Acknowledging', ['recordDeviceChain', 'sendStored', 'closeChannel']),
  row('Acknowledging', 'acknowledged', 'Done', ['teardown', 'finish'],
    { error: '', seed: ['Import_InProgress --> Import_Done: Transfer complete'] }),

  // Failures of one state.
  row('Init', 'tokenFailed', 'Done', FAIL, { error: 'network' }),
  row('Storing', 'storeFailed', 'Done', ABORT, { error: 'unknown', seed: ['Import_InProgress --> Import_Error: Transfer failed'] }),
  row('Storing', 'accountMismatch', 'Done', ABORT,
    { error: 'auth_error', label: 'the archive holds another account than the exporter proved' }),
  row('Acknowledging', 'ackFailed', 'Done', FAIL, { error: 'network' }),
  ignore('Acknowledging', 'transportFailed', 'closing the channel ourselves: our own close() settles the outcome'),

  // From any live state.
  // The exporter ends a last wrong password with abort{auth_error}.
  row(LIVE, 'peerAborted', 'Done', FAIL, { error: 'event', seed: ['Import_Authenticating --> Import_Error: Bad password'] }),
  row(LIVE.filter((s) => s !== 'Acknowledging'), 'transportFailed', 'Done', FAIL, {
    error: 'event',
    seed: ['Import_Connecting --> Import_Error: Connection failed', 'Import_InProgress --> Import_Error: Transfer failed'],
  }),
  row(LIVE, 'cancel', 'Done', ABORT, { error: 'canceled' }),
  row(LIVE, 'timedOut', 'Done', ABORT, { error: 'timeout' }),
  row(LIVE, 'unexpectedMessage', 'Done', ABORT, { error: 'unknown', label: 'a message the exporter must not send now' }),
  row(LIVE, 'unexpectedEvent', 'Done', ABORT, { error: 'unknown', label: 'the transport broke its contract (e.g. a channel before a verified peer)' }),
];

export const IMPORT_MACHINE: MachineSpec<ImportStateName, ImportInput, ImportOutput, ImportRecord, ImportGuard, ImportContext, LinkError> = {
  name: 'import',
  initial: 'Init',
  final: ['Done'],
  rows: IMPORT_TRANSITIONS,
  context: { scheme: '' },
  records: {
    recordToken: (ctx, input) => (input.type === 'tokenGenerated' ? { ...ctx, token: input.token } : ctx),
    recordProof: (ctx, input) => (input.type === 'peerDetected' ? { ...ctx, proof: input.proof } : ctx),
    recordScheme: (ctx, input) => ({ ...ctx, scheme: input.type === 'authPassword' ? 'password' : '' }),
    recordPassword: (ctx, input) => (input.type === 'consentGiven' ? { ...ctx, password: input.password } : ctx),
    recordExpectedSize: (ctx, input) => (input.type === 'transfer' ? { ...ctx, expectedSize: input.size } : ctx),
    recordDeviceChain: (ctx, input) => (input.type === 'storeSucceeded' ? { ...ctx, deviceChain: input.deviceChain } : ctx),
  },
  guards: {
    archiveAsAnnounced: (ctx, input) => input.type === 'archive' && input.archive.length === ctx.expectedSize,
  },
  localCalls: ['consentGiven', 'cancel'],
  peerMessages: PEER_MESSAGES,
  unexpectedMessage: 'unexpectedMessage',
  unexpectedEvent: 'unexpectedEvent',
};

export const importStep = makeStep(IMPORT_MACHINE);

/** Whether the import waits for its own user (consent, and the password if any), so a client that left is missed. */
export function importAwaitsUser(state: ImportStateName): boolean {
  return state === 'AwaitingConsent';
}
