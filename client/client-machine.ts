// The seed's "Client state machine" as a table: Initial, ImportDevice.* and ExportDevice.*, with the
// diagram's transitions (label = the diagram's text) and the outputs jami-link runs on each one.

export type ImportState =
  | 'ImportDevice.Init'
  | 'ImportDevice.TokenAvailable'
  | 'ImportDevice.Connecting'
  | 'ImportDevice.Authenticating'
  | 'ImportDevice.InProgress'
  | 'ImportDevice.Done'
  | 'ImportDevice.Error';

export type ExportState =
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

export type ClientState = 'Initial' | ImportState | ExportState;

export type ClientInput =
  // the user's choice in Initial, and Back/Cancel from anywhere in a side
  | 'importFromDeviceSelected'
  | 'exportToDeviceSelected'
  | 'back'
  // import side: deviceAuthStateChanged 1, 2, 3, 3+auth_error, 4, 5/"" and 5/error
  | 'tokenReceived'
  | 'peerDetected'
  | 'connectionEstablished'
  | 'passwordRejected'
  | 'authSuccess'
  | 'transferComplete'
  | 'linkFailed'
  // leaving a side once it is over (the diagram's "--> [*]")
  | 'accountReady'
  | 'deviceAdded'
  | 'reset'
  // export side, Init: where the token comes from
  | 'cameraSelected'
  | 'startCamera'
  | 'qrDetected'
  | 'cancelScan'
  | 'manualSelected'
  | 'validCodeEntered'
  | 'invalidCodeEntered'
  | 'cancelEntry'
  // export side: addDevice and addDeviceStateChanged 2, 3, 4; the user's answer at the confirm prompt
  | 'tokenValidated'
  | 'invalidToken'
  | 'linkRefused'
  | 'daemonConnecting'
  | 'peerConfirmed'
  | 'authProvided';

export type ClientOutput =
  | 'addAccount'
  | 'showToken'
  | 'showConnecting'
  | 'showPeer'
  | 'askPassword'
  | 'showTransfer'
  | 'showAccount'
  | 'showError'
  | 'removeAccount'
  | 'readQrImage'
  | 'showTokenProblem'
  | 'addDevice'
  | 'askConfirmation'
  | 'confirmAddDevice'
  | 'cancelAddDevice'
  | 'showDeviceAdded';

export interface Transition {
  readonly from: ClientState;
  readonly input: ClientInput;
  readonly to: ClientState;
  /** The seed diagram's label; "(issue #5)" or "(not in the seed)" marks a transition the diagram lacks. */
  readonly label: string;
  readonly outputs: readonly ClientOutput[];
}

const row = (from: ClientState, input: ClientInput, to: ClientState, label: string, outputs: ClientOutput[] = []): Transition => ({
  from,
  input,
  to,
  label,
  outputs,
});

const IMPORT_ACTIVE: ImportState[] = ['ImportDevice.Init', 'ImportDevice.TokenAvailable', 'ImportDevice.Connecting', 'ImportDevice.Authenticating', 'ImportDevice.InProgress'];
const EXPORT_CHOOSING: ExportState[] = [
  'ExportDevice.Init.ShowInputOptions',
  'ExportDevice.Init.ScanQR',
  'ExportDevice.Init.QRScanning',
  'ExportDevice.Init.ManualEntry',
  'ExportDevice.Init.TokenObtained',
];
const EXPORT_LINKING: ExportState[] = ['ExportDevice.Connecting', 'ExportDevice.Authenticating', 'ExportDevice.InProgress'];

