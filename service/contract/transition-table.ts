// Machines as data, one format for every machine of the product (linking, transport, client): positional
// rows `row(from, on, to, outputs, extras)` read like a diagram's arrows, and a pure step() only looks
// them up. A machine owns its context: rows name `record*` outputs (pure updates of the context, applied
// before any effect) and guards on the context choose between twin rows. Nothing else decides a state.

/** An input of a machine: its name, and whatever the effect adapter classified it with. */
export interface Input<N extends string = string> {
  readonly type: N;
  /** Failure inputs carry why (the row's `error: 'event'` takes it). */
  readonly error?: string;
}

export interface RowExtras<G extends string, F extends string> {
  /** The row applies only when this guard holds; its twin row, same (from, on), says `unless` it. */
  readonly when?: G;
  readonly unless?: G;
  /** The outcome this row decides (rows into a final state); 'event' takes the input's own `error`. */
  readonly error?: F | 'event';
  /** The seed diagram lines this row implements, verbatim (the tests check them against the seed). */
  readonly seed?: readonly string[];
  /** A diagram label, or why a row that no diagram shows exists. */
  readonly label?: string;
}

export interface Transition<S extends string, N extends string, O extends string, G extends string, F extends string>
  extends RowExtras<G, F> {
  readonly kind: 'transition';
  readonly from: readonly S[];
  readonly on: N;
  readonly to: S;
  /** Records and effects, in order; records are applied to the context first. */
  readonly outputs: readonly O[];
}

/** A row that deliberately does nothing: `why` says why the input is harmless there. */
export interface Ignore<S extends string, N extends string> {
  readonly kind: 'ignore';
  readonly from: readonly S[];
  readonly on: N;
  readonly why: string;
}

export type Row<S extends string, N extends string, O extends string, G extends string, F extends string> =
  | Transition<S, N, O, G, F>
  | Ignore<S, N>;

/** Row builders typed for one machine: `const { row, ignore } = rowsOf<State, InputName, Output, Guard, Failure>()`. */
export function rowsOf<S extends string, N extends string, O extends string, G extends string = never, F extends string = never>() {
  return {
    row: (from: S | readonly S[], on: N, to: S, outputs: readonly O[] = [], extras: RowExtras<G, F> = {}): Transition<S, N, O, G, F> => ({
      kind: 'transition',
      from: typeof from === 'string' ? [from] : from,
      on,
      to,
      outputs,
      ...extras,
    }),
    ignore: (from: S | readonly S[], on: N, why: string): Ignore<S, N> => ({
      kind: 'ignore',
      from: typeof from === 'string' ? [from] : from,
      on,
      why,
    }),
  };
}

export function isIgnore<S extends string, N extends string, O extends string, G extends string, F extends string>(
  row: Row<S, N, O, G, F>,
): row is Ignore<S, N> {
  return row.kind === 'ignore';
}

export interface MachineSpec<
  S extends string,
  I extends Input,
  E extends string,
  R extends string,
  G extends string,
  C,
  F extends string,
> {
  readonly name: string;
  readonly initial: S;
  /** Terminal states: they absorb every input, without output. */
  readonly final: readonly S[];
  readonly rows: readonly Row<S, I['type'], E | R, G, F>[];
  /** The context a new machine starts with. */
  readonly context: C;
  /** Pure updates of the context, named by rows. */
  readonly records: { readonly [K in R]: (context: C, input: I) => C };
  /** Conditions on the context (and the input) that choose between twin rows. */
  readonly guards: { readonly [K in G]: (context: C, input: I) => boolean };
  /** Calls from our own user: with no row they are refused and change nothing. */
  readonly localCalls?: readonly I['type'][];
  /** Messages from the peer: with no row they become `unexpectedMessage` (a named row). */
  readonly peerMessages?: readonly I['type'][];
  readonly unexpectedMessage?: I['type'];
  /** Any other input with no row (transport or effect out of order) becomes this (a named row). */
  readonly unexpectedEvent?: I['type'];
}

