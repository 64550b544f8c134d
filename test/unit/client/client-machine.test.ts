// The client machine held against the seed's "Client state machine" diagram, line by line, and
// walked with the daemon's signal sequences.

import assert from 'node:assert/strict';
import {
  CLIENT_TRANSITIONS,
  ClientMachine,
  addDeviceInputFor,
  exportInputFor,
  importInputFor,
  transitionFor,
  type ClientInput,
  type ClientState,
} from '../../../client/client-machine.js';
import { SEED_CLIENT_DIAGRAM } from '../../support/seed-diagrams.js';


/** The seed's state names in our dotted names ("[*]" inside a side leaves it: back to Initial). */
function ours(name: string, side: 'Import' | 'Export' | undefined, asTarget: boolean): ClientState[] {
  if (name === 'Initial') return ['Initial'];
  if (name === '[*]') return ['Initial'];
  if (name === 'ImportDevice') return asTarget ? ['ImportDevice.Init'] : CLIENT_TRANSITIONS.map((t) => t.from).filter((s) => s.startsWith('ImportDevice.'));
  if (name === 'ExportDevice') {
    return asTarget ? ['ExportDevice.Init.ShowInputOptions'] : CLIENT_TRANSITIONS.map((t) => t.from).filter((s) => s.startsWith('ExportDevice.'));
  }
  if (name === 'Export_Init') return ['ExportDevice.Init.TokenObtained']; // the composite is left once a token is obtained
  const sideMatch = /^(Import|Export)_(.+)$/.exec(name);
  if (sideMatch) return [`${sideMatch[1]}Device.${sideMatch[2]}` as ClientState];
  void side;
  return [`ExportDevice.Init.${name}` as ClientState];
}

const seedTransitions = SEED_CLIENT_DIAGRAM.split('\n')
  .map((line) => /^\s*(\S+) --> (\S+?)(?:: (.+))?$/.exec(line))
  .filter((match): match is RegExpExecArray => match !== null && match[3] !== undefined)
  .map(([, from, to, label]) => ({ from, to, label }));

