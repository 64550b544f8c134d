// The import side (new device) as data: its states, inputs, outputs and transitions,
// to hold line by line against the seed's daemon and client diagrams. Pure: no I/O here.

import { LinkState } from './link-state.js';
import { makeStep, type Row } from './transition-table.js';

/** Our states, each shown to the client as one of the seed's numbers. */
export const IMPORT_STATES = {
  Init: LinkState.INIT, //                   asking the transport for a token
  TokenAvailable: LinkState.TOKEN_AVAILABLE, // token shown, waiting for an exporter
  Connecting: LinkState.CONNECTING, //       a verified exporter is opening the data channel
  AwaitingAuth: LinkState.CONNECTING, //     channel open; the old device's user has not confirmed yet
  AwaitingPassword: LinkState.AUTHENTICATING, // the user is asked for the account's password
  CheckingPassword: LinkState.AUTHENTICATING, // password sent, waiting for the exporter's verdict
  AwaitingTransfer: LinkState.AUTHENTICATING, // no password: waiting for the archive to start
  Receiving: LinkState.IN_PROGRESS, //       archive on its way
  Storing: LinkState.IN_PROGRESS, //         storing the account (anything on disk from here is discarded on failure)
  Acknowledging: LinkState.IN_PROGRESS, //   `stored` sent, flushing and closing the channel
  Done: LinkState.DONE,
} as const;
export type ImportStateName = keyof typeof IMPORT_STATES;

export type ImportInputName =
  // from the transport
  | 'tokenGenerated' // startImport() gave a rendezvous
  | 'tokenFailed' // startImport() failed
  | 'peerDetected' // rendezvous 'peer': a verified exporter (AccountProof)
  | 'channelOpen' // rendezvous 'channel'
  | 'transportFailed' // rendezvous 'failed' or channel 'closed' (carries the LinkFailure)
  // from the exporter (control messages)
  | 'authNone' // auth{scheme:'none'}
  | 'authPassword' // auth{scheme:'password'}
  | 'badPassword' // bad_password{attemptsLeft}
  | 'transfer' // transfer{size}
  | 'archive' // the archive bytes
  | 'peerAborted' // abort{error} (carries it)
  | 'unexpectedMessage' // anything the exporter must not send here
  // from our user
  | 'passwordProvided' // provideAccountAuthentication(password, 'password')
  | 'cancel' // removeAccount
  // from our own effects
  | 'storeSucceeded'
  | 'accountMismatch' // the archive holds another account than the exporter proved
  | 'storeFailed'
  | 'acknowledged' // `stored` flushed and channel closed
  | 'ackFailed'
  | 'timedOut'
  | 'unexpectedEvent'; // a transport/effect input out of order

export type ImportOutput =
  | 'signalTokenAvailable' // state 1 {token}
  | 'signalConnecting' // state 2 {}
  | 'signalAuthenticating' // state 3 {peer_id, auth_scheme}
  | 'signalBadPassword' // state 3 {peer_id, auth_scheme:'password', auth_error:'bad_password'}
  | 'signalInProgress' // state 4 {}
  | 'sendPassword'
  | 'store' // storeLinkedAccount(archive, password)
  | 'sendStored'
  | 'closeChannel' // graceful close, then acknowledged/ackFailed
  | 'sendAbort' // abort{error of this DONE}, when a channel is up
  | 'teardown' // close channel and rendezvous, stop the timer
  | 'discard' // remove what was stored (after any store in flight settled)
  | 'finish'; // state 5 {error}: exactly once

const ALL = Object.keys(IMPORT_STATES) as ImportStateName[];
const LIVE = ALL.filter((s) => s !== 'Done');
/** From Storing on, something may be on disk: every failure discards it. */
const STORE_STARTED: ImportStateName[] = ['Storing', 'Acknowledging'];
const BEFORE_STORE = LIVE.filter((s) => !STORE_STARTED.includes(s));

const FAIL: ImportOutput[] = ['teardown', 'finish'];
const FAIL_DISCARD: ImportOutput[] = ['teardown', 'discard', 'finish'];
const ABORT: ImportOutput[] = ['sendAbort', 'teardown', 'finish'];
const ABORT_DISCARD: ImportOutput[] = ['sendAbort', 'teardown', 'discard', 'finish'];