export interface StepResult<S extends string, E extends string, C, F extends string> {
  readonly state: S;
  readonly context: C;
  /** The effects to perform, in order (records already applied to `context`). */
  readonly effects: readonly E[];
  /** A row moved the machine (false: ignored, or a local call refused in this state). */
  readonly accepted: boolean;
  /** Set when the row taken decides an outcome. */
  readonly error?: F;
}

/**
 * What is wrong with a table: rows that leave a final state, and (state, input) pairs that more than one
 * row matches, unless they are exactly a `when: g` row and its `unless: g` twin. An empty list means
 * no behaviour depends on the order of the rows.
 */
export function tableProblems<S extends string, N extends string, O extends string, G extends string, F extends string>(
  spec: { readonly final: readonly S[]; readonly rows: readonly Row<S, N, O, G, F>[] },
): string[] {
  const problems: string[] = [];
  const byPair = new Map<string, Row<S, N, O, G, F>[]>();
  for (const row of spec.rows) {
    for (const from of row.from) {
      if (spec.final.includes(from)) problems.push(`a row leaves the final state ${from} on ${row.on}`);
      const key = `${from} ${row.on}`;
      byPair.set(key, [...(byPair.get(key) ?? []), row]);
    }
  }
  for (const [pair, rows] of byPair) {
    const guardOf = (row: Row<S, N, O, G, F>) => (isIgnore(row) ? undefined : row.when ?? row.unless);
    if (rows.length === 1) {
      if (guardOf(rows[0]!) !== undefined) problems.push(`${pair}: a guarded row without its twin`);
      continue;
    }
    const [a, b] = rows;
    const twins = rows.length === 2 && !isIgnore(a!) && !isIgnore(b!) && guardOf(a!) !== undefined
      && ((a!.when !== undefined && a!.when === b!.unless) || (a!.unless !== undefined && a!.unless === b!.when));
    if (!twins) problems.push(`${pair}: ${rows.length} rows match`);
  }
  return problems;
}

/** Builds the pure step function of a machine. Refuses a table with problems; total: never throws on input. */
export function makeStep<S extends string, I extends Input, E extends string, R extends string, G extends string, C, F extends string>(
  spec: MachineSpec<S, I, E, R, G, C, F>,
) {
  const problems = tableProblems(spec);
  if (problems.length > 0) throw new Error(`the ${spec.name} machine's table is ambiguous:\n${problems.join('\n')}`);
  const index = new Map<string, Row<S, I['type'], E | R, G, F>[]>();
  for (const row of spec.rows) {
    for (const from of row.from) index.set(`${from} ${row.on}`, [...(index.get(`${from} ${row.on}`) ?? []), row]);
  }
  const isRecord = (output: E | R): output is R => Object.hasOwn(spec.records, output);

  const find = (state: S, on: I['type'], context: C, input: I): Row<S, I['type'], E | R, G, F> | undefined =>
    index.get(`${state} ${on}`)?.find((row) => {
      if (isIgnore(row)) return true;
      if (row.when !== undefined) return spec.guards[row.when](context, input);
      if (row.unless !== undefined) return !spec.guards[row.unless](context, input);
      return true;
    });

  return function step(state: S, context: C, input: I): StepResult<S, E, C, F> {
    const stay: StepResult<S, E, C, F> = { state, context, effects: [], accepted: false };
    if (spec.final.includes(state)) return stay;
    let row = find(state, input.type, context, input);
    if (row === undefined) {
      if (spec.localCalls?.includes(input.type)) return stay;
      const fallback = spec.peerMessages?.includes(input.type) ? spec.unexpectedMessage : spec.unexpectedEvent;
      row = fallback === undefined ? undefined : find(state, fallback, context, input);
      if (row === undefined) return stay;
    }
    if (isIgnore(row)) return stay;
    let next = context;
    const effects: E[] = [];
    for (const output of row.outputs) {
      if (isRecord(output)) next = spec.records[output](next, input);
      else effects.push(output);
    }
    const result = { state: row.to, context: next, effects, accepted: true };
    if (row.error === undefined) return result;
    return { ...result, error: (row.error === 'event' ? input.error : row.error) as F };
  };
}
