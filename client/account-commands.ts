// `jami-link accounts`, `create` and `remove`: one D-Bus call or two each, printed as blocks or JSON.

import { UsageError, type CommandContext } from './command-context.js';
import { withDaemon, type Details } from './daemon-client.js';
import { ExitCode } from './exit-codes.js';
import { accountBlocks, type AccountRow, type CommandResult } from './render.js';
import { listAccounts, resolveAccount, type AccountSummary } from './resolve-account.js';

export function accountRow(account: Pick<AccountSummary, 'id' | 'details'>): AccountRow {
  const d = account.details;
  return {
    id: account.id,
    alias: d['Account.alias'] ?? '',
    jamiId: d['Account.username'] ?? '',
    deviceId: d['Account.deviceID'] ?? '',
    deviceName: d['Account.deviceName'] ?? '',
    hasPassword: d['Account.archiveHasPassword'] === 'true',
    linking: d['Account.archiveURL'] === 'jami-auth',
  };
}

export function runAccounts(ctx: CommandContext): Promise<CommandResult> {
  return withDaemon(ctx.bus, async (daemon) => {
    const rows = (await listAccounts(daemon)).map(accountRow);
    ctx.reporter.lines(accountBlocks(rows, ctx.style));
    return { command: 'accounts', exitCode: ExitCode.success, data: { accounts: rows } };
  });
}

export interface CreateOptions {
  alias?: string;
  deviceName?: string;
  passwordStdin: boolean;
  /** Ask for a password on the terminal (twice, no echo). */
  askPassword: boolean;
}

async function readNewPassword(options: CreateOptions, ctx: CommandContext): Promise<string | undefined> {
  if (options.passwordStdin) {
    const line = await ctx.prompter.readLine('');
    if (line === undefined) throw new UsageError('--password-stdin: no password on standard input');
    return line;
  }
  if (!options.askPassword) return undefined;
  if (ctx.json || !ctx.prompter.isTerminal) throw new UsageError('--ask-password needs a terminal; use --password-stdin');
  const first = await ctx.prompter.readSecret('New account password: ');
  const second = first === undefined ? undefined : await ctx.prompter.readSecret('Same password again: ');
  if (first === undefined || second === undefined) throw new UsageError('no password entered');
  if (first !== second) throw new UsageError('the two passwords differ');
  return first;
}

export async function runCreate(options: CreateOptions, ctx: CommandContext): Promise<CommandResult> {
  if (options.passwordStdin && options.askPassword) throw new UsageError('use --password-stdin or --ask-password, not both');
  const password = await readNewPassword(options, ctx);
  return withDaemon(ctx.bus, async (daemon) => {
    const details: Details = { 'Account.type': 'RING' };
    if (options.alias) details['Account.alias'] = options.alias;
    if (options.deviceName) details['Account.deviceName'] = options.deviceName;
    if (password) details['Account.archivePassword'] = password;
    ctx.reporter.wait('Creating the account (new keys take a few seconds)…');
    const id = await daemon.addAccount(details);
    await daemon.accountStored(id);
    const row = accountRow({ id, details: await daemon.getAccountDetails(id) });
    ctx.reporter.say('ok', 'Account created.');
    ctx.reporter.lines(accountBlocks([row], ctx.style));
    return { command: 'create', exitCode: ExitCode.success, data: { accountId: id, jamiId: row.jamiId, account: row } };
  });
}

export function runRemove(reference: string, ctx: CommandContext): Promise<CommandResult> {
  return withDaemon(ctx.bus, async (daemon) => {
    const account = await resolveAccount(daemon, reference);
    await daemon.removeAccount(account.id);
    const name = account.alias ? `${account.alias} (id ${account.id})` : account.id;
    return { command: 'remove', exitCode: ExitCode.success, message: `Removed account ${name}.`, data: { accountId: account.id, jamiId: account.jamiId } };
  });
}
