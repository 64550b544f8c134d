// jami-link end to end: two real jami-linkd daemons (each on its own private dbus-daemon, both on
// one local dhtnode), driven by two jami-link processes through their standard input and output.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExitCode } from '../../client/exit-codes.js';
import { decodeQrPng } from '../../client/qr.js';
import { startDaemonProcess, tempDir, type RunningDaemon } from '../support/daemon-process.js';
import { startLocalDht, type LocalDht } from '../support/local-dht.js';
import { startTestBus, type PrivateBus } from '../support/private-bus.js';
import { withTimeout } from '../support/wait.js';
import { qrLinesIn, terminalTextToPng } from '../unit/client/terminal-qr-image.js';
import { JamiLinkProcess, runJamiLink } from './jami-link-process.js';

const PASSWORD = 'correct horse';
const TOKEN_LINE = /^\s*(jami-auth:\/\/[0-9a-f]{40}\/[0-9]{6})$/;
/** ip:port of the new device as ICE found it (loopback, or another local address, IPv4 or [IPv6]). */
const PEER_ADDRESS = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\]):\d+$/i;
/** Set JAMI_LINK_E2E_TRANSCRIPTS=dir to keep what each jami-link printed (for the README). */
const TRANSCRIPTS = process.env.JAMI_LINK_E2E_TRANSCRIPTS;

interface Device {
  bus: PrivateBus;
  daemon: RunningDaemon;
  address: string;
}

async function startDevice(dht: LocalDht): Promise<Device> {
  const bus = await startTestBus();
  const daemon = await startDaemonProcess({ busAddress: bus.address, bootstrap: dht.bootstrap });
  return { bus, daemon, address: bus.address };
}

async function stopDevice(device: Device | undefined): Promise<void> {
  if (!device) return;
  await device.daemon.stop();
  await device.bus.stop();
}

function keepTranscript(name: string, ...runs: JamiLinkProcess[]): void {
  if (!TRANSCRIPTS) return;
  mkdirSync(TRANSCRIPTS, { recursive: true });
  runs.forEach((run, index) => writeFileSync(path.join(TRANSCRIPTS, `${name}-${index}.txt`), `$ jami-link ${run.args.join(' ')}\n${run.transcript.join('\n')}\n`));
}

