// The import and export transition tables, held against the seed's diagrams, and the pure step()
// checked for overlaps, totality, the context it keeps and "every path ends in exactly one DONE".

import { strict as assert } from 'node:assert';
import { isIgnore, tableProblems, type Input, type MachineSpec, type Row, type StepResult } from '../../../service/contract/transition-table.js';
import {
  EXPORT_MACHINE,
  EXPORT_STATES,
  exportAwaitsUser,
  exportStep,
  type ExportContext,
  type ExportInput,
  type ExportInputName,
  type ExportStateName,
} from '../../../service/linking/export-machine.js';
import {
  IMPORT_MACHINE,
  IMPORT_STATES,
  importAwaitsUser,
  importStep,
  type ImportContext,
  type ImportInput,
  type ImportInputName,
  type ImportStateName,
} from '../../../service/linking/import-machine.js';
import type { LinkInput } from '../../../service/linking/link-machine.js';
import { LinkError, LinkState, SEED_STATE_NAMES, type LinkFailureWord } from '../../../service/linking/link-state.js';
import { SEED_CLIENT_DIAGRAM, SEED_DAEMON_DIAGRAM } from '../../support/seed-diagrams.js';
import { PROOF, TEST_TOKEN } from './fakes.js';

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

type AnyRow = Row<string, string, string, string, LinkError>;
type AnyStep = (state: string, context: unknown, input: Input) => StepResult<string, string, unknown, LinkError>;

/** One machine, seen through the loose types every check below needs. */
interface Machine {
  side: 'Import' | 'Export';
  states: Record<string, LinkState>;
  spec: MachineSpec<string, Input, string, string, string, unknown, LinkError>;
  /** One well-formed example of every input (and variants the guards tell apart). */
  inputs: readonly Input[];
  step: AnyStep;
}

const SIZE = 10;
/** The inputs both machines know (link-machine.ts). */
const LINK_INPUTS: Record<LinkInput['type'], LinkInput> = {
  channelOpen: { type: 'channelOpen' },
  transportFailed: { type: 'transportFailed', error: 'network' },
  timedOut: { type: 'timedOut' },
  cancel: { type: 'cancel' },
  unexpectedEvent: { type: 'unexpectedEvent' },
  authNone: { type: 'authNone' },
  authPassword: { type: 'authPassword' },
  badPassword: { type: 'badPassword' },
  transfer: { type: 'transfer', size: SIZE },
  archive: { type: 'archive', archive: Buffer.alloc(SIZE) },
  password: { type: 'password', password: 'pw' },
  stored: { type: 'stored', device: 'NEW-DEVICE-CHAIN' },
  peerAborted: { type: 'peerAborted', error: 'network' },
  unexpectedMessage: { type: 'unexpectedMessage' },
};
const IMPORT_INPUTS: Record<ImportInputName, ImportInput> = {
  tokenGenerated: { type: 'tokenGenerated', token: TEST_TOKEN },
  tokenFailed: { type: 'tokenFailed' },
  peerDetected: { type: 'peerDetected', proof: PROOF },
  ...LINK_INPUTS,
  consentGiven: { type: 'consentGiven', password: 'pw' },
  storeSucceeded: { type: 'storeSucceeded', deviceChain: 'NEW-DEVICE-CHAIN' },
  accountMismatch: { type: 'accountMismatch' },
  storeFailed: { type: 'storeFailed' },
  acknowledged: { type: 'acknowledged' },
  ackFailed: { type: 'ackFailed' },
};
const EXPORT_INPUTS: Record<ExportInputName, ExportInput> = {
  tokenValidated: { type: 'tokenValidated', accountProtected: true },
  confirm: { type: 'confirm' },
  connectFailed: { type: 'connectFailed' },
  ...LINK_INPUTS,
  archiveOpened: { type: 'archiveOpened', archive: Buffer.alloc(SIZE) },
  archiveUnavailable: { type: 'archiveUnavailable' },
  passwordWrong: { type: 'passwordWrong' },
  sendFailed: { type: 'sendFailed' },
};

