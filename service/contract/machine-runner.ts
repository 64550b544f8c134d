// Runs a machine's pure step() with run-to-completion semantics: inputs that arrive while effects are
// being performed (re-entrant calls from signal handlers, synchronous transport callbacks) queue up.

import type { Input, StepResult } from './transition-table.js';

export interface MachineRunnerOptions<S extends string, I extends Input, E extends string, C, F extends string> {
  readonly initial: S;
  readonly context: C;
  step(state: S, context: C, input: I): StepResult<S, E, C, F>;
  /** Performs one effect of the row just taken, with the context as the row's records left it;
   *  `error` is set on rows that decide an outcome. */
  perform(effect: E, input: I, context: C, error: F | undefined): void;
  /** An effect threw: the owner logs it and feeds a failure input. */
  onEffectError(effect: E, err: unknown): void;
}

export class MachineRunner<S extends string, I extends Input, E extends string, C, F extends string> {
  private current: S;
  private currentContext: C;
  private readonly queue: I[] = [];
  private running = false;

  constructor(private readonly options: MachineRunnerOptions<S, I, E, C, F>) {
    this.current = options.initial;
    this.currentContext = options.context;
  }

  get state(): S {
    return this.current;
  }

  get context(): C {
    return this.currentContext;
  }

  /** Feeds an input. Returns whether a row accepts it in the current state: the answer a local
   *  call (confirm, provide a password, cancel) gives its caller. */
  dispatch(input: I): boolean {
    const accepted = this.options.step(this.current, this.currentContext, input).accepted;
    this.queue.push(input);
    if (!this.running) this.drain();
    return accepted;
  }

  private drain(): void {
    this.running = true;
    try {
      for (let input = this.queue.shift(); input !== undefined; input = this.queue.shift()) {
        const result = this.options.step(this.current, this.currentContext, input);
        this.current = result.state;
        this.currentContext = result.context;
        for (const effect of result.effects) {
          try {
            this.options.perform(effect, input, result.context, result.error);
          } catch (err) {
            this.options.onEffectError(effect, err);
          }
        }
      }
    } finally {
      this.running = false;
    }
  }
}