export const IMPORT_TRANSITIONS: readonly Row<ImportStateName, ImportInputName, ImportOutput>[] = [
  // The happy path: the seed's daemon diagram, line by line.
  { from: ['Init'], on: 'tokenGenerated', to: 'TokenAvailable', emit: ['signalTokenAvailable'],
    seed: ['Import_Init --> Import_TokenAvailable: Generate token', 'Import_Init --> Import_TokenAvailable: Token received'] },
  { from: ['TokenAvailable'], on: 'peerDetected', to: 'Connecting', emit: ['signalConnecting'],
    seed: ['Import_TokenAvailable --> Import_Connecting: Peer detected'] },
  // The exporter sends `auth` only once its user confirmed: state 3 starts with it.
  { from: ['Connecting'], on: 'channelOpen', to: 'AwaitingAuth', emit: [] },
  { from: ['AwaitingAuth'], on: 'authNone', to: 'AwaitingTransfer', emit: ['signalAuthenticating'],
    seed: ['Import_Connecting --> Import_Authenticating: Connection established'] },
  { from: ['AwaitingAuth'], on: 'authPassword', to: 'AwaitingPassword', emit: ['signalAuthenticating'],
    seed: ['Import_Connecting --> Import_Authenticating: Connection established'] },
  { from: ['AwaitingPassword'], on: 'passwordProvided', to: 'CheckingPassword', emit: ['sendPassword'] },
  { from: ['CheckingPassword'], on: 'badPassword', to: 'AwaitingPassword', emit: ['signalBadPassword'] },
  { from: ['AwaitingTransfer', 'CheckingPassword'], on: 'transfer', to: 'Receiving', emit: ['signalInProgress'],
    seed: ['Import_Authenticating --> Import_InProgress: Auth success'] },
  { from: ['Receiving'], on: 'archive', to: 'Storing', emit: ['store'] },
  { from: ['Storing'], on: 'storeSucceeded', to: 'Acknowledging', emit: ['sendStored', 'closeChannel'] },
  { from: ['Acknowledging'], on: 'acknowledged', to: 'Done', error: '', emit: ['teardown', 'finish'],
    seed: ['Import_InProgress --> Import_Done: Transfer complete'] },

  // Failures the seed's client diagram names (Import_X --> Import_Error).
  { from: ['CheckingPassword'], on: 'peerAborted', to: 'Done', error: 'event', emit: FAIL,
    seed: ['Import_Authenticating --> Import_Error: Bad password'] },
  { from: ['Connecting', 'AwaitingAuth'], on: 'transportFailed', to: 'Done', error: 'event', emit: FAIL,
    seed: ['Import_Connecting --> Import_Error: Connection failed'] },
  { from: ['Receiving'], on: 'transportFailed', to: 'Done', error: 'event', emit: FAIL,
    seed: ['Import_InProgress --> Import_Error: Transfer failed'] },
  { from: ['Storing'], on: 'storeFailed', to: 'Done', error: 'network', emit: ABORT_DISCARD,
    seed: ['Import_InProgress --> Import_Error: Transfer failed'] },
  { from: ['Storing'], on: 'accountMismatch', to: 'Done', error: 'authentication', emit: ABORT_DISCARD },
  { from: ['Acknowledging'], on: 'ackFailed', to: 'Done', error: 'network', emit: FAIL_DISCARD },
  { from: ['Init'], on: 'tokenFailed', to: 'Done', error: 'network', emit: FAIL },
  // Our own close() of the channel decides (acknowledged/ackFailed); its side effects are not news.
  { from: ['Acknowledging'], on: 'transportFailed', ignore: 'closing the channel ourselves: close() settles the outcome' },

  // From any live state.
  { from: BEFORE_STORE, on: 'peerAborted', to: 'Done', error: 'event', emit: FAIL },
  { from: STORE_STARTED, on: 'peerAborted', to: 'Done', error: 'event', emit: FAIL_DISCARD },
  { from: BEFORE_STORE, on: 'transportFailed', to: 'Done', error: 'event', emit: FAIL },
  { from: STORE_STARTED, on: 'transportFailed', to: 'Done', error: 'event', emit: FAIL_DISCARD },
  { from: LIVE, on: 'cancel', to: 'Done', error: 'canceled', emit: ABORT_DISCARD },
  { from: BEFORE_STORE, on: 'timedOut', to: 'Done', error: 'timeout', emit: ABORT },
  { from: STORE_STARTED, on: 'timedOut', to: 'Done', error: 'timeout', emit: ABORT_DISCARD },
  // A message the exporter must not send now: a protocol violation.
  { from: BEFORE_STORE, on: 'unexpectedMessage', to: 'Done', error: 'authentication', emit: ABORT },
  { from: STORE_STARTED, on: 'unexpectedMessage', to: 'Done', error: 'authentication', emit: ABORT_DISCARD },
  // The transport broke its contract (e.g. a channel before a verified peer).
  { from: BEFORE_STORE, on: 'unexpectedEvent', to: 'Done', error: 'network', emit: ABORT },
  { from: STORE_STARTED, on: 'unexpectedEvent', to: 'Done', error: 'network', emit: ABORT_DISCARD },
];

export const IMPORT_MACHINE = {
  rows: IMPORT_TRANSITIONS,
  done: 'Done',
  localCalls: ['passwordProvided', 'cancel'],
  peerMessages: ['authNone', 'authPassword', 'badPassword', 'transfer', 'archive', 'peerAborted', 'unexpectedMessage'],
  unexpectedMessage: 'unexpectedMessage',
  unexpectedEvent: 'unexpectedEvent',
} as const;

export const importStep = makeStep<ImportStateName, ImportInputName, ImportOutput>(IMPORT_MACHINE);
