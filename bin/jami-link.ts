#!/usr/bin/env node
// jami-link: the terminal client of jami-linkd. Parses the command line, then hands over to client/;
// turns Ctrl-C into a cancel and the command's result into an exit code.

import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { resultForError, type CommandContext } from '../client/command-context.js';
import { ExitCode, formatExitCodeTable } from '../client/exit-codes.js';
import { Prompter } from '../client/prompt.js';
import { DEFAULT_BUS_NAME } from '../service/config.js';
import { packageFile } from '../service/contract/package-files.js';
import { colorsWanted, HumanReporter, JsonReporter, makeStyle, resultLine, type CommandName, type CommandResult } from '../client/render.js';

// Each command's module is imported when that command runs: --help and a usage error load none of them, and a
// command loads only its own (the D-Bus library and the QR code libraries load on first use, too).
const accountCommands = () => import('../client/account-commands.js');
const archiveCommands = () => import('../client/archive-commands.js');
const importCommand = () => import('../client/import-command.js');
const exportCommand = () => import('../client/export-command.js');

const pkg = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string };

let exiting = false;

/** Leaves once stdout has drained (a pipe), even though stdin may still be open. */
function exit(code: number): void {
  if (exiting) return;
  exiting = true;
  process.exitCode = code;
  process.stdout.write('', () => process.exit(code));
  setTimeout(() => process.exit(code), 1000).unref();
}