const importMachine: Machine = {
  side: 'Import',
  states: IMPORT_STATES,
  spec: IMPORT_MACHINE as unknown as Machine['spec'],
  inputs: [
    ...Object.values(IMPORT_INPUTS),
    { type: 'archive', archive: Buffer.alloc(SIZE + 1) } as ImportInput,
  ],
  step: importStep as unknown as AnyStep,
};
const exportMachine: Machine = {
  side: 'Export',
  states: EXPORT_STATES,
  spec: EXPORT_MACHINE as unknown as Machine['spec'],
  inputs: [...Object.values(EXPORT_INPUTS), { type: 'tokenValidated', accountProtected: false } as ExportInput],
  step: exportStep as unknown as AnyStep,
};

/** A small deterministic PRNG, so a failing walk can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Every word a failure input may carry (the transport's, mapped, and a peer's abort). */
const FAILURES: readonly LinkFailureWord[] = ['network', 'timeout', 'auth_error', 'canceled', 'unknown'];

/** Rows that signal although the seed number stays: jamid's state 3 again after a wrong password, and its
 *  second state 4 when the archive is announced (import side). */
const REPEATED_SIGNALS: Record<string, readonly string[]> = {
  signalBadPassword: ['badPassword'],
  signalInProgress: ['transfer'],
};

