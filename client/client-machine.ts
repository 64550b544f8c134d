// What the two halves of the seed's "Client state machine" share: each jami-link command runs one side,
// the import machine (import-machine.ts) or the export machine (export-machine.ts), on the table engine
// every machine of the product uses; this is the small runner that keeps the side's current state.

import { makeStep, type MachineSpec, type Row, type StepResult } from '../service/contract/transition-table.js';

/**
 * A client machine's table. It has no context, records or guards: the daemon owns the link's state and
 * the client only follows it. Inputs with no row in a running side take the table's `unexpected` row.
 */
export type ClientMachineSpec<S extends string, N extends string, O extends string> = MachineSpec<S, { readonly type: N }, O, never, never, null, never>;

/**
 * One side's table: both start in the seed's Initial (and come back to it), and both send an input their
 * running states have no row for to their `unexpected` row.
 */
export function clientSide<S extends string, N extends string, O extends string>(
  name: string,
  rows: readonly Row<S, N, O, never, never>[],
): ClientMachineSpec<S | 'Initial', N | 'unexpected', O> {
  return { name, initial: 'Initial', final: [], rows, context: null, records: {}, guards: {}, unexpectedEvent: 'unexpected' };
}

/** What one input did: the state before and after, and the outputs to run, in order. */
export interface ClientStep<S extends string, O extends string> {
  readonly from: S;
  readonly to: S;
  readonly outputs: readonly O[];
}

/** One command's client machine: the only place its state changes. */
export class ClientMachine<S extends string, N extends string, O extends string> {
  private current: S;
  private readonly step: (state: S, context: null, input: { readonly type: N }) => StepResult<S, O, null, never>;

  constructor(spec: ClientMachineSpec<S, N, O>) {
    this.step = makeStep(spec);
    this.current = spec.initial;
  }

  get state(): S {
    return this.current;
  }

  /** Applies `input`; returns what it did (whose outputs the caller runs), or undefined when ignored. */
  fire(input: N): ClientStep<S, O> | undefined {
    const from = this.current;
    const result = this.step(from, null, { type: input });
    if (!result.accepted) return undefined;
    this.current = result.state;
    return { from, to: result.state, outputs: result.effects };
  }
}

/** The `error` detail of state 5 (Done): "" and "none" (and none at all) mean the link succeeded. */
export function linkSucceeded(error: string | undefined): boolean {
  return error === '' || error === 'none' || error === undefined;
}
