// The export side of the seed's "Client state machine" (the device that has the account): Initial,
// ExportDevice.Init.* (where the token comes from) and the link, with what `jami-link export` runs.

import { rowsOf } from '../service/contract/transition-table.js';
import { ClientMachine, clientSide, linkSucceeded, type ClientMachineSpec } from './client-machine.js';

export type ExportState =
  | 'Initial'
  | 'ExportDevice.Init.ShowInputOptions'
  | 'ExportDevice.Init.ScanQR'
  | 'ExportDevice.Init.QRScanning'
  | 'ExportDevice.Init.ManualEntry'
  | 'ExportDevice.Init.TokenObtained'
  | 'ExportDevice.Connecting'
  | 'ExportDevice.Authenticating'
  | 'ExportDevice.InProgress'
  | 'ExportDevice.Done'
  | 'ExportDevice.Error';

export type ExportInput =
  // the user's choice in Initial, and Back/Cancel from anywhere in the side
  | 'exportToDeviceSelected'
  | 'back'
  // Init: where the token comes from
  | 'cameraSelected'
  | 'startCamera'
  | 'qrDetected'
  | 'cancelScan'
  | 'manualSelected'
  | 'validCodeEntered'
  | 'invalidCodeEntered'
  | 'cancelEntry'
  // addDevice's answer, addDeviceStateChanged 2, 3, 4, 5/"" and 5/error; the user's answer at the confirm prompt
  | 'tokenValidated'
  | 'invalidToken'
  | 'linkRefused'
  | 'daemonConnecting'
  | 'connectionEstablished'
  | 'peerConfirmed'
  | 'authProvided'
  | 'transferComplete'
  | 'linkFailed'
  // leaving the side once it is over (the diagram's "--> [*]")
  | 'deviceAdded'
  | 'reset'
  // any input the running side has no row for
  | 'unexpected';

export type ExportOutput =
  | 'readQrImage'
  | 'showTokenProblem'
  | 'addDevice'
  | 'showConnecting'
  | 'showPeer'
  | 'askConfirmation'
  | 'confirmAddDevice'
  | 'showTransfer'
  | 'showDeviceAdded'
  | 'showError'
  | 'cancelAddDevice';

const { row } = rowsOf<ExportState, ExportInput, ExportOutput>();

/** Before addDevice: leaving them has nothing to cancel on the daemon. */
const CHOOSING: readonly ExportState[] = [
  'ExportDevice.Init.ShowInputOptions',
  'ExportDevice.Init.ScanQR',
  'ExportDevice.Init.QRScanning',
  'ExportDevice.Init.ManualEntry',
  'ExportDevice.Init.TokenObtained',
];
/** After addDevice: leaving them cancels the link on the daemon. */
const LINKING: readonly ExportState[] = ['ExportDevice.Connecting', 'ExportDevice.Authenticating', 'ExportDevice.InProgress'];
const OVER: readonly ExportState[] = ['ExportDevice.Done', 'ExportDevice.Error'];

