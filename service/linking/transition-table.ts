// The table-driven step shared by the import and export machines: a machine is a list of rows
// `from --on--> to [emit]`, and step() only looks rows up; nothing else decides a state.

import type { LinkFailure } from '../transport/link-transport.js';
import type { LinkError } from './link-state.js';

/** A row that changes state and names the outputs the session performs, in order. */
export interface Transition<S extends string, E extends string, O extends string> {
  readonly from: readonly S[];
  readonly on: E;
  readonly to: S;
  readonly emit: readonly O[];
  /** Rows to Done only: the error the operation ends with; 'event' takes the event's own LinkFailure. */
  readonly error?: LinkError | 'event';
  /** The seed diagram lines this row implements, verbatim (checked by the tests). */
  readonly seed?: readonly string[];
}

/** A row that deliberately does nothing (why says why the input is harmless there). */
export interface Ignore<S extends string, E extends string> {
  readonly from: readonly S[];
  readonly on: E;
  readonly ignore: string;
}

export type Row<S extends string, E extends string, O extends string> = Transition<S, E, O> | Ignore<S, E>;

export interface MachineInput<E extends string> {
  readonly type: E;
  /** Carried by failure events (peer abort, transport failure). */
  readonly error?: LinkFailure;
}

export interface StepResult<S extends string, O extends string> {
  readonly state: S;
  readonly outputs: readonly O[];
  /** A row moved the machine (false: ignored, or a local call refused in this state). */
  readonly accepted: boolean;
  /** Set when this step entered Done. */
  readonly error?: LinkError;
}

export interface MachineSpec<S extends string, E extends string, O extends string> {
  readonly rows: readonly Row<S, E, O>[];
  /** The terminal state: absorbs every input without output. */
  readonly done: S;
  /** Calls from our own user: with no row they are refused and change nothing. */
  readonly localCalls: readonly E[];
  /** Messages from the peer: with no row they become `unexpectedMessage` (a named row to Done). */
  readonly peerMessages: readonly E[];
  readonly unexpectedMessage: E;
  /** Any other input with no row (transport or effect out of order) becomes this (a named row to Done). */
  readonly unexpectedEvent: E;
}

export function isIgnore<S extends string, E extends string, O extends string>(row: Row<S, E, O>): row is Ignore<S, E> {
  return 'ignore' in row;
}

/** The first row that matches wins: specific rows come before the "from any live state" ones. */
export function findRow<S extends string, E extends string, O extends string>(
  rows: readonly Row<S, E, O>[],
  state: S,
  on: E,
): Row<S, E, O> | undefined {
  return rows.find((row) => row.on === on && row.from.includes(state));
}

/** Builds the pure step function of a machine. Total: never throws, whatever the input. */
export function makeStep<S extends string, E extends string, O extends string>(spec: MachineSpec<S, E, O>) {
  return function step(state: S, input: MachineInput<E>): StepResult<S, O> {
    const stay: StepResult<S, O> = { state, outputs: [], accepted: false };
    if (state === spec.done) return stay;
    let row = findRow(spec.rows, state, input.type);
    if (row === undefined) {
      if (spec.localCalls.includes(input.type)) return stay;
      const fallback = spec.peerMessages.includes(input.type) ? spec.unexpectedMessage : spec.unexpectedEvent;
      row = findRow(spec.rows, state, fallback);
      if (row === undefined) return stay;
    }
    if (isIgnore(row)) return stay;
    if (row.to !== spec.done) return { state: row.to, outputs: row.emit, accepted: true };
    const error = row.error === 'event' ? (input.error ?? 'network') : (row.error ?? 'network');
    return { state: row.to, outputs: row.emit, accepted: true, error };
  };
}