for (const machine of [importMachine, exportMachine]) {
  const { name, rows } = machine.spec;
  const states = Object.keys(machine.states);
  const live = states.filter((s) => s !== 'Done');
  const initial = machine.spec.context;
  const step = (state: string, input: Input, context: unknown = initial) => machine.step(state, context, input);
  const transitions = rows.filter((r) => !isIgnore(r)) as Extract<AnyRow, { kind: 'transition' }>[];

  describe(`the ${name} machine`, () => {
    it('has the seed states 0-5, starts in Init (0) and ends in Done (5)', () => {
      assert.equal(machine.spec.initial, 'Init');
      assert.deepEqual(machine.spec.final, ['Done']);
      assert.equal(machine.states['Init'], LinkState.INIT);
      assert.equal(machine.states['Done'], LinkState.DONE);
      const expected = machine.side === 'Import' ? [0, 1, 2, 3, 4, 5] : [0, 2, 3, 4, 5];
      assert.deepEqual([...new Set(Object.values(machine.states))].sort(), expected);
    });

    it('implements every transition of the seed daemon and client diagrams, on the rows quoting it', () => {
      const lines = [...seedLines(SEED_DAEMON_DIAGRAM), ...seedLines(SEED_CLIENT_DIAGRAM)].filter((l) => l.side === machine.side);
      assert.ok(lines.length >= 7);
      for (const line of lines) {
        const rows = transitions.filter((r) => r.seed?.includes(line.text));
        assert.ok(rows.length > 0, `no row implements "${line.text}"`);
        for (const row of rows) {
          assert.ok(row.from.some((s) => machine.states[s] === SEED_NUMBER[line.from]), `"${line.text}": wrong from ${row.from}`);
          if (line.to === 'Error') {
            assert.equal(row.to, 'Done', line.text);
            assert.ok(row.error !== undefined && row.error !== '', `"${line.text}" must end with an error`);
          } else {
            assert.equal(machine.states[row.to], SEED_NUMBER[line.to], `"${line.text}": wrong to ${row.to}`);
          }
        }
      }
    });

    it("quotes exactly its side's seed lines: the quotes are the list of the seed's transitions", () => {
      const seed = [...seedLines(SEED_DAEMON_DIAGRAM), ...seedLines(SEED_CLIENT_DIAGRAM)].filter((l) => l.side === machine.side);
      const quoted = new Set(transitions.flatMap((r) => r.seed ?? []));
      assert.deepEqual([...quoted].sort(), [...new Set(seed.map((l) => l.text))].sort());
    });

    it('has no two rows for one (state, input), except a when/unless twin pair: no behaviour depends on row order', () => {
      assert.deepEqual(tableProblems(machine.spec), []);
    });

    it('names only records and guards it declares, and uses each of them', () => {
      const records = Object.keys(machine.spec.records);
      const guards = Object.keys(machine.spec.guards);
      const named = new Set(transitions.flatMap((r) => r.outputs));
      for (const record of records) assert.ok(named.has(record), `record ${record} is on no row`);
      const guarded = new Set(transitions.flatMap((r) => [r.when, r.unless]).filter((g) => g !== undefined));
      assert.deepEqual([...guarded].sort(), [...guards].sort());
    });

    it('reaches success only through the seed path, with error ""', () => {
      const successes = transitions.filter((r) => r.to === 'Done' && r.error === '');
      assert.equal(successes.length, 1);
      assert.ok(successes[0]!.from.every((s) => machine.states[s] === LinkState.IN_PROGRESS));
    });

    it('emits DONE (finish) exactly on the rows that enter Done, each with an error', () => {
      for (const row of transitions) {
        const finishes = row.outputs.filter((o) => o === 'finish').length;
        if (row.to === 'Done') {
          assert.equal(finishes, 1, `${row.from} --${row.on}-->`);
          assert.notEqual(row.error, undefined, `${row.from} --${row.on}--> Done has no error`);
        } else {
          assert.equal(finishes, 0);
          assert.equal(row.error, undefined);
        }
      }
    });

    it("signals every change of the seed state number, and otherwise only jamid's repeated 3 and 4", () => {
      for (const row of transitions) {
        if (row.to === 'Done') continue;
        const signals = row.outputs.filter((o) => o.startsWith('signal'));
        for (const from of row.from) {
          const changes = machine.states[from] !== machine.states[row.to];
          if (changes) assert.equal(signals.length, 1, `${from} --${row.on}--> ${row.to} must signal`);
          else {
            const repeated = signals.length === 1 && (REPEATED_SIGNALS[signals[0]!] ?? []).includes(row.on);
            assert.ok(signals.length === 0 || repeated, `${from} --${row.on}--> ${row.to} must not signal`);
          }
        }
      }
    });

    it("ends only with jamid's DONE words", () => {
      const words: readonly string[] = Object.values(LinkError);
      for (const row of transitions) {
        if (row.error !== undefined && row.error !== 'event') assert.ok(words.includes(row.error), `${row.from} --${row.on}--> ${row.error}`);
      }
    });

    it('has no row out of Done, and Done absorbs every input without output', () => {
      assert.ok(rows.every((r) => !r.from.includes('Done')));
      for (const input of machine.inputs) {
        assert.deepEqual(step('Done', input), { state: 'Done', context: initial, effects: [], accepted: false });
      }
    });

    it('is total: every live state answers every input without throwing', () => {
      for (const state of live) {
        for (const input of machine.inputs) {
          const result = step(state, input);
          assert.ok(states.includes(result.state));
          if (!result.accepted) {
            const explicit = rows.find((r) => r.on === input.type && r.from.includes(state));
            assert.ok(machine.spec.localCalls?.includes(input.type) || (explicit && isIgnore(explicit)), `${state} drops ${input.type} silently`);
            assert.equal(result.state, state);
            assert.deepEqual(result.effects, []);
          }
        }
      }
    });

    it('refuses a local call in a wrong state without changing anything', () => {
      for (const state of live) {
        for (const input of machine.inputs.filter((i) => machine.spec.localCalls?.includes(i.type))) {
          const result = step(state, input);
          if (!result.accepted) assert.deepEqual(result, { state, context: initial, effects: [], accepted: false });
        }
      }
    });

    it('ends with DONE/canceled on cancel and DONE/timeout on a time-out, from every live state', () => {
      for (const state of live) {
        assert.deepEqual(pick(step(state, { type: 'cancel' })), { state: 'Done', error: 'canceled', finishes: 1 });
        assert.deepEqual(pick(step(state, { type: 'timedOut' })), { state: 'Done', error: 'timeout', finishes: 1 });
      }
    });

    it('ends with the error the peer or the transport gives, from every live state', () => {
      for (const state of live) {
        for (const error of FAILURES) {
          assert.deepEqual(pick(step(state, { type: 'peerAborted', error } as Input)), { state: 'Done', error, finishes: 1 });
          const failed = step(state, { type: 'transportFailed', error } as Input);
          if (failed.accepted) assert.deepEqual(pick(failed), { state: 'Done', error, finishes: 1 });
        }
      }
    });

    it('treats an out-of-order peer message as a protocol violation: DONE/unknown', () => {
      for (const state of live) {
        const result = step(state, { type: 'unexpectedMessage' });
        assert.deepEqual(pick(result), { state: 'Done', error: 'unknown', finishes: 1 });
        assert.ok(result.effects.includes('sendAbort'));
      }
    });

    it('treats an effect or the transport breaking its contract as DONE/unknown, from every live state', () => {
      for (const state of live) {
        const result = step(state, { type: 'unexpectedEvent' });
        assert.deepEqual(pick(result), { state: 'Done', error: 'unknown', finishes: 1 });
      }
    });

    it('emits exactly one DONE on every random walk that ends with a cancel', () => {
      const random = prng(name === 'import' ? 1 : 2);
      for (let walk = 0; walk < 3000; walk += 1) {
        let state = machine.spec.initial;
        let context = initial;
        let finishes = 0;
        const length = 1 + Math.floor(random() * 12);
        for (let i = 0; i <= length; i += 1) {
          const input = i === length ? { type: 'cancel' } : machine.inputs[Math.floor(random() * machine.inputs.length)]!;
          const before = state;
          const result = machine.step(state, context, input);
          state = result.state;
          context = result.context;
          finishes += result.effects.filter((o) => o === 'finish').length;
          if (before === 'Done') assert.equal(state, 'Done');
          assert.equal(result.error !== undefined, before !== 'Done' && state === 'Done');
        }
        assert.equal(state, 'Done');
        assert.equal(finishes, 1);
      }
    });
  });
}

