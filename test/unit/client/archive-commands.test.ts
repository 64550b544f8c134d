// `jami-link import-file` and `backup` against a fake daemon: the exact D-Bus calls (absolute paths,
// scheme, password), what each D-Bus error becomes (message + exit code), and the password prompts.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runBackup, runImportFile } from '../../../client/archive-commands.js';
import { ExitCode } from '../../../client/exit-codes.js';
import type { CommandResult } from '../../../client/render.js';
import { until } from '../../support/wait.js';
import { FakeDaemon } from './fake-daemon.js';
import { FakeTerminalInput, testContext, type TestContext } from './support.js';

const JAMI_ID = 'fedcba9876543210fedcba9876543210fedcba98';
const DEVICE_ID = 'd'.repeat(64);
const WRONG_PASSWORD = 'cx.ring.Ring.Error.WrongPassword';
const INVALID_ARCHIVE = 'cx.ring.Ring.Error.InvalidArchive';
const INVALID_ARGUMENT = 'cx.ring.Ring.Error.InvalidArgument';

const dir = mkdtempSync(path.join(os.tmpdir(), 'jami-link-unit-'));
const ARCHIVE = path.join(dir, 'alice.jami');
writeFileSync(ARCHIVE, Buffer.from([0x1f, 0x8b, 0, 0]));
after(() => rmSync(dir, { recursive: true, force: true }));

