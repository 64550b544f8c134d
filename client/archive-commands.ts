// `jami-link import-file` and `backup`: Jami archive files through the daemon's D-Bus API —
// addAccount with Account.archivePath, and exportToFile. The daemon reads and writes the files, so
// paths are made absolute here; passwords come from --password-stdin or a no-echo prompt.

import { statSync } from 'node:fs';
import path from 'node:path';
import { MAX_PASSWORD_ATTEMPTS } from '../service/linking/link-state.js';
import { canceledResult, passwordNeededResult, UsageError, type CommandContext } from './command-context.js';
import { DaemonCallError, withDaemon, type ConnectDaemon, type Details } from './daemon-client.js';
import { ExitCode } from './exit-codes.js';
import { PromptInterrupted } from './prompt.js';
import { newAccountMessage, wrongPasswordLine, type CommandResult } from './render.js';
import { resolveAccount } from './resolve-account.js';

/** D-Bus errors of addAccount with Account.archivePath (dbus-introspection/…ConfigurationManager.xml). */
export const ARCHIVE_ERRORS = {
  wrongPassword: 'cx.ring.Ring.Error.WrongPassword',
  invalidArchive: 'cx.ring.Ring.Error.InvalidArchive',
  invalidArgument: 'cx.ring.Ring.Error.InvalidArgument',
} as const;

export interface ImportFileOptions {
  /** The archive file, as the user typed it (relative to the current directory or absolute). */
  file: string;
  passwordStdin: boolean;
  alias?: string;
  /** This device's name. */
  deviceName?: string;
}

export interface BackupOptions {
  /** Account id or alias. */
  account: string;
  /** Where to write the backup, as the user typed it. */
  file: string;
  passwordStdin: boolean;
}

export function importFileDetails(file: string, password: string | undefined, options: Pick<ImportFileOptions, 'alias' | 'deviceName'>): Details {
  const details: Details = { 'Account.type': 'RING', 'Account.archivePath': file };
  if (password) details['Account.archivePassword'] = password;
  if (options.alias) details['Account.alias'] = options.alias;
  if (options.deviceName) details['Account.deviceName'] = options.deviceName;
  return details;
}

