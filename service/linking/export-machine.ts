// The export side (old device) as data: its states, inputs, outputs and transitions,
// to hold line by line against the seed's daemon and client diagrams. Pure: no I/O here.

import { LinkState } from './link-state.js';
import { makeStep, type Row } from './transition-table.js';

/** Our states, each shown to the client as one of the seed's numbers. */
export const EXPORT_STATES = {
  Init: LinkState.INIT, //                       addDevice accepted the token; not started yet
  Connecting: LinkState.CONNECTING, //           reaching the importer named by the token
  AwaitingConfirmation: LinkState.AUTHENTICATING, // channel open: our user checks peer_address
  AwaitingPassword: LinkState.AUTHENTICATING, //  auth{password} sent, waiting for the importer's password
  CheckingPassword: LinkState.AUTHENTICATING, //  opening our archive with it
  OpeningArchive: LinkState.AUTHENTICATING, //    no password: opening our archive
  Transferring: LinkState.IN_PROGRESS, //         transfer{size} + archive sent, waiting for `stored`
  Done: LinkState.DONE,
} as const;
export type ExportStateName = keyof typeof EXPORT_STATES;

export type ExportInputName =
  // from our user
  | 'tokenValidated' // addDevice: the token parsed; start
  | 'confirmProtected' // confirmAddDevice on an account with a password
  | 'confirmUnprotected' // confirmAddDevice on an account without one
  | 'cancel' // cancelAddDevice
  // from the transport
  | 'channelOpen' // connection 'channel'
  | 'connectFailed' // could not load our credentials or start the transport
  | 'transportFailed' // connection 'failed' or channel 'closed' (carries the LinkFailure)
  // from the importer (control messages)
  | 'password' // password{password}
  | 'stored' // stored
  | 'peerAborted' // abort{error} (carries it)
  | 'unexpectedMessage' // anything the importer must not send now
  // from our own effects
  | 'archiveOpened'
  | 'archiveUnavailable' // our archive did not open without a password, or opening it failed
  | 'passwordWrong' // wrong, attempts left
  | 'passwordWrongLast' // wrong, none left
  | 'sendFailed' // sendArchive failed
  | 'timedOut'
  | 'unexpectedEvent';

export type ExportOutput =
  | 'signalConnecting' // state 2 {}
  | 'connect' // credentials(), then transport.startExport()
  | 'signalAuthenticating' // state 3 {peer_address}
  | 'sendAuthNone'
  | 'sendAuthPassword'
  | 'openArchive' // openArchive(undefined)
  | 'checkPassword' // openArchive(password)
  | 'sendBadPassword'
  | 'signalInProgress' // state 4 {}
  | 'sendTransfer'
  | 'sendArchive'
  | 'sendAbort' // abort{error of this DONE}, when a channel is up
  | 'teardown' // close channel and connection, stop the timer
  | 'finish'; // state 5 {error}: exactly once

const ALL = Object.keys(EXPORT_STATES) as ExportStateName[];
const LIVE = ALL.filter((s) => s !== 'Done');

const FAIL: ExportOutput[] = ['teardown', 'finish'];
const ABORT: ExportOutput[] = ['sendAbort', 'teardown', 'finish'];

export const EXPORT_TRANSITIONS: readonly Row<ExportStateName, ExportInputName, ExportOutput>[] = [
  // The happy path: the seed's daemon diagram, line by line.
  { from: ['Init'], on: 'tokenValidated', to: 'Connecting', emit: ['signalConnecting', 'connect'],
    seed: ['Export_Init --> Export_Connecting: Token validated'] },
  { from: ['Connecting'], on: 'channelOpen', to: 'AwaitingConfirmation', emit: ['signalAuthenticating'],
    seed: ['Export_Connecting --> Export_Authenticating: Connection established'] },
  // Nothing reaches the importer before our user confirmed the peer address.
  { from: ['AwaitingConfirmation'], on: 'confirmUnprotected', to: 'OpeningArchive', emit: ['sendAuthNone', 'openArchive'] },
  { from: ['AwaitingConfirmation'], on: 'confirmProtected', to: 'AwaitingPassword', emit: ['sendAuthPassword'] },
  { from: ['AwaitingPassword'], on: 'password', to: 'CheckingPassword', emit: ['checkPassword'] },
  { from: ['CheckingPassword'], on: 'passwordWrong', to: 'AwaitingPassword', emit: ['sendBadPassword'] },
  { from: ['OpeningArchive', 'CheckingPassword'], on: 'archiveOpened', to: 'Transferring',
    emit: ['signalInProgress', 'sendTransfer', 'sendArchive'],
    seed: ['Export_Authenticating --> Export_InProgress: Auth success', 'Export_Authenticating --> Export_InProgress: Auth provided'] },
  // Success only once the importer says the account is durably stored; DONE first, then close.
  { from: ['Transferring'], on: 'stored', to: 'Done', error: '', emit: ['finish', 'teardown'],
    seed: ['Export_InProgress --> Export_Done: Transfer complete'] },

  // Failures the seed's client diagram names (Export_X --> Export_Error).
  { from: ['Connecting'], on: 'transportFailed', to: 'Done', error: 'event', emit: FAIL,
    seed: ['Export_Connecting --> Export_Error: Invalid token'] },
  { from: ['CheckingPassword'], on: 'passwordWrongLast', to: 'Done', error: 'authentication', emit: ABORT,
    seed: ['Export_Authenticating --> Export_Error: Auth failed'] },
  { from: ['Transferring'], on: 'sendFailed', to: 'Done', error: 'network', emit: ABORT,
    seed: ['Export_InProgress --> Export_Error: Transfer failed'] },
  { from: ['OpeningArchive', 'CheckingPassword'], on: 'archiveUnavailable', to: 'Done', error: 'authentication', emit: ABORT },
  { from: ['Connecting'], on: 'connectFailed', to: 'Done', error: 'network', emit: FAIL },

  // From any live state.
  { from: LIVE, on: 'peerAborted', to: 'Done', error: 'event', emit: FAIL },
  { from: LIVE, on: 'transportFailed', to: 'Done', error: 'event', emit: FAIL },
  { from: LIVE, on: 'cancel', to: 'Done', error: 'canceled', emit: ABORT },
  { from: LIVE, on: 'timedOut', to: 'Done', error: 'timeout', emit: ABORT },
  // A message the importer must not send now (e.g. a password before confirm, or when none is
  // expected): a protocol violation, so we never check passwords we did not ask for.
  { from: LIVE, on: 'unexpectedMessage', to: 'Done', error: 'authentication', emit: ABORT },
  { from: LIVE, on: 'unexpectedEvent', to: 'Done', error: 'network', emit: ABORT },
];

export const EXPORT_MACHINE = {
  rows: EXPORT_TRANSITIONS,
  done: 'Done',
  localCalls: ['tokenValidated', 'confirmProtected', 'confirmUnprotected', 'cancel'],
  peerMessages: ['password', 'stored', 'peerAborted', 'unexpectedMessage'],
  unexpectedMessage: 'unexpectedMessage',
  unexpectedEvent: 'unexpectedEvent',
} as const;

export const exportStep = makeStep<ExportStateName, ExportInputName, ExportOutput>(EXPORT_MACHINE);