// `label` is the seed diagram's text; "(issue #5)" or "(not in the seed)" marks a row the diagram lacks.
export const EXPORT_MACHINE: ClientMachineSpec<ExportState, ExportInput, ExportOutput> = clientSide('jami-link export', [
  row('Initial',                            'exportToDeviceSelected', 'ExportDevice.Init.ShowInputOptions', [],                                { label: 'ExportToDevice selected' }),
  // Init
  row('ExportDevice.Init.ShowInputOptions', 'cameraSelected',         'ExportDevice.Init.ScanQR',           [],                                { label: 'Camera selected' }),
  row('ExportDevice.Init.ShowInputOptions', 'manualSelected',         'ExportDevice.Init.ManualEntry',      [],                                { label: 'Manual selected' }),
  row('ExportDevice.Init.ScanQR',           'startCamera',            'ExportDevice.Init.QRScanning',       ['readQrImage'],                   { label: 'Start camera' }),
  row('ExportDevice.Init.QRScanning',       'qrDetected',             'ExportDevice.Init.TokenObtained',    [],                                { label: 'QR detected' }),
  row('ExportDevice.Init.QRScanning',       'cancelScan',             'ExportDevice.Init.ShowInputOptions', ['showTokenProblem'],              { label: 'Cancel scan' }),
  row('ExportDevice.Init.ManualEntry',      'validCodeEntered',       'ExportDevice.Init.TokenObtained',    [],                                { label: 'Valid code entered' }),
  row('ExportDevice.Init.ManualEntry',      'invalidCodeEntered',     'ExportDevice.Init.ManualEntry',      ['showTokenProblem'],              { label: 'Invalid code: say what is wrong (issue #5)' }),
  row('ExportDevice.Init.ManualEntry',      'cancelEntry',            'ExportDevice.Init.ShowInputOptions', [],                                { label: 'Cancel entry' }),
  // the link
  row('ExportDevice.Init.TokenObtained',    'tokenValidated',         'ExportDevice.Connecting',            ['addDevice'],                     { label: 'Token validated' }),
  row('ExportDevice.Connecting',            'daemonConnecting',       'ExportDevice.Connecting',            ['showConnecting'],                { label: 'Daemon state 2 (not in the seed)' }),
  row('ExportDevice.Connecting',            'connectionEstablished',  'ExportDevice.Authenticating',        ['showPeer', 'askConfirmation'],   { label: 'Connection established' }),
  row('ExportDevice.Authenticating',        'peerConfirmed',          'ExportDevice.Authenticating',        ['confirmAddDevice'],              { label: 'Confirm peer device (note)' }),
  row('ExportDevice.Authenticating',        'authProvided',           'ExportDevice.InProgress',            ['showTransfer'],                  { label: 'Auth provided' }),
  row('ExportDevice.InProgress',            'transferComplete',       'ExportDevice.Done',                  ['showDeviceAdded'],               { label: 'Transfer complete' }),
  row('ExportDevice.Connecting',            'invalidToken',           'ExportDevice.Error',                 ['showError'],                     { label: 'Invalid token' }),
  row('ExportDevice.Connecting',            'linkRefused',            'ExportDevice.Error',                 ['showError'],                     { label: 'addDevice refused: busy or unknown account (not in the seed)' }),
  row('ExportDevice.Connecting',            'linkFailed',             'ExportDevice.Error',                 ['showError'],                     { label: 'Connection failed (not in the seed)' }),
  row('ExportDevice.Authenticating',        'linkFailed',             'ExportDevice.Error',                 ['showError'],                     { label: 'Auth failed' }),
  row('ExportDevice.InProgress',            'linkFailed',             'ExportDevice.Error',                 ['showError'],                     { label: 'Transfer failed' }),
  row([...CHOOSING, ...LINKING],            'unexpected',             'ExportDevice.Error',                 ['showError'],                     { label: 'Any other input while linking (not in the seed)' }),
  row('ExportDevice.Error',                 'reset',                  'Initial',                            [],                                { label: 'Reset' }),
  row('ExportDevice.Done',                  'deviceAdded',            'Initial',                            [],                                { label: 'Device added' }),
  row(CHOOSING,                             'back',                   'Initial',                            [],                                { label: 'Back/Cancel' }),
  row(LINKING,                              'back',                   'Initial',                            ['cancelAddDevice'],               { label: 'Back/Cancel' }),
  row(OVER,                                 'back',                   'Initial',                            [],                                { label: 'Back/Cancel' }),
]);

export type ExportMachine = ClientMachine<ExportState, ExportInput, ExportOutput>;

export function exportMachine(): ExportMachine {
  return new ClientMachine(EXPORT_MACHINE);
}

/** addDeviceStateChanged(state, details) as an input. */
export function exportInputFor(state: number, details: Record<string, string>): ExportInput | undefined {
  switch (state) {
    case 2:
      return 'daemonConnecting';
    case 3:
      return 'connectionEstablished';
    case 4:
      return 'authProvided';
    case 5:
      return linkSucceeded(details.error) ? 'transferComplete' : 'linkFailed';
    default:
      return undefined;
  }
}

/** addDevice's return value as an input: op ids > 0 go on, -1 is an invalid token, others a refusal. */
export function addDeviceInputFor(result: number): ExportInput | undefined {
  if (result > 0) return undefined;
  return result === -1 ? 'invalidToken' : 'linkRefused';
}
