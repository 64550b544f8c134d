// What an import and an export session share: running their machine, classifying the channel's raw
// events into the machine's inputs, and the effects every link performs alike (abort, teardown, DONE).

import { OneShotTimer, systemClock, type Clock } from '../contract/clock.js';
import { guarded, attempt, describeError, safely } from '../contract/guards.js';
import { asLinkFailure, type CloseOptions, type ExportConnection, type ImportRendezvous, type NetworkDiagnosis, type PeerChannel } from '../contract/link-contract.js';
import { silentLogger, type Logger } from '../contract/logger.js';
import { MachineRunner } from '../contract/machine-runner.js';
import type { Input, StepResult } from '../contract/transition-table.js';
import { readControlMessage, type ControlMessage } from './control-messages.js';
import { peerInputOf, type LinkInput, type LinkOutput } from './link-machine.js';
import { DEFAULT_LINK_TIMEOUT_MS, failureWordOf, LinkState, type LinkDetails, type LinkError } from './link-state.js';

export interface LinkSessionOptions {
  /** The local account being imported into, or exported from. */
  accountId: string;
  /** Every state change, in order; state 5 exactly once. */
  onState(state: LinkState, details: LinkDetails): void;
  clock?: Clock;
  logger?: Logger;
  /** Whole-operation limit (default 5 min): from the start on the old device; on the new device from the
   *  moment the channel opens (as jamid: a shown token waits for its exporter as long as it takes). */
  timeoutMs?: number;
  /** New device only: how long a shown token waits for an exporter; 0 or absent: until canceled. */
  tokenLifetimeMs?: number;
}

/** What a session needs from its machine. */
export interface SessionMachine<S extends string, I extends Input, E extends string, C> {
  readonly spec: { readonly initial: S; readonly final: readonly S[]; readonly context: C };
  step(state: S, context: C, input: I): StepResult<S, E, C, LinkError>;
  awaitsUser(state: S): boolean;
}

/**
 * The effect adapter of one link machine. Subclasses classify their own raw events into inputs and
 * perform their own effects with the context the machine's records left; no code here or there reads
 * a state's name: the machine decides. `I` must include LinkInput and `E` LinkOutput.
 */
export abstract class LinkSession<S extends string, I extends Input, E extends string, C> {
  readonly accountId: string;
  /** Resolves with the final error ('' on success) once DONE was reported and everything is closed. */
  readonly settled: Promise<LinkError>;

  protected readonly log: Logger;
  /** The data channel, once the transport opened it. */
  protected channel: PeerChannel | undefined;

  private readonly runner: MachineRunner<S, I, E, C, LinkError>;
  private readonly timer: OneShotTimer;
  private resolveSettled!: (error: LinkError) => void;
  /** The transport's rendezvous (import) or connection (export), closed last. */
  private link: ImportRendezvous | ExportConnection | undefined;
  private channelClosing: Promise<void> | undefined;
  private readonly closings: Promise<unknown>[] = [];
  /** Work that must be over before DONE is reported (the import's discard). */
  private readonly beforeDone: Promise<unknown>[] = [];
  private started = false;
  private finished = false;
  /** Where the transport says the connection broke; told in DONE next to a 'network' or 'timeout' error. */
  private diagnosis: NetworkDiagnosis | undefined;

  protected constructor(
    private readonly machine: SessionMachine<S, I, E, C>,
    private readonly options: LinkSessionOptions,
    private readonly side: 'import' | 'export',
    bindings: Record<string, unknown>,
  ) {
    this.accountId = options.accountId;
    this.log = (options.logger ?? silentLogger).child(bindings);
    this.timer = new OneShotTimer(options.clock ?? systemClock);
    this.settled = new Promise((resolve) => (this.resolveSettled = resolve));
    this.runner = new MachineRunner<S, I, E, C, LinkError>({
      initial: machine.spec.initial,
      context: machine.spec.context,
      step: machine.step,
      perform: (effect, input, context, error) => this.perform(effect, input, context, error),
      onEffectError: (effect, err) => {
        this.log.error({ effect, err: describeError(err) }, `${this.side} step failed`);
        this.dispatch({ type: 'unexpectedEvent' });
      },
    });
  }

  /** The machine's state (for tests and logs; callers ask `done` and `awaitsUser`). */
  get state(): S {
    return this.runner.state;
  }

  get done(): boolean {
    return this.machine.spec.final.includes(this.runner.state);
  }

  /** Live, and waiting for its own user (the import's password, the export's confirmation). */
  get awaitsUser(): boolean {
    return !this.done && this.machine.awaitsUser(this.runner.state);
  }

  /** Arms the time-out that runs from the start, if any, and begins (once; never after DONE). */
  start(): void {
    if (this.started || this.done) return;
    this.started = true;
    const fromStart = this.side === 'export' ? this.operationTimeoutMs() : this.options.tokenLifetimeMs;
    if (fromStart) this.timer.start(fromStart, () => this.dispatch({ type: 'timedOut' }));
    this.begin();
  }

  private operationTimeoutMs(): number {
    return this.options.timeoutMs ?? DEFAULT_LINK_TIMEOUT_MS;
  }

  /** Ends the operation with DONE/canceled unless it already ended. */
  cancel(): boolean {
    return this.dispatch({ type: 'cancel' });
  }

  /** The side's first step, once the time-out is armed. */
  protected abstract begin(): void;

  /** Performs an effect of the side's own; the shared ones (LinkOutput) are done here. */
  protected abstract performOwn(effect: E, input: I, context: C): void;

  /** Feeds the machine; true when a row took the input (the answer a local call gives). */
  protected dispatch(input: I | LinkInput): boolean {
    return this.runner.dispatch(input as I);
  }

