// `jami-link export`: the device that has the account. Takes the token, calls addDevice, shows
// the new device's address and asks before confirmAddDevice; follows addDeviceStateChanged.

import { canceledResult, UsageError, type CommandContext } from './command-context.js';
import { withDaemon, type ConnectDaemon, type Details, type LinkDaemon } from './daemon-client.js';
import { ExitCode } from './exit-codes.js';
import {
  addDeviceInputFor,
  exportInputFor,
  exportMachine,
  type ExportInput,
  type ExportMachine,
  type ExportOutput,
  type ExportState,
} from './export-machine.js';
import { LinkDriver, linkFailure, type OutputHandlers } from './link-driver.js';
import type { CommandResult } from './render.js';
import { resolveAccount } from './resolve-account.js';
import { obtainToken, TokenCanceled, type TokenSourceOptions } from './token-input.js';

export interface ExportOptions extends TokenSourceOptions {
  /** Account id or alias. */
  account: string;
  /** --yes: link without asking at the peer address. */
  yes: boolean;
}

/** What addDevice's refusals mean (op ids are > 0). */
export function addDeviceRefusal(code: number): CommandResult {
  if (code === -1) {
    return { command: 'export', exitCode: ExitCode.usage, message: 'jami-linkd refused the token as invalid (addDevice: -1).', data: { error: 'invalid_token', addDevice: code } };
  }
  if (code === -2) {
    return {
      command: 'export',
      exitCode: ExitCode.busy,
      message: 'a link is already in progress for this account (addDevice: -2). Wait for it to end, or cancel it.',
      data: { error: 'busy', addDevice: code },
    };
  }
  return { command: 'export', exitCode: ExitCode.failure, message: `jami-linkd could not start the link (addDevice: ${code}).`, data: { error: 'refused', addDevice: code } };
}

/** By DONE error word: jamid's (auth_error, unknown) and the seed's (authentication), which older daemons send. */
const FAILURE_MESSAGES: Readonly<Record<string, string>> = {
  network: 'the link failed: the connection to the new device was lost (network).',
  auth_error: 'the link failed: authentication (the new device gave a wrong password 3 times, or the token was already used).',
  unknown: 'the link failed: the new device broke the protocol.',
  state: 'the link failed: this device was in no state to export the account.',
  timeout: 'the link timed out: the new device did not answer in time (is its token still shown?).',
  canceled: 'the link was canceled (here or on the new device).',
};

/** What to tell the user, and the exit code, for the export side's state 5 error. */
export function exportFailure(error: string, details: Details = {}): CommandResult {
  return linkFailure('export', FAILURE_MESSAGES, error === 'authentication' || error === 'invalid_credentials' ? 'auth_error' : error, details, 'new device');
}

export async function runExport(options: ExportOptions, ctx: CommandContext, connect?: ConnectDaemon): Promise<CommandResult> {
  const machine = exportMachine();
  machine.fire('exportToDeviceSelected');
  let token: string;
  let onInterrupt: () => void = () => undefined;
  const interrupted = new Promise<never>((_, reject) => {
    onInterrupt = () => reject(new TokenCanceled());
    ctx.interrupts.once('interrupt', onInterrupt);
  });
  try {
    token = await Promise.race([obtainToken(machine, options, ctx), interrupted]);
  } catch (error) {
    if (!(error instanceof TokenCanceled)) throw error;
    machine.fire('back');
    return canceledResult('export', 'Canceled: no token entered.');
  } finally {
    ctx.interrupts.off('interrupt', onInterrupt);
  }
  // Checked once the token is: a malformed token is the first thing the user hears about.
  if (ctx.json && !options.yes) {
    throw new UsageError('--json never prompts: add --yes to link the device without the confirmation question', { error: 'confirmation_needed' });
  }

  return withDaemon(
    ctx.bus,
    async (daemon) => {
      const account = await resolveAccount(daemon, options.account);
      return new ExportLink(daemon, machine, account, token, options, ctx).run();
    },
    connect,
  );
}

class ExportLink extends LinkDriver<ExportState, ExportInput, ExportOutput> {
  private opId = 0;
  private early: Array<[string, number, number, Details]> | undefined = [];

  constructor(
    private readonly daemon: LinkDaemon,
    machine: ExportMachine,
    private readonly account: { id: string; alias: string; jamiId: string },
    private readonly token: string,
    private readonly options: ExportOptions,
    ctx: CommandContext,
  ) {
    super(ctx, 'export', machine, 'cancelAddDevice');
  }

