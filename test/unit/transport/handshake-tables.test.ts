// The transport's machines as data: the import side's rendezvous, the export side's connection and the framed
// channel. Each table is unambiguous, every state is reachable and can still end, a random walk decides an
// outcome at most once, and PROTOCOL.md's handshake section names every state and input of each table.

import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isIgnore, tableProblems, type Input, type MachineSpec, type StepResult } from '../../../service/contract/transition-table.js';
import { CHANNEL_MACHINE, stepChannel, type ChannelInput } from '../../../service/transport/channel/framed-channel-machine.js';
import { exportMachine, stepExport, type ExportInput } from '../../../service/transport/export-connection-machine.js';
import { importMachine, stepImport, type ImportContext, type ImportInput } from '../../../service/transport/import-rendezvous-machine.js';
import { SeededRandom } from '../../support/seeded-random.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const PROTOCOL = readFileSync(path.join(ROOT, 'service/transport/PROTOCOL.md'), 'utf8');

type AnySpec = MachineSpec<string, Input, string, string, string, any, string>;
type AnyStep = (state: string, context: unknown, input: Input) => StepResult<string, string, unknown, string>;

const offer = { body: { session: 'b'.repeat(32), to: 'a'.repeat(40) }, bodyText: '{}', signature: Buffer.alloc(0), replyTo: undefined };
const accepted = { received: offer, proof: { accountId: 'c'.repeat(40), deviceId: 'd'.repeat(40) }, devicePublicKey: undefined, fingerprint: { algorithm: 'sha-256', value: 'AB' }, candidates: [] };

/** One input of each name, with enough payload for the records and guards to run. */
const IMPORT_INPUTS = [
  { type: 'close' },
  { type: 'offer', offer },
  { type: 'offer_refused', offer, check: 'code' },
  { type: 'offer_good', offer: accepted, link: { close: () => undefined } },
  { type: 'answer_gathered', sdp: 'v=0', at: 1 },
  { type: 'answer_unpublished', why: 'test' },
  { type: 'ready', body: { to: 'x', session: 'y', answer: 'z' }, message: { bodyText: '', signature: Buffer.alloc(0) } },
  { type: 'local_candidates', candidates: [{ candidate: 'candidate:1 1 UDP 1 192.0.2.1 1 typ relay', mid: '0' }] },
  { type: 'remote_candidates', candidates: [{ candidate: 'candidate:1 1 UDP 1 192.0.2.2 1 typ relay', mid: '0' }] },
  { type: 'exporter_gave_up' },
  { type: 'link_lost', why: 'test' },
  { type: 'connect_timeout' },
  { type: 'channel_open', dc: undefined, location: { address: '127.0.0.1:1', type: 'host' } },
  { type: 'channel_failed', error: 'authentication', why: 'test' },
] as unknown as ImportInput[];

const EXPORT_INPUTS = [
  { type: 'close' },
  { type: 'begin', credentials: { certificateChainPem: '', devicePrivateKeyPem: '' } },
  { type: 'credentials_good', device: {} },
  { type: 'credentials_bad', why: 'test' },
  { type: 'identity_found', identity: { id: 'a'.repeat(40) } },
  { type: 'token_claimed' },
  { type: 'importer_gone' },
  { type: 'identity_listed' },
  { type: 'offer_gathered', session: { id: 'b'.repeat(32) } },
  { type: 'replies_listening' },
  { type: 'offer_published' },
  { type: 'local_candidates', candidates: [{ candidate: 'candidate:1 1 UDP 1 192.0.2.1 1 typ relay', mid: '0' }] },
  { type: 'remote_candidates', candidates: [{ candidate: 'candidate:1 1 UDP 1 192.0.2.2 1 typ relay', mid: '0' }] },
  { type: 'signaling_failed', why: 'test' },
  { type: 'offer_unpublished', why: 'test' },
  { type: 'answer', answer: { bodyText: '{}', sdp: 'v=0', fingerprint: { algorithm: 'sha-256', value: 'AB' } } },
  { type: 'answer_bad', why: 'test' },
  { type: 'refused', reason: 'not_accepted' },
  { type: 'refused', reason: 'closed' },
  { type: 'answer_applied' },
  { type: 'answer_unusable', why: 'test' },
  { type: 'signaling_timeout' },
  { type: 'link_lost', why: 'test' },
  { type: 'connect_timeout' },
  { type: 'channel_open', dc: undefined, location: { address: '127.0.0.1:1', type: 'host' } },
  { type: 'channel_failed', error: 'network', why: 'test' },
] as unknown as ExportInput[];