describe('jami-link end to end (two daemons, two jami-link processes)', function () {
  this.timeout(180000);
  let dht: LocalDht;
  let oldDevice: Device;
  let newDevice: Device;
  let plainJamiId: string;
  let guardedJamiId: string;
  const running: JamiLinkProcess[] = [];

  function jamiLink(device: Device, ...args: string[]): JamiLinkProcess {
    const run = new JamiLinkProcess(args, device.address);
    running.push(run);
    return run;
  }

  async function newDeviceAccounts(): Promise<Array<Record<string, unknown>>> {
    const { exit, run } = await runJamiLink(['--json', 'accounts'], newDevice.address);
    assert.equal(exit.code, 0, run.transcript.join('\n'));
    return run.json()[0].accounts as Array<Record<string, unknown>>;
  }

  /** Starts an import on the new device and waits for its token. */
  async function startImport(...args: string[]): Promise<{ run: JamiLinkProcess; token: string }> {
    const run = jamiLink(newDevice, 'import', ...args);
    const line = await run.waitFor('stdout', TOKEN_LINE);
    return { run, token: TOKEN_LINE.exec(line)![1] };
  }

  before(async () => {
    dht = await startLocalDht();
    [oldDevice, newDevice] = await Promise.all([startDevice(dht), startDevice(dht)]);
    const plain = await runJamiLink(['--json', 'create', '--alias', 'Plain'], oldDevice.address);
    assert.equal(plain.exit.code, 0, plain.run.transcript.join('\n'));
    plainJamiId = plain.run.json()[0].jamiId as string;
    const guarded = await runJamiLink(['--json', 'create', '--alias', 'Guarded', '--password-stdin'], oldDevice.address, `${PASSWORD}\n`);
    assert.equal(guarded.exit.code, 0, guarded.run.transcript.join('\n'));
    guardedJamiId = guarded.run.json()[0].jamiId as string;
  });

  afterEach(async () => {
    // A failed test may leave a link open: cancel it as a user would (Ctrl-C), so the next test starts clean.
    for (const run of running.splice(0)) {
      run.kill('SIGINT');
      await withTimeout(run.exited, 10000, 'jami-link to exit after SIGINT').catch(() => {
        run.kill('SIGKILL');
        return run.exited;
      });
    }
  });

  after(async () => {
    await stopDevice(oldDevice);
    await stopDevice(newDevice);
    await dht?.stop();
  });

  it('lists the accounts made with jami-link create, with their Jami ID and password yes/no', async () => {
    const { exit, run } = await runJamiLink(['accounts'], oldDevice.address);
    assert.equal(exit.code, 0);
    const text = run.stdout.join('\n');
    const block = (alias: string, jamiId: string, password: string) =>
      new RegExp(`${alias} {2}\\(id [0-9a-f]+\\)\\n {2}Jami ID: {3}${jamiId}\\n {2}device: {4}[0-9a-f]{64}\\n( {2}name: {6}.+\\n)? {2}password: {2}${password}`);
    assert.match(text, block('Plain', plainJamiId, 'no'));
    assert.match(text, block('Guarded', guardedJamiId, 'yes'));
    assert.ok(run.stdout.every((line) => line.length <= 80));
  });

  it('links an account without a password: the QR code decodes to the token, both devices ask, both succeed', async () => {
    const importing = await startImport('--name', 'e2e laptop');
    const qr = qrLinesIn(importing.run.stdout);
    assert.ok(qr.length >= 21, `a QR code is printed:\n${importing.run.stdout.join('\n')}`);
    assert.ok(importing.run.stdout.every((line) => [...line].length <= 80), 'fits 80 columns');
    assert.equal(decodeQrPng(terminalTextToPng(qr, { inkIsDark: false })), importing.token);

    const exporting = jamiLink(oldDevice, 'export', 'Plain', importing.token);
    const connected = await exporting.waitFor('stdout', /Connected to the new device at /);
    assert.match(connected.replace(/.* at (\S+) \(directly, on a shared network\)\.$/, '$1'), PEER_ADDRESS);
    await exporting.waitFor('stderr', /Link this device\? \[y\/N\] $/);
    exporting.write('y\n');
    // The new device shows the account's Jami ID and asks its user too (jamid's consent).
    await importing.run.waitFor('stderr', new RegExp(`Link this device to account ${plainJamiId}\\? \\[y/N\\] $`));
    importing.run.write('y\n');

    assert.deepEqual(await exporting.exit(), { code: ExitCode.success, signal: null });
    assert.deepEqual(await importing.run.exit(), { code: ExitCode.success, signal: null });
    keepTranscript('plain', importing.run, exporting);
    const out = importing.run.stdout.join('\n');
    assert.match(out, /This device is now linked\./);
    assert.match(out, new RegExp(`Jami ID: {4}${plainJamiId}`));
    const accountId = /Account id: ([0-9a-f]+)/.exec(out)![1];
    const linked = (await newDeviceAccounts()).find((account) => account.id === accountId);
    assert.equal(linked?.jamiId, plainJamiId);
    assert.equal(linked?.deviceName, 'e2e laptop');
    assert.match(exporting.stdout.join('\n'), /Device added\./);
  });

  it('links a password account: the new device asks for the password (read from stdin) and links', async () => {
    const importing = await startImport('--password-stdin', '--no-qr');
    const exporting = jamiLink(oldDevice, 'export', 'Guarded', importing.token, '--yes');
    await importing.run.waitFor('stdout', new RegExp(`Jami ID of the account: ${guardedJamiId}`));
    await importing.run.waitFor('stderr', /Password \(from standard input, attempt 1 of 3\): $/);
    importing.run.write(`${PASSWORD}\n`);
    assert.equal((await importing.run.exit()).code, ExitCode.success, importing.run.transcript.join('\n'));
    assert.equal((await exporting.exit()).code, ExitCode.success, exporting.transcript.join('\n'));
    keepTranscript('password', importing.run, exporting);
    assert.ok(!importing.run.transcript.join('\n').includes(PASSWORD), 'the password is never printed');
  });

  it('asks again after a wrong password, with the attempts left, and links with the right one', async () => {
    const importing = await startImport('--password-stdin', '--no-qr');
    const exporting = jamiLink(oldDevice, 'export', 'Guarded', importing.token, '--yes');
    await importing.run.waitFor('stderr', /attempt 1 of 3\): $/);
    importing.run.write('wrong password\n');
    await importing.run.waitFor('stdout', /Wrong password\. 2 attempts left\./);
    await importing.run.waitFor('stderr', /attempt 2 of 3\): $/);
    importing.run.write(`${PASSWORD}\n`);
    assert.equal((await importing.run.exit()).code, ExitCode.success, importing.run.transcript.join('\n'));
    assert.equal((await exporting.exit()).code, ExitCode.success);
    keepTranscript('wrong-password', importing.run, exporting);
  });

  it('ends with the authentication exit code on both sides after three wrong passwords', async () => {
    const importing = await startImport('--password-stdin', '--no-qr');
    const exporting = jamiLink(oldDevice, 'export', 'Guarded', importing.token, '--yes');
    for (const attempt of [1, 2, 3]) {
      await importing.run.waitFor('stderr', new RegExp(`attempt ${attempt} of 3\\): $`));
      importing.run.write(`wrong ${attempt}\n`);
    }
    assert.equal((await importing.run.exit()).code, ExitCode.authentication, importing.run.transcript.join('\n'));
    assert.equal((await exporting.exit()).code, ExitCode.authentication, exporting.transcript.join('\n'));
  });

  it('does not link when the user answers no at "Link this device? [y/N]"', async () => {
    const before = await newDeviceAccounts();
    const importing = await startImport('--no-qr');
    const exporting = jamiLink(oldDevice, 'export', 'Plain', importing.token);
    await exporting.waitFor('stderr', /Link this device\? \[y\/N\] $/);
    exporting.write('n\n');
    assert.equal((await exporting.exit()).code, ExitCode.canceled);
    assert.match(exporting.stderr.join('\n'), /Not linked: you refused the device\./);
    const imported = await importing.run.exit();
    assert.notEqual(imported.code, ExitCode.success, importing.run.transcript.join('\n'));
    keepTranscript('refused', importing.run, exporting);
    assert.deepEqual((await newDeviceAccounts()).map((a) => a.id), before.map((a) => a.id), 'no half-made account');
  });

  it('cancels the import with Ctrl-C (SIGINT): removeAccount, exit code canceled, nothing left', async () => {
    const before = await newDeviceAccounts();
    const importing = await startImport('--no-qr');
    assert.equal((await newDeviceAccounts()).length, before.length + 1, 'the importing account exists meanwhile');
    importing.run.kill('SIGINT');
    assert.deepEqual(await importing.run.exit(), { code: ExitCode.canceled, signal: null });
    assert.deepEqual((await newDeviceAccounts()).map((a) => a.id), before.map((a) => a.id));
  });

  it('cancels the export with Ctrl-C (SIGINT) at the confirm prompt: cancelAddDevice, both sides end', async () => {
    const importing = await startImport('--no-qr');
    const exporting = jamiLink(oldDevice, 'export', 'Plain', importing.token);
    await exporting.waitFor('stderr', /Link this device\? \[y\/N\] $/);
    exporting.kill('SIGINT');
    assert.deepEqual(await exporting.exit(), { code: ExitCode.canceled, signal: null });
    assert.notEqual((await importing.run.exit()).code, ExitCode.success);
  });

  it('--json: one state line per state on each side, then a result line, and no prompt', async () => {
    const importing = jamiLink(newDevice, '--json', 'import', '--yes');
    const first = JSON.parse(await importing.waitFor('stdout', /"event":"state"/)) as { details: { token: string } };
    const exporting = jamiLink(oldDevice, '--json', 'export', 'Plain', first.details.token, '--yes');
    assert.equal((await importing.exit()).code, ExitCode.success, importing.transcript.join('\n'));
    assert.equal((await exporting.exit()).code, ExitCode.success, exporting.transcript.join('\n'));
    keepTranscript('json', importing, exporting);
    assert.deepEqual(importing.stderr, [], 'nothing on stderr');
    assert.deepEqual(exporting.stderr, []);

    const imported = importing.json();
    const accountId = imported[0].accountId as string;
    assert.deepEqual(
      imported.map((line) => [line.event, line.state, line.name, line.clientState]),
      [
        ['state', 1, 'token_available', 'ImportDevice.TokenAvailable'],
        ['state', 2, 'connecting', 'ImportDevice.Connecting'],
        ['state', 3, 'authenticating', 'ImportDevice.Authenticating'],
        ['state', 4, 'in_progress', 'ImportDevice.InProgress'],
        ['state', 4, 'in_progress', 'ImportDevice.InProgress'],
        ['state', 5, 'done', 'ImportDevice.Done'],
        ['result', undefined, undefined, undefined],
      ],
    );
    assert.ok(imported.slice(0, 6).every((line) => line.side === 'import' && line.accountId === accountId));
    assert.deepEqual(imported[2].details, { peer_id: plainJamiId, auth_scheme: '' });
    assert.deepEqual(imported[5].details, { error: '' });
    assert.deepEqual(
      { ...imported[6], deviceId: undefined, message: undefined },
      { event: 'result', command: 'import', ok: true, exitCode: 0, status: 'success', error: '', accountId, jamiId: plainJamiId, deviceId: undefined, message: undefined },
    );

    const exported = exporting.json();
    const opId = exported[0].opId as number;
    assert.ok(opId > 0);
    assert.deepEqual(
      exported.map((line) => [line.event, line.state, line.name, line.clientState]),
      [
        ['state', 2, 'connecting', 'ExportDevice.Connecting'],
        ['state', 3, 'authenticating', 'ExportDevice.Authenticating'],
        ['state', 4, 'in_progress', 'ExportDevice.InProgress'],
        ['state', 5, 'done', 'ExportDevice.Done'],
        ['result', undefined, undefined, undefined],
      ],
    );
    assert.ok(exported.slice(0, 4).every((line) => line.side === 'export' && line.opId === opId));
    assert.match((exported[1].details as Record<string, string>).peer_address, PEER_ADDRESS);
    assert.equal(exported[4].ok, true);
    assert.equal(exported[4].jamiId, plainJamiId);
  });

  it('--json import of a password account without --password-stdin ends with the authentication exit code', async () => {
    const importing = jamiLink(newDevice, '--json', 'import');
    importing.endInput();
    const first = JSON.parse(await importing.waitFor('stdout', /"event":"state"/)) as { details: { token: string } };
    const exporting = jamiLink(oldDevice, '--json', 'export', 'Guarded', first.details.token, '--yes');
    assert.equal((await importing.exit()).code, ExitCode.authentication);
    const result = importing.json().at(-1)!;
    assert.equal(result.event, 'result');
    assert.equal(result.error, 'password_needed');
    assert.match(result.message as string, /--password-stdin/);
    assert.notEqual((await exporting.exit()).code, ExitCode.success);
  });

  it('takes the token from a QR image file (--qr-image) and from standard input', async () => {
    const importing = await startImport('--yes');
    const dir = tempDir('jami-link-e2e-');
    const image = path.join(dir, 'token.png');
    writeFileSync(image, terminalTextToPng(qrLinesIn(importing.run.stdout), { inkIsDark: false, scale: 5 }));
    const exporting = jamiLink(oldDevice, 'export', 'Plain', '--qr-image', image, '--yes');
    assert.equal((await exporting.exit()).code, ExitCode.success, exporting.transcript.join('\n'));
    assert.equal((await importing.run.exit()).code, ExitCode.success);

    const second = await startImport('--no-qr', '--yes');
    const fromStdin = jamiLink(oldDevice, 'export', 'Plain');
    fromStdin.write(`${second.token}\ny\n`);
    assert.equal((await fromStdin.exit()).code, ExitCode.success, fromStdin.transcript.join('\n'));
    assert.equal((await second.run.exit()).code, ExitCode.success);
  });

  it('refuses an invalid token with what is wrong, and an ambiguous or unknown account, as usage errors', async () => {
    const short = await runJamiLink(['export', 'Plain', 'jami-auth://0123'], oldDevice.address);
    assert.equal(short.exit.code, ExitCode.usage);
    assert.match(short.run.stderr.join('\n'), /invalid token: the token must be 59 characters long, not 16/);
    const unknown = await runJamiLink(['export', 'Nobody', 'jami-auth://0123456789abcdef0123456789abcdef01234567/123456'], oldDevice.address);
    assert.equal(unknown.exit.code, ExitCode.usage);
    assert.match(unknown.run.stderr.join('\n'), /no account with the id or alias "Nobody"/);
    const twin = await runJamiLink(['create', '--alias', 'Twin'], oldDevice.address);
    assert.equal(twin.exit.code, 0);
    assert.equal((await runJamiLink(['create', '--alias', 'Twin'], oldDevice.address)).exit.code, 0);
    const ambiguous = await runJamiLink(['remove', 'Twin'], oldDevice.address);
    assert.equal(ambiguous.exit.code, ExitCode.usage);
    assert.match(ambiguous.run.stderr.join('\n'), /the alias "Twin" is ambiguous: 2 accounts have it/);
  });

  it('removes an account by id', async () => {
    const created = await runJamiLink(['--json', 'create', '--alias', 'Short-lived'], oldDevice.address);
    const id = created.run.json()[0].accountId as string;
    const removed = await runJamiLink(['remove', id], oldDevice.address);
    assert.equal(removed.exit.code, 0);
    assert.match(removed.run.stdout.join('\n'), new RegExp(`Removed account Short-lived \\(id ${id}\\)`));
  });

  it('ends with the daemon-not-running exit code when jami-linkd stops during a link', async () => {
    const third = await startDevice(dht);
    try {
      const importing = jamiLink(third, 'import', '--no-qr');
      await importing.waitFor('stdout', TOKEN_LINE);
      await third.daemon.stop();
      assert.equal((await importing.exit()).code, ExitCode.daemonNotRunning);
      assert.match(importing.stderr.join('\n'), /jami-linkd stopped during the link/);
    } finally {
      await stopDevice(third);
    }
  });

  it('backs up an account on the old device and imports the file on the new one: same Jami ID, a new device', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jami-link-e2e-backup-'));
    try {
      const file = path.join(dir, 'plain.jami');
      const backup = await runJamiLink(['backup', 'Plain', file], oldDevice.address);
      assert.equal(backup.exit.code, ExitCode.success, backup.run.transcript.join('\n'));
      assert.match(backup.run.stdout.join('\n'), /Backup of Plain \(id [0-9a-f]+\) written to .*plain\.jami\./);
      assert.match(backup.run.stdout.join('\n'), /not encrypted/);
      assert.equal(statSync(file).mode & 0o777, 0o600, 'readable by the user only');

      const imported = await runJamiLink(['import-file', path.relative(process.cwd(), file), '--alias', 'Restored', '--name', 'e2e restore'], newDevice.address);
      assert.equal(imported.exit.code, ExitCode.success, imported.run.transcript.join('\n'));
      keepTranscript('backup-plain', backup.run, imported.run);
      const out = imported.run.stdout.join('\n');
      assert.match(out, new RegExp(`Jami ID: {4}${plainJamiId}`));
      const accountId = /Account id: ([0-9a-f]+)/.exec(out)![1];
      const restored = (await newDeviceAccounts()).find((account) => account.id === accountId);
      assert.equal(restored?.jamiId, plainJamiId);
      assert.equal(restored?.alias, 'Restored');
      assert.equal(restored?.deviceName, 'e2e restore');
      assert.equal(restored?.hasPassword, false);
      const original = (await runJamiLink(['--json', 'accounts'], oldDevice.address)).run.json()[0].accounts as Array<Record<string, unknown>>;
      assert.notEqual(restored?.deviceId, original.find((account) => account.alias === 'Plain')?.deviceId, 'a new device certificate');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('backs up a password account with --password-stdin and imports it with its password (--json on both sides)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jami-link-e2e-backup-'));
    try {
      const file = path.join(dir, 'guarded.jami');
      const backup = await runJamiLink(['--json', 'backup', 'Guarded', file, '--password-stdin'], oldDevice.address, `${PASSWORD}\n`);
      assert.equal(backup.exit.code, ExitCode.success, backup.run.transcript.join('\n'));
      assert.deepEqual(
        { ...backup.run.json()[0], accountId: undefined, message: undefined },
        { event: 'result', command: 'backup', ok: true, exitCode: 0, status: 'success', error: '', accountId: undefined, jamiId: guardedJamiId, file, encrypted: true, message: undefined },
      );
      const imported = await runJamiLink(['--json', 'import-file', file, '--password-stdin'], newDevice.address, `${PASSWORD}\n`);
      assert.equal(imported.exit.code, ExitCode.success, imported.run.transcript.join('\n'));
      const result = imported.run.json()[0];
      assert.equal(result.jamiId, guardedJamiId);
      assert.equal(result.hasPassword, true);
      assert.equal(result.alias, 'Guarded', 'the alias comes from the archive');
      assert.ok(!backup.run.transcript.join('\n').includes(PASSWORD) && !imported.run.transcript.join('\n').includes(PASSWORD));
      assert.equal((await newDeviceAccounts()).find((account) => account.id === result.accountId)?.jamiId, guardedJamiId);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a wrong password ends backup and import-file with the authentication exit code; a file that is not an archive fails clearly', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jami-link-e2e-backup-'));
    try {
      const refused = path.join(dir, 'refused.jami');
      const wrongBackup = await runJamiLink(['backup', 'Guarded', refused, '--password-stdin'], oldDevice.address, 'not the password\n');
      assert.equal(wrongBackup.exit.code, ExitCode.authentication, wrongBackup.run.transcript.join('\n'));
      assert.match(wrongBackup.run.stderr.join('\n'), /wrong password for account Guarded/);
      assert.ok(!existsSync(refused), 'no file written');
      const noPassword = await runJamiLink(['backup', 'Guarded', refused], oldDevice.address);
      assert.equal(noPassword.exit.code, ExitCode.authentication);
      assert.match(noPassword.run.stderr.join('\n'), /protected by a password: pass --password-stdin/);

      const file = path.join(dir, 'guarded.jami');
      const backup = await runJamiLink(['backup', 'Guarded', file, '--password-stdin'], oldDevice.address, `${PASSWORD}\n`);
      assert.equal(backup.exit.code, ExitCode.success, backup.run.transcript.join('\n'));
      const before = await newDeviceAccounts();
      const wrong = await runJamiLink(['import-file', file, '--password-stdin'], newDevice.address, 'not the password\n');
      assert.equal(wrong.exit.code, ExitCode.authentication, wrong.run.transcript.join('\n'));
      assert.match(wrong.run.stderr.join('\n'), /wrong password for the archive .*guarded\.jami/);
      keepTranscript('backup-wrong-password', wrong.run);
      const missing = await runJamiLink(['--json', 'import-file', file], newDevice.address);
      assert.equal(missing.exit.code, ExitCode.authentication);
      assert.equal(missing.run.json()[0].error, 'password_needed');

      const text = path.join(dir, 'notes.txt');
      writeFileSync(text, 'not an archive\n');
      const invalid = await runJamiLink(['import-file', text], newDevice.address);
      assert.equal(invalid.exit.code, ExitCode.failure, invalid.run.transcript.join('\n'));
      assert.match(invalid.run.stderr.join('\n'), /notes\.txt is not a Jami account archive: /);
      const absent = await runJamiLink(['import-file', path.join(dir, 'absent.jami')], newDevice.address);
      assert.equal(absent.exit.code, ExitCode.usage);
      assert.match(absent.run.stderr.join('\n'), /no such file: .*absent\.jami/);
      assert.deepEqual((await newDeviceAccounts()).map((a) => a.id), before.map((a) => a.id), 'no account added by a failed import');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints help with examples for every command, within 80 columns, with the exit codes', async () => {
    for (const command of [[], ['import'], ['export'], ['accounts'], ['create'], ['remove'], ['import-file'], ['backup']]) {
      const { exit, run } = await runJamiLink([...command, '--help'], newDevice.address);
      assert.equal(exit.code, 0);
      const text = run.stdout.join('\n');
      assert.match(text, /Examples:\n {2}jami-link /, `examples in ${command.join(' ') || 'jami-link'} --help`);
      for (const line of run.stdout) assert.ok([...line].length <= 80, `${[...line].length} columns: ${line}`);
      if (command.length === 0) assert.match(text, /Exit codes:\n {3}0 {2}done[\s\S]* 7 {2}canceled/);
    }
  });

  it('says how to start the daemon when it is not running', async () => {
    const emptyBus = await startTestBus();
    try {
      const { exit, run } = await runJamiLink(['accounts'], emptyBus.address);
      assert.equal(exit.code, ExitCode.daemonNotRunning);
      assert.match(run.stderr.join('\n'), /jami-linkd is not running: nobody owns cx\.ring\.Ring/);
      assert.match(run.stderr.join('\n'), /systemctl --user start jami-linkd/);
      const json = await runJamiLink(['--json', 'import'], emptyBus.address);
      assert.equal(json.exit.code, ExitCode.daemonNotRunning);
      assert.equal(json.run.json()[0].status, 'daemonNotRunning');
    } finally {
      await emptyBus.stop();
    }
  });
});
