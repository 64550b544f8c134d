// `jami-link import`: the new device. Creates the importing account, shows the token (QR + text),
// follows deviceAuthStateChanged through the client machine, asks for the password when needed.

import { MAX_PASSWORD_ATTEMPTS } from '../service/linking/link-state.js';
import { canceledResult, passwordNeededResult, type CommandContext } from './command-context.js';
import { withDaemon, type ConnectDaemon, type Details, type LinkDaemon } from './daemon-client.js';
import { ExitCode } from './exit-codes.js';
import { importInputFor, importMachine, type ImportInput, type ImportOutput, type ImportState } from './import-machine.js';
import { LinkDriver, linkFailure, type OutputHandlers } from './link-driver.js';
import { PromptInterrupted } from './prompt.js';
import { loadQrEncoder } from './qr.js';
import { newAccountMessage, tokenBlock, wrongPasswordLine, type CommandResult } from './render.js';

export interface ImportOptions {
  deviceName?: string;
  passwordStdin: boolean;
  /** Accept the account the other device offers without asking (an account with a password still needs it). */
  yes: boolean;
  /** Show the QR code (default); the token text is always shown. */
  qr: boolean;
}

export function importAccountDetails(options: Pick<ImportOptions, 'deviceName'>): Details {
  const details: Details = { 'Account.type': 'RING', 'Account.archiveURL': 'jami-auth' };
  if (options.deviceName) details['Account.deviceName'] = options.deviceName;
  return details;
}

/** By DONE error word: jamid's (auth_error, unknown) and the seed's (authentication), which older daemons send. */
const FAILURE_MESSAGES: Readonly<Record<string, string>> = {
  network: 'the link failed: the connection to the other device was lost (network).',
  auth_error: 'the link failed: authentication (wrong password 3 times, or the account could not be verified).',
  unknown: 'the link failed: the other device broke the protocol or sent an account that does not open.',
  state: 'the link failed: the other device was in no state to export the account.',
  timeout: 'the link timed out: no device used the token in time. Run jami-link import again for a new token.',
  canceled: 'the link was canceled (here or on the other device).',
};

/** What to tell the user, and the exit code, for the import side's state 5 error. */
export function importFailure(error: string, details: Details = {}): CommandResult {
  return linkFailure('import', FAILURE_MESSAGES, error === 'authentication' || error === 'invalid_credentials' ? 'auth_error' : error, details, 'other device');
}

export function runImport(options: ImportOptions, ctx: CommandContext, connect?: ConnectDaemon): Promise<CommandResult> {
  return withDaemon(ctx.bus, (daemon) => new ImportLink(daemon, options, ctx).run(), connect);
}

class ImportLink extends LinkDriver<ImportState, ImportInput, ImportOutput> {
  private accountId = '';
  /** Signals that arrived before addAccount returned our id. */
  private early: Array<[string, number, Details]> | undefined = [];
  private peerId = '';
  private badPasswords = 0;

  constructor(
    private readonly daemon: LinkDaemon,
    private readonly options: ImportOptions,
    ctx: CommandContext,
  ) {
    super(ctx, 'import', importMachine(), 'removeAccount');
  }

  protected readonly outputs: OutputHandlers<ImportOutput> = {
    addAccount: () => this.addAccount(),
    showToken: (details) => {
      if (this.options.qr) this.ctx.reporter.lines(tokenBlock(details.token, this.ctx.style));
      else this.ctx.reporter.lines(['Type this token on the device that has the account:', '', `  ${this.ctx.style.bold(details.token)}`, '']);
      this.ctx.reporter.wait('Waiting for the other device to use the token…');
    },
    showConnecting: () => {
      this.ctx.reporter.say('ok', 'The other device answered.');
      this.ctx.reporter.wait('Connecting…');
    },
    showPeer: (details) => {
      this.peerId = details.peer_id ?? '';
      this.ctx.reporter.say('ok', `Connected. Jami ID of the account: ${this.ctx.style.bold(this.peerId)}`);
    },
    askConsent: (details) => this.askConsent(details),
    showChecking: () => this.ctx.reporter.wait('Waiting for the other device…'),
    showTransfer: () => {
      this.ctx.reporter.say('ok', 'Authenticated.');
      this.ctx.reporter.wait('Receiving the account…');
    },
    showAccount: () => this.succeed(),
    showError: (details) => this.finish(importFailure(details.error ?? 'unexpected', details)),
    removeAccount: async () => {
      if (this.accountId) await this.daemon.removeAccount(this.accountId);
    },
  };

  run(): Promise<CommandResult> {
    this.daemon.on('deviceAuthStateChanged', (accountId, state, details) => {
      if (this.early) this.early.push([accountId, state, details]);
      else if (accountId === this.accountId) this.onSignal(state, details);
    });
    this.daemon.on('daemonGone', () => this.daemonGone());
    this.enqueue('importFromDeviceSelected');
    return this.done;
  }

