// One import (new device): drives the import machine with its side effects (transport rendezvous,
// control messages, storing the received account) and reports each state through onState.

import type {
  AccountProof,
  ControlMessage,
  ImportRendezvous,
  LinkFailure,
  LinkTransport,
  PeerChannel,
} from '../transport/link-transport.js';
import { formatAuthToken } from './auth-token.js';
import { IMPORT_STATES, importStep, type ImportInputName, type ImportOutput, type ImportStateName } from './import-machine.js';
import { DEFAULT_LINK_TIMEOUT_MS, LinkState, type LinkDetails, type LinkError } from './link-state.js';
import { MachineRunner } from './machine-runner.js';
import { asLinkFailure, attempt, describeError, safely } from './guarded-calls.js';
import { silentLogger, systemClock, type Clock, type ImportAccountPort, type LinkLogger } from './ports.js';

export interface ImportSessionOptions {
  /** The local account id the D-Bus addAccount created for the account being imported. */
  accountId: string;
  transport: LinkTransport;
  accounts: ImportAccountPort;
  /** Every state change, in order; state 5 exactly once. */
  onState(state: LinkState, details: LinkDetails): void;
  clock?: Clock;
  logger?: LinkLogger;
  /** Whole-operation limit (default 5 min). */
  timeoutMs?: number;
}

type ImportEvent =
  | { type: 'peerDetected'; proof: AccountProof }
  | { type: 'passwordProvided'; password: string }
  | { type: 'transfer'; size: number }
  | { type: 'archive'; archive: Buffer }
  | { type: 'transportFailed' | 'peerAborted'; error: LinkFailure }
  | { type: Exclude<ImportInputName, 'peerDetected' | 'passwordProvided' | 'transfer' | 'archive' | 'transportFailed' | 'peerAborted'> };

export class ImportSession {
  readonly accountId: string;
  /** Resolves with the final error ('' on success) once DONE was reported and everything is closed. */
  readonly settled: Promise<LinkError>;

  private readonly options: ImportSessionOptions;
  private readonly clock: Clock;
  private readonly log: LinkLogger;
  private readonly runner: MachineRunner<ImportStateName, ImportInputName, ImportOutput, ImportEvent>;
  private resolveSettled!: (error: LinkError) => void;

  private started = false;
  private timer: unknown;
  private rendezvous: ImportRendezvous | undefined;
  private channel: PeerChannel | undefined;
  private channelClosing: Promise<void> | undefined;
  private proof: AccountProof | undefined;
  private scheme: '' | 'password' = '';
  /** The password last sent: the one that opened the archive once `transfer` arrives. */
  private password: string | undefined;
  private expectedSize: number | undefined;
  private storing: Promise<unknown> | undefined;
  private discarding: Promise<void> | undefined;
  private readonly closings: Promise<unknown>[] = [];
  private finished = false;

  constructor(options: ImportSessionOptions) {
    this.options = options;
    this.accountId = options.accountId;
    this.clock = options.clock ?? systemClock;
    this.log = options.logger ?? silentLogger;
    this.settled = new Promise((resolve) => (this.resolveSettled = resolve));
    this.runner = new MachineRunner<ImportStateName, ImportInputName, ImportOutput, ImportEvent>({
      initial: 'Init',
      step: importStep,
      perform: (output, event, error) => this.perform(output, event, error),
      onOutputError: (output, err) => {
        this.log.error({ accountId: this.accountId, output, err: describeError(err) }, 'import step failed');
        this.runner.dispatch({ type: 'unexpectedEvent' });
      },
    });
  }

  get state(): ImportStateName {
    return this.runner.state;
  }

  /** The seed's number for the current state. */
  get linkState(): LinkState {
    return IMPORT_STATES[this.runner.state];
  }

  get done(): boolean {
    return this.runner.state === 'Done';
  }