function jsonLines(ctx: TestContext): Array<Record<string, unknown>> {
  return ctx.stdout.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Prints the result as bin/jami-link.ts does, so tests see the whole output. */
function report(ctx: TestContext, result: CommandResult): CommandResult {
  ctx.reporter.result(result);
  return result;
}

/** A daemon whose archive import gives account file0001 (Jami ID JAMI_ID) when `accept` says so. */
function archiveDaemon(accept: (password: string | undefined) => 'ok' | 'wrong' = () => 'ok'): FakeDaemon {
  const daemon = new FakeDaemon();
  daemon.answerArchive = (details) => {
    const password = details['Account.archivePassword'];
    if (accept(password) === 'ok') {
      daemon.accounts.set('file0001', { 'Account.alias': details['Account.alias'] ?? 'Alice', 'Account.username': JAMI_ID, 'Account.deviceID': DEVICE_ID, 'Account.archiveHasPassword': String(password !== undefined) });
      return 'file0001';
    }
    return [WRONG_PASSWORD, password ? 'wrong password for this archive' : 'the archive is encrypted: a password is needed'];
  };
  return daemon;
}

function archiveCalls(daemon: FakeDaemon): Array<Record<string, string>> {
  return daemon.calls.filter((call) => call.name === 'addAccount').map((call) => call.args[0] as Record<string, string>);
}

/** Types `text` and Enter once the terminal shows a prompt matching `prompt` for the `nth` time. */
async function typeAt(ctx: TestContext, prompt: RegExp, nth: number, text: string): Promise<void> {
  const global = new RegExp(prompt.source, 'g');
  await until(() => (ctx.stderr.text.match(global) ?? []).length >= nth, 5000, `prompt ${prompt} #${nth}`);
  ctx.stdin.write(`${text}\r`);
}

describe('jami-link import-file with a fake daemon (client/archive-commands.ts)', () => {
  it('calls addAccount with RING, the absolute path of a relative FILE, the alias and device name, and prints the ids', async () => {
    const daemon = archiveDaemon();
    const ctx = testContext();
    const relative = path.relative(process.cwd(), ARCHIVE);
    const result = report(ctx, await runImportFile({ file: relative, passwordStdin: false, alias: 'Work', deviceName: 'desk' }, ctx, async () => daemon));
    assert.equal(result.exitCode, ExitCode.success);
    assert.deepEqual(archiveCalls(daemon), [{ 'Account.type': 'RING', 'Account.archivePath': ARCHIVE, 'Account.alias': 'Work', 'Account.deviceName': 'desk' }]);
    assert.match(ctx.stdout.text, /Account Work imported from .*alice\.jami\./);
    assert.match(ctx.stdout.text, /^Account id: file0001$/m);
    assert.match(ctx.stdout.text, new RegExp(`^Jami ID: {4}${JAMI_ID}$`, 'm'));
    assert.equal(ctx.stderr.text, '', 'no prompt for an archive without a password');
    assert.ok(daemon.closed);
  });

  it('--password-stdin: sends the password as Account.archivePassword, never prints it; --json result line', async () => {
    const daemon = archiveDaemon((password) => (password === 'secret' ? 'ok' : 'wrong'));
    const ctx = testContext({ json: true });
    ctx.stdin.end('secret\n');
    const result = report(ctx, await runImportFile({ file: ARCHIVE, passwordStdin: true }, ctx, async () => daemon));
    assert.equal(result.exitCode, ExitCode.success);
    assert.deepEqual(archiveCalls(daemon), [{ 'Account.type': 'RING', 'Account.archivePath': ARCHIVE, 'Account.archivePassword': 'secret' }]);
    const [line] = jsonLines(ctx);
    assert.deepEqual(
      { ...line, message: undefined },
      {
        event: 'result', command: 'import-file', ok: true, exitCode: 0, status: 'success', message: undefined,
        error: '', accountId: 'file0001', jamiId: JAMI_ID, deviceId: DEVICE_ID, alias: 'Alice', file: ARCHIVE, hasPassword: true,
      },
    );
    assert.ok(!ctx.stdout.text.includes('secret') && !ctx.stderr.text.includes('secret'));
  });

  it('WrongPassword with --password-stdin: "wrong password", the authentication exit code, one attempt only', async () => {
    const daemon = archiveDaemon(() => 'wrong');
    const ctx = testContext();
    ctx.stdin.end('not it\n');
    const result = report(ctx, await runImportFile({ file: ARCHIVE, passwordStdin: true }, ctx, async () => daemon));
    assert.equal(result.exitCode, ExitCode.authentication);
    assert.equal(result.data?.error, 'wrong_password');
    assert.match(ctx.stderr.text, /jami-link: wrong password for the archive .*alice\.jami\./);
    assert.equal(archiveCalls(daemon).length, 1);
  });

  it('an encrypted archive without --password-stdin and no terminal (or --json): says to pass --password-stdin, authentication code, no prompt', async () => {
    for (const json of [false, true]) {
      const daemon = archiveDaemon((password) => (password ? 'ok' : 'wrong'));
      const ctx = testContext({ json });
      const result = report(ctx, await runImportFile({ file: ARCHIVE, passwordStdin: false }, ctx, async () => daemon));
      assert.equal(result.exitCode, ExitCode.authentication);
      assert.equal(result.data?.error, 'password_needed');
      assert.match(result.message!, /needs a password \(it is encrypted\): .*--password-stdin/);
      assert.equal(archiveCalls(daemon).length, 1);
      if (json) assert.equal(ctx.stderr.text, '', '--json never prompts');
      else assert.doesNotMatch(ctx.stderr.text, /Password \(/);
    }
  });

  it('on a terminal: asks for the password without echo after the daemon says it is needed, 3 attempts', async () => {
    const daemon = archiveDaemon((password) => (password === 'right' ? 'ok' : 'wrong'));
    const ctx = testContext({ terminal: true });
    const done = runImportFile({ file: ARCHIVE, passwordStdin: false }, ctx, async () => daemon);
    await typeAt(ctx, /Password \(attempt 1 of 3\): /, 1, 'wrong');
    await typeAt(ctx, /Password \(attempt 2 of 3\): /, 1, 'right');
    const result = report(ctx, await done);
    assert.equal(result.exitCode, ExitCode.success);
    assert.deepEqual(
      archiveCalls(daemon).map((details) => details['Account.archivePassword']),
      [undefined, 'wrong', 'right'],
    );
    assert.match(ctx.stdout.text, /This archive is protected by a password\./);
    assert.match(ctx.stdout.text, /Wrong password\. 2 attempts left\./);
    assert.deepEqual((ctx.stdin as FakeTerminalInput).rawModes, [true, false, true, false], 'no echo while typing');
    assert.ok(!ctx.stdout.text.includes('right') && !ctx.stderr.text.includes('right'));
  });

  it('on a terminal: three wrong passwords end with the authentication code', async () => {
    const daemon = archiveDaemon(() => 'wrong');
    const ctx = testContext({ terminal: true });
    const done = runImportFile({ file: ARCHIVE, passwordStdin: false }, ctx, async () => daemon);
    for (const attempt of [1, 2, 3]) await typeAt(ctx, new RegExp(`attempt ${attempt} of 3`), 1, `wrong ${attempt}`);
    const result = report(ctx, await done);
    assert.equal(result.exitCode, ExitCode.authentication);
    assert.equal(archiveCalls(daemon).length, 4);
    assert.match(ctx.stderr.text, /wrong password for the archive/);
  });

  it('on a terminal: Ctrl-C at the password prompt cancels', async () => {
    const daemon = archiveDaemon(() => 'wrong');
    const ctx = testContext({ terminal: true });
    const done = runImportFile({ file: ARCHIVE, passwordStdin: false }, ctx, async () => daemon);
    await until(() => ctx.stderr.text.includes('attempt 1 of 3'), 5000, 'the prompt');
    ctx.stdin.write('\u0003');
    assert.equal((await done).exitCode, ExitCode.canceled);
  });

  it('InvalidArchive: says the file is not a Jami archive, failure exit code; InvalidArgument: usage exit code', async () => {
    const cases = [
      [INVALID_ARCHIVE, 'the file is plain text, not an account archive', ExitCode.failure, 'invalid_archive', /alice\.jami is not a Jami account archive: the file is plain text/],
      [INVALID_ARGUMENT, `cannot read ${ARCHIVE}: EACCES`, ExitCode.usage, 'invalid_argument', /jami-linkd could not import .*: cannot read .*EACCES/],
    ] as const;
    for (const [errorName, text, code, error, message] of cases) {
      const daemon = new FakeDaemon();
      daemon.answerArchive = () => [errorName, text];
      const ctx = testContext();
      const result = report(ctx, await runImportFile({ file: ARCHIVE, passwordStdin: false }, ctx, async () => daemon));
      assert.equal(result.exitCode, code);
      assert.equal(result.data?.error, error);
      assert.equal(result.data?.dbusError, errorName);
      assert.match(ctx.stderr.text, message);
    }
  });

  it('refuses a missing file, a directory, or --password-stdin with no line, before connecting to the daemon', async () => {
    const refuse = async (file: string, passwordStdin: boolean, message: RegExp) => {
      const ctx = testContext();
      ctx.stdin.end();
      let connected = false;
      const result = await runImportFile({ file, passwordStdin }, ctx, async () => {
        connected = true;
        return new FakeDaemon();
      }).catch((error: Error) => error);
      assert.ok(result instanceof Error && message.test(result.message), `${file}: ${String(result)}`);
      assert.ok(!connected);
    };
    await refuse(path.join(dir, 'nope.jami'), false, /no such file: .*nope\.jami/);
    await refuse(dir, false, /is not a file/);
    await refuse(ARCHIVE, true, /--password-stdin: no password on standard input/);
  });
});

describe('jami-link backup with a fake daemon (client/archive-commands.ts)', () => {
  function daemonWithAccounts(): FakeDaemon {
    const daemon = new FakeDaemon();
    daemon.accounts.set('plain001', { 'Account.alias': 'Plain', 'Account.username': 'a'.repeat(40), 'Account.archiveHasPassword': 'false' });
    daemon.accounts.set('guard001', { 'Account.alias': 'Guarded', 'Account.username': JAMI_ID, 'Account.archiveHasPassword': 'true' });
    daemon.answerExport = (accountId, _path, scheme, password) => accountId !== 'guard001' || (scheme === 'password' && password === 'right');
    return daemon;
  }
  const exports = (daemon: FakeDaemon) => daemon.calls.filter((call) => call.name === 'exportToFile').map((call) => call.args);
  const BACKUP = path.join(dir, 'backup.jami');

  it('an account without a password: exportToFile(id, absolute path, "", ""), says the backup is not encrypted', async () => {
    const daemon = daemonWithAccounts();
    const ctx = testContext();
    const result = report(ctx, await runBackup({ account: 'Plain', file: path.relative(process.cwd(), BACKUP), passwordStdin: false }, ctx, async () => daemon));
    assert.equal(result.exitCode, ExitCode.success);
    assert.deepEqual(exports(daemon), [['plain001', BACKUP, '', '']]);
    assert.match(ctx.stdout.text, /Backup of Plain \(id plain001\) written to .*backup\.jami\./);
    assert.match(ctx.stdout.text, /not encrypted/);
    assert.match(ctx.stdout.text, /jami-link import-file .*backup\.jami/);
    assert.deepEqual({ ...result.data }, { error: '', accountId: 'plain001', jamiId: 'a'.repeat(40), file: BACKUP, encrypted: false });
  });

  it('an account without a password, --password-stdin: encrypts the backup with it (scheme "password")', async () => {
    const daemon = daemonWithAccounts();
    const ctx = testContext({ json: true });
    ctx.stdin.end('for the backup\n');
    const result = report(ctx, await runBackup({ account: 'plain001', file: BACKUP, passwordStdin: true }, ctx, async () => daemon));
    assert.equal(result.exitCode, ExitCode.success);
    assert.deepEqual(exports(daemon), [['plain001', BACKUP, 'password', 'for the backup']]);
    const [line] = jsonLines(ctx);
    assert.equal(line.command, 'backup');
    assert.equal(line.encrypted, true);
    assert.ok(!ctx.stdout.text.includes('for the backup'));
  });

  it('a password account, --password-stdin: sends it with scheme "password"; false from the daemon is a wrong password (authentication code)', async () => {
    for (const [password, code] of [['right', ExitCode.success], ['wrong', ExitCode.authentication]] as const) {
      const daemon = daemonWithAccounts();
      const ctx = testContext();
      ctx.stdin.end(`${password}\n`);
      const result = report(ctx, await runBackup({ account: 'Guarded', file: BACKUP, passwordStdin: true }, ctx, async () => daemon));
      assert.equal(result.exitCode, code);
      assert.deepEqual(exports(daemon), [['guard001', BACKUP, 'password', password]]);
      if (code === ExitCode.authentication) {
        assert.equal(result.data?.error, 'wrong_password');
        assert.match(ctx.stderr.text, /jami-link: wrong password for account Guarded \(id guard001\): no backup written\./);
      } else {
        assert.match(ctx.stdout.text, /Encrypted with the account's password\./);
      }
    }
  });

  it('a password account without --password-stdin, no terminal or --json: password_needed, authentication code, nothing exported', async () => {
    for (const json of [false, true]) {
      const daemon = daemonWithAccounts();
      const ctx = testContext({ json });
      const result = report(ctx, await runBackup({ account: 'Guarded', file: BACKUP, passwordStdin: false }, ctx, async () => daemon));
      assert.equal(result.exitCode, ExitCode.authentication);
      assert.equal(result.data?.error, 'password_needed');
      assert.match(result.message!, /--password-stdin/);
      assert.deepEqual(exports(daemon), []);
      if (json) assert.equal(ctx.stderr.text, '');
    }
  });

  it('a password account on a terminal: asks for it without echo', async () => {
    const daemon = daemonWithAccounts();
    const ctx = testContext({ terminal: true });
    const done = runBackup({ account: 'Guarded', file: BACKUP, passwordStdin: false }, ctx, async () => daemon);
    await typeAt(ctx, /Password of account Guarded: /, 1, 'right');
    assert.equal(report(ctx, await done).exitCode, ExitCode.success);
    assert.deepEqual(exports(daemon), [['guard001', BACKUP, 'password', 'right']]);
    assert.deepEqual((ctx.stdin as FakeTerminalInput).rawModes, [true, false]);
    assert.ok(!ctx.stdout.text.includes('right') && !ctx.stderr.text.includes('right'));
  });

  it('refuses an unknown account, an account still being linked, and a destination in a missing directory', async () => {
    const daemon = daemonWithAccounts();
    daemon.accounts.set('pend0001', { 'Account.alias': 'Coming', 'Account.archiveURL': 'jami-auth', 'Account.archiveHasPassword': 'false' });
    for (const [account, file, message] of [
      ['Nobody', BACKUP, /no account with the id or alias "Nobody"/],
      ['Coming', BACKUP, /still being linked/],
      ['Plain', path.join(dir, 'missing', 'b.jami'), /the directory .*missing does not exist/],
      ['Plain', dir, /is a directory/],
    ] as const) {
      const ctx = testContext();
      const error = await runBackup({ account, file, passwordStdin: false }, ctx, async () => daemon).catch((e: Error) => e);
      assert.ok(error instanceof Error && message.test(error.message), String(error));
    }
    assert.deepEqual(exports(daemon), []);
  });

  it('InvalidArgument from exportToFile (the daemon cannot write there): usage exit code with its message', async () => {
    const daemon = daemonWithAccounts();
    daemon.answerExport = () => [INVALID_ARGUMENT, `cannot write ${BACKUP}: EACCES`];
    const ctx = testContext();
    const result = report(ctx, await runBackup({ account: 'Plain', file: BACKUP, passwordStdin: false }, ctx, async () => daemon));
    assert.equal(result.exitCode, ExitCode.usage);
    assert.match(ctx.stderr.text, /jami-link: jami-linkd could not write the backup: cannot write .*EACCES/);
  });
});
