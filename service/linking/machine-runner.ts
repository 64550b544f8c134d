// Runs a machine's pure step() with run-to-completion semantics: inputs that arrive while outputs
// are being performed (re-entrant calls from signal handlers, synchronous transport callbacks) queue up.

import type { LinkError } from './link-state.js';
import type { MachineInput, StepResult } from './transition-table.js';

export interface MachineRunnerOptions<S extends string, N extends string, O extends string, E extends MachineInput<N>> {
  initial: S;
  step(state: S, input: E): StepResult<S, O>;
  /** Performs one output of the row just taken; `error` is set on rows that entered Done. */
  perform(output: O, input: E, error: LinkError | undefined): void;
  /** An output threw: the session logs it and feeds a failure input. */
  onOutputError(output: O, err: unknown): void;
}

export class MachineRunner<S extends string, N extends string, O extends string, E extends MachineInput<N>> {
  private current: S;
  private readonly queue: E[] = [];
  private running = false;

  constructor(private readonly options: MachineRunnerOptions<S, N, O, E>) {
    this.current = options.initial;
  }

  get state(): S {
    return this.current;
  }

  /** Feeds an input. Returns whether a row accepts it in the current state: the answer a local
   *  call (confirm, provide a password, cancel) gives its caller. */
  dispatch(input: E): boolean {
    const accepted = this.options.step(this.current, input).accepted;
    this.queue.push(input);
    if (!this.running) this.drain();
    return accepted;
  }

  private drain(): void {
    this.running = true;
    try {
      for (let input = this.queue.shift(); input !== undefined; input = this.queue.shift()) {
        const result = this.options.step(this.current, input);
        this.current = result.state;
        for (const output of result.outputs) {
          try {
            this.options.perform(output, input, result.error);
          } catch (err) {
            this.options.onOutputError(output, err);
          }
        }
      }
    } finally {
      this.running = false;
    }
  }
}
