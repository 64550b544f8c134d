// The export side (old device) as data: its states, inputs, context, outputs and transitions,
// to hold line by line against the seed's daemon and client diagrams. Pure: no I/O here.

import { makeStep, rowsOf, type MachineSpec } from '../contract/transition-table.js';
import { PEER_MESSAGES, type LinkInput, type LinkOutput } from './link-machine.js';
import { LinkState, MAX_PASSWORD_ATTEMPTS, type LinkError } from './link-state.js';

/** Our states, each shown to the client as one of the seed's numbers. */
export const EXPORT_STATES = {
  Init: LinkState.INIT, //                        addDevice accepted the token; not started yet
  Connecting: LinkState.CONNECTING, //            reaching the importer named by the token
  AwaitingConfirmation: LinkState.AUTHENTICATING, // channel open: our user checks peer_address
  AwaitingConsent: LinkState.AUTHENTICATING, //   auth{scheme} sent: the new device's user consents (with the password, if any)
  CheckingPassword: LinkState.AUTHENTICATING, //  opening our archive with what the importer sent
  Transferring: LinkState.IN_PROGRESS, //         transfer{size} + archive sent, waiting for `stored`
  Done: LinkState.DONE,
} as const;
export type ExportStateName = keyof typeof EXPORT_STATES;

export type ExportInput =
  | LinkInput
  // from our user
  | { readonly type: 'tokenValidated'; readonly accountProtected: boolean } // addDevice: the token parsed; start
  | { readonly type: 'confirm' } // confirmAddDevice
  // from the transport
  | { readonly type: 'connectFailed' } // could not load our credentials or start the transport
  // from our own effects
  | { readonly type: 'archiveOpened'; readonly archive: Buffer }
  | { readonly type: 'archiveUnavailable' } // opening our archive failed (not a wrong password)
  | { readonly type: 'passwordWrong' } // what the importer sent does not open our archive
  | { readonly type: 'sendFailed' }; // sendArchive failed
export type ExportInputName = ExportInput['type'];

/** What the machine learns on its way, for its effects and its guards. */
export interface ExportContext {
  /** Whether our account's archive has a password (known at start; no API changes it). */
  readonly accountProtected: boolean;
  /** Wrong passwords the importer may still send before we give up. */
  readonly attemptsLeft: number;
}

type ExportRecord = 'recordProtection' | 'countWrongPassword';

type ExportGuard =
  | 'accountProtected' // our archive needs the importer's password
  | 'attemptsRemain'; // another wrong password would not be the last one allowed

export type ExportOutput =
  | LinkOutput
  | 'signalConnecting' // state 2 {}
  | 'connect' // credentials(), then transport.startExport()
  | 'signalAuthenticating' // state 3 {peer_address}
  | 'sendAuthNone'
  | 'sendAuthPassword'
  | 'checkPassword' // openArchive(what the importer sent: '' for consent to an account without a password)
  | 'sendBadPassword'
  | 'signalInProgress' // state 4 {}
  | 'sendTransfer'
  | 'sendArchive'
  | 'recordNewDevice'; // the new device's certificate chain from `stored`, into the account's devices (before DONE)

const ALL = Object.keys(EXPORT_STATES) as ExportStateName[];
const LIVE = ALL.filter((s) => s !== 'Done');

const FAIL: ExportOutput[] = ['teardown', 'finish'];
const ABORT: ExportOutput[] = ['sendAbort', ...FAIL];

const { row } = rowsOf<ExportStateName, ExportInputName, ExportOutput | ExportRecord, ExportGuard, LinkError>();

