// The import and export transition tables, held against the seed's diagrams, and the pure step()
// checked for totality and for "every path ends in exactly one DONE".

import { strict as assert } from 'node:assert';
import { EXPORT_MACHINE, EXPORT_STATES, exportStep, type ExportInputName, type ExportStateName } from '../../../service/linking/export-machine.js';
import { IMPORT_MACHINE, IMPORT_STATES, importStep, type ImportInputName, type ImportStateName } from '../../../service/linking/import-machine.js';
import { LinkState, SEED_STATE_NAMES } from '../../../service/linking/link-state.js';
import { isIgnore, type Row, type StepResult } from '../../../service/linking/transition-table.js';
import { SEED_CLIENT_DIAGRAM, SEED_DAEMON_DIAGRAM } from '../../support/seed-diagrams.js';


interface SeedLine {
  text: string;
  side: 'Import' | 'Export';
  from: string;
  to: string;
}

function seedLines(diagram: string): SeedLine[] {
  const lines: SeedLine[] = [];
  for (const raw of diagram.split('\n')) {
    const m = /^(Import|Export)_(\w+) --> (?:Import|Export)_(\w+): .+$/.exec(raw.trim());
    if (m) lines.push({ text: raw.trim(), side: m[1] as 'Import' | 'Export', from: m[2]!, to: m[3]! });
  }
  return lines;
}

const SEED_NUMBER: Record<string, LinkState> = Object.fromEntries(
  Object.entries(SEED_STATE_NAMES).map(([n, name]) => [name, Number(n) as LinkState]),
);

interface Machine<S extends string, E extends string> {
  name: string;
  side: 'Import' | 'Export';
  states: Record<S, LinkState>;
  rows: readonly Row<S, E, string>[];
  inputs: readonly E[];
  localCalls: readonly E[];
  step(state: S, input: { type: E; error?: 'network' | 'authentication' | 'timeout' | 'canceled' }): StepResult<S, string>;
}

const IMPORT_INPUTS: readonly ImportInputName[] = [
  'tokenGenerated', 'tokenFailed', 'peerDetected', 'channelOpen', 'transportFailed', 'authNone', 'authPassword',
  'badPassword', 'transfer', 'archive', 'peerAborted', 'unexpectedMessage', 'passwordProvided', 'cancel',
  'storeSucceeded', 'accountMismatch', 'storeFailed', 'acknowledged', 'ackFailed', 'timedOut', 'unexpectedEvent',
];
const EXPORT_INPUTS: readonly ExportInputName[] = [
  'tokenValidated', 'confirmProtected', 'confirmUnprotected', 'cancel', 'channelOpen', 'connectFailed',
  'transportFailed', 'password', 'stored', 'peerAborted', 'unexpectedMessage', 'archiveOpened', 'archiveUnavailable',
  'passwordWrong', 'passwordWrongLast', 'sendFailed', 'timedOut', 'unexpectedEvent',
];

const importMachine: Machine<ImportStateName, ImportInputName> = {
  name: 'import', side: 'Import', states: IMPORT_STATES, rows: IMPORT_MACHINE.rows, inputs: IMPORT_INPUTS,
  localCalls: IMPORT_MACHINE.localCalls, step: importStep,
};
const exportMachine: Machine<ExportStateName, ExportInputName> = {
  name: 'export', side: 'Export', states: EXPORT_STATES, rows: EXPORT_MACHINE.rows, inputs: EXPORT_INPUTS,
  localCalls: EXPORT_MACHINE.localCalls, step: exportStep,
};

