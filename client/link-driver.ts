// Runs one side of a link: feeds the client machine one input at a time (daemon signals, the user's
// answers, Ctrl-C), runs each transition's outputs in order, and settles the command's result once.

import type { ClientMachine, ClientStep } from './client-machine.js';
import { canceledResult, resultForError, type CommandContext } from './command-context.js';
import type { Details } from './daemon-client.js';
import { ExitCode, exitCodeForLinkError } from './exit-codes.js';
import { networkFailureSentence } from './network-failure.js';
import type { CommandName, CommandResult } from './render.js';

/** After a cancel call, how long to wait for the daemon's final state 5 before exiting anyway. */
export const CANCEL_SETTLE_MS = 5000;

/** The result of a link that ended with state 5 and `error`: the side's sentence for it, and the exit code. */
/** A network failure says where it happened (network-failure.ts): in the message, and as the daemon's words in the data. */
export function linkFailure(command: CommandName, messages: Readonly<Record<string, string>>, error: string, details: Details = {}, peer = 'other device'): CommandResult {
  const network = error === 'network' ? networkFailureSentence(details, peer) : undefined;
  const where = network === undefined ? {} : { network_stage: details.network_stage, ...(details.ice ? { ice: details.ice } : {}) };
  return {
    command,
    exitCode: exitCodeForLinkError(error),
    message: network ?? messages[error] ?? `the link failed (${error || 'unknown error'}).`,
    data: { error, ...where },
  };
}

/** What a command does on each output of its machine. */
export type OutputHandlers<O extends string> = Record<O, (details: Details) => void | Promise<void>>;

/** Drives one side's machine: states S, inputs N (every side has Back/Cancel), outputs O. */
export abstract class LinkDriver<S extends string, N extends string, O extends string> {
  private queue: Promise<void> = Promise.resolve();
  private settle!: (result: CommandResult) => void;
  private settled = false;
  readonly done: Promise<CommandResult>;
  /** Aborts the prompt that is open, when the link moves on without its answer. */
  private promptAbort: AbortController | undefined;
  /** Set when we cancel: the result to give once the daemon confirms (or after CANCEL_SETTLE_MS). */
  protected cancelResult: CommandResult | undefined;
  private cancelTimer: NodeJS.Timeout | undefined;

  protected constructor(
    protected readonly ctx: CommandContext,
    protected readonly command: CommandName,
    readonly machine: ClientMachine<S, N | 'back', O>,
    /** The output by which Back/Cancel cancels the link on the daemon (without it, nothing waits). */
    private readonly daemonCancel: O,
  ) {
    this.done = new Promise((resolve) => {
      this.settle = resolve;
    });
    const onInterrupt = () => this.cancel(canceledResult(command));
    ctx.interrupts.on('interrupt', onInterrupt);
    void this.done.then(() => {
      ctx.interrupts.off('interrupt', onInterrupt);
      clearTimeout(this.cancelTimer);
      this.promptAbort?.abort();
    });
  }

  protected abstract readonly outputs: OutputHandlers<O>;

  get finished(): boolean {
    return this.settled;
  }

  /** Queues `input`; inputs are applied one after the other, each with its outputs. */
  enqueue(input: N | 'back', details: Details = {}): void {
    this.enqueueWork(() => this.apply(input, details));
  }

  /**
   * Queues a daemon signal: its input (if any) goes to the machine, then `report` sees the machine's
   * new state, then the outputs run. While canceling, the signal is only reported; state 5 ends the run.
   */
  protected enqueueSignal(state: number, details: Details, input: N | undefined, report: () => void): void {
    this.enqueueWork(async () => {
      if (this.settled) return;
      if (this.cancelResult) {
        report();
        if (state === 5) this.finish(this.cancelResult);
        return;
      }
      await this.apply(input, details, report);
    });
  }

  /** Queues any work that must run in order with the inputs. */
  protected enqueueWork(work: () => void | Promise<void>): void {
    this.queue = this.queue.then(work).catch((error) => this.finish(resultForError(this.command, error)));
  }

  /** Cancels the link (Back/Cancel): the machine's outputs call the daemon; `result` is what we exit with. */
  cancel(result: CommandResult): void {
    if (this.settled || this.cancelResult) return;
    this.cancelResult = result;
    this.enqueue('back');
    this.enqueueWork(() => {
      if (this.settled) return;
      this.cancelTimer = setTimeout(() => this.finish(result), CANCEL_SETTLE_MS);
    });
  }

  /** The daemon left the bus: no more signals can come. */
  protected daemonGone(): void {
    this.finish({ command: this.command, exitCode: ExitCode.daemonNotRunning, message: 'jami-linkd stopped during the link.', data: { error: 'daemon_gone' } });
  }

  finish(result: CommandResult): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(result);
  }

  /** A fresh signal for a prompt; any transition to another state aborts it. */
  protected promptSignal(): AbortSignal {
    this.promptAbort?.abort();
    this.promptAbort = new AbortController();
    return this.promptAbort.signal;
  }

  private async apply(input: N | 'back' | undefined, details: Details, report?: () => void): Promise<void> {
    if (this.settled) return;
    const transition: ClientStep<S, O> | undefined = input ? this.machine.fire(input) : undefined;
    report?.();
    if (!transition) return;
    if (transition.to !== transition.from) this.promptAbort?.abort();
    for (const output of transition.outputs) {
      if (this.settled) return;
      await this.outputs[output](details);
    }
    if (transition.to === 'Initial' && this.cancelResult && !transition.outputs.includes(this.daemonCancel)) {
      this.finish(this.cancelResult); // nothing to cancel on the daemon
    }
  }
}