export const CLIENT_TRANSITIONS: readonly Transition[] = [
  row('Initial',                           'importFromDeviceSelected', 'ImportDevice.Init',                 'ImportFromDevice selected', ['addAccount']),
  row('Initial',                           'exportToDeviceSelected',   'ExportDevice.Init.ShowInputOptions', 'ExportToDevice selected'),

  // Import Device
  row('ImportDevice.Init',                 'tokenReceived',            'ImportDevice.TokenAvailable',       'Token received', ['showToken']),
  row('ImportDevice.TokenAvailable',       'peerDetected',             'ImportDevice.Connecting',           'Peer detected', ['showConnecting']),
  row('ImportDevice.Connecting',           'connectionEstablished',    'ImportDevice.Authenticating',       'Connection established', ['showPeer', 'askPassword']),
  row('ImportDevice.Authenticating',       'passwordRejected',         'ImportDevice.Authenticating',       'Bad password, attempts left (issue #5)', ['askPassword']),
  row('ImportDevice.Authenticating',       'authSuccess',              'ImportDevice.InProgress',           'Auth success', ['showTransfer']),
  row('ImportDevice.InProgress',           'transferComplete',         'ImportDevice.Done',                 'Transfer complete', ['showAccount']),
  row('ImportDevice.Authenticating',       'linkFailed',               'ImportDevice.Error',                'Bad password', ['showError']),
  row('ImportDevice.Connecting',           'linkFailed',               'ImportDevice.Error',                'Connection failed', ['showError']),
  row('ImportDevice.InProgress',           'linkFailed',               'ImportDevice.Error',                'Transfer failed', ['showError']),
  row('ImportDevice.Init',                 'linkFailed',               'ImportDevice.Error',                'Failed before a token (not in the seed)', ['showError']),
  row('ImportDevice.TokenAvailable',       'linkFailed',               'ImportDevice.Error',                'Timed out or canceled before a peer (not in the seed)', ['showError']),
  row('ImportDevice.Error',                'reset',                    'Initial',                           'Reset'),
  row('ImportDevice.Done',                 'accountReady',             'Initial',                           'Account ready'),
  ...IMPORT_ACTIVE.map((from) => row(from, 'back', 'Initial', 'Back/Cancel', ['removeAccount'])),
  row('ImportDevice.Done',                 'back',                     'Initial',                           'Back/Cancel'),
  row('ImportDevice.Error',                'back',                     'Initial',                           'Back/Cancel'),

  // Export Device: Init
  row('ExportDevice.Init.ShowInputOptions', 'cameraSelected',          'ExportDevice.Init.ScanQR',          'Camera selected'),
  row('ExportDevice.Init.ShowInputOptions', 'manualSelected',          'ExportDevice.Init.ManualEntry',     'Manual selected'),
  row('ExportDevice.Init.ScanQR',          'startCamera',              'ExportDevice.Init.QRScanning',      'Start camera', ['readQrImage']),
  row('ExportDevice.Init.QRScanning',      'qrDetected',               'ExportDevice.Init.TokenObtained',   'QR detected'),
  row('ExportDevice.Init.QRScanning',      'cancelScan',               'ExportDevice.Init.ShowInputOptions', 'Cancel scan', ['showTokenProblem']),
  row('ExportDevice.Init.ManualEntry',     'validCodeEntered',         'ExportDevice.Init.TokenObtained',   'Valid code entered'),
  row('ExportDevice.Init.ManualEntry',     'invalidCodeEntered',       'ExportDevice.Init.ManualEntry',     'Invalid code: say what is wrong (issue #5)', ['showTokenProblem']),
  row('ExportDevice.Init.ManualEntry',     'cancelEntry',              'ExportDevice.Init.ShowInputOptions', 'Cancel entry'),
  // Export Device: the link
  row('ExportDevice.Init.TokenObtained',   'tokenValidated',           'ExportDevice.Connecting',           'Token validated', ['addDevice']),
  row('ExportDevice.Connecting',           'daemonConnecting',         'ExportDevice.Connecting',           'Daemon state 2 (not in the seed)', ['showConnecting']),
  row('ExportDevice.Connecting',           'connectionEstablished',    'ExportDevice.Authenticating',       'Connection established', ['showPeer', 'askConfirmation']),
  row('ExportDevice.Authenticating',       'peerConfirmed',            'ExportDevice.Authenticating',       'Confirm peer device (note)', ['confirmAddDevice']),
  row('ExportDevice.Authenticating',       'authProvided',             'ExportDevice.InProgress',           'Auth provided', ['showTransfer']),
  row('ExportDevice.InProgress',           'transferComplete',         'ExportDevice.Done',                 'Transfer complete', ['showDeviceAdded']),
  row('ExportDevice.Connecting',           'invalidToken',             'ExportDevice.Error',                'Invalid token', ['showError']),
  row('ExportDevice.Connecting',           'linkRefused',              'ExportDevice.Error',                'addDevice refused: busy or unknown account (not in the seed)', ['showError']),
  row('ExportDevice.Connecting',           'linkFailed',               'ExportDevice.Error',                'Connection failed (not in the seed)', ['showError']),
  row('ExportDevice.Authenticating',       'linkFailed',               'ExportDevice.Error',                'Auth failed', ['showError']),
  row('ExportDevice.InProgress',           'linkFailed',               'ExportDevice.Error',                'Transfer failed', ['showError']),
  row('ExportDevice.Error',                 'reset',                    'Initial',                           'Reset'),
  row('ExportDevice.Done',                 'deviceAdded',              'Initial',                           'Device added'),
  ...EXPORT_CHOOSING.map((from) => row(from, 'back', 'Initial', 'Back/Cancel')),
  ...EXPORT_LINKING.map((from) => row(from, 'back', 'Initial', 'Back/Cancel', ['cancelAddDevice'])),
  row('ExportDevice.Done',                 'back',                     'Initial',                           'Back/Cancel'),
  row('ExportDevice.Error',                'back',                     'Initial',                           'Back/Cancel'),
];

