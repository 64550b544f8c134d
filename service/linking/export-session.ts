// One export (old device, one addDevice operation): drives the export machine with its side effects
// (connecting to the importer, checking the importer's password against our archive, sending it).

import type {
  ControlMessage,
  ExportConnection,
  LinkFailure,
  LinkTransport,
  PeerChannel,
} from '../transport/link-transport.js';
import type { AuthToken } from './auth-token.js';
import { EXPORT_STATES, exportStep, type ExportInputName, type ExportOutput, type ExportStateName } from './export-machine.js';
import { asLinkFailure, attempt, describeError, safely } from './guarded-calls.js';
import { DEFAULT_LINK_TIMEOUT_MS, LinkState, MAX_PASSWORD_ATTEMPTS, type LinkDetails, type LinkError } from './link-state.js';
import { MachineRunner } from './machine-runner.js';
import { silentLogger, systemClock, type Clock, type ExportAccountPort, type LinkLogger } from './ports.js';

export interface ExportSessionOptions {
  accountId: string;
  opId: number;
  /** Already parsed (addDevice answers -1 for a token that does not parse). */
  token: AuthToken;
  transport: LinkTransport;
  accounts: ExportAccountPort;
  /** Every state change, in order; state 5 exactly once. */
  onState(state: LinkState, details: LinkDetails): void;
  clock?: Clock;
  logger?: LinkLogger;
  /** Whole-operation limit (default 5 min). */
  timeoutMs?: number;
}

type ExportEvent =
  | { type: 'password'; password: string }
  | { type: 'archiveOpened'; archive: Buffer }
  | { type: 'transportFailed' | 'peerAborted'; error: LinkFailure }
  | { type: Exclude<ExportInputName, 'password' | 'archiveOpened' | 'transportFailed' | 'peerAborted'> };

export class ExportSession {
  readonly accountId: string;
  readonly opId: number;
  /** Resolves with the final error ('' on success) once DONE was reported and everything is closed. */
  readonly settled: Promise<LinkError>;

  private readonly options: ExportSessionOptions;
  private readonly clock: Clock;
  private readonly log: LinkLogger;
  private readonly runner: MachineRunner<ExportStateName, ExportInputName, ExportOutput, ExportEvent>;
  private resolveSettled!: (error: LinkError) => void;

  private timer: unknown;
  private connection: ExportConnection | undefined;
  private channel: PeerChannel | undefined;
  private channelClosing: Promise<void> | undefined;
  private attemptsLeft = MAX_PASSWORD_ATTEMPTS;
  private readonly closings: Promise<unknown>[] = [];
  private finished = false;

  constructor(options: ExportSessionOptions) {
    this.options = options;
    this.accountId = options.accountId;
    this.opId = options.opId;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger;
    this.settled = new Promise((resolve) => (this.resolveSettled = resolve));
    this.runner = new MachineRunner<ExportStateName, ExportInputName, ExportOutput, ExportEvent>({
      initial: 'Init',
      step: exportStep,
      perform: (output, event, error) => this.perform(output, event, error),
      onOutputError: (output, err) => {
        this.log.error({ ...this.ids(), output, err: describeError(err) }, 'export step failed');
        this.runner.dispatch({ type: 'unexpectedEvent' });
      },
    });
  }

  get state(): ExportStateName {
    return this.runner.state;
  }

  /** The seed's number for the current state. */
  get linkState(): LinkState {
    return EXPORT_STATES[this.runner.state];
  }

  get done(): boolean {
    return this.runner.state === 'Done';
  }