/** The file to import must exist here (the daemon reads it from the same file system). */
function checkArchiveFile(file: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file} (${code ?? (error as Error).message})`, { error: 'no_file', file });
  }
  if (!isFile) throw new UsageError(`${file} is not a file (give the path of a Jami archive, e.g. a backup made with jami-link backup)`, { error: 'no_file', file });
}

function checkDestination(file: string): void {
  let isDirectory = false;
  try {
    isDirectory = statSync(file).isDirectory();
  } catch {
    // Not there yet: the usual case.
  }
  if (isDirectory) throw new UsageError(`${file} is a directory: give the path of the backup file to write, e.g. ${path.join(file, 'jami-backup.gz')}`, { error: 'usage', file });
  try {
    if (!statSync(path.dirname(file)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new UsageError(`cannot write ${file}: the directory ${path.dirname(file)} does not exist`, { error: 'no_directory', file });
  }
}

/** One line of standard input (--password-stdin); undefined when there is none. */
async function passwordFromStdin(ctx: CommandContext): Promise<string | undefined> {
  const line = await ctx.prompter.readLine('');
  return line === undefined || line === '' ? undefined : line;
}

/** Whether we may ask the user at the terminal (never with --json or a pipe on standard input). */
function canPrompt(ctx: CommandContext, options: { passwordStdin: boolean }): boolean {
  return !options.passwordStdin && !ctx.json && ctx.prompter.isTerminal;
}

/** A password typed at the terminal without echo; undefined if none was typed; throws PromptInterrupted on Ctrl-C. */
async function passwordFromTerminal(ctx: CommandContext, question: string): Promise<string | undefined> {
  const password = await ctx.prompter.readSecret(question);
  return password === undefined || password === '' ? undefined : password;
}

export async function runImportFile(options: ImportFileOptions, ctx: CommandContext, connect?: ConnectDaemon): Promise<CommandResult> {
  const command = 'import-file';
  const file = path.resolve(options.file);
  checkArchiveFile(file);
  let password: string | undefined;
  if (options.passwordStdin) {
    password = await passwordFromStdin(ctx);
    if (password === undefined) throw new UsageError('--password-stdin: no password on standard input', { error: 'password_needed' });
  }
  return withDaemon(ctx.bus, async (daemon) => {
    // Without a password first: the daemon says whether the archive needs one. On a terminal we then
    // ask for it (3 attempts, like a link); otherwise a wrong or missing password ends the command.
    let typed = 0;
    for (;;) {
      ctx.reporter.wait('Importing the account (making a new device key takes a few seconds)…');
      let accountId: string;
      try {
        accountId = await daemon.addAccount(importFileDetails(file, password, options));
      } catch (error) {
        ctx.reporter.stopWaiting();
        if (!(error instanceof DaemonCallError)) throw error;
        if (error.errorName !== ARCHIVE_ERRORS.wrongPassword) return importFileFailure(file, error);
        const sent = password !== undefined;
        if (!canPrompt(ctx, options) || typed >= MAX_PASSWORD_ATTEMPTS) {
          if (sent) return { command, exitCode: ExitCode.authentication, message: `wrong password for the archive ${file}.`, data: { error: 'wrong_password', file } };
          return passwordNeededResult(
            command,
            `the archive ${file} needs a password (it is encrypted): ` +
              (ctx.json ? '--json never prompts, pass --password-stdin and write the password on standard input.' : 'pass --password-stdin, or run this on a terminal to be asked.'),
          );
        }
        if (sent) {
          const left = MAX_PASSWORD_ATTEMPTS - typed;
          ctx.reporter.say('fail', wrongPasswordLine(left));
        } else {
          ctx.reporter.say('info', 'This archive is protected by a password.');
        }
        try {
          password = await passwordFromTerminal(ctx, `Password (attempt ${typed + 1} of ${MAX_PASSWORD_ATTEMPTS}): `);
        } catch (interrupted) {
          if (interrupted instanceof PromptInterrupted) return canceledResult(command);
          throw interrupted;
        }
        typed++;
        if (password === undefined) return canceledResult(command);
        continue;
      }
      await daemon.accountStored(accountId);
      const details = await daemon.getAccountDetails(accountId);
      const jamiId = details['Account.username'] ?? '';
      const deviceId = details['Account.deviceID'] ?? '';
      const alias = details['Account.alias'] ?? '';
      ctx.reporter.say('ok', ctx.style.green(`Account ${alias ? `${alias} ` : ''}imported from ${file}.`));
      return {
        command,
        exitCode: ExitCode.success,
        message: newAccountMessage(accountId, jamiId, deviceId),
        data: { error: '', accountId, jamiId, deviceId, alias, file, hasPassword: details['Account.archiveHasPassword'] === 'true' },
      };
    }
  }, connect);
}

/** addAccount's refusals of an archive file, other than a wrong password. */
export function importFileFailure(file: string, error: DaemonCallError): CommandResult {
  const command = 'import-file';
  if (error.errorName === ARCHIVE_ERRORS.invalidArchive) {
    return { command, exitCode: ExitCode.failure, message: `${file} is not a Jami account archive: ${error.text}`, data: { error: 'invalid_archive', dbusError: error.errorName, file } };
  }
  if (error.errorName === ARCHIVE_ERRORS.invalidArgument) {
    return { command, exitCode: ExitCode.usage, message: `jami-linkd could not import ${file}: ${error.text}`, data: { error: 'invalid_argument', dbusError: error.errorName, file } };
  }
  if (error.errorName === ARCHIVE_ERRORS.wrongPassword) {
    return { command, exitCode: ExitCode.authentication, message: `wrong password for the archive ${file}.`, data: { error: 'wrong_password', dbusError: error.errorName, file } };
  }
  return { command, exitCode: ExitCode.failure, message: `jami-linkd could not import ${file}: ${error.text}`, data: { error: 'dbus', dbusError: error.errorName, file } };
}

export async function runBackup(options: BackupOptions, ctx: CommandContext, connect?: ConnectDaemon): Promise<CommandResult> {
  const command = 'backup';
  const file = path.resolve(options.file);
  checkDestination(file);
  return withDaemon(ctx.bus, async (daemon) => {
    const account = await resolveAccount(daemon, options.account);
    const name = account.alias ? `${account.alias} (id ${account.id})` : account.id;
    if (account.details['Account.archiveURL'] === 'jami-auth') {
      throw new UsageError(`account ${name} is still being linked: there is nothing to back up yet`, { error: 'linking' });
    }
    const hasPassword = account.details['Account.archiveHasPassword'] === 'true';
    let password: string | undefined;
    if (options.passwordStdin) {
      password = await passwordFromStdin(ctx);
      if (password === undefined) {
        if (hasPassword) return passwordNeededResult(command, '--password-stdin: no password on standard input.');
        throw new UsageError('--password-stdin: no password on standard input', { error: 'password_needed' });
      }
    } else if (hasPassword) {
      if (!canPrompt(ctx, options)) {
        return passwordNeededResult(
          command,
          `account ${name} is protected by a password: ` +
            (ctx.json ? '--json never prompts, pass --password-stdin and write the password on standard input.' : 'pass --password-stdin, or run this on a terminal to be asked.'),
        );
      }
      try {
        password = await passwordFromTerminal(ctx, `Password of account ${account.alias || account.id}: `);
      } catch (interrupted) {
        if (interrupted instanceof PromptInterrupted) return canceledResult(command);
        throw interrupted;
      }
      if (password === undefined) return canceledResult(command);
    }

    ctx.reporter.wait(`Writing the backup of ${name}…`);
    let written: boolean;
    try {
      written = await daemon.exportToFile(account.id, file, password === undefined ? '' : 'password', password ?? '');
    } catch (error) {
      if (error instanceof DaemonCallError && error.errorName === ARCHIVE_ERRORS.invalidArgument) {
        return { command, exitCode: ExitCode.usage, message: `jami-linkd could not write the backup: ${error.text}`, data: { error: 'invalid_argument', dbusError: error.errorName, file } };
      }
      throw error;
    }
    ctx.reporter.stopWaiting();
    if (!written) {
      if (hasPassword) return { command, exitCode: ExitCode.authentication, message: `wrong password for account ${name}: no backup written.`, data: { error: 'wrong_password', accountId: account.id } };
      return { command, exitCode: ExitCode.failure, message: `jami-linkd refused to back up account ${name} (exportToFile returned false).`, data: { error: 'refused', accountId: account.id } };
    }
    const encrypted = password !== undefined;
    ctx.reporter.say('ok', ctx.style.green(`Backup of ${name} written to ${file}.`));
    if (!encrypted) ctx.reporter.say('warn', 'It is not encrypted: whoever has this file has the account. Keep it safe.');
    return {
      command,
      exitCode: ExitCode.success,
      message: [
        ...(encrypted ? [`Encrypted with ${hasPassword ? "the account's password" : 'the password you gave'}.`] : []),
        'Restore it, on this device or another one, with:',
        `  jami-link import-file ${shellWord(file)}`,
      ].join('\n'),
      data: { error: '', accountId: account.id, jamiId: account.jamiId, file, encrypted },
    };
  }, connect);
}

/** `file` quoted for a shell command line when it needs to be. */
function shellWord(file: string): string {
  return /^[\w@%+=:,./-]+$/.test(file) ? file : `'${file.replace(/'/g, "'\\''")}'`;
}
