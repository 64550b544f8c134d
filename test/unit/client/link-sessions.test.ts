// The import and export commands driven by a fake daemon: which D-Bus calls they make, what they
// print (JSON lines checked state by state), how they end — including Ctrl-C and refusals.

import assert from 'node:assert/strict';
import { runExport } from '../../../client/export-command.js';
import { ExitCode } from '../../../client/exit-codes.js';
import { runImport } from '../../../client/import-command.js';
import { FakeDaemon } from './fake-daemon.js';
import { testContext, type TestContext } from './support.js';

const TOKEN = 'jami-auth://0123456789abcdef0123456789abcdef01234567/123456';
const JAMI_ID = 'fedcba9876543210fedcba9876543210fedcba98';

function jsonLines(ctx: TestContext): Array<Record<string, unknown>> {
  return ctx.stdout.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

function states(ctx: TestContext): Array<[unknown, unknown]> {
  return jsonLines(ctx)
    .filter((line) => line.event === 'state')
    .map((line) => [line.state, line.clientState]);
}

describe('jami-link import with a fake daemon (client/import-command.ts)', () => {
  it('calls addAccount with archiveURL jami-auth and the device name, and ends with the account on DONE ""', async () => {
    const daemon = new FakeDaemon();
    daemon.accounts.set(daemon.importId, { 'Account.username': JAMI_ID, 'Account.deviceID': 'd'.repeat(64) });
    const ctx = testContext({ json: true });
    const done = runImport({ deviceName: 'laptop', passwordStdin: false, qr: true, yes: true }, ctx, async () => daemon);
    assert.deepEqual(await daemon.nextCall('addAccount'), [{ 'Account.type': 'RING', 'Account.archiveURL': 'jami-auth', 'Account.deviceName': 'laptop' }]);
    daemon.importState(1, { token: TOKEN });
    daemon.importState(2);
    daemon.importState(3, { peer_id: JAMI_ID, auth_scheme: '' });
    // --yes accepts the account for the user: consent with jamid's arguments for an account without a password.
    assert.deepEqual(await daemon.nextCall('provideAccountAuthentication'), [daemon.importId, '', '']);
    daemon.importState(4);
    daemon.importState(4);
    daemon.importState(5, { error: '' });
    const result = await done;
    assert.equal(result.exitCode, ExitCode.success);
    assert.deepEqual(states(ctx), [
      [1, 'ImportDevice.TokenAvailable'],
      [2, 'ImportDevice.Connecting'],
      [3, 'ImportDevice.Authenticating'],
      [4, 'ImportDevice.InProgress'],
      [4, 'ImportDevice.InProgress'],
      [5, 'ImportDevice.Done'],
    ]);
    assert.ok(daemon.closed);
    assert.deepEqual(result.data, { error: '', accountId: daemon.importId, jamiId: JAMI_ID, deviceId: 'd'.repeat(64) });
  });

  it('with --json and without --yes, refuses to accept an account on the user\'s behalf: usage, removeAccount', async () => {
    const daemon = new FakeDaemon();
    const ctx = testContext({ json: true });
    const done = runImport({ passwordStdin: false, qr: true, yes: false }, ctx, async () => daemon);
    await daemon.nextCall('addAccount');
    daemon.importState(1, { token: TOKEN });
    daemon.importState(2);
    daemon.importState(3, { peer_id: JAMI_ID, auth_scheme: '' });
    await daemon.nextCall('removeAccount');
    daemon.importState(5, { error: 'canceled' });
    const result = await done;
    assert.equal(result.exitCode, ExitCode.usage);
    assert.equal(result.data?.error, 'consent_needed');
    assert.ok(!daemon.called('provideAccountAuthentication'), 'no consent was given');
  });

  it('asks "Link this device to account <Jami ID>?" on a terminal, and a "no" cancels', async () => {
    const daemon = new FakeDaemon();
    const ctx = testContext({ terminal: true });
    ctx.stdin.write('n\n');
    const done = runImport({ passwordStdin: false, qr: false, yes: false }, ctx, async () => daemon);
    await daemon.nextCall('addAccount');
    daemon.importState(1, { token: TOKEN });
    daemon.importState(2);
    daemon.importState(3, { peer_id: JAMI_ID, auth_scheme: '' });
    await daemon.nextCall('removeAccount');
    daemon.importState(5, { error: 'canceled' });
    const result = await done;
    assert.equal(result.exitCode, ExitCode.canceled);
    assert.match(ctx.stderr.text + ctx.stdout.text, new RegExp(`Link this device to account ${JAMI_ID}\\?`));
    assert.ok(!daemon.called('provideAccountAuthentication'));
  });

  it('follows jamid after a wrong password: 3, 4, 3 (invalid_credentials), 4, 4, 5', async () => {
    const daemon = new FakeDaemon();
    const ctx = testContext({ json: true });
    ctx.stdin.write('wrong\n');
    const done = runImport({ passwordStdin: true, qr: true, yes: false }, ctx, async () => daemon);
    await daemon.nextCall('addAccount');
    daemon.importState(1, { token: TOKEN });
    daemon.importState(2);
    daemon.importState(3, { peer_id: JAMI_ID, auth_scheme: 'password' });
    assert.deepEqual(await daemon.nextCall('provideAccountAuthentication'), [daemon.importId, 'wrong', 'password']);
    daemon.importState(4);
    daemon.importState(3, { peer_id: JAMI_ID, auth_scheme: 'password', auth_error: 'invalid_credentials' });
    ctx.stdin.write('right\n');
    assert.deepEqual(await daemon.nextCall('provideAccountAuthentication'), [daemon.importId, 'right', 'password']);
    daemon.importState(4);
    daemon.importState(4);
    daemon.importState(5, { error: '' });
    assert.equal((await done).exitCode, ExitCode.success);
    assert.deepEqual(jsonLines(ctx).filter((line) => line.state === 3).map((line) => line.attemptsLeft), [3, 2]);
  });

  it('keeps the signals that arrive before addAccount replies', async () => {
    const daemon = new FakeDaemon();
    daemon.signalsBeforeAddAccountReply = [[1, { token: TOKEN }]];
    const ctx = testContext({ json: true });
    const done = runImport({ passwordStdin: false, qr: true, yes: false }, ctx, async () => daemon);
    await daemon.nextCall('addAccount');
    daemon.importState(5, { error: 'timeout' });
    assert.equal((await done).exitCode, ExitCode.timeout);
    assert.deepEqual(states(ctx), [
      [1, 'ImportDevice.TokenAvailable'],
      [5, 'ImportDevice.Error'],
    ]);
  });

  it('shows the QR code and the token on the token screen (human output)', async () => {
    const daemon = new FakeDaemon();
    const ctx = testContext();
    const done = runImport({ passwordStdin: false, qr: true, yes: false }, ctx, async () => daemon);
    await daemon.nextCall('addAccount');
    daemon.importState(1, { token: TOKEN });
    daemon.importState(5, { error: 'canceled' });
    assert.equal((await done).exitCode, ExitCode.canceled);
    assert.ok(ctx.stdout.lines.some((line) => line.includes('█')), 'a QR code');
    assert.ok(ctx.stdout.lines.some((line) => line.trim() === TOKEN), 'the token alone on its line');
  });

  it('asks the password from stdin, sends it, asks again after bad_password with the attempts left', async () => {
    const daemon = new FakeDaemon();
    const ctx = testContext({ json: true });
    ctx.stdin.write('wrong\n');
    const done = runImport({ passwordStdin: true, qr: true, yes: false }, ctx, async () => daemon);
    await daemon.nextCall('addAccount');
    daemon.importState(1, { token: TOKEN });
    daemon.importState(2);
    daemon.importState(3, { peer_id: JAMI_ID, auth_scheme: 'password' });
    assert.deepEqual(await daemon.nextCall('provideAccountAuthentication'), [daemon.importId, 'wrong', 'password']);
    daemon.importState(3, { peer_id: JAMI_ID, auth_scheme: 'password', auth_error: 'bad_password' });
    ctx.stdin.write('right\n');
    assert.deepEqual(await daemon.nextCall('provideAccountAuthentication'), [daemon.importId, 'right', 'password']);
    daemon.importState(4);
    daemon.importState(5, { error: '' });
    assert.equal((await done).exitCode, ExitCode.success);
    const auth = jsonLines(ctx).filter((line) => line.state === 3);
    assert.deepEqual(
      auth.map((line) => line.attemptsLeft),
      [3, 2],
    );
    assert.ok(!ctx.stdout.text.includes('right') && !ctx.stderr.text.includes('right'), 'the password is never printed');
  });

  it('says how many attempts are left in human output', async () => {
    const daemon = new FakeDaemon();
    const ctx = testContext();
    ctx.stdin.end('a\nb\n'); // two passwords, then end of input
    const done = runImport({ passwordStdin: true, qr: false, yes: false }, ctx, async () => daemon);
    await daemon.nextCall('addAccount');
    daemon.importState(1, { token: TOKEN });
    daemon.importState(2);
    daemon.importState(3, { peer_id: JAMI_ID, auth_scheme: 'password' });
    await daemon.nextCall('provideAccountAuthentication');
    daemon.importState(3, { peer_id: JAMI_ID, auth_scheme: 'password', auth_error: 'bad_password' });
    await daemon.nextCall('provideAccountAuthentication');
    daemon.importState(3, { peer_id: JAMI_ID, auth_scheme: 'password', auth_error: 'bad_password' });
    await daemon.nextCall('removeAccount'); // no third line on stdin: gives up, cancels
    daemon.importState(5, { error: 'canceled' });
    const result = await done;
    assert.equal(result.exitCode, ExitCode.authentication);
    assert.match(ctx.stdout.text, /Wrong password\. 2 attempts left\./);
    assert.match(ctx.stdout.text, /Wrong password\. 1 attempt left\./);
    assert.match(ctx.stdout.text, new RegExp(`Jami ID of the account: ${JAMI_ID}`));
  });

  it('with --json and no --password-stdin, cancels through removeAccount and ends with the authentication code', async () => {
    const daemon = new FakeDaemon();
    const ctx = testContext({ json: true });
    const done = runImport({ passwordStdin: false, qr: true, yes: false }, ctx, async () => daemon);
    await daemon.nextCall('addAccount');
    daemon.importState(1, { token: TOKEN });
    daemon.importState(2);
    daemon.importState(3, { peer_id: JAMI_ID, auth_scheme: 'password' });
    await daemon.nextCall('removeAccount');
    daemon.importState(5, { error: 'canceled' });
    const result = await done;
    assert.equal(result.exitCode, ExitCode.authentication);
    assert.equal(result.data?.error, 'password_needed');
    assert.equal(ctx.stderr.text, '', 'never prompts');
  });

  for (const state of [1, 2, 3] as const) {
    it(`cancels through removeAccount on Ctrl-C in state ${state}, reports the daemon's DONE/canceled, exits canceled`, async () => {
      const daemon = new FakeDaemon();
      const ctx = testContext({ json: true });
      const done = runImport({ passwordStdin: false, qr: true, yes: true }, ctx, async () => daemon);
      await daemon.nextCall('addAccount');
      daemon.importState(1, { token: TOKEN });
      if (state >= 2) daemon.importState(2);
      if (state >= 3) daemon.importState(3, { peer_id: JAMI_ID, auth_scheme: '' });
      await new Promise((resolve) => setImmediate(resolve));
      ctx.interrupts.emit('interrupt');
      assert.deepEqual(await daemon.nextCall('removeAccount'), [daemon.importId]);
      daemon.importState(5, { error: 'canceled' });
      assert.equal((await done).exitCode, ExitCode.canceled);
      assert.deepEqual(states(ctx).at(-1), [5, 'Initial']);
    });
  }

  it('ends with daemonNotRunning when the daemon leaves the bus', async () => {
    const daemon = new FakeDaemon();
    const ctx = testContext({ json: true });
    const done = runImport({ passwordStdin: false, qr: true, yes: false }, ctx, async () => daemon);
    await daemon.nextCall('addAccount');
    daemon.emit('daemonGone');
    assert.equal((await done).exitCode, ExitCode.daemonNotRunning);
  });
});

describe('jami-link export with a fake daemon (client/export-command.ts)', () => {
  function daemonWithAlice(): FakeDaemon {
    const daemon = new FakeDaemon();
    daemon.accounts.set('alice01', { 'Account.alias': 'Alice', 'Account.username': JAMI_ID });
    daemon.accounts.set('bob0002', { 'Account.alias': 'Bob', 'Account.username': 'b'.repeat(40) });
    return daemon;
  }

  it('resolves the alias, calls addDevice, confirms with --yes and ends on DONE ""', async () => {
    const daemon = daemonWithAlice();
    const ctx = testContext({ json: true });
    const done = runExport({ account: 'Alice', token: TOKEN, yes: true }, ctx, async () => daemon);
    assert.deepEqual(await daemon.nextCall('addDevice'), ['alice01', TOKEN]);
    daemon.exportState('alice01', 2);
    daemon.exportState('alice01', 3, { peer_address: '127.0.0.1:4000' });
    assert.deepEqual(await daemon.nextCall('confirmAddDevice'), ['alice01', 7]);
    daemon.exportState('alice01', 4);
    daemon.exportState('alice01', 5, { error: '' });
    const result = await done;
    assert.equal(result.exitCode, ExitCode.success);
    assert.deepEqual(states(ctx), [
      [2, 'ExportDevice.Connecting'],
      [3, 'ExportDevice.Authenticating'],
      [4, 'ExportDevice.InProgress'],
      [5, 'ExportDevice.Done'],
    ]);
    assert.ok(jsonLines(ctx).slice(0, 4).every((line) => line.opId === 7 && line.accountId === 'alice01'));
  });

  it('ignores the signals of other accounts and other operations', async () => {
    const daemon = daemonWithAlice();
    const ctx = testContext({ json: true });
    const done = runExport({ account: 'alice01', token: TOKEN, yes: true }, ctx, async () => daemon);
    await daemon.nextCall('addDevice');
    daemon.emit('addDeviceStateChanged', 'bob0002', 7, 5, { error: 'network' });
    daemon.emit('addDeviceStateChanged', 'alice01', 99, 5, { error: 'network' });
    daemon.exportState('alice01', 5, { error: 'timeout' });
    assert.equal((await done).exitCode, ExitCode.timeout);
    assert.equal(states(ctx).length, 1);
  });

  it('asks "Link this device? [y/N]" and calls cancelAddDevice when the answer is no', async () => {
    const daemon = daemonWithAlice();
    const ctx = testContext();
    ctx.stdin.write('n\n');
    const done = runExport({ account: 'Alice', token: TOKEN, yes: false }, ctx, async () => daemon);
    await daemon.nextCall('addDevice');
    daemon.exportState('alice01', 2);
    daemon.exportState('alice01', 3, { peer_address: '192.0.2.7:4000' });
    assert.deepEqual(await daemon.nextCall('cancelAddDevice'), ['alice01', 7]);
    daemon.exportState('alice01', 5, { error: 'canceled' });
    const result = await done;
    assert.equal(result.exitCode, ExitCode.canceled);
    assert.equal(result.data?.refused, true);
    assert.ok(!daemon.called('confirmAddDevice'));
    assert.match(ctx.stdout.text, /Connected to the new device at 192\.0\.2\.7:4000\./);
    assert.match(ctx.stderr.text, /Link this device\? \[y\/N\] n\n/);
  });

  it('confirms when the answer is yes', async () => {
    const daemon = daemonWithAlice();
    const ctx = testContext();
    ctx.stdin.write('Y\n');
    const done = runExport({ account: 'Alice', token: TOKEN, yes: false }, ctx, async () => daemon);
    await daemon.nextCall('addDevice');
    daemon.exportState('alice01', 3, { peer_address: '127.0.0.1:4000' });
    await daemon.nextCall('confirmAddDevice');
    daemon.exportState('alice01', 5, { error: 'authentication' });
    assert.equal((await done).exitCode, ExitCode.authentication);
  });

  it('cancels through cancelAddDevice on Ctrl-C at the prompt', async () => {
    const daemon = daemonWithAlice();
    const ctx = testContext();
    const done = runExport({ account: 'Alice', token: TOKEN, yes: false }, ctx, async () => daemon);
    await daemon.nextCall('addDevice');
    daemon.exportState('alice01', 2);
    daemon.exportState('alice01', 3, { peer_address: '127.0.0.1:4000' });
    await new Promise((resolve) => setImmediate(resolve));
    ctx.interrupts.emit('interrupt');
    await daemon.nextCall('cancelAddDevice');
    daemon.exportState('alice01', 5, { error: 'canceled' });
    assert.equal((await done).exitCode, ExitCode.canceled);
  });

  for (const [code, exitCode] of [
    [-1, ExitCode.usage],
    [-2, ExitCode.busy],
    [-3, ExitCode.failure],
  ] as const) {
    it(`ends with exit code ${exitCode} when addDevice returns ${code}`, async () => {
      const daemon = daemonWithAlice();
      daemon.addDeviceResult = code;
      const ctx = testContext({ json: true });
      const result = await runExport({ account: 'Alice', token: TOKEN, yes: true }, ctx, async () => daemon);
      assert.equal(result.exitCode, exitCode);
      assert.equal(result.data?.addDevice, code);
    });
  }

  it('refuses an unknown or ambiguous account as a usage error, listing the ids', async () => {
    const daemon = daemonWithAlice();
    daemon.accounts.set('alice02', { 'Account.alias': 'Alice' });
    const ctx = testContext({ json: true });
    await assert.rejects(runExport({ account: 'Alice', token: TOKEN, yes: true }, ctx, async () => daemon), /ambiguous: 2 accounts have it \(ids alice01, alice02\)/);
    await assert.rejects(runExport({ account: 'Carol', token: TOKEN, yes: true }, ctx, async () => daemon), /no account with the id or alias "Carol"/);
    assert.ok(!daemon.called('addDevice'));
  });
});
