// The import side of the seed's "Client state machine" (the new device): Initial and ImportDevice.*,
// the daemon's deviceAuthStateChanged as inputs, and what `jami-link import` runs on each row.

import { rowsOf } from '../service/contract/transition-table.js';
import { ClientMachine, clientSide, linkSucceeded, type ClientMachineSpec } from './client-machine.js';

export type ImportState =
  | 'Initial'
  | 'ImportDevice.Init'
  | 'ImportDevice.TokenAvailable'
  | 'ImportDevice.Connecting'
  | 'ImportDevice.Authenticating'
  | 'ImportDevice.InProgress'
  | 'ImportDevice.Done'
  | 'ImportDevice.Error';

export type ImportInput =
  // the user's choice in Initial, and Back/Cancel from anywhere in the side
  | 'importFromDeviceSelected'
  | 'back'
  // deviceAuthStateChanged 1, 2, 3, 3+auth_error, 4, 5/"" and 5/error
  | 'tokenReceived'
  | 'peerDetected'
  | 'connectionEstablished'
  | 'passwordRejected'
  | 'authSuccess'
  | 'transferComplete'
  | 'linkFailed'
  // leaving the side once it is over (the diagram's "--> [*]")
  | 'accountReady'
  | 'reset'
  // any input the running side has no row for
  | 'unexpected';

export type ImportOutput =
  | 'addAccount'
  | 'showToken'
  | 'showConnecting'
  | 'showPeer'
  | 'askConsent' // "Link this device to account <Jami ID>?", with the password when the account has one
  | 'showChecking' // our answer went to the other device
  | 'showTransfer'
  | 'showAccount'
  | 'showError'
  | 'removeAccount';

const { row } = rowsOf<ImportState, ImportInput, ImportOutput>();

/** The states of a link in progress: leaving them cancels it on the daemon. */
const LINKING: readonly ImportState[] = ['ImportDevice.Init', 'ImportDevice.TokenAvailable', 'ImportDevice.Connecting', 'ImportDevice.Authenticating', 'ImportDevice.InProgress'];
const OVER: readonly ImportState[] = ['ImportDevice.Done', 'ImportDevice.Error'];

// `label` is the seed diagram's text; "(issue #5)" or "(not in the seed)" marks a row the diagram lacks.
export const IMPORT_MACHINE: ClientMachineSpec<ImportState, ImportInput, ImportOutput> = clientSide('jami-link import', [
  row('Initial',                     'importFromDeviceSelected', 'ImportDevice.Init',           ['addAccount'],               { label: 'ImportFromDevice selected' }),
  row('ImportDevice.Init',           'tokenReceived',            'ImportDevice.TokenAvailable', ['showToken'],                { label: 'Token received' }),
  row('ImportDevice.TokenAvailable', 'peerDetected',             'ImportDevice.Connecting',     ['showConnecting'],           { label: 'Peer detected' }),
  row('ImportDevice.Connecting',     'connectionEstablished',    'ImportDevice.Authenticating', ['showPeer', 'askConsent'],   { label: 'Connection established' }),
  row('ImportDevice.Authenticating', 'passwordRejected',         'ImportDevice.Authenticating', ['askConsent'],               { label: 'Bad password, attempts left (issue #5)' }),
  row('ImportDevice.Authenticating', 'authSuccess',              'ImportDevice.InProgress',     ['showChecking'],             { label: 'Auth success' }),
  // jamid's order: state 4 once our user answered, back to 3 after a wrong password, 4 again with the account.
  row('ImportDevice.InProgress',     'passwordRejected',         'ImportDevice.Authenticating', ['askConsent'],               { label: 'Bad password: jamid goes back to 3 (issue #11)' }),
  row('ImportDevice.InProgress',     'authSuccess',              'ImportDevice.InProgress',     ['showTransfer'],             { label: 'The account comes: jamid says 4 again (issue #11)' }),
  row('ImportDevice.InProgress',     'transferComplete',         'ImportDevice.Done',           ['showAccount'],              { label: 'Transfer complete' }),
  // A failed link leaves its account listed, holding nothing (jamid): the client removes it, as Jami's does.
  row('ImportDevice.Authenticating', 'linkFailed',               'ImportDevice.Error',          ['removeAccount', 'showError'], { label: 'Bad password' }),
  row('ImportDevice.Connecting',     'linkFailed',               'ImportDevice.Error',          ['removeAccount', 'showError'], { label: 'Connection failed' }),
  row('ImportDevice.InProgress',     'linkFailed',               'ImportDevice.Error',          ['removeAccount', 'showError'], { label: 'Transfer failed' }),
  row('ImportDevice.Init',           'linkFailed',               'ImportDevice.Error',          ['removeAccount', 'showError'], { label: 'Failed before a token (not in the seed)' }),
  row('ImportDevice.TokenAvailable', 'linkFailed',               'ImportDevice.Error',          ['removeAccount', 'showError'], { label: 'Timed out or canceled before a peer (not in the seed)' }),
  row(LINKING,                       'unexpected',               'ImportDevice.Error',          ['showError'],                { label: 'Any other input while linking (not in the seed)' }),
  row('ImportDevice.Error',          'reset',                    'Initial',                     [],                           { label: 'Reset' }),
  row('ImportDevice.Done',           'accountReady',             'Initial',                     [],                           { label: 'Account ready' }),
  row(LINKING,                       'back',                     'Initial',                     ['removeAccount'],            { label: 'Back/Cancel' }),
  row(OVER,                          'back',                     'Initial',                     [],                           { label: 'Back/Cancel' }),
]);

export type ImportMachine = ClientMachine<ImportState, ImportInput, ImportOutput>;

export function importMachine(): ImportMachine {
  return new ClientMachine(IMPORT_MACHINE);
}

/** deviceAuthStateChanged(state, details) as an input (state 0 carries nothing). */
export function importInputFor(state: number, details: Record<string, string>): ImportInput | undefined {
  switch (state) {
    case 1:
      return 'tokenReceived';
    case 2:
      return 'peerDetected';
    case 3:
      return details.auth_error ? 'passwordRejected' : 'connectionEstablished';
    case 4:
      return 'authSuccess';
    case 5:
      return linkSucceeded(details.error) ? 'transferComplete' : 'linkFailed';
    default:
      return undefined;
  }
}
