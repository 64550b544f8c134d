// Test helpers: a client machine's table as one (from, on, to, outputs, label) arrow per state, the way
// the seed's diagram draws them; one step from any state; a walk from Initial.

import { isIgnore, makeStep } from '../../../service/contract/transition-table.js';
import { ClientMachine, type ClientMachineSpec } from '../../../client/client-machine.js';

export interface Arrow<S extends string, N extends string, O extends string> {
  readonly from: S;
  readonly on: N;
  readonly to: S;
  readonly outputs: readonly O[];
  readonly label: string | undefined;
}

export function arrowsOf<S extends string, N extends string, O extends string>(spec: ClientMachineSpec<S, N, O>): Arrow<S, N, O>[] {
  return spec.rows.flatMap((row) => (isIgnore(row) ? [] : row.from.map((from) => ({ from, on: row.on, to: row.to, outputs: row.outputs, label: row.label }))));
}

/** The label of the row (state, input) has in the table itself (not the `unexpected` fallback). */
export function labelOf<S extends string, N extends string, O extends string>(spec: ClientMachineSpec<S, N, O>, state: S, input: N): string | undefined {
  return arrowsOf(spec).find((arrow) => arrow.from === state && arrow.on === input)?.label;
}

/** One step of the machine from any state: where it goes, its outputs, whether a row took the input. */
export function stepper<S extends string, N extends string, O extends string>(spec: ClientMachineSpec<S, N, O>) {
  const step = makeStep(spec);
  return (state: S, input: N) => step(state, null, { type: input });
}

/** Enters the side with `start`, then feeds `inputs`: the state after each. */
export function walk<S extends string, N extends string, O extends string>(spec: ClientMachineSpec<S, N, O>, start: N, inputs: readonly N[]): S[] {
  const machine = new ClientMachine(spec);
  machine.fire(start);
  return inputs.map((input) => {
    machine.fire(input);
    return machine.state;
  });
}