const TABLE = new Map<string, Transition>(CLIENT_TRANSITIONS.map((t) => [`${t.from} ${t.input}`, t]));

/** States where a side is over: inputs that have no row there are ignored, not errors. */
export function isResting(state: ClientState): boolean {
  return state === 'Initial' || state.endsWith('.Done') || state.endsWith('.Error');
}

export function errorStateOf(state: ClientState): ClientState {
  if (state.startsWith('ImportDevice.')) return 'ImportDevice.Error';
  if (state.startsWith('ExportDevice.')) return 'ExportDevice.Error';
  return 'Initial';
}

/** Looks up (state, input): the row, an "unexpected" transition to the side's Error, or undefined (ignored). */
export function transitionFor(state: ClientState, input: ClientInput): Transition | undefined {
  const found = TABLE.get(`${state} ${input}`);
  if (found) return found;
  if (isResting(state)) return undefined;
  return row(state, input, errorStateOf(state), `Unexpected ${input} in ${state}`, ['showError']);
}

/** The client machine of one jami-link command: the only place its state changes. */
export class ClientMachine {
  private current: ClientState = 'Initial';
  readonly history: Transition[] = [];

  get state(): ClientState {
    return this.current;
  }

  /** Applies `input`; returns the transition taken (whose outputs the caller runs), or undefined when ignored. */
  fire(input: ClientInput): Transition | undefined {
    const transition = transitionFor(this.current, input);
    if (!transition) return undefined;
    this.current = transition.to;
    this.history.push(transition);
    return transition;
  }
}

/** deviceAuthStateChanged(state, details) as an input of the import side (state 0 carries nothing). */
export function importInputFor(state: number, details: Record<string, string>): ClientInput | undefined {
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
      return isSuccess(details.error) ? 'transferComplete' : 'linkFailed';
    default:
      return undefined;
  }
}

/** addDeviceStateChanged(state, details) as an input of the export side. */
export function exportInputFor(state: number, details: Record<string, string>): ClientInput | undefined {
  switch (state) {
    case 2:
      return 'daemonConnecting';
    case 3:
      return 'connectionEstablished';
    case 4:
      return 'authProvided';
    case 5:
      return isSuccess(details.error) ? 'transferComplete' : 'linkFailed';
    default:
      return undefined;
  }
}

/** addDevice's return value as an input: op ids > 0 go on, -1 is an invalid token, others a refusal. */
export function addDeviceInputFor(result: number): ClientInput | undefined {
  if (result > 0) return undefined;
  return result === -1 ? 'invalidToken' : 'linkRefused';
}

function isSuccess(error: string | undefined): boolean {
  return error === '' || error === 'none' || error === undefined;
}
