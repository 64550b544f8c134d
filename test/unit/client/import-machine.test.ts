// The import machine (client/import-machine.ts) walked with the daemon's deviceAuthStateChanged sequences.

import assert from 'node:assert/strict';
import { IMPORT_MACHINE, importInputFor, importMachine, type ImportInput, type ImportState } from '../../../client/import-machine.js';
import { labelOf, stepper, walk } from './machine-rows.js';

const take = stepper(IMPORT_MACHINE);
const walkImport = (inputs: ImportInput[]): ImportState[] => walk(IMPORT_MACHINE, 'importFromDeviceSelected', inputs);

describe('import machine driven by the daemon signals', () => {
  it('follows jamid\'s import side 1-2-3-4-4-5 to Done: token, peer, consent, answer sent, account, done', () => {
    const signals: Array<[number, Record<string, string>]> = [
      [1, { token: 't' }],
      [2, {}],
      [3, { peer_id: 'p', auth_scheme: '' }],
      [4, {}],
      [4, {}],
      [5, { error: '' }],
    ];
    const machine = importMachine();
    assert.deepEqual(machine.fire('importFromDeviceSelected')?.outputs, ['addAccount']);
    const outputs = signals.flatMap(([state, details]) => machine.fire(importInputFor(state, details)!)!.outputs);
    assert.equal(machine.state, 'ImportDevice.Done');
    assert.deepEqual(outputs, ['showToken', 'showConnecting', 'showPeer', 'askConsent', 'showChecking', 'showTransfer', 'showAccount']);
  });

  it('follows the seed document\'s 1-2-3-4-5 too (an older daemon)', () => {
    const states = walkImport(['tokenReceived', 'peerDetected', 'connectionEstablished', 'authSuccess', 'transferComplete']);
    assert.equal(states.at(-1), 'ImportDevice.Done');
  });

  it('asks again after a wrong password, from 3 (the seed: auth_error bad_password) or from 4 (jamid: invalid_credentials)', () => {
    const states = walkImport(['tokenReceived', 'peerDetected', importInputFor(3, { auth_scheme: 'password' })!, importInputFor(3, { auth_scheme: 'password', auth_error: 'bad_password' })!]);
    assert.deepEqual(states.slice(2), ['ImportDevice.Authenticating', 'ImportDevice.Authenticating']);
    assert.deepEqual(take('ImportDevice.Authenticating', 'passwordRejected').effects, ['askConsent']);
    const rejected = importInputFor(3, { auth_scheme: 'password', auth_error: 'invalid_credentials' })!;
    const back = take('ImportDevice.InProgress', rejected);
    assert.deepEqual([back.state, back.effects], ['ImportDevice.Authenticating', ['askConsent']]);
  });

  it('ends in ImportDevice.Error on DONE/auth_error (or the seed\'s authentication) after the third wrong password ("Bad password")', () => {
    for (const error of ['auth_error', 'authentication']) {
      const input = importInputFor(5, { error })!;
      assert.equal(take('ImportDevice.Authenticating', input).state, 'ImportDevice.Error');
      assert.equal(labelOf(IMPORT_MACHINE, 'ImportDevice.Authenticating', input), 'Bad password');
    }
  });

  it('ends in ImportDevice.Error when the token times out before any peer', () => {
    assert.deepEqual(walkImport(['tokenReceived', importInputFor(5, { error: 'timeout' })!]), ['ImportDevice.TokenAvailable', 'ImportDevice.Error']);
  });

  it('cancels an import in progress with removeAccount (Back/Cancel) and returns to Initial', () => {
    for (const state of ['ImportDevice.Init', 'ImportDevice.TokenAvailable', 'ImportDevice.Connecting', 'ImportDevice.Authenticating', 'ImportDevice.InProgress'] as const) {
      const result = take(state, 'back');
      assert.equal(result.state, 'Initial');
      assert.deepEqual(result.effects, ['removeAccount'], state);
    }
    assert.deepEqual(take('ImportDevice.Done', 'back').effects, []);
  });

  it('treats an input with no row as the named "unexpected" row to ImportDevice.Error, never an exception', () => {
    assert.equal(labelOf(IMPORT_MACHINE, 'ImportDevice.TokenAvailable', 'authSuccess'), undefined);
    const result = take('ImportDevice.TokenAvailable', 'authSuccess');
    assert.equal(result.state, 'ImportDevice.Error');
    assert.deepEqual(result.effects, ['showError']);
    assert.match(labelOf(IMPORT_MACHINE, 'ImportDevice.TokenAvailable', 'unexpected')!, /\(not in the seed\)$/);
  });

  it('ignores inputs in Initial, Done and Error (a late DONE after a cancel)', () => {
    assert.equal(importMachine().fire('linkFailed'), undefined);
    assert.equal(take('ImportDevice.Done', 'linkFailed').accepted, false);
    assert.equal(take('ImportDevice.Error', 'transferComplete').accepted, false);
  });

  it('maps state 5 with error "" or "none" to success, anything else to a failure; state 0 to nothing', () => {
    assert.equal(importInputFor(5, { error: '' }), 'transferComplete');
    assert.equal(importInputFor(5, { error: 'none' }), 'transferComplete');
    for (const error of ['network', 'authentication', 'timeout', 'canceled']) assert.equal(importInputFor(5, { error }), 'linkFailed');
    assert.equal(importInputFor(0, {}), undefined);
  });
});