  /** Token validated: state 2 at once, then credentials and the transport. Arms the time-out. */
  start(): void {
    if (this.runner.state !== 'Init') return;
    this.log.info({ ...this.ids(), peer: this.options.token.peerId.slice(0, 8) }, 'export started');
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.runner.dispatch({ type: 'timedOut' });
    }, this.options.timeoutMs ?? DEFAULT_LINK_TIMEOUT_MS);
    this.runner.dispatch({ type: 'tokenValidated' });
  }

  /** confirmAddDevice: true only while waiting for our user to confirm the peer (state 3, nothing sent yet). */
  confirm(): boolean {
    if (this.runner.state !== 'AwaitingConfirmation') return false;
    let withPassword: boolean;
    try {
      withPassword = this.options.accounts.hasPassword(this.accountId);
    } catch (err) {
      this.log.error({ ...this.ids(), err: describeError(err) }, 'export: cannot tell whether the account has a password');
      this.runner.dispatch({ type: 'unexpectedEvent' });
      return false;
    }
    return this.runner.dispatch({ type: withPassword ? 'confirmProtected' : 'confirmUnprotected' });
  }

  /** cancelAddDevice: ends the operation with DONE/canceled unless it already ended. */
  cancel(): boolean {
    return this.runner.dispatch({ type: 'cancel' });
  }

  private ids(): { accountId: string; opId: number } {
    return { accountId: this.accountId, opId: this.opId };
  }

  private connect(): void {
    attempt(() => this.options.accounts.credentials(this.accountId))
      .then((credentials) => {
        if (this.runner.state !== 'Connecting') return;
        const connection = this.options.transport.startExport(this.options.token, credentials);
        this.connection = connection;
        connection.on('channel', (channel: PeerChannel) => this.adoptChannel(channel));
        connection.on('failed', (error: unknown) => this.runner.dispatch({ type: 'transportFailed', error: asLinkFailure(error) }));
      })
      .catch((err) => {
        this.log.warn({ ...this.ids(), err: describeError(err) }, 'export: could not start the transport');
        this.runner.dispatch({ type: 'connectFailed' });
      });
  }

  private adoptChannel(channel: PeerChannel): void {
    if (this.done || this.channel !== undefined) {
      if (channel !== this.channel) this.closings.push(attempt(() => channel.close()).catch(() => {}));
      if (!this.done) this.runner.dispatch({ type: 'unexpectedEvent' });
      return;
    }
    this.channel = channel;
    channel.on('message', (message: unknown) => this.runner.dispatch(this.readMessage(message)));
    channel.on('archive', () => this.runner.dispatch({ type: 'unexpectedMessage' }));
    channel.on('closed', (error: unknown) => this.runner.dispatch({ type: 'transportFailed', error: asLinkFailure(error) }));
    this.runner.dispatch({ type: 'channelOpen' });
  }

  /** Control message -> machine input; anything malformed is an unexpected message. */
  private readMessage(message: unknown): ExportEvent {
    const m = (typeof message === 'object' && message !== null ? message : {}) as Record<string, unknown>;
    switch (m.t) {
      case 'password':
        if (typeof m.password === 'string') return { type: 'password', password: m.password };
        break;
      case 'stored':
        return { type: 'stored' };
      case 'abort':
        return { type: 'peerAborted', error: asLinkFailure(m.error) };
    }
    this.log.warn({ ...this.ids(), t: typeof m.t === 'string' ? m.t.slice(0, 32) : typeof m.t }, 'export: unexpected message');
    return { type: 'unexpectedMessage' };
  }

  private perform(output: ExportOutput, event: ExportEvent, error: LinkError | undefined): void {
    switch (output) {
      case 'signalConnecting':
        return this.report(LinkState.CONNECTING, {});
      case 'connect':
        return this.connect();
      case 'signalAuthenticating':
        return this.report(LinkState.AUTHENTICATING, { peer_address: this.channel!.peerAddress });
      case 'sendAuthNone':
        return this.send({ t: 'auth', scheme: 'none' });
      case 'sendAuthPassword':
        return this.send({ t: 'auth', scheme: 'password' });
      case 'openArchive':
        return this.openArchive(undefined);
      case 'checkPassword':
        if (event.type !== 'password') throw new Error('checkPassword without a password');
        return this.openArchive(event.password);
      case 'sendBadPassword':
        return this.send({ t: 'bad_password', attemptsLeft: this.attemptsLeft });
      case 'signalInProgress':
        return this.report(LinkState.IN_PROGRESS, {});
      case 'sendTransfer':
        if (event.type !== 'archiveOpened') throw new Error('sendTransfer without an archive');
        return this.send({ t: 'transfer', size: event.archive.length });
      case 'sendArchive':
        if (event.type !== 'archiveOpened') throw new Error('sendArchive without an archive');
        return this.sendArchive(event.archive);
      case 'sendAbort':
        return this.sendAbort(error);
      case 'teardown':
        return this.teardown();
      case 'finish':
        return this.finish(error ?? 'network');
    }
  }

  /** Opens our archive: with the importer's password, or with none for an unprotected account. */
  private openArchive(password: string | undefined): void {
    attempt(() => this.options.accounts.openArchive(this.accountId, password)).then(
      (archive) => {
        if (archive !== undefined) return this.runner.dispatch({ type: 'archiveOpened', archive });
        if (password === undefined) {
          this.log.error(this.ids(), 'export: the archive does not open without a password');
          return this.runner.dispatch({ type: 'archiveUnavailable' });
        }
        this.attemptsLeft -= 1;
        this.log.info({ ...this.ids(), attemptsLeft: this.attemptsLeft }, 'export: wrong password');
        this.runner.dispatch({ type: this.attemptsLeft > 0 ? 'passwordWrong' : 'passwordWrongLast' });
      },
      (err) => {
        this.log.error({ ...this.ids(), err: describeError(err) }, 'export: opening the archive failed');
        this.runner.dispatch({ type: 'archiveUnavailable' });
      },
    );
  }

  private sendArchive(archive: Buffer): void {
    const channel = this.channel!;
    attempt(() => channel.sendArchive(archive)).catch((err) => {
      this.log.warn({ ...this.ids(), err: describeError(err) }, 'export: sending the archive failed');
      this.runner.dispatch({ type: 'sendFailed' });
    });
  }

  private send(message: ControlMessage): void {
    if (this.channel === undefined) throw new Error(`no channel to send ${message.t}`);
    try {
      this.channel.send(message);
    } catch (err) {
      this.log.warn({ ...this.ids(), t: message.t, err: describeError(err) }, 'export: send failed');
      this.runner.dispatch({ type: 'transportFailed', error: 'network' });
    }
  }

  private sendAbort(error: LinkError | undefined): void {
    if (this.channel === undefined || this.channelClosing !== undefined || !error) return;
    safely(() => this.channel!.send({ t: 'abort', error }));
  }

  /** The connection goes only once the channel's close() settled (closing it first would drop a
   *  last `abort` still in flight). */
  private teardown(): void {
    this.stopTimer();
    const connection = this.connection;
    const closeConnection = (): void => {
      if (connection !== undefined) safely(() => connection.close());
    };
    const channel = this.channel;
    if (channel === undefined || this.channelClosing !== undefined) return closeConnection();
    this.channelClosing = attempt(() => channel.close());
    this.closings.push(
      this.channelClosing.then(closeConnection, (err) => {
        this.log.debug({ ...this.ids(), err: describeError(err) }, 'export: close failed');
        closeConnection();
      }),
    );
  }

  private finish(error: LinkError): void {
    if (this.finished) return;
    this.finished = true;
    this.stopTimer();
    const log = error === '' ? this.log.info : this.log.warn;
    log.call(this.log, { ...this.ids(), error }, 'export ended');
    this.report(LinkState.DONE, { error });
    // teardown may follow finish in the same step (success: DONE first, then close).
    queueMicrotask(() => void Promise.allSettled(this.closings).then(() => this.resolveSettled(error)));
  }

  private stopTimer(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private report(state: LinkState, details: LinkDetails): void {
    this.log.debug({ ...this.ids(), state, machine: this.runner.state }, 'export state');
    try {
      this.options.onState(state, details);
    } catch (err) {
      this.log.error({ ...this.ids(), state, err: describeError(err) }, 'export: state listener threw');
    }
  }
}