  private async addAccount(): Promise<void> {
    this.ctx.reporter.wait('Asking jami-linkd for a token…');
    const added = this.daemon.addAccount(importAccountDetails(this.options));
    // The call is on its way: the encoder loads while the daemon publishes the token (a few ms of the ~20). A load
    // that fails here fails again, and is reported, when the token is drawn.
    if (this.options.qr) {
      try {
        loadQrEncoder();
      } catch {
        // see above
      }
    }
    this.accountId = await added;
    const early = this.early ?? [];
    this.early = undefined;
    for (const [accountId, state, details] of early) if (accountId === this.accountId) this.onSignal(state, details);
  }

  private onSignal(state: number, details: Details): void {
    const input = importInputFor(state, details);
    this.enqueueSignal(state, details, input, () => {
      const attemptsLeft = state === 3 && details.auth_scheme === 'password' ? MAX_PASSWORD_ATTEMPTS - this.badPasswords - (details.auth_error ? 1 : 0) : undefined;
      this.ctx.reporter.state({ side: 'import', accountId: this.accountId, state, details, clientState: this.machine.state, attemptsLeft });
    });
  }

  /** State 3: the daemon waits for our user to accept the account (jamid's consent), with its password if it has one. */
  private async askConsent(details: Details): Promise<void> {
    if (details.auth_error) this.badPasswords++;
    if (details.auth_scheme !== 'password') return this.askToAccept();
    const left = MAX_PASSWORD_ATTEMPTS - this.badPasswords;
    if (details.auth_error) this.ctx.reporter.say('fail', wrongPasswordLine(left));
    else this.ctx.reporter.say('info', 'This account is protected by a password.');
    const noPassword = (message: string) => this.cancel(passwordNeededResult('import', message));
    if (!this.options.passwordStdin && (this.ctx.json || !this.ctx.prompter.isTerminal)) {
      noPassword(
        this.ctx.json
          ? 'the account has a password and --json never prompts: pass --password-stdin and write the password on standard input.'
          : 'the account has a password and standard input is not a terminal: pass --password-stdin.',
      );
      return;
    }
    const signal = this.promptSignal();
    this.ctx.reporter.stopWaiting();
    const attempt = `attempt ${MAX_PASSWORD_ATTEMPTS - left + 1} of ${MAX_PASSWORD_ATTEMPTS}`;
    const question = this.ctx.json ? '' : this.options.passwordStdin ? `Password (from standard input, ${attempt}): ` : `Password (${attempt}): `;
    const read = this.ctx.prompter.readSecret(question, { signal });
    // The prompt runs beside the queue: signals (a time-out, a cancel from the other device) still come in.
    void read.then(
      (password) => {
        if (signal.aborted || this.finished) return;
        if (password === undefined) {
          if (this.options.passwordStdin) noPassword('no password on standard input (one line per attempt).');
          else this.cancel(canceledResult('import'));
          return;
        }
        this.enqueueWork(() => this.sendCredentials(password));
      },
      (error) => {
        if (error instanceof PromptInterrupted) this.ctx.interrupts.emit('interrupt');
      },
    );
  }

  /** An account without a password: "Link this device to account <Jami ID>?" (--yes answers for the user). */
  private askToAccept(): void {
    if (this.options.yes) {
      this.enqueueWork(() => this.sendCredentials(''));
      return;
    }
    if (this.ctx.json) {
      this.cancel({
        command: 'import',
        exitCode: ExitCode.usage,
        message: `the other device offers account ${this.peerId}: --json never prompts, pass --yes to accept it.`,
        data: { error: 'consent_needed', jamiId: this.peerId },
      });
      return;
    }
    const signal = this.promptSignal();
    this.ctx.reporter.stopWaiting();
    void this.ctx.prompter.confirm(`Link this device to account ${this.peerId}? [y/N] `, { signal }).then((yes) => {
      if (signal.aborted || this.finished) return;
      if (yes) this.enqueueWork(() => this.sendCredentials(''));
      else this.cancel(canceledResult('import', 'Not linked: you refused the account.', { refused: true }));
    });
  }

  /** Our user's answer: the password, or '' to accept an account without one (jamid's schemes). */
  private async sendCredentials(password: string): Promise<void> {
    if (this.finished || this.machine.state !== 'ImportDevice.Authenticating') return;
    const accepted = await this.daemon.provideAccountAuthentication(this.accountId, password, password ? 'password' : '');
    if (!accepted) this.ctx.reporter.say('warn', 'jami-linkd did not take the answer (the link moved on).');
    this.ctx.reporter.wait(password ? 'Checking the password…' : 'Waiting for the account…');
  }

  private async succeed(): Promise<void> {
    const details = await this.daemon.getAccountDetails(this.accountId);
    const jamiId = details['Account.username'] || this.peerId;
    const deviceId = details['Account.deviceID'] ?? '';
    this.ctx.reporter.say('ok', this.ctx.style.green('This device is now linked.'));
    this.finish({
      command: 'import',
      exitCode: ExitCode.success,
      message: newAccountMessage(this.accountId, jamiId, deviceId),
      data: { error: '', accountId: this.accountId, jamiId, deviceId },
    });
  }
}