  /** The transport's rendezvous or connection: its channel and failures become inputs. False after DONE
   *  (it is closed at once). */
  protected adoptLink(link: ImportRendezvous | ExportConnection): boolean {
    if (this.done) {
      safely(() => link.close());
      return false;
    }
    this.link = link;
    link.on('channel', (channel: PeerChannel) => this.adoptChannel(channel));
    link.on('failed', (error: unknown, diagnosis?: NetworkDiagnosis) => {
      this.diagnosis ??= diagnosis;
      this.dispatch({ type: 'transportFailed', error: failureWordOf(asLinkFailure(error)) });
    });
    return true;
  }

  /** Sends a control message; a channel that throws is a network failure. */
  protected send(message: ControlMessage): void {
    if (this.channel === undefined) throw new Error(`no channel to send ${message.t}`);
    try {
      this.channel.send(message);
    } catch (err) {
      this.log.warn({ t: message.t, err: describeError(err) }, `${this.side}: send failed`);
      this.dispatch({ type: 'transportFailed', error: 'network' });
    }
  }

  /** The channel's close() promise, started once (with the options of the first call). */
  protected closeChannel(options?: CloseOptions): Promise<void> {
    if (this.channelClosing === undefined) {
      const channel = this.channel;
      this.channelClosing = channel === undefined ? Promise.resolve() : attempt(() => channel.close(options));
      this.closings.push(this.channelClosing.catch(() => {}));
    }
    return this.channelClosing;
  }

  /** DONE is reported only once `work` settled. */
  protected holdDoneUntil(work: Promise<unknown>): void {
    this.beforeDone.push(work);
  }

  protected report(state: LinkState, details: LinkDetails): void {
    this.log.debug({ state, machine: this.runner.state }, `${this.side} state`);
    guarded(this.log, `${this.side}: state listener threw`, () => this.options.onState(state, details));
  }

  /** One channel per link: a second one, or one after DONE, is closed (and a second one is the
   *  transport breaking its contract). */
  private adoptChannel(channel: PeerChannel): void {
    if (this.done || this.channel !== undefined) {
      if (channel !== this.channel) this.closings.push(attempt(() => channel.close()).catch(() => {}));
      if (!this.done) this.dispatch({ type: 'unexpectedEvent' });
      return;
    }
    this.channel = channel;
    // The new device's whole-operation limit starts now (it replaces the token's lifetime, if any).
    if (this.side === 'import') this.timer.start(this.operationTimeoutMs(), () => this.dispatch({ type: 'timedOut' }));
    channel.on('message', (message: unknown) => this.dispatch(this.classify(message)));
    channel.on('archive', (archive: unknown) =>
      this.dispatch(Buffer.isBuffer(archive) ? { type: 'archive', archive } : { type: 'unexpectedMessage' }),
    );
    channel.on('closed', (error: unknown) => {
      this.diagnosis ??= { stage: 'transfer' };
      this.dispatch({ type: 'transportFailed', error: failureWordOf(asLinkFailure(error)) });
    });
    this.dispatch({ type: 'channelOpen' });
  }

  /** Untrusted JSON from the peer -> a named input; which ones this side accepts, the machine says. */
  private classify(message: unknown): LinkInput {
    const read = readControlMessage(message);
    if (read === 'malformed') {
      const t = (message as { t?: unknown } | null)?.t;
      this.log.warn({ t: typeof t === 'string' ? t.slice(0, 32) : typeof t }, `${this.side}: malformed message`);
    }
    return peerInputOf(read);
  }

  private perform(effect: E, input: I, context: C, error: LinkError | undefined): void {
    const shared = effect as E & LinkOutput;
    switch (shared) {
      case 'sendAbort':
        return this.sendAbort(error);
      case 'teardown':
        return this.teardown();
      case 'finish':
        return this.finish(error ?? 'network');
      default:
        return this.performOwn(effect, input, context);
    }
  }

  private sendAbort(error: LinkError | undefined): void {
    const channel = this.channel;
    if (channel === undefined || this.channelClosing !== undefined || !error) return;
    safely(() => channel.send({ t: 'abort', error }));
  }

  /** The rendezvous or connection goes only once the channel's close() settled: closing it first would
   *  tear the peer connection down under a last `abort` still in flight. */
  private teardown(): void {
    this.timer.clear();
    const link = this.link;
    const closeLink = (): void => {
      if (link !== undefined) safely(() => link.close());
    };
    if (this.channel === undefined) return closeLink();
    const closing = this.closeChannel().then(closeLink, (err) => {
      this.log.debug({ err: describeError(err) }, `${this.side}: close failed`);
      closeLink();
    });
    this.closings.push(closing);
  }

  private finish(error: LinkError): void {
    if (this.finished) return;
    this.finished = true;
    this.timer.clear();
    if (error === '') this.log.info({ error }, `${this.side} ended`);
    else this.log.warn({ error }, `${this.side} ended`);
    const announce = (): void => {
      this.report(LinkState.DONE, { error, ...(error === 'network' || error === 'timeout' ? diagnosisDetails(this.diagnosis) : {}) });
      // A row may tear down after finish: the closings are complete once the current step is.
      queueMicrotask(() => void Promise.allSettled(this.closings).then(() => this.resolveSettled(error)));
    };
    if (this.beforeDone.length === 0) announce();
    else void Promise.allSettled(this.beforeDone).then(announce);
  }
}

/** State 5's extra keys for a network failure (Jami's clients read `error` and ignore keys they do not know). */
function diagnosisDetails(diagnosis: NetworkDiagnosis | undefined): LinkDetails {
  if (diagnosis === undefined) return {};
  return { network_stage: diagnosis.stage, ...(diagnosis.ice !== undefined ? { ice: diagnosis.ice } : {}) };
}