const CHANNEL_INPUTS = [
  'close', 'destroy', 'heard', 'archive_bad', 'ping', 'bye', 'bye_ack', 'archive_corrupt', 'send_failed', 'bye_unsent',
  'buffer_low', 'peer_silent', 'heartbeat_due', 'close_timeout', 'linger_over',
].map((type): object => ({ type })).concat([
  { type: 'send_message', text: '{}' },
  { type: 'send_archive', data: Buffer.alloc(1), done: undefined },
  { type: 'expect_archive', size: 1 },
  { type: 'message', message: { t: 'stored' } },
  { type: 'archive_header', size: 1, sha256: '0'.repeat(64) },
  { type: 'chunk', data: Buffer.alloc(1) },
  { type: 'archive_ack', sha256: '0'.repeat(64) },
  { type: 'peer_error', reason: 'test' },
  { type: 'archive_received', data: Buffer.alloc(1), sha256: '0'.repeat(64) },
  { type: 'protocol_error', why: 'test' },
  { type: 'connection_lost', why: 'test' },
]) as unknown as ChannelInput[];

interface Machine {
  readonly title: string;
  /** The heading of its table in PROTOCOL.md. */
  readonly section: string;
  readonly spec: AnySpec;
  readonly step: AnyStep;
  readonly inputs: readonly Input[];
  /** Effects that tell the owner the outcome: at most one per life. */
  readonly outcomes: readonly string[];
}

const MACHINES: readonly Machine[] = [
  { title: 'import rendezvous', section: '### Import side: the rendezvous', spec: importMachine('a'.repeat(40), 3) as unknown as AnySpec, step: stepImport as unknown as AnyStep, inputs: IMPORT_INPUTS, outcomes: ['frameChannel', 'emitFailed'] },
  { title: 'export connection', section: '### Export side: the connection', spec: exportMachine({ peerId: 'a'.repeat(40), code: '012345' }) as unknown as AnySpec, step: stepExport as unknown as AnyStep, inputs: EXPORT_INPUTS, outcomes: ['frameChannel', 'emitFailed'] },
  { title: 'framed channel', section: '### Both sides: the framed channel', spec: CHANNEL_MACHINE as unknown as AnySpec, step: stepChannel as unknown as AnyStep, inputs: CHANNEL_INPUTS, outcomes: ['emitClosed'] },
];

function statesOf(spec: AnySpec): Set<string> {
  return new Set([spec.initial, ...spec.final, ...spec.rows.flatMap((row) => [...row.from, ...(isIgnore(row) ? [] : [row.to])])]);
}

function successors(spec: AnySpec, state: string): string[] {
  return spec.rows.filter((row) => !isIgnore(row) && row.from.includes(state)).map((row) => (isIgnore(row) ? state : row.to));
}