async function run(name: CommandName, command: Command, body: (ctx: CommandContext) => Promise<CommandResult>): Promise<void> {
  const opts = command.optsWithGlobals<{ bus: string; busName: string; json?: boolean }>();
  const json = opts.json === true;
  const style = makeStyle(!json && colorsWanted(process.stdout));
  const reporter = json ? new JsonReporter(process.stdout) : new HumanReporter(process.stdout, process.stderr, style);
  const prompter = new Prompter(process.stdin, process.stderr);
  const interrupts = new EventEmitter<{ interrupt: [] }>();
  // An empty JAMI_LINKD_BUS / JAMI_LINKD_BUS_NAME means the default, as for the daemon.
  const bus = { bus: opts.bus || 'session', busName: opts.busName || DEFAULT_BUS_NAME };
  const ctx: CommandContext = { reporter, prompter, style, interrupts, bus, json };

  let interruptions = 0;
  const onSignal = () => {
    reporter.stopWaiting();
    if (!json && process.stdout.isTTY) process.stdout.write('\n');
    interruptions++;
    if (interruptions > 1 || interrupts.listenerCount('interrupt') === 0) {
      // Nothing to cancel on the daemon yet, or a second Ctrl-C: leave now.
      if (!exiting) reporter.result({ command: name, exitCode: ExitCode.canceled, message: 'Canceled.', data: { error: 'canceled' } });
      prompter.close();
      exit(ExitCode.canceled);
      return;
    }
    interrupts.emit('interrupt');
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

  let result: CommandResult;
  try {
    result = await body(ctx);
  } catch (error) {
    result = resultForError(name, error);
  }
  if (exiting) return;
  reporter.result(result);
  prompter.close();
  exit(result.exitCode);
}

const program = new Command('jami-link');

program
  .description("Link a new device to a Jami account from a terminal, through jami-linkd (Jami's \"link a new device\").")
  .version(pkg.version, '-V, --version')
  .addOption(new Option('--bus <bus>', 'session, system, or a D-Bus address').default('session').env('JAMI_LINKD_BUS'))
  .addOption(new Option('--bus-name <name>', "the daemon's bus name").default(DEFAULT_BUS_NAME).env('JAMI_LINKD_BUS_NAME'))
  .option('--json', 'machine-readable output: one JSON line per state change and a final result line; never prompts')
  .configureHelp({ showGlobalOptions: true })
  .showHelpAfterError('(run jami-link --help for usage)')
  .exitOverride()
  .addHelpText(
    'after',
    `
How a link goes:
  1. On the NEW device: jami-link import   (shows a QR code and a token)
  2. On the OLD device: jami-link export ACCOUNT TOKEN
     (or scan the QR code with the Jami app: Link another device)
  3. The old device shows the new device's address: "Link this device? [y/N]"
  4. If the account has a password, the new device asks for it (3 attempts).
  Ctrl-C cancels on either side.

Exit codes:
${formatExitCodeTable()}

Environment: JAMI_LINKD_BUS, JAMI_LINKD_BUS_NAME (as for jami-linkd),
NO_COLOR (no colours).

Without the other device: jami-link backup ACCOUNT FILE writes the account to a
file, jami-link import-file FILE reads it on the new device.

Examples:
  jami-link accounts
  jami-link import --name laptop
  jami-link export Alice jami-auth://3f0c…(40 hex digits)…/123456
  jami-link --json export Alice --yes < token.txt
  jami-link backup Alice ~/alice.jami && jami-link import-file ~/alice.jami`,
  );

program
  .command('import')
  .description('link THIS device to an account of another device: show a token, then receive the account')
  .option('--name <device>', "this device's name, as the account's other devices will see it")
  .option('--password-stdin', "read the account's password from standard input, one line per attempt")
  .option('--no-qr', 'show the token as text only')
  .option('-y, --yes', 'accept the account the other device offers without asking (required with --json for an account without a password)')
  .addHelpText(
    'after',
    `
Shows a QR code and a jami-auth:// token; enter it on a device that has the
account and runs jami-linkd (jami-link export ACCOUNT TOKEN there, or any
client of jami-linkd's D-Bus API; the Jami apps cannot link with jami-linkd).
Once the other device confirms, this device shows the account's Jami ID and
asks you to accept it; if the account has a password you type it instead,
without echo (3 attempts). On success prints the new account id and the Jami ID.
Ctrl-C cancels (removeAccount) and exits with code ${ExitCode.canceled}.

Examples:
  jami-link import
  jami-link import --name "office desktop"
  printf '%s\\n' "$PASSWORD" | jami-link import --password-stdin
  jami-link --json import --yes | jq -c .
  jami-link --json import --password-stdin < password.txt | jq -c .`,
  )
  .action((options: { name?: string; passwordStdin?: boolean; qr: boolean; yes?: boolean }, command: Command) =>
    run('import', command, async (ctx) => (await importCommand()).runImport({ deviceName: options.name, passwordStdin: options.passwordStdin === true, qr: options.qr, yes: options.yes === true }, ctx)),
  );

program
  .command('export')
  .description('link a NEW device to an account of this device, using the token it shows')
  .argument('<account>', 'account id or alias (see jami-link accounts)')
  .argument('[token]', 'the jami-auth://… token the new device shows (default: read from standard input)')
  .option('--qr-image <file>', 'read the token from a PNG image of the QR code (a screenshot or photo)')
  .option('-y, --yes', 'link without asking "Link this device?" (required with --json)')
  .addHelpText(
    'after',
    `
The token is checked before anything is sent to jami-linkd: jami-auth:// then
40 lowercase hex digits, a slash and 6 digits (59 characters). When the new
device is reached, its address is shown and you are asked "Link this device?
[y/N]". Ctrl-C cancels (cancelAddDevice).

Examples:
  jami-link export Alice "$TOKEN"
  jami-link export 8f14e45fceea167a --qr-image ~/Pictures/token.png
  echo "$TOKEN" | jami-link export Alice --yes
  jami-link --json export Alice "$TOKEN" --yes`,
  )
  .action((account: string, token: string | undefined, options: { qrImage?: string; yes?: boolean }, command: Command) =>
    run('export', command, async (ctx) => (await exportCommand()).runExport({ account, token, qrImage: options.qrImage, yes: options.yes === true }, ctx)),
  );

program
  .command('accounts')
  .description('list the accounts: alias, id, Jami ID, device id, password yes/no')
  .addHelpText('after', '\nExamples:\n  jami-link accounts\n  jami-link --json accounts | jq -r \'.accounts[].jamiId\'')
  .action((_options: unknown, command: Command) => run('accounts', command, async (ctx) => (await accountCommands()).runAccounts(ctx)));

program
  .command('create')
  .description('create a new account on this device')
  .option('--alias <alias>', 'a name for the account')
  .option('--device-name <name>', "this device's name")
  .option('--password-stdin', 'protect the account with a password read from standard input (one line)')
  .option('--ask-password', 'protect the account with a password typed at the terminal (twice, no echo)')
  .addHelpText(
    'after',
    `
Examples:
  jami-link create --alias Alice
  jami-link create --alias Alice --ask-password
  printf '%s\\n' "$PASSWORD" | jami-link create --alias Alice --password-stdin`,
  )
  .action((options: { alias?: string; deviceName?: string; passwordStdin?: boolean; askPassword?: boolean }, command: Command) =>
    run('create', command, async (ctx) =>
      (await accountCommands()).runCreate({ alias: options.alias, deviceName: options.deviceName, passwordStdin: options.passwordStdin === true, askPassword: options.askPassword === true }, ctx),
    ),
  );

program
  .command('remove')
  .description('remove an account (and its files) from this device')
  .argument('<account>', 'account id or alias')
  .addHelpText('after', '\nExamples:\n  jami-link remove Alice\n  jami-link remove 8f14e45fceea167a')
  .action((account: string, _options: unknown, command: Command) => run('remove', command, async (ctx) => (await accountCommands()).runRemove(account, ctx)));

program
  .command('import-file')
  .description('add an account to this device from a Jami archive file (a backup)')
  .argument('<file>', 'the archive: made by jami-link backup, or exported by Jami')
  .option('--password-stdin', "read the archive's password from standard input (one line)")
  .option('--alias <alias>', 'a name for the account (default: the one in the archive)')
  .option('--name <device>', "this device's name, as the account's other devices will see it")
  .addHelpText(
    'after',
    `
jami-linkd reads the file (its absolute path is sent) and gives this device a
new device certificate. If the archive has a password you are asked for it
here, without echo (3 attempts); without a terminal, pass --password-stdin.
A wrong password exits with code ${ExitCode.authentication}; a file that is not an archive with ${ExitCode.failure}.
Prints the new account id and the Jami ID.

Examples:
  jami-link import-file ~/alice.jami
  jami-link import-file backup.gz --alias Work --name "office desktop"
  printf '%s\\n' "$PASSWORD" | jami-link import-file alice.jami --password-stdin
  jami-link --json import-file ~/alice.jami --password-stdin < password.txt`,
  )
  .action((file: string, options: { passwordStdin?: boolean; alias?: string; name?: string }, command: Command) =>
    run('import-file', command, async (ctx) => (await archiveCommands()).runImportFile({ file, passwordStdin: options.passwordStdin === true, alias: options.alias, deviceName: options.name }, ctx)),
  );

program
  .command('backup')
  .description("write a backup of an account (its archive) to a file")
  .argument('<account>', 'account id or alias (see jami-link accounts)')
  .argument('<file>', 'the file to write (replaced if it exists)')
  .option('--password-stdin', "read the password from standard input (one line): the account's password, or for an account without one, a password to encrypt the backup with")
  .addHelpText(
    'after',
    `
jami-linkd writes the file (its absolute path is sent), readable by you only.
An account with a password needs it: you are asked without echo, or pass
--password-stdin; the backup is encrypted with it. A wrong password exits
with code ${ExitCode.authentication}. An account without a password gives an unencrypted
backup, unless you pass --password-stdin. Restore it with:
jami-link import-file FILE (on this device or another one).

Examples:
  jami-link backup Alice ~/alice.jami
  printf '%s\\n' "$PASSWORD" | jami-link backup Alice alice.jami --password-stdin
  jami-link --json backup 8f14e45fceea167a /media/usb/work.jami`,
  )
  .action((account: string, file: string, options: { passwordStdin?: boolean }, command: Command) =>
    run('backup', command, async (ctx) => (await archiveCommands()).runBackup({ account, file, passwordStdin: options.passwordStdin === true }, ctx)),
  );

async function main(): Promise<void> {
  try {
    await program.parseAsync();
  } catch (error) {
    if (error instanceof CommanderError) {
      const code = error.exitCode === 0 ? ExitCode.success : ExitCode.usage;
      if (code !== ExitCode.success && process.argv.includes('--json')) {
        const command = (['import', 'export', 'accounts', 'create', 'remove', 'import-file', 'backup'] as const).find((name) => process.argv.includes(name)) ?? 'import';
        process.stdout.write(`${JSON.stringify(resultLine({ command, exitCode: code, message: error.message, data: { error: 'usage' } }))}\n`);
      }
      process.exit(code);
    }
    process.stderr.write(`jami-link: ${(error as Error).stack ?? error}\n`);
    process.exit(ExitCode.failure);
  }
}

void main();
