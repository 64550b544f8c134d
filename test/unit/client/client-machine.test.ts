// The two client machines held together against the seed's "Client state machine" diagram, line by
// line: the import machine is its Initial + ImportDevice half, the export machine its Initial + ExportDevice half.

import assert from 'node:assert/strict';
import { ClientMachine, linkSucceeded } from '../../../client/client-machine.js';
import { EXPORT_MACHINE, exportMachine, type ExportState } from '../../../client/export-machine.js';
import { IMPORT_MACHINE, importMachine, type ImportState } from '../../../client/import-machine.js';
import { tableProblems } from '../../../service/contract/transition-table.js';
import { SEED_CLIENT_DIAGRAM } from '../../support/seed-diagrams.js';
import { arrowsOf } from './machine-rows.js';

type ClientState = ImportState | ExportState;
const ARROWS = [...arrowsOf(IMPORT_MACHINE), ...arrowsOf(EXPORT_MACHINE)];
const statesOf = (prefix: string): ClientState[] => [...new Set(ARROWS.map((arrow) => arrow.from).filter((state) => state.startsWith(prefix)))];

/** The seed's state names in our dotted names ("[*]" inside a side leaves it: back to Initial). */
function ours(name: string, asTarget: boolean): ClientState[] {
  if (name === 'Initial' || name === '[*]') return ['Initial'];
  if (name === 'ImportDevice') return asTarget ? ['ImportDevice.Init'] : statesOf('ImportDevice.');
  if (name === 'ExportDevice') return asTarget ? ['ExportDevice.Init.ShowInputOptions'] : statesOf('ExportDevice.');
  if (name === 'Export_Init') return ['ExportDevice.Init.TokenObtained']; // the composite is left once a token is obtained
  const sideMatch = /^(Import|Export)_(.+)$/.exec(name);
  if (sideMatch) return [`${sideMatch[1]}Device.${sideMatch[2]}` as ClientState];
  return [`ExportDevice.Init.${name}` as ClientState];
}

const seedTransitions = SEED_CLIENT_DIAGRAM.split('\n')
  .map((line) => /^\s*(\S+) --> (\S+?)(?:: (.+))?$/.exec(line))
  .filter((match): match is RegExpExecArray => match !== null && match[3] !== undefined)
  .map(([, from, to, label]) => ({ from: from!, to: to!, label: label! }));

describe('client machines (client/import-machine.ts, client/export-machine.ts) against the seed diagram', () => {
  it('has the 30 labelled transitions of the seed diagram', () => {
    assert.equal(seedTransitions.length, 30);
  });

  for (const { from, to, label } of seedTransitions) {
    it(`has "${from} --> ${to}: ${label}"`, () => {
      const froms = ours(from, false);
      const [target] = ours(to, true);
      assert.ok(froms.length > 0);
      for (const state of new Set(froms)) {
        const arrow = ARROWS.find((a) => a.from === state && a.to === target && a.label === label);
        assert.ok(arrow, `no row ${state} --> ${target} labelled "${label}"`);
      }
    });
  }

  it('keeps each side in its own machine: no import state in the export table, and none the other way', () => {
    assert.deepEqual(arrowsOf(IMPORT_MACHINE).filter((a) => a.from.startsWith('ExportDevice.') || a.to.startsWith('ExportDevice.')), []);
    assert.deepEqual(arrowsOf(EXPORT_MACHINE).filter((a) => a.from.startsWith('ImportDevice.') || a.to.startsWith('ImportDevice.')), []);
  });

  it('starts in Initial and enters each side at its [*] sub-state', () => {
    const machine = importMachine();
    assert.equal(machine.state, 'Initial');
    assert.equal(machine.fire('importFromDeviceSelected')?.to, 'ImportDevice.Init');
    const other = exportMachine();
    assert.equal(other.state, 'Initial');
    assert.equal(other.fire('exportToDeviceSelected')?.to, 'ExportDevice.Init.ShowInputOptions');
  });

  it('marks every transition the diagram lacks as "(issue #5)", "(issue #11)", "(not in the seed)" or a note, except Back/Cancel rows', () => {
    const seedLabels = new Set(seedTransitions.map((t) => t.label));
    for (const arrow of ARROWS) {
      assert.ok(arrow.label !== undefined, `${arrow.from} --${arrow.on}--> ${arrow.to} has no label`);
      if (seedLabels.has(arrow.label)) continue;
      assert.match(arrow.label, /\((issue #5|issue #11|not in the seed|note)\)$/, `${arrow.from} --${arrow.on}--> ${arrow.to}: ${arrow.label}`);
    }
  });

  it('has one row per (state, input) in each table: no behaviour depends on row order', () => {
    assert.deepEqual(tableProblems(IMPORT_MACHINE), []);
    assert.deepEqual(tableProblems(EXPORT_MACHINE), []);
    const keys = ARROWS.map((a) => `${a.from} ${a.on}`).filter((key) => !key.startsWith('Initial '));
    assert.equal(new Set(keys).size, keys.length);
  });

  it('builds a machine from either table, and refuses a table whose rows overlap', () => {
    assert.doesNotThrow(() => new ClientMachine(IMPORT_MACHINE));
    const twice = { ...IMPORT_MACHINE, rows: [...IMPORT_MACHINE.rows, IMPORT_MACHINE.rows[0]!] };
    assert.throws(() => new ClientMachine(twice), /ambiguous/);
  });

  it('reads state 5 with error "" or "none" (or none at all) as success, anything else as a failure', () => {
    assert.equal(linkSucceeded(''), true);
    assert.equal(linkSucceeded('none'), true);
    assert.equal(linkSucceeded(undefined), true);
    for (const error of ['network', 'authentication', 'timeout', 'canceled']) assert.equal(linkSucceeded(error), false);
  });
});