export const EXPORT_TRANSITIONS = [
  // The happy path: the seed's daemon diagram, line by line.
  row('Init', 'tokenValidated', 'Connecting', ['recordProtection', 'signalConnecting', 'connect'],
    { seed: ['Export_Init --> Export_Connecting: Token validated'] }),
  row('Connecting', 'channelOpen', 'AwaitingConfirmation', ['signalAuthenticating'],
    { seed: ['Export_Connecting --> Export_Authenticating: Connection established'] }),
  // Nothing reaches the importer before our user confirmed the peer address; nothing of the account
  // before the importer's user consented (jamid's order).
  row('AwaitingConfirmation', 'confirm', 'AwaitingConsent', ['sendAuthPassword'], { when: 'accountProtected' }),
  row('AwaitingConfirmation', 'confirm', 'AwaitingConsent', ['sendAuthNone'], { unless: 'accountProtected' }),
  row('AwaitingConsent', 'password', 'CheckingPassword', ['checkPassword']),
  row('CheckingPassword', 'passwordWrong', 'AwaitingConsent', ['countWrongPassword', 'sendBadPassword'], { when: 'attemptsRemain' }),
  row('CheckingPassword', 'passwordWrong', 'Done', ['countWrongPassword', ...ABORT],
    { unless: 'attemptsRemain', error: 'auth_error', seed: ['Export_Authenticating --> Export_Error: Auth failed'] }),
  row('CheckingPassword', 'archiveOpened', 'Transferring', ['signalInProgress', 'sendTransfer', 'sendArchive'],
    { seed: ['Export_Authenticating --> Export_InProgress: Auth success', 'Export_Authenticating --> Export_InProgress: Auth provided'] }),
  // Success only once the importer says the account is durably stored. DONE waits until the new device is
  // listed among the account's devices; the channel closes meanwhile (jamid, too, reports it after the close).
  row('Transferring', 'stored', 'Done', ['recordNewDevice', 'finish', 'teardown'],
    { error: '', seed: ['Export_InProgress --> Export_Done: Transfer complete'] }),

  // Failures of one state.
  row('Connecting', 'connectFailed', 'Done', FAIL, { error: 'network' }),
  row('CheckingPassword', 'archiveUnavailable', 'Done', ABORT, { error: 'unknown' }),
  row('Transferring', 'sendFailed', 'Done', ABORT, { error: 'network', seed: ['Export_InProgress --> Export_Error: Transfer failed'] }),

  // From any live state.
  row(LIVE, 'peerAborted', 'Done', FAIL, { error: 'event' }),
  // In Connecting, the transport's failure is how an invalid (or stale) token shows.
  row(LIVE, 'transportFailed', 'Done', FAIL, { error: 'event', seed: ['Export_Connecting --> Export_Error: Invalid token'] }),
  row(LIVE, 'cancel', 'Done', ABORT, { error: 'canceled' }),
  row(LIVE, 'timedOut', 'Done', ABORT, { error: 'timeout' }),
  // E.g. a password before confirm: we never check passwords we did not ask for.
  row(LIVE, 'unexpectedMessage', 'Done', ABORT, { error: 'unknown', label: 'a message the importer must not send now' }),
  row(LIVE, 'unexpectedEvent', 'Done', ABORT, { error: 'unknown', label: 'the transport or an effect broke its contract' }),
];

export const EXPORT_MACHINE: MachineSpec<ExportStateName, ExportInput, ExportOutput, ExportRecord, ExportGuard, ExportContext, LinkError> = {
  name: 'export',
  initial: 'Init',
  final: ['Done'],
  rows: EXPORT_TRANSITIONS,
  context: { accountProtected: false, attemptsLeft: MAX_PASSWORD_ATTEMPTS },
  records: {
    recordProtection: (ctx, input) => (input.type === 'tokenValidated' ? { ...ctx, accountProtected: input.accountProtected } : ctx),
    countWrongPassword: (ctx) => ({ ...ctx, attemptsLeft: ctx.attemptsLeft - 1 }),
  },
  guards: {
    accountProtected: (ctx) => ctx.accountProtected,
    attemptsRemain: (ctx) => ctx.attemptsLeft > 1,
  },
  localCalls: ['tokenValidated', 'confirm', 'cancel'],
  peerMessages: PEER_MESSAGES,
  unexpectedMessage: 'unexpectedMessage',
  unexpectedEvent: 'unexpectedEvent',
};

export const exportStep = makeStep(EXPORT_MACHINE);

/** Whether the export waits for its own user (the confirmation), so a client that left is missed. */
export function exportAwaitsUser(state: ExportStateName): boolean {
  return state === 'AwaitingConfirmation';
}