  protected readonly outputs: OutputHandlers<ExportOutput> = {
    addDevice: () => this.addDevice(),
    showConnecting: () => {
      this.ctx.reporter.say('ok', 'jami-linkd accepted the token.');
      this.ctx.reporter.wait('Connecting to the new device…');
    },
    showPeer: (details) => this.ctx.reporter.say('ok', peerSentence(details, (text) => this.ctx.style.bold(text))),
    askConfirmation: () => this.askConfirmation(),
    confirmAddDevice: async () => {
      const accepted = await this.daemon.confirmAddDevice(this.account.id, this.opId);
      if (!accepted) this.ctx.reporter.say('warn', 'jami-linkd did not take the confirmation (the link moved on).');
      this.ctx.reporter.wait('Waiting for the new device (it may ask for the account password)…');
    },
    showTransfer: () => {
      this.ctx.reporter.say('ok', 'The new device is authenticated.');
      this.ctx.reporter.wait('Sending the account…');
    },
    showDeviceAdded: () => {
      this.ctx.reporter.say('ok', this.ctx.style.green('Device added.'));
      this.finish({
        command: 'export',
        exitCode: ExitCode.success,
        message: `The new device now has account ${this.account.alias || this.account.id}.`,
        data: { error: '', accountId: this.account.id, jamiId: this.account.jamiId, opId: this.opId },
      });
    },
    showError: (details) => this.finish(this.opId > 0 ? exportFailure(details.error ?? 'unexpected', details) : addDeviceRefusal(this.refusal)),
    cancelAddDevice: async () => {
      await this.daemon.cancelAddDevice(this.account.id, this.opId);
    },
    // Init's outputs are run by obtainToken (token-input.ts) before the link starts.
    readQrImage: () => undefined,
    showTokenProblem: () => undefined,
  };

  private refusal = 0;

  run(): Promise<CommandResult> {
    this.daemon.on('addDeviceStateChanged', (accountId, opId, state, details) => {
      if (accountId !== this.account.id) return;
      if (this.early) this.early.push([accountId, opId, state, details]);
      else if (opId === this.opId) this.onSignal(state, details);
    });
    this.daemon.on('daemonGone', () => this.daemonGone());
    this.enqueue('tokenValidated');
    return this.done;
  }

  private async addDevice(): Promise<void> {
    const { alias, id, jamiId } = this.account;
    this.ctx.reporter.say('info', `Linking a new device to account ${this.ctx.style.bold(alias || id)}`);
    this.ctx.reporter.say('info', `  Jami ID: ${jamiId}`);
    const result = await this.daemon.addDevice(this.account.id, this.token);
    const early = this.early ?? [];
    this.early = undefined;
    const refused = addDeviceInputFor(result);
    if (refused) {
      this.refusal = result;
      this.enqueue(refused);
      return;
    }
    this.opId = result;
    for (const [, opId, state, details] of early) if (opId === this.opId) this.onSignal(state, details);
  }

  private onSignal(state: number, details: Details): void {
    this.enqueueSignal(state, details, exportInputFor(state, details), () => {
      this.ctx.reporter.state({ side: 'export', accountId: this.account.id, opId: this.opId, state, details, clientState: this.machine.state });
    });
  }

  private askConfirmation(): void {
    if (this.options.yes) {
      this.enqueue('peerConfirmed');
      return;
    }
    this.ctx.reporter.say('info', 'Check that this is the address of the device you are linking.');
    const signal = this.promptSignal();
    void this.ctx.prompter.confirm('Link this device? [y/N] ', { signal }).then((yes) => {
      if (signal.aborted || this.finished) return;
      if (yes) this.enqueue('peerConfirmed');
      else this.cancel(canceledResult('export', 'Not linked: you refused the device.', { refused: true }));
    });
  }
}

/** Where the new device is, for its user to check: directly, through its network's public address, or through a relay. */
export function peerSentence(details: Details, bold: (text: string) => string): string {
  const address = details.peer_address ?? '';
  switch (details.peer_address_type) {
    case 'relay':
      return address === ''
        ? `Connected to the new device through the TURN relay ${details.peer_relay ?? '?'} (the new device did not say its own address).`
        : `Connected to the new device through the TURN relay ${details.peer_relay ?? '?'}; the new device says its address is ${bold(address)}.`;
    case 'host':
      return `Connected to the new device at ${bold(address)} (directly, on a shared network).`;
    case 'srflx':
    case 'prflx':
      return `Connected to the new device at ${bold(address)} (its network's public address).`;
    default:
      return `Connected to the new device at ${bold(address || '?')}.`;
  }
}
