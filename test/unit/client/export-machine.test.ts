// The export machine (client/export-machine.ts): where the token comes from, then addDevice's answer
// and the daemon's addDeviceStateChanged sequences.

import assert from 'node:assert/strict';
import { addDeviceInputFor, EXPORT_MACHINE, exportInputFor, exportMachine, type ExportInput, type ExportState } from '../../../client/export-machine.js';
import { labelOf, stepper, walk } from './machine-rows.js';

const take = stepper(EXPORT_MACHINE);
const walkExport = (inputs: ExportInput[]): ExportState[] => walk(EXPORT_MACHINE, 'exportToDeviceSelected', inputs);

describe('export machine driven by the token source and the daemon signals', () => {
  it('follows the export side: manual token, addDevice, 2-3 (confirm) -4-5 to Done', () => {
    const machine = exportMachine();
    machine.fire('exportToDeviceSelected');
    const outputs = (['manualSelected', 'validCodeEntered', 'tokenValidated'] as ExportInput[]).flatMap((input) => machine.fire(input)!.outputs);
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
    assert.deepEqual(walkExport(['cameraSelected', 'startCamera', 'qrDetected']), ['ExportDevice.Init.ScanQR', 'ExportDevice.Init.QRScanning', 'ExportDevice.Init.TokenObtained']);
    assert.deepEqual(take('ExportDevice.Init.ScanQR', 'startCamera').effects, ['readQrImage']);
  });

  it('keeps ManualEntry after an invalid code, saying what is wrong', () => {
    const result = take('ExportDevice.Init.ManualEntry', 'invalidCodeEntered');
    assert.equal(result.state, 'ExportDevice.Init.ManualEntry');
    assert.deepEqual(result.effects, ['showTokenProblem']);
  });

  it('ends in ExportDevice.Error on "Invalid token" when addDevice returns -1, and on a refusal for -2/-3', () => {
    assert.equal(addDeviceInputFor(-1), 'invalidToken');
    assert.equal(addDeviceInputFor(-2), 'linkRefused');
    assert.equal(addDeviceInputFor(-3), 'linkRefused');
    assert.equal(labelOf(EXPORT_MACHINE, 'ExportDevice.Connecting', 'invalidToken'), 'Invalid token');
    assert.equal(take('ExportDevice.Connecting', 'invalidToken').state, 'ExportDevice.Error');
    assert.equal(take('ExportDevice.Connecting', 'linkRefused').state, 'ExportDevice.Error');
  });

  it('cancels an export with cancelAddDevice once addDevice ran, and with nothing before', () => {
    assert.deepEqual(take('ExportDevice.Authenticating', 'back').effects, ['cancelAddDevice']);
    assert.deepEqual(take('ExportDevice.Init.ManualEntry', 'back').effects, []);
    assert.equal(take('ExportDevice.Init.ManualEntry', 'back').state, 'Initial');
  });

  it('treats an input with no row as the named "unexpected" row to ExportDevice.Error, never an exception', () => {
    for (const [state, input] of [['ExportDevice.Connecting', 'authProvided'], ['ExportDevice.Init.ScanQR', 'connectionEstablished']] as const) {
      assert.equal(labelOf(EXPORT_MACHINE, state, input), undefined);
      const result = take(state, input);
      assert.equal(result.state, 'ExportDevice.Error');
      assert.deepEqual(result.effects, ['showError']);
    }
  });

  it('ignores inputs in Initial, Done and Error (a late DONE after a cancel)', () => {
    assert.equal(exportMachine().fire('linkFailed'), undefined);
    assert.equal(take('ExportDevice.Done', 'linkFailed').accepted, false);
    assert.equal(take('ExportDevice.Error', 'transferComplete').accepted, false);
  });

  it('maps state 5 with error "" or "none" to success, anything else to a failure', () => {
    assert.equal(exportInputFor(5, { error: '' }), 'transferComplete');
    for (const error of ['network', 'authentication', 'timeout', 'canceled']) assert.equal(exportInputFor(5, { error }), 'linkFailed');
  });
});