function reachableFrom(spec: AnySpec, start: string): Set<string> {
  const seen = new Set([start]);
  for (const queue = [start]; queue.length > 0;) {
    for (const next of successors(spec, queue.shift()!)) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}

/** The section of PROTOCOL.md under `heading`, up to the next heading of the same level or higher. */
function protocolSection(heading: string): string {
  const start = PROTOCOL.indexOf(heading);
  assert.ok(start >= 0, `PROTOCOL.md has no section "${heading}"`);
  const rest = PROTOCOL.slice(start + heading.length);
  const end = rest.search(/\n#{2,3} /);
  return end < 0 ? rest : rest.slice(0, end);
}

for (const machine of MACHINES) {
  describe(`the ${machine.title} table`, () => {
    it('has no two rows matching one (state, input), and no row leaving its final state', () => {
      assert.deepEqual(tableProblems(machine.spec), []);
    });

    it('has one final state, reachable from every state; every state is reachable from the initial one', () => {
      assert.equal(machine.spec.final.length, 1);
      const [final] = machine.spec.final;
      const reachable = reachableFrom(machine.spec, machine.spec.initial);
      assert.deepEqual([...statesOf(machine.spec)].filter((state) => !reachable.has(state)), []);
      for (const state of reachable) assert.ok(reachableFrom(machine.spec, state).has(final!), `${state} can never end`);
    });

    it('tells its owner the outcome at most once on any walk, and nothing once it ended', () => {
      const random = new SeededRandom(7);
      const names = new Set(machine.spec.rows.map((row) => row.on));
      assert.deepEqual([...names].filter((name) => !machine.inputs.some((input) => input.type === name)), [], 'an input the walks never try');
      for (let walk = 0; walk < 500; walk += 1) {
        let state = machine.spec.initial;
        let context: unknown = machine.spec.context;
        let outcomes = 0;
        for (let i = 0; i < 40; i += 1) {
          const input = machine.inputs[random.int(0, machine.inputs.length - 1)]!;
          const before = state;
          const result = machine.step(state, context, input);
          if (machine.spec.final.includes(before)) assert.deepEqual(result.effects, [], `an effect after ${before}`);
          outcomes += result.effects.filter((effect) => machine.outcomes.includes(effect)).length;
          ({ state, context } = result);
        }
        assert.ok(outcomes <= 1, `walk ${walk}: ${outcomes} outcomes`);
      }
    });

    it('is the table PROTOCOL.md describes: its section names every state and every input', () => {
      const section = protocolSection(machine.section);
      const missing = [...statesOf(machine.spec), ...new Set(machine.spec.rows.map((row) => row.on))].filter((name) => !new RegExp(`\\b${name}\\b`).test(section));
      assert.deepEqual(missing, []);
    });
  });
}

describe('what the transport tables decide', () => {
  const step = stepImport;
  const waiting = importMachine('a'.repeat(40), 3).context;
  const refused = IMPORT_INPUTS.find((input) => input.type === 'offer_refused')!;

  it('the import side gives up with authentication on the third counted refusal, and not before', () => {
    let context: ImportContext = waiting;
    for (const attempt of [1, 2]) {
      const result = step('waiting', context, refused);
      assert.equal(result.state, 'waiting', `refusal ${attempt}`);
      context = result.context;
    }
    const third = step('waiting', context, refused);
    assert.deepEqual([third.state, third.error, third.context.failedAttempts], ['ended', 'authentication', 3]);
    assert.ok(third.effects.includes('refuseOffer'), 'the third exporter is told why too');
  });

  it('the import side refuses a later offer as in use, without counting it, and tells the accepted exporter when it ends', () => {
    const good = step('waiting', waiting, IMPORT_INPUTS.find((input) => input.type === 'offer_good')!);
    assert.equal(good.state, 'connecting');
    const later = step('connecting', good.context, IMPORT_INPUTS.find((input) => input.type === 'offer')!);
    assert.deepEqual([later.effects, later.context.failedAttempts], [['refuseInUse'], 0]);
    const closed = step('connecting', good.context, { type: 'close' });
    assert.deepEqual([closed.state, closed.effects, closed.error], ['ended', ['refuseAccepted', 'release'], undefined]);
  });

  it('the export side ends with network when the importer refused as closed, with authentication for any other refusal', () => {
    const context = exportMachine({ peerId: 'a'.repeat(40), code: '012345' }).context;
    for (const [reason, error] of [['closed', 'network'], ['not_accepted', 'authentication'], ['in_use', 'authentication']] as const) {
      assert.equal(stepExport('signaling', context, { type: 'refused', reason }).error, error, reason);
    }
  });

  it('the framed channel hands messages on only while open, and lingers after telling the peer of a protocol error', () => {
    const message = { type: 'message', message: { t: 'stored' } } as const;
    assert.deepEqual(stepChannel('open', null, message).effects, ['emitMessage']);
    assert.deepEqual(stepChannel('closing', null, message).effects, []);
    const error = stepChannel('open', null, { type: 'protocol_error', why: 'test' });
    assert.deepEqual([error.state, error.effects, error.error], ['lingering', ['sendError', 'release', 'startLingerTimer', 'emitClosed'], 'network']);
    assert.equal(stepChannel('lingering', null, { type: 'linger_over' }).state, 'ended');
  });
});
