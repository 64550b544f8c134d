// Exit codes: one per outcome a script must tell apart, and the table --help shows.

import assert from 'node:assert/strict';
import { ExitCode, EXIT_CODE_TABLE, exitCodeForLinkError, exitCodeName, formatExitCodeTable } from '../../../client/exit-codes.js';
import { addDeviceRefusal, exportFailure, peerSentence } from '../../../client/export-command.js';
import { importFailure } from '../../../client/import-command.js';
import { resultForError, UsageError } from '../../../client/command-context.js';
import { DaemonCallError, DaemonNotRunningError } from '../../../client/daemon-client.js';

describe('exit codes (client/exit-codes.ts)', () => {
  it('gives success 0 and distinct non-zero codes to network, authentication, timeout, canceled, usage, daemon not running', () => {
    assert.equal(ExitCode.success, 0);
    const codes = [ExitCode.network, ExitCode.authentication, ExitCode.timeout, ExitCode.canceled, ExitCode.usage, ExitCode.daemonNotRunning, ExitCode.failure, ExitCode.busy];
    assert.ok(codes.every((code) => code > 0 && code < 126), 'clear of shell-reserved codes');
    assert.equal(new Set(codes).size, codes.length);
  });

  it('maps the state 5 error detail to the exit code', () => {
    assert.equal(exitCodeForLinkError(''), ExitCode.success);
    assert.equal(exitCodeForLinkError('none'), ExitCode.success);
    assert.equal(exitCodeForLinkError('network'), ExitCode.network);
    assert.equal(exitCodeForLinkError('authentication'), ExitCode.authentication);
    assert.equal(exitCodeForLinkError('timeout'), ExitCode.timeout);
    assert.equal(exitCodeForLinkError('canceled'), ExitCode.canceled);
    assert.equal(exitCodeForLinkError('something new'), ExitCode.failure);
  });

  it('lists every code once in the table shown by --help', () => {
    assert.deepEqual(EXIT_CODE_TABLE.map(([code]) => code).sort((a, b) => a - b), Object.values(ExitCode).sort((a, b) => a - b));
    for (const [code, name] of EXIT_CODE_TABLE) {
      assert.equal(ExitCode[name], code);
      assert.equal(exitCodeName(code), name);
    }
    const table = formatExitCodeTable().split('\n');
    assert.equal(table.length, EXIT_CODE_TABLE.length);
    assert.ok(table.every((line) => line.length <= 80));
  });

  it('maps addDevice refusals: -1 usage (invalid token), -2 busy, -3 failure', () => {
    assert.equal(addDeviceRefusal(-1).exitCode, ExitCode.usage);
    assert.equal(addDeviceRefusal(-2).exitCode, ExitCode.busy);
    assert.equal(addDeviceRefusal(-3).exitCode, ExitCode.failure);
  });

  it('maps link failures on both sides with a message saying what happened', () => {
    for (const failure of [importFailure, exportFailure]) {
      assert.equal(failure('authentication').exitCode, ExitCode.authentication);
      assert.match(failure('authentication').message!, /password/);
      assert.equal(failure('timeout').exitCode, ExitCode.timeout);
      assert.equal(failure('network').exitCode, ExitCode.network);
      assert.equal(failure('canceled').exitCode, ExitCode.canceled);
    }
  });

  it('says where a network failure happened and what would help, from state 5\'s network_stage and ice', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ network_stage: 'signaling' }, /could not reach the new device through the DHT/],
      [{ network_stage: 'ice', ice: 'no_relay_configured' }, /no direct path between the two networks and no TURN relay configured: jami-linkd --ice-server turn:USER:PASS@HOST:PORT/],
      [{ network_stage: 'ice', ice: 'turn_auth_failed' }, /the TURN server refused jami-linkd's user name or password/],
      [{ network_stage: 'ice', ice: 'turn_unreachable' }, /the TURN server did not answer/],
      [{ network_stage: 'ice', ice: 'no_path' }, /not even through the TURN relay/],
      [{ network_stage: 'dtls' }, /could not connect: .*DTLS/],
      [{ network_stage: 'sctp' }, /could not connect: .*SCTP/],
      [{ network_stage: 'transfer' }, /the connection to the new device was lost/],
      [{}, /the connection to the new device was lost \(network\)/],
    ];
    for (const [details, sentence] of cases) {
      const result = exportFailure('network', { error: 'network', ...details });
      assert.equal(result.exitCode, ExitCode.network);
      assert.match(result.message!, sentence, JSON.stringify(details));
      assert.deepEqual(result.data, { error: 'network', ...details });
    }
    assert.match(importFailure('network', { network_stage: 'signaling' }).message!, /could not reach the other device/);
    assert.doesNotMatch(exportFailure('timeout', { network_stage: 'ice' }).message!, /could not connect/, 'only a network failure says so');
  });

  it('tells the old device\'s user how the new device was reached', () => {
    const plain = (text: string): string => text;
    assert.match(peerSentence({ peer_address: '192.168.1.5:4000', peer_address_type: 'host' }, plain), /at 192\.168\.1\.5:4000 \(directly/);
    assert.match(peerSentence({ peer_address: '203.0.113.9:4000', peer_address_type: 'srflx' }, plain), /at 203\.0\.113\.9:4000 \(its network's public address\)/);
    assert.match(peerSentence({ peer_address: '203.0.113.9:4000', peer_address_type: 'relay', peer_relay: '198.18.0.2:49020' }, plain),
      /through the TURN relay 198\.18\.0\.2:49020; the new device says its address is 203\.0\.113\.9:4000/);
    assert.match(peerSentence({ peer_address: '', peer_address_type: 'relay', peer_relay: '198.18.0.2:49020' }, plain), /did not say its own address/);
    assert.match(peerSentence({ peer_address: '[2001:db8::5]:4000' }, plain), /at \[2001:db8::5\]:4000\.$/, 'a daemon that sends no type (Jami)');
  });

  it('maps errors: usage, daemon not running, D-Bus InvalidArgument, other D-Bus errors', () => {
    assert.equal(resultForError('accounts', new UsageError('x')).exitCode, ExitCode.usage);
    assert.equal(resultForError('accounts', new DaemonNotRunningError('x')).exitCode, ExitCode.daemonNotRunning);
    assert.equal(resultForError('create', new DaemonCallError('addAccount', 'cx.ring.Ring.Error.InvalidArgument', 'x')).exitCode, ExitCode.usage);
    assert.equal(resultForError('create', new DaemonCallError('addAccount', 'org.freedesktop.DBus.Error.Failed', 'x')).exitCode, ExitCode.failure);
    assert.equal(resultForError('create', new Error('boom')).exitCode, ExitCode.failure);
  });
});