describe('client machine (client/client-machine.ts) against the seed diagram', () => {
  it('has the 30 labelled transitions of the seed diagram', () => {
    assert.equal(seedTransitions.length, 30);
  });

  for (const { from, to, label } of seedTransitions) {
    it(`has "${from} --> ${to}: ${label}"`, () => {
      const froms = ours(from, undefined, false);
      const [target] = ours(to, undefined, true);
      assert.ok(froms.length > 0);
      for (const state of new Set(froms)) {
        const row = CLIENT_TRANSITIONS.find((t) => t.from === state && t.to === target && t.label === label);
        assert.ok(row, `no row ${state} --> ${target} labelled "${label}"`);
      }
    });
  }

  it('starts in Initial and enters each side at its [*] sub-state', () => {
    const machine = new ClientMachine();
    assert.equal(machine.state, 'Initial');
    assert.equal(machine.fire('importFromDeviceSelected')?.to, 'ImportDevice.Init');
    const other = new ClientMachine();
    assert.equal(other.fire('exportToDeviceSelected')?.to, 'ExportDevice.Init.ShowInputOptions');
  });

  it('marks every transition the diagram lacks as "(issue #5)", "(not in the seed)" or a note, except Back/Cancel rows', () => {
    const seedLabels = new Set(seedTransitions.map((t) => t.label));
    for (const row of CLIENT_TRANSITIONS) {
      if (seedLabels.has(row.label)) continue;
      assert.match(row.label, /\((issue #5|not in the seed|note)\)$/, `${row.from} --${row.input}--> ${row.to}: ${row.label}`);
    }
  });

  it('has one row per (state, input): the table is deterministic', () => {
    const keys = CLIENT_TRANSITIONS.map((t) => `${t.from} ${t.input}`);
    assert.equal(new Set(keys).size, keys.length);
  });
});

function walk(inputs: ClientInput[], start: ClientInput): ClientState[] {
  const machine = new ClientMachine();
  machine.fire(start);
  return inputs.map((input) => {
    machine.fire(input);
    return machine.state;
  });
}

describe('client machine driven by the daemon signals', () => {
  it('follows the import side 1-2-3-4-5 to Done, running the token, peer, password and account outputs', () => {
    const signals: Array<[number, Record<string, string>]> = [
      [1, { token: 't' }],
      [2, {}],
      [3, { peer_id: 'p', auth_scheme: '' }],
      [4, {}],
      [5, { error: '' }],
    ];
    const machine = new ClientMachine();
    machine.fire('importFromDeviceSelected');
    const outputs = signals.flatMap(([state, details]) => machine.fire(importInputFor(state, details)!)!.outputs);
    assert.equal(machine.state, 'ImportDevice.Done');
    assert.deepEqual(outputs, ['showToken', 'showConnecting', 'showPeer', 'askPassword', 'showTransfer', 'showAccount']);
  });

  it('stays in Authenticating and asks again after auth_error bad_password', () => {
    const states = walk(
      ['tokenReceived', 'peerDetected', importInputFor(3, { auth_scheme: 'password' })!, importInputFor(3, { auth_scheme: 'password', auth_error: 'bad_password' })!],
      'importFromDeviceSelected',
    );
    assert.deepEqual(states.slice(2), ['ImportDevice.Authenticating', 'ImportDevice.Authenticating']);
    assert.deepEqual(transitionFor('ImportDevice.Authenticating', 'passwordRejected')?.outputs, ['askPassword']);
  });

  it('ends in ImportDevice.Error on DONE/authentication after the third wrong password ("Bad password")', () => {
    const t = transitionFor('ImportDevice.Authenticating', importInputFor(5, { error: 'authentication' })!);
    assert.equal(t?.to, 'ImportDevice.Error');
    assert.equal(t?.label, 'Bad password');
  });

  it('ends in ImportDevice.Error when the token times out before any peer', () => {
    assert.deepEqual(walk(['tokenReceived', importInputFor(5, { error: 'timeout' })!], 'importFromDeviceSelected'), [
      'ImportDevice.TokenAvailable',
      'ImportDevice.Error',
    ]);
  });

  it('cancels an import in progress with removeAccount (Back/Cancel) and returns to Initial', () => {
    for (const state of ['ImportDevice.Init', 'ImportDevice.TokenAvailable', 'ImportDevice.Connecting', 'ImportDevice.Authenticating', 'ImportDevice.InProgress'] as const) {
      const t = transitionFor(state, 'back');
      assert.equal(t?.to, 'Initial');
      assert.deepEqual(t?.outputs, ['removeAccount'], state);
    }
  });

  it('follows the export side: manual token, addDevice, 2-3 (confirm) -4-5 to Done', () => {
    const machine = new ClientMachine();
    machine.fire('exportToDeviceSelected');
    const outputs = (['manualSelected', 'validCodeEntered', 'tokenValidated'] as ClientInput[]).flatMap((input) => machine.fire(input)!.outputs);
    assert.deepEqual(outputs, ['addDevice']);
    assert.equal(addDeviceInputFor(7), undefined);
    const rest = [
      exportInputFor(2, {}),
      exportInputFor(3, { peer_address: '127.0.0.1:1' }),
      'peerConfirmed' as const,
      exportInputFor(4, {}),
      exportInputFor(5, { error: '' }),
    ].flatMap((input) => machine.fire(input!)!.outputs);
    assert.deepEqual(rest, ['showConnecting', 'showPeer', 'askConfirmation', 'confirmAddDevice', 'showTransfer', 'showDeviceAdded']);
    assert.equal(machine.state, 'ExportDevice.Done');
  });

  it('reads a QR image through ScanQR and QRScanning', () => {
    assert.deepEqual(walk(['cameraSelected', 'startCamera', 'qrDetected'], 'exportToDeviceSelected'), [
      'ExportDevice.Init.ScanQR',
      'ExportDevice.Init.QRScanning',
      'ExportDevice.Init.TokenObtained',
    ]);
    assert.deepEqual(transitionFor('ExportDevice.Init.ScanQR', 'startCamera')?.outputs, ['readQrImage']);
  });

  it('keeps ManualEntry after an invalid code, saying what is wrong', () => {
    const t = transitionFor('ExportDevice.Init.ManualEntry', 'invalidCodeEntered');
    assert.equal(t?.to, 'ExportDevice.Init.ManualEntry');
    assert.deepEqual(t?.outputs, ['showTokenProblem']);
  });

  it('ends in ExportDevice.Error on "Invalid token" when addDevice returns -1, and on a refusal for -2/-3', () => {
    assert.equal(addDeviceInputFor(-1), 'invalidToken');
    assert.equal(addDeviceInputFor(-2), 'linkRefused');
    assert.equal(addDeviceInputFor(-3), 'linkRefused');
    assert.equal(transitionFor('ExportDevice.Connecting', 'invalidToken')?.label, 'Invalid token');
    assert.equal(transitionFor('ExportDevice.Connecting', 'linkRefused')?.to, 'ExportDevice.Error');
  });

  it('cancels an export with cancelAddDevice once addDevice ran, and with nothing before', () => {
    assert.deepEqual(transitionFor('ExportDevice.Authenticating', 'back')?.outputs, ['cancelAddDevice']);
    assert.deepEqual(transitionFor('ExportDevice.Init.ManualEntry', 'back')?.outputs, []);
  });

  it('treats an input with no row as a named transition to the side\'s Error, never an exception', () => {
    const t = transitionFor('ImportDevice.TokenAvailable', 'authSuccess');
    assert.equal(t?.to, 'ImportDevice.Error');
    assert.match(t!.label, /^Unexpected authSuccess in ImportDevice.TokenAvailable$/);
    assert.deepEqual(t?.outputs, ['showError']);
  });

  it('ignores inputs in Initial, Done and Error (a late DONE after a cancel)', () => {
    assert.equal(transitionFor('Initial', 'linkFailed'), undefined);
    assert.equal(transitionFor('ImportDevice.Done', 'linkFailed'), undefined);
    assert.equal(transitionFor('ExportDevice.Error', 'transferComplete'), undefined);
  });

  it('maps state 5 with error "" or "none" to success, anything else to a failure', () => {
    assert.equal(importInputFor(5, { error: '' }), 'transferComplete');
    assert.equal(importInputFor(5, { error: 'none' }), 'transferComplete');
    for (const error of ['network', 'authentication', 'timeout', 'canceled']) {
      assert.equal(importInputFor(5, { error }), 'linkFailed');
      assert.equal(exportInputFor(5, { error }), 'linkFailed');
    }
    assert.equal(importInputFor(0, {}), undefined);
  });
});