/** Feeds inputs from a state; returns where the machine ends, its context and the last effects. */
function walk<S extends string, I extends Input, C>(
  stepFn: (state: S, context: C, input: I) => StepResult<S, string, C, LinkError>,
  from: S,
  context: C,
  inputs: I[],
): StepResult<S, string, C, LinkError> {
  let result: StepResult<S, string, C, LinkError> = { state: from, context, effects: [], accepted: false };
  for (const input of inputs) result = stepFn(result.state, result.context, input);
  return result;
}

describe('the import machine', () => {
  const start = IMPORT_MACHINE.context;

  it('discards on every failure (nothing half-made stays), and never on success', () => {
    for (const row of IMPORT_MACHINE.rows) {
      if (isIgnore(row) || row.to !== 'Done') continue;
      assert.equal(row.outputs.includes('discard'), row.error !== '', `${row.from} --${row.on}--> Done (${row.error})`);
    }
  });

  it('records what it learns as named outputs: the token, the proof, the scheme, the password, the announced size, its device chain', () => {
    const result = walk(importStep, 'Init', start, [
      IMPORT_INPUTS.tokenGenerated,
      IMPORT_INPUTS.peerDetected,
      IMPORT_INPUTS.channelOpen,
      IMPORT_INPUTS.authPassword,
      { type: 'consentGiven', password: 'secret' },
      { type: 'transfer', size: 1234 },
    ]);
    assert.equal(result.state, 'Receiving');
    assert.deepEqual(result.context, { token: TEST_TOKEN, proof: PROOF, scheme: 'password', password: 'secret', expectedSize: 1234 });
    assert.deepEqual(result.effects, ['expectArchive', 'signalInProgress']);
    assert.equal(importStep('AwaitingAuth', start, IMPORT_INPUTS.authNone).context.scheme, '');
    const stored = importStep('Storing', result.context, { type: 'storeSucceeded', deviceChain: 'CHAIN' });
    assert.equal(stored.context.deviceChain, 'CHAIN');
  });

  it('waits for the consent whatever the scheme: auth never moves past state 3 by itself', () => {
    for (const auth of [IMPORT_INPUTS.authNone, IMPORT_INPUTS.authPassword]) {
      const result = importStep('AwaitingAuth', start, auth);
      assert.deepEqual([result.state, result.effects], ['AwaitingConsent', ['signalAuthenticating']]);
    }
  });

  it('takes a consent only while it is awaited (state 3), and then sends the password and signals 4', () => {
    for (const state of Object.keys(IMPORT_STATES) as ImportStateName[]) {
      assert.equal(importStep(state, start, IMPORT_INPUTS.consentGiven).accepted, state === 'AwaitingConsent', state);
    }
    const consented = importStep('AwaitingConsent', start, { type: 'consentGiven', password: '' });
    assert.deepEqual([consented.state, consented.context.password, consented.effects], ['CheckingCredentials', '', ['signalInProgress', 'sendPassword', 'stretchPassword']]);
  });

  it('sends the password only on a consent: nothing of ours reaches the exporter before the user agreed', () => {
    for (const row of IMPORT_MACHINE.rows) {
      if (isIgnore(row)) continue;
      if (row.outputs.includes('sendPassword')) assert.equal(row.on, 'consentGiven', `${row.from} --${row.on}-->`);
    }
  });

  it('goes back to 3 with invalid_credentials on bad_password, and to 4 again on transfer (jamid)', () => {
    const bad = importStep('CheckingCredentials', start, IMPORT_INPUTS.badPassword);
    assert.deepEqual([bad.state, bad.effects], ['AwaitingConsent', ['signalBadPassword']]);
    const transfer = importStep('CheckingCredentials', start, IMPORT_INPUTS.transfer);
    assert.deepEqual([transfer.state, transfer.effects], ['Receiving', ['expectArchive', 'signalInProgress']]);
  });

  it('stores an archive of the size `transfer` announced; another size is a protocol violation', () => {
    const announced = { ...start, expectedSize: 5 };
    assert.deepEqual(importStep('Receiving', announced, { type: 'archive', archive: Buffer.alloc(5) }).effects, ['store']);
    const other = importStep('Receiving', announced, { type: 'archive', archive: Buffer.alloc(6) });
    assert.deepEqual(pick(other), { state: 'Done', error: 'unknown', finishes: 1 });
    assert.deepEqual(other.effects, ['sendAbort', 'teardown', 'discard', 'finish']);
  });

  it('acknowledges a stored archive; one of another account than the exporter proved ends with DONE/auth_error', () => {
    const proved = { ...start, proof: PROOF };
    const same = importStep('Storing', proved, IMPORT_INPUTS.storeSucceeded);
    assert.deepEqual([same.state, same.effects], ['Acknowledging', ['sendStored', 'closeChannel']]);
    const other = importStep('Storing', proved, IMPORT_INPUTS.accountMismatch);
    assert.deepEqual(pick(other), { state: 'Done', error: 'auth_error', finishes: 1 });
    assert.deepEqual(other.effects, ['sendAbort', 'teardown', 'discard', 'finish']);
    assert.deepEqual(pick(importStep('Storing', proved, IMPORT_INPUTS.storeFailed)), { state: 'Done', error: 'unknown', finishes: 1 });
  });

  it('leaves the outcome of Acknowledging to its own close(), not to the channel closing', () => {
    assert.equal(importStep('Acknowledging', start, IMPORT_INPUTS.transportFailed).accepted, false);
    assert.equal(importStep('Acknowledging', start, IMPORT_INPUTS.acknowledged).error, '');
    assert.equal(importStep('Acknowledging', start, IMPORT_INPUTS.ackFailed).error, 'network');
  });

  it('waits for its user only while the consent is awaited', () => {
    for (const state of Object.keys(IMPORT_STATES) as ImportStateName[]) assert.equal(importAwaitsUser(state), state === 'AwaitingConsent', state);
  });
});