  /** Enters Init: arms the time-out and asks the transport for a rendezvous (the token). */
  start(): void {
    if (this.started || this.done) return;
    this.started = true;
    this.log.info({ accountId: this.accountId }, 'import started');
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.runner.dispatch({ type: 'timedOut' });
    }, this.options.timeoutMs ?? DEFAULT_LINK_TIMEOUT_MS);
    attempt(() => this.options.transport.startImport()).then(
      (rendezvous) => this.adoptRendezvous(rendezvous),
      (err) => {
        this.log.warn({ accountId: this.accountId, err: describeError(err) }, 'import: no rendezvous');
        this.runner.dispatch({ type: 'tokenFailed' });
      },
    );
  }

  /** provideAccountAuthentication: true only when the password is awaited (state 3, scheme 'password',
   *  none sent and not yet answered). */
  provideAuthentication(password: string, scheme: string): boolean {
    if (scheme !== 'password' || typeof password !== 'string') return false;
    return this.runner.dispatch({ type: 'passwordProvided', password });
  }

  /** removeAccount: ends the operation with DONE/canceled unless it already ended. */
  cancel(): boolean {
    return this.runner.dispatch({ type: 'cancel' });
  }

  private adoptRendezvous(rendezvous: ImportRendezvous): void {
    if (this.done) {
      safely(() => rendezvous.close());
      return;
    }
    this.rendezvous = rendezvous;
    rendezvous.on('peer', (proof: AccountProof) => this.runner.dispatch({ type: 'peerDetected', proof }));
    rendezvous.on('channel', (channel: PeerChannel) => this.adoptChannel(channel));
    rendezvous.on('failed', (error: unknown) => this.runner.dispatch({ type: 'transportFailed', error: asLinkFailure(error) }));
    this.runner.dispatch({ type: 'tokenGenerated' });
  }

  private adoptChannel(channel: PeerChannel): void {
    if (this.done || this.channel !== undefined) {
      if (channel !== this.channel) this.closings.push(attempt(() => channel.close()).catch(() => {}));
      if (this.done) return;
      this.runner.dispatch({ type: 'unexpectedEvent' });
      return;
    }
    this.channel = channel;
    channel.on('message', (message: unknown) => this.runner.dispatch(this.readMessage(message)));
    channel.on('archive', (archive: unknown) => {
      const size = Buffer.isBuffer(archive) ? archive.length : -1;
      if (size < 0 || (this.expectedSize !== undefined && size !== this.expectedSize)) {
        this.runner.dispatch({ type: 'unexpectedMessage' });
      } else {
        this.runner.dispatch({ type: 'archive', archive: archive as Buffer });
      }
    });
    channel.on('closed', (error: unknown) => this.runner.dispatch({ type: 'transportFailed', error: asLinkFailure(error) }));
    this.runner.dispatch({ type: 'channelOpen' });
  }

  /** Control message -> machine input; anything malformed is an unexpected message. */
  private readMessage(message: unknown): ImportEvent {
    const m = (typeof message === 'object' && message !== null ? message : {}) as Record<string, unknown>;
    switch (m.t) {
      case 'auth':
        if (m.scheme === 'none') return { type: 'authNone' };
        if (m.scheme === 'password') return { type: 'authPassword' };
        break;
      case 'bad_password':
        return { type: 'badPassword' };
      case 'transfer':
        if (typeof m.size === 'number' && Number.isSafeInteger(m.size) && m.size >= 0) return { type: 'transfer', size: m.size };
        break;
      case 'abort':
        return { type: 'peerAborted', error: asLinkFailure(m.error) };
    }
    this.log.warn({ accountId: this.accountId, t: typeof m.t === 'string' ? m.t.slice(0, 32) : typeof m.t }, 'import: unexpected message');
    return { type: 'unexpectedMessage' };
  }

  private perform(output: ImportOutput, event: ImportEvent, error: LinkError | undefined): void {
    switch (output) {
      case 'signalTokenAvailable':
        return this.report(LinkState.TOKEN_AVAILABLE, { token: formatAuthToken(this.rendezvous!.token) });
      case 'signalConnecting':
        if (event.type === 'peerDetected') this.proof = event.proof;
        return this.report(LinkState.CONNECTING, {});
      case 'signalAuthenticating':
        this.scheme = event.type === 'authPassword' ? 'password' : '';
        return this.report(LinkState.AUTHENTICATING, { peer_id: this.proof!.accountId, auth_scheme: this.scheme });
      case 'signalBadPassword':
        return this.report(LinkState.AUTHENTICATING, {
          peer_id: this.proof!.accountId,
          auth_scheme: 'password',
          auth_error: 'bad_password',
        });
      case 'signalInProgress':
        if (event.type === 'transfer') this.expectedSize = event.size;
        return this.report(LinkState.IN_PROGRESS, {});
      case 'sendPassword':
        if (event.type !== 'passwordProvided') throw new Error('sendPassword without a password');
        this.password = event.password;
        return this.send({ t: 'password', password: event.password });
      case 'store':
        if (event.type !== 'archive') throw new Error('store without an archive');
        return this.store(event.archive);
      case 'sendStored':
        return this.send({ t: 'stored' });
      case 'closeChannel':
        return this.acknowledge();
      case 'sendAbort':
        return this.sendAbort(error);
      case 'teardown':
        return this.teardown();
      case 'discard':
        return this.discard();
      case 'finish':
        return this.finish(error ?? 'network');
    }
  }

  private store(archive: Buffer): void {
    const expected = this.proof!.accountId;
    const storing = attempt(() => this.options.accounts.storeLinkedAccount(this.accountId, archive, this.password));
    this.storing = storing;
    storing.then(
      ({ jamiId }) => {
        if (jamiId === expected) return this.runner.dispatch({ type: 'storeSucceeded' });
        this.log.warn({ accountId: this.accountId, jamiId, expected }, 'import: the archive holds another account');
        this.runner.dispatch({ type: 'accountMismatch' });
      },
      (err) => {
        this.log.warn({ accountId: this.accountId, err: describeError(err) }, 'import: storing the account failed');
        this.runner.dispatch({ type: 'storeFailed' });
      },
    );
  }

  /** `stored` was sent: close gracefully so it is flushed before we call it a success. */
  private acknowledge(): void {
    const closing = this.closeChannel();
    closing.then(
      () => this.runner.dispatch({ type: 'acknowledged' }),
      (err) => {
        this.log.warn({ accountId: this.accountId, err: describeError(err) }, 'import: closing after `stored` failed');
        this.runner.dispatch({ type: 'ackFailed' });
      },
    );
  }

  private send(message: ControlMessage): void {
    if (this.channel === undefined) throw new Error(`no channel to send ${message.t}`);
    try {
      this.channel.send(message);
    } catch (err) {
      this.log.warn({ accountId: this.accountId, t: message.t, err: describeError(err) }, 'import: send failed');
      this.runner.dispatch({ type: 'transportFailed', error: 'network' });
    }
  }

  private sendAbort(error: LinkError | undefined): void {
    if (this.channel === undefined || this.channelClosing !== undefined || !error) return;
    safely(() => this.channel!.send({ t: 'abort', error }));
  }

  /** The channel's close() promise, started once. */
  private closeChannel(): Promise<void> {
    if (this.channelClosing === undefined) {
      const channel = this.channel;
      this.channelClosing = channel === undefined ? Promise.resolve() : attempt(() => channel.close());
      this.closings.push(this.channelClosing.catch(() => {}));
    }
    return this.channelClosing;
  }

  /** The rendezvous goes only once the channel's close() settled: closing it first would tear the
   *  peer connection down under a last `abort` still in flight. */
  private teardown(): void {
    this.stopTimer();
    const rendezvous = this.rendezvous;
    const closeRendezvous = (): void => {
      if (rendezvous !== undefined) safely(() => rendezvous.close());
    };
    if (this.channel === undefined) return closeRendezvous();
    const closing = this.closeChannel().then(closeRendezvous, (err) => {
      this.log.debug({ accountId: this.accountId, err: describeError(err) }, 'import: close failed');
      closeRendezvous();
    });
    this.closings.push(closing);
  }

  /** Waits for a store in flight to settle first, so nothing it writes survives the discard. */
  private discard(): void {
    const pending = this.storing ?? Promise.resolve();
    this.discarding = pending
      .catch(() => {})
      .then(() => this.options.accounts.discard(this.accountId))
      .catch((err) => this.log.error({ accountId: this.accountId, err: describeError(err) }, 'import: discard failed'));
  }

  private finish(error: LinkError): void {
    if (this.finished) return;
    this.finished = true;
    this.stopTimer();
    const log = error === '' ? this.log.info : this.log.warn;
    log.call(this.log, { accountId: this.accountId, error }, 'import ended');
    const announce = () => {
      this.report(LinkState.DONE, { error });
      void Promise.allSettled(this.closings).then(() => this.resolveSettled(error));
    };
    if (this.discarding === undefined) announce();
    else void this.discarding.then(announce);
  }

  private stopTimer(): void {
    if (this.timer === undefined) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private report(state: LinkState, details: LinkDetails): void {
    this.log.debug({ accountId: this.accountId, state, machine: this.runner.state }, 'import state');
    try {
      this.options.onState(state, details);
    } catch (err) {
      this.log.error({ accountId: this.accountId, state, err: describeError(err) }, 'import: state listener threw');
    }
  }
}
