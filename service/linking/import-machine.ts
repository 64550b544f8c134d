// The import side (new device) as data: its states, inputs, context, outputs and transitions,
// to hold line by line against the seed's daemon and client diagrams. Pure: no I/O here.

import type { AccountProof, AuthToken } from '../contract/link-contract.js';
import { makeStep, rowsOf, type MachineSpec } from '../contract/transition-table.js';
import { PEER_MESSAGES, type LinkInput, type LinkOutput } from './link-machine.js';
import { LinkState, type LinkError } from './link-state.js';

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
  Storing: LinkState.IN_PROGRESS, //         storing the account
  Acknowledging: LinkState.IN_PROGRESS, //   `stored` sent, flushing and closing the channel
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
  | { readonly type: 'passwordProvided'; readonly password: string } // provideAccountAuthentication(password, 'password')
  // from our own effects
  | { readonly type: 'storeSucceeded'; readonly jamiId: string } // the account found in the archive is stored
  | { readonly type: 'storeFailed' }
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
  /** The password last sent: the one that opened the archive once `transfer` arrives. */
  readonly password?: string;
  /** The archive size `transfer` announced. */
  readonly expectedSize?: number;
}

type ImportRecord = 'recordToken' | 'recordProof' | 'recordScheme' | 'recordPassword' | 'recordExpectedSize';

type ImportGuard =
  | 'archiveAsAnnounced' // the archive has the size `transfer` announced
  | 'holdsProvedAccount'; // the stored archive holds the account the exporter proved

export type ImportOutput =
  | LinkOutput
  | 'signalTokenAvailable' // state 1 {token}
  | 'signalConnecting' // state 2 {}
  | 'signalAuthenticating' // state 3 {peer_id, auth_scheme}
  | 'signalBadPassword' // state 3 {peer_id, auth_scheme:'password', auth_error:'bad_password'}
  | 'signalInProgress' // state 4 {}
  | 'sendPassword'
  | 'store' // storeLinkedAccount(archive, password)
  | 'sendStored'
  | 'closeChannel' // graceful close, then acknowledged/ackFailed
  | 'discard'; // nothing half-made stays: the account port forgets or deletes it (after a store in flight)

const ALL = Object.keys(IMPORT_STATES) as ImportStateName[];
const LIVE = ALL.filter((s) => s !== 'Done');

// Every failure discards (idempotent: the account port forgets a pending account or deletes a stored one),
// so a failed import leaves nothing behind, not even in the account list.
const FAIL: ImportOutput[] = ['teardown', 'discard', 'finish'];
const ABORT: ImportOutput[] = ['sendAbort', ...FAIL];

const { row, ignore } = rowsOf<ImportStateName, ImportInputName, ImportOutput | ImportRecord, ImportGuard, LinkError>();

export const IMPORT_TRANSITIONS = [
  // The happy path: the seed's daemon diagram, line by line.
  row('Init', 'tokenGenerated', 'TokenAvailable', ['recordToken', 'signalTokenAvailable'],
    { seed: ['Import_Init --> Import_TokenAvailable: Generate token', 'Import_Init --> Import_TokenAvailable: Token received'] }),
  row('TokenAvailable', 'peerDetected', 'Connecting', ['recordProof', 'signalConnecting'],
    { seed: ['Import_TokenAvailable --> Import_Connecting: Peer detected'] }),
  row('Connecting', 'channelOpen', 'AwaitingAuth', [],
    { label: 'the exporter sends `auth` only once its user confirmed: state 3 starts with it' }),
  row('AwaitingAuth', 'authNone', 'AwaitingTransfer', ['recordScheme', 'signalAuthenticating'],
    { seed: ['Import_Connecting --> Import_Authenticating: Connection established'] }),
  row('AwaitingAuth', 'authPassword', 'AwaitingPassword', ['recordScheme', 'signalAuthenticating'],
    { seed: ['Import_Connecting --> Import_Authenticating: Connection established'] }),
  row('AwaitingPassword', 'passwordProvided', 'CheckingPassword', ['recordPassword', 'sendPassword']),
  row('CheckingPassword', 'badPassword', 'AwaitingPassword', ['signalBadPassword']),
  row(['AwaitingTransfer', 'CheckingPassword'], 'transfer', 'Receiving', ['recordExpectedSize', 'signalInProgress'],
    { seed: ['Import_Authenticating --> Import_InProgress: Auth success'] }),
  row('Receiving', 'archive', 'Storing', ['store'], { when: 'archiveAsAnnounced' }),
  row('Receiving', 'archive', 'Done', ABORT,
    { unless: 'archiveAsAnnounced', error: 'authentication', label: 'another size than announced: a protocol violation' }),
  row('Storing', 'storeSucceeded', 'Acknowledging', ['sendStored', 'closeChannel'], { when: 'holdsProvedAccount' }),
  row('Storing', 'storeSucceeded', 'Done', ABORT,
    { unless: 'holdsProvedAccount', error: 'authentication', label: 'the archive holds another account than the exporter proved' }),
  row('Acknowledging', 'acknowledged', 'Done', ['teardown', 'finish'],
    { error: '', seed: ['Import_InProgress --> Import_Done: Transfer complete'] }),

  // Failures of one state.
  row('Init', 'tokenFailed', 'Done', FAIL, { error: 'network' }),
  row('Storing', 'storeFailed', 'Done', ABORT, { error: 'network', seed: ['Import_InProgress --> Import_Error: Transfer failed'] }),
  row('Acknowledging', 'ackFailed', 'Done', FAIL, { error: 'network' }),
  ignore('Acknowledging', 'transportFailed', 'closing the channel ourselves: our own close() settles the outcome'),

  // From any live state.
  // The exporter ends a last wrong password with abort{authentication}.
  row(LIVE, 'peerAborted', 'Done', FAIL, { error: 'event', seed: ['Import_Authenticating --> Import_Error: Bad password'] }),
  row(LIVE.filter((s) => s !== 'Acknowledging'), 'transportFailed', 'Done', FAIL, {
    error: 'event',
    seed: ['Import_Connecting --> Import_Error: Connection failed', 'Import_InProgress --> Import_Error: Transfer failed'],
  }),
  row(LIVE, 'cancel', 'Done', ABORT, { error: 'canceled' }),
  row(LIVE, 'timedOut', 'Done', ABORT, { error: 'timeout' }),
  row(LIVE, 'unexpectedMessage', 'Done', ABORT, { error: 'authentication', label: 'a message the exporter must not send now' }),
  row(LIVE, 'unexpectedEvent', 'Done', ABORT, { error: 'network', label: 'the transport broke its contract (e.g. a channel before a verified peer)' }),
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
    recordPassword: (ctx, input) => (input.type === 'passwordProvided' ? { ...ctx, password: input.password } : ctx),
    recordExpectedSize: (ctx, input) => (input.type === 'transfer' ? { ...ctx, expectedSize: input.size } : ctx),
  },
  guards: {
    archiveAsAnnounced: (ctx, input) => input.type === 'archive' && input.archive.length === ctx.expectedSize,
    holdsProvedAccount: (ctx, input) => input.type === 'storeSucceeded' && input.jamiId === ctx.proof?.accountId,
  },
  localCalls: ['passwordProvided', 'cancel'],
  peerMessages: PEER_MESSAGES,
  unexpectedMessage: 'unexpectedMessage',
  unexpectedEvent: 'unexpectedEvent',
};

export const importStep = makeStep(IMPORT_MACHINE);

/** Whether the import waits for its own user (the password), so a client that left is missed. */
export function importAwaitsUser(state: ImportStateName): boolean {
  return state === 'AwaitingPassword';
}