describe('the export machine', () => {
  const start = EXPORT_MACHINE.context;
  const confirming = (accountProtected: boolean): ExportContext => ({ ...start, accountProtected });

  it('sends nothing before its user confirmed', () => {
    for (const row of EXPORT_MACHINE.rows) {
      if (isIgnore(row)) continue;
      if (row.from.includes('Connecting') || row.from.includes('Init') || row.from.includes('AwaitingConfirmation')) {
        const sends = row.outputs.filter((o) => o.startsWith('send') && o !== 'sendAbort');
        if (sends.length > 0) assert.equal(row.on, 'confirm', `${row.from} --${row.on}--> sends ${sends}`);
      }
    }
  });

  it('accepts confirm only while awaiting confirmation', () => {
    for (const state of Object.keys(EXPORT_STATES) as ExportStateName[]) {
      for (const context of [confirming(true), confirming(false)]) {
        assert.equal(exportStep(state, context, EXPORT_INPUTS.confirm).accepted, state === 'AwaitingConfirmation');
      }
    }
  });

  it('records at start whether the account has a password, and on confirm asks for it only then', () => {
    for (const accountProtected of [true, false]) {
      const started = exportStep('Init', start, { type: 'tokenValidated', accountProtected });
      assert.deepEqual([started.state, started.context.accountProtected], ['Connecting', accountProtected]);
    }
    const protectedConfirm = exportStep('AwaitingConfirmation', confirming(true), EXPORT_INPUTS.confirm);
    assert.deepEqual([protectedConfirm.state, protectedConfirm.effects], ['AwaitingConsent', ['sendAuthPassword']]);
    const openConfirm = exportStep('AwaitingConfirmation', confirming(false), EXPORT_INPUTS.confirm);
    assert.deepEqual([openConfirm.state, openConfirm.effects], ['AwaitingConsent', ['sendAuthNone']]);
  });

  it("opens its archive only with what the importer sent after its consent, with or without a password", () => {
    for (const row of EXPORT_MACHINE.rows) {
      if (isIgnore(row)) continue;
      if (row.outputs.includes('checkPassword')) assert.deepEqual([row.from, row.on], [['AwaitingConsent'], 'password']);
    }
    for (const accountProtected of [true, false]) {
      const checked = exportStep('AwaitingConsent', confirming(accountProtected), EXPORT_INPUTS.password);
      assert.deepEqual([checked.state, checked.effects], ['CheckingPassword', ['checkPassword']]);
    }
  });

  it('counts wrong passwords in its context: asks again after two, ends with DONE/auth_error after the third', () => {
    for (const accountProtected of [true, false]) {
      const password = EXPORT_INPUTS.password;
      const wrong = EXPORT_INPUTS.passwordWrong;
      const first = walk(exportStep, 'CheckingPassword', confirming(accountProtected), [wrong]);
      assert.deepEqual([first.state, first.context.attemptsLeft, first.effects], ['AwaitingConsent', 2, ['sendBadPassword']]);
      const second = walk(exportStep, first.state, first.context, [password, wrong]);
      assert.deepEqual([second.state, second.context.attemptsLeft, second.effects], ['AwaitingConsent', 1, ['sendBadPassword']]);
      const third = walk(exportStep, second.state, second.context, [password, wrong]);
      assert.deepEqual(pick(third), { state: 'Done', error: 'auth_error', finishes: 1 });
      assert.deepEqual(third.effects, ['sendAbort', 'teardown', 'finish']);
    }
  });

  it('ends with DONE/unknown when its archive fails to open (not a wrong password)', () => {
    const failed = exportStep('CheckingPassword', confirming(false), EXPORT_INPUTS.archiveUnavailable);
    assert.deepEqual(pick(failed), { state: 'Done', error: 'unknown', finishes: 1 });
    assert.ok(failed.effects.includes('sendAbort'));
  });

  it('on success lists the new device first, then reports DONE and closes', () => {
    assert.deepEqual(exportStep('Transferring', start, EXPORT_INPUTS.stored).effects, ['recordNewDevice', 'finish', 'teardown']);
  });

  it('treats an archive sent to it as a protocol violation', () => {
    assert.deepEqual(pick(exportStep('Transferring', start, EXPORT_INPUTS.archive)), { state: 'Done', error: 'unknown', finishes: 1 });
  });

  it('waits for its user only while the confirmation is awaited', () => {
    for (const state of Object.keys(EXPORT_STATES) as ExportStateName[]) assert.equal(exportAwaitsUser(state), state === 'AwaitingConfirmation', state);
  });
});

function pick(result: StepResult<string, string, unknown, LinkError>): { state: string; error: string | undefined; finishes: number } {
  return { state: result.state, error: result.error, finishes: result.effects.filter((o) => o === 'finish').length };
}
