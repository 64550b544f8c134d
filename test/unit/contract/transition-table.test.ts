// The table engine every machine runs on: records before effects, guards choosing between twin rows,
// fallbacks for inputs without a row, and refusal of a table whose rows overlap.

import { strict as assert } from 'node:assert';
import { MachineRunner } from '../../../service/contract/machine-runner.js';
import { makeStep, rowsOf, tableProblems, type MachineSpec } from '../../../service/contract/transition-table.js';

type State = 'Idle' | 'Counting' | 'Done';
type In = { type: 'start' } | { type: 'tick'; by: number } | { type: 'stop' } | { type: 'poke' } | { type: 'odd' } | { type: 'fail'; error: string };
type Effect = 'say' | 'finish';
type Rec = 'recordTick';
type Guard = 'belowLimit';
interface Ctx { readonly count: number }

const { row, ignore } = rowsOf<State, In['type'], Effect | Rec, Guard, string>();

function spec(rows: MachineSpec<State, In, Effect, Rec, Guard, Ctx, string>['rows']): MachineSpec<State, In, Effect, Rec, Guard, Ctx, string> {
  return {
    name: 'test',
    initial: 'Idle',
    final: ['Done'],
    rows,
    context: { count: 0 },
    records: { recordTick: (ctx, input) => ({ count: ctx.count + (input.type === 'tick' ? input.by : 0) }) },
    guards: { belowLimit: (ctx) => ctx.count < 2 },
    localCalls: ['stop'],
    peerMessages: ['odd'],
    unexpectedMessage: 'odd',
    unexpectedEvent: 'fail',
  };
}

const ROWS = [
  row('Idle', 'start', 'Counting', ['say']),
  row('Counting', 'tick', 'Counting', ['recordTick', 'say'], { when: 'belowLimit' }),
  row('Counting', 'tick', 'Done', ['recordTick', 'finish'], { unless: 'belowLimit', error: 'limit' }),
  row('Counting', 'stop', 'Done', ['finish'], { error: 'canceled' }),
  ignore('Counting', 'poke', 'harmless'),
  row(['Idle', 'Counting'], 'fail', 'Done', ['finish'], { error: 'event' }),
];

describe('the transition table engine', () => {
  const step = makeStep(spec(ROWS));

  it('applies records to the context before returning the effects', () => {
    const result = step('Counting', { count: 0 }, { type: 'tick', by: 1 });
    assert.deepEqual(result, { state: 'Counting', context: { count: 1 }, effects: ['say'], accepted: true });
  });

  it('lets a guard on the context choose between twin rows', () => {
    const result = step('Counting', { count: 2 }, { type: 'tick', by: 1 });
    assert.deepEqual(result, { state: 'Done', context: { count: 3 }, effects: ['finish'], accepted: true, error: 'limit' });
  });

  it('refuses a local call without a row and changes nothing', () => {
    assert.deepEqual(step('Idle', { count: 0 }, { type: 'stop' }), { state: 'Idle', context: { count: 0 }, effects: [], accepted: false });
  });

  it('ignores an input on an ignore row, and anything in a final state', () => {
    assert.equal(step('Counting', { count: 0 }, { type: 'poke' }).accepted, false);
    assert.equal(step('Done', { count: 0 }, { type: 'fail', error: 'x' }).accepted, false);
  });

  it('sends an input without a row to the unexpected-event row, whose error is the input\'s own', () => {
    const result = step('Idle', { count: 0 }, { type: 'tick', by: 1 });
    assert.equal(result.state, 'Done');
    assert.equal(result.error, undefined); // the fallback row says error: 'event' and a tick carries none
    assert.equal(step('Idle', { count: 0 }, { type: 'fail', error: 'network' }).error, 'network');
  });

  it('finds rows that overlap, and guarded rows without their twin', () => {
    assert.deepEqual(tableProblems(spec(ROWS)), []);
    assert.deepEqual(tableProblems(spec([...ROWS, row('Counting', 'stop', 'Idle')])), ['Counting stop: 2 rows match']);
    assert.deepEqual(tableProblems(spec([row('Counting', 'tick', 'Done', [], { when: 'belowLimit' })])), ['Counting tick: a guarded row without its twin']);
    assert.deepEqual(tableProblems(spec([row('Done', 'start', 'Idle')])), ['a row leaves the final state Done on start']);
    assert.throws(() => makeStep(spec([...ROWS, row('Idle', 'start', 'Done')])), /ambiguous/);
  });

  it('runs to completion: an input fed by an effect waits for the current row to finish', () => {
    const performed: string[] = [];
    const runner: MachineRunner<State, In, Effect, Ctx, string> = new MachineRunner({
      initial: 'Idle',
      context: { count: 0 },
      step,
      perform: (effect, input, ctx) => {
        performed.push(`${effect}:${input.type}:${ctx.count}`);
        if (input.type === 'start') runner.dispatch({ type: 'tick', by: 5 });
      },
      onEffectError: () => assert.fail('no effect throws here'),
    });
    assert.equal(runner.dispatch({ type: 'start' }), true);
    assert.deepEqual(performed, ['say:start:0', 'say:tick:5']);
    assert.equal(runner.context.count, 5);
    assert.equal(runner.dispatch({ type: 'stop' }), true);
    assert.equal(runner.state, 'Done');
  });
});