/** A small deterministic PRNG, so a failing walk can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

for (const machine of [importMachine, exportMachine] as Machine<string, string>[]) {
  const states = Object.keys(machine.states);
  const live = states.filter((s) => s !== 'Done');

  describe(`the ${machine.name} machine`, () => {
    it('has the seed states 0-5, starts in Init (0) and ends in Done (5)', () => {
      assert.equal(machine.states['Init'], LinkState.INIT);
      assert.equal(machine.states['Done'], LinkState.DONE);
      for (const n of Object.values(machine.states)) assert.ok(n >= 0 && n <= 5);
      const expected = machine.side === 'Import' ? [0, 1, 2, 3, 4, 5] : [0, 2, 3, 4, 5];
      assert.deepEqual([...new Set(Object.values(machine.states))].sort(), expected);
    });

    it('implements every transition of the seed daemon and client diagrams', () => {
      const lines = [...seedLines(SEED_DAEMON_DIAGRAM), ...seedLines(SEED_CLIENT_DIAGRAM)].filter((l) => l.side === machine.side);
      assert.ok(lines.length >= 7);
      for (const line of lines) {
        const rows = machine.rows.filter((r) => !isIgnore(r) && r.seed?.includes(line.text));
        assert.ok(rows.length > 0, `no row implements "${line.text}"`);
        for (const row of rows) {
          if (isIgnore(row)) continue;
          assert.ok(row.from.some((s) => machine.states[s] === SEED_NUMBER[line.from]), `"${line.text}": wrong from ${row.from}`);
          if (line.to === 'Error') {
            assert.equal(row.to, 'Done', line.text);
            assert.notEqual(row.error, '', `"${line.text}" must end with an error`);
          } else {
            assert.equal(machine.states[row.to], SEED_NUMBER[line.to], `"${line.text}": wrong to ${row.to}`);
          }
        }
      }
    });

    it('quotes only lines that are in the seed', () => {
      const all = SEED_DAEMON_DIAGRAM + SEED_CLIENT_DIAGRAM;
      for (const row of machine.rows) {
        if (isIgnore(row)) continue;
        for (const quote of row.seed ?? []) assert.ok(all.includes(quote), `not in the seed: ${quote}`);
      }
    });

    it('reaches success only through the seed path, with error ""', () => {
      const successes = machine.rows.filter((r) => !isIgnore(r) && r.to === 'Done' && r.error === '');
      assert.equal(successes.length, 1);
      const row = successes[0]!;
      assert.ok(!isIgnore(row) && row.from.every((s) => machine.states[s] === LinkState.IN_PROGRESS));
    });

    it('emits DONE (finish) exactly on the rows that enter Done, each with an error', () => {
      for (const row of machine.rows) {
        if (isIgnore(row)) continue;
        const finishes = row.emit.filter((o) => o === 'finish').length;
        if (row.to === 'Done') {
          assert.equal(finishes, 1, `${row.from} --${row.on}-->`);
          assert.notEqual(row.error, undefined, `${row.from} --${row.on}--> Done has no error`);
        } else {
          assert.equal(finishes, 0);
          assert.equal(row.error, undefined);
        }
      }
    });

    it('signals every change of the seed state number, and otherwise only a bad password', () => {
      for (const row of machine.rows) {
        if (isIgnore(row) || row.to === 'Done') continue;
        const signals = row.emit.filter((o) => o.startsWith('signal'));
        for (const from of row.from) {
          const changes = machine.states[from] !== machine.states[row.to];
          if (changes) assert.equal(signals.length, 1, `${from} --${row.on}--> ${row.to} must signal`);
          else assert.ok(signals.length === 0 || signals[0] === 'signalBadPassword', `${from} --${row.on}--> ${row.to} must not signal`);
        }
      }
    });

    it('has no dead row: each row is the first match for some state (specific rows before "any live state")', () => {
      for (const row of machine.rows) {
        const live = row.from.some((state) => machine.rows.find((r) => r.on === row.on && r.from.includes(state)) === row);
        assert.ok(live, `${row.from} --${row.on}--> is shadowed by earlier rows`);
      }
    });

    it('has no row out of Done, and Done absorbs every input without output', () => {
      assert.ok(machine.rows.every((r) => !r.from.includes('Done')));
      for (const input of machine.inputs) {
        assert.deepEqual(machine.step('Done', { type: input }), { state: 'Done', outputs: [], accepted: false });
      }
    });

    it('is total: every live state answers every input without throwing', () => {
      for (const state of live) {
        for (const input of machine.inputs) {
          const result = machine.step(state, { type: input, error: 'network' });
          assert.ok(states.includes(result.state));
          if (!result.accepted) {
            const explicit = machine.rows.find((r) => r.on === input && r.from.includes(state));
            assert.ok(machine.localCalls.includes(input) || (explicit && isIgnore(explicit)), `${state} drops ${input} silently`);
            assert.equal(result.state, state);
            assert.deepEqual(result.outputs, []);
          }
        }
      }
    });

    it('refuses a local call in a wrong state without changing anything', () => {
      for (const state of live) {
        for (const input of machine.localCalls) {
          const result = machine.step(state, { type: input });
          if (!result.accepted) assert.deepEqual(result, { state, outputs: [], accepted: false });
        }
      }
    });

    it('ends with DONE/canceled on cancel and DONE/timeout on a time-out, from every live state', () => {
      for (const state of live) {
        assert.deepEqual(pick(machine.step(state, { type: 'cancel' })), { state: 'Done', error: 'canceled', finishes: 1 });
        assert.deepEqual(pick(machine.step(state, { type: 'timedOut' })), { state: 'Done', error: 'timeout', finishes: 1 });
      }
    });

    it('ends with the error the peer or the transport gives, from every live state', () => {
      for (const state of live) {
        for (const error of ['network', 'authentication', 'timeout', 'canceled'] as const) {
          assert.deepEqual(pick(machine.step(state, { type: 'peerAborted', error })), { state: 'Done', error, finishes: 1 });
          const failed = machine.step(state, { type: 'transportFailed', error });
          if (failed.accepted) assert.deepEqual(pick(failed), { state: 'Done', error, finishes: 1 });
        }
      }
    });

    it('treats an out-of-order peer message as a protocol violation: DONE/authentication', () => {
      for (const state of live) {
        const result = machine.step(state, { type: 'unexpectedMessage' });
        assert.deepEqual(pick(result), { state: 'Done', error: 'authentication', finishes: 1 });
        assert.ok(result.outputs.includes('sendAbort'));
      }
    });

    it('emits exactly one DONE on every random walk that ends with a cancel', () => {
      const random = prng(machine.name === 'import' ? 1 : 2);
      for (let walk = 0; walk < 3000; walk += 1) {
        let state = 'Init';
        let finishes = 0;
        const length = 1 + Math.floor(random() * 12);
        for (let i = 0; i <= length; i += 1) {
          const input = i === length ? 'cancel' : machine.inputs[Math.floor(random() * machine.inputs.length)]!;
          const before = state;
          const result = machine.step(state, { type: input, error: 'network' });
          state = result.state;
          finishes += result.outputs.filter((o) => o === 'finish').length;
          if (before === 'Done') assert.equal(state, 'Done');
          assert.equal(result.error !== undefined, before !== 'Done' && state === 'Done');
        }
        assert.equal(state, 'Done');
        assert.equal(finishes, 1);
      }
    });
  });
}

describe('the import machine', () => {
  it('discards what may be stored on every failure from Storing on, and on any cancel', () => {
    for (const row of IMPORT_MACHINE.rows) {
      if (isIgnore(row) || row.to !== 'Done' || row.error === '') continue;
      const storeStarted = row.from.some((s) => s === 'Storing' || s === 'Acknowledging');
      const discards = row.emit.includes('discard');
      if (row.on === 'cancel' || storeStarted) assert.ok(discards, `${row.from} --${row.on}--> must discard`);
      else assert.ok(!discards, `${row.from} --${row.on}--> has nothing to discard`);
    }
  });

  it('takes a password only while one is awaited', () => {
    for (const state of Object.keys(IMPORT_STATES) as ImportStateName[]) {
      assert.equal(importStep(state, { type: 'passwordProvided' }).accepted, state === 'AwaitingPassword', state);
    }
  });

  it('leaves the outcome of Acknowledging to its own close(), not to the channel closing', () => {
    assert.deepEqual(importStep('Acknowledging', { type: 'transportFailed', error: 'network' }).accepted, false);
    assert.equal(importStep('Acknowledging', { type: 'acknowledged' }).error, '');
    assert.equal(importStep('Acknowledging', { type: 'ackFailed' }).error, 'network');
  });
});

describe('the export machine', () => {
  it('sends nothing before its user confirmed', () => {
    for (const row of EXPORT_MACHINE.rows) {
      if (isIgnore(row)) continue;
      if (row.from.includes('Connecting') || row.from.includes('Init') || row.from.includes('AwaitingConfirmation')) {
        const sends = row.emit.filter((o) => o.startsWith('send') && o !== 'sendAbort');
        if (sends.length > 0) assert.ok(row.on.startsWith('confirm'), `${row.from} --${row.on}--> sends ${sends}`);
      }
    }
  });

  it('accepts confirm only while awaiting confirmation', () => {
    for (const state of Object.keys(EXPORT_STATES) as ExportStateName[]) {
      for (const confirm of ['confirmProtected', 'confirmUnprotected'] as const) {
        assert.equal(exportStep(state, { type: confirm }).accepted, state === 'AwaitingConfirmation');
      }
    }
  });

  it('ends with DONE/authentication after the last wrong password, telling the importer', () => {
    const result = exportStep('CheckingPassword', { type: 'passwordWrongLast' });
    assert.deepEqual(pick(result), { state: 'Done', error: 'authentication', finishes: 1 });
    assert.deepEqual(result.outputs, ['sendAbort', 'teardown', 'finish']);
  });

  it('reports DONE before closing the channel on success', () => {
    assert.deepEqual(exportStep('Transferring', { type: 'stored' }).outputs, ['finish', 'teardown']);
  });
});

function pick(result: StepResult<string, string>): { state: string; error: string | undefined; finishes: number } {
  return { state: result.state, error: result.error, finishes: result.outputs.filter((o) => o === 'finish').length };
}
