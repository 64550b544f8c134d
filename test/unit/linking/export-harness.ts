// Drives an ExportSession over the fake transport to any state of the export machine.

import { strict as assert } from 'node:assert';
import type { ExportStateName } from '../../../service/linking/export-machine.js';
import { ExportSession } from '../../../service/linking/export-session.js';
import type { LinkDetails, LinkState } from '../../../service/linking/link-state.js';
import {
  Deferred,
  FakeClock,
  FakeExportConnection,
  FakePeerChannel,
  FakeTransport,
  InMemoryExportAccounts,
  JAMI_ID,
  LogRecorder,
  StateRecorder,
  TEST_TOKEN,
  type Signal,
} from './fakes.js';
import { PASSWORD, TIMEOUT_MS } from './import-harness.js';

export const EXPORT_ACCOUNT = 'old-account';
export const OP_ID = 7;
export const PEER_ADDRESS = '198.51.100.4:50000';

export type Protection = 'none' | 'password';

const PATHS: Record<Protection, ExportStateName[]> = {
  none: ['Init', 'Connecting', 'AwaitingConfirmation', 'OpeningArchive', 'Transferring'],
  password: ['Init', 'Connecting', 'AwaitingConfirmation', 'AwaitingPassword', 'CheckingPassword', 'Transferring'],
};

/** Every live state, each with the protection of an account whose path reaches it. */
export const EXPORT_LIVE_STATES: [ExportStateName, Protection][] = [
  ['Init', 'none'],
  ['Connecting', 'none'],
  ['AwaitingConfirmation', 'none'],
  ['AwaitingPassword', 'password'],
  ['CheckingPassword', 'password'],
  ['OpeningArchive', 'none'],
  ['Transferring', 'none'],
];

export const EXPORT_CHANNEL_UP: ExportStateName[] = ['AwaitingConfirmation', 'AwaitingPassword', 'CheckingPassword', 'OpeningArchive', 'Transferring'];

export class ExportHarness {
  readonly clock = new FakeClock();
  readonly transport = new FakeTransport();
  readonly accounts = new InMemoryExportAccounts();
  readonly states = new StateRecorder();
  readonly logs = new LogRecorder();
  readonly channel = new FakePeerChannel(PEER_ADDRESS);
  readonly session: ExportSession;
  connection: FakeExportConnection | undefined;
  /** channel.close() calls made when DONE was reported. */
  closeCallsAtDone: number | undefined;

  constructor(readonly protection: Protection = 'none') {
    this.accounts.add(EXPORT_ACCOUNT, protection === 'password' ? { jamiId: JAMI_ID, password: PASSWORD } : { jamiId: JAMI_ID });
    this.session = new ExportSession({
      accountId: EXPORT_ACCOUNT,
      opId: OP_ID,
      token: TEST_TOKEN,
      transport: this.transport,
      accounts: this.accounts,
      clock: this.clock,
      logger: this.logs,
      timeoutMs: TIMEOUT_MS,
      onState: (state, details) => {
        if (state === 5) this.closeCallsAtDone = this.channel.closeCalls;
        this.states.onState(state, details);
      },
    });
  }

  get signals(): Signal[] {
    return this.states.items;
  }

  /** Plays the happy path until the session is in `target`. */
  async driveTo(target: ExportStateName): Promise<void> {
    const path = PATHS[this.protection];
    const end = path.indexOf(target);
    assert.ok(end >= 0, `${target} is not on the path of a ${this.protection} account`);
    for (const state of path.slice(0, end + 1)) {
      await this.enter(state);
      assert.equal(this.session.state, state);
    }
  }

  private async enter(state: ExportStateName): Promise<void> {
    switch (state) {
      case 'Init':
        return;
      case 'Connecting':
        this.session.start();
        await this.transport.connections.waitForLength(1);
        this.connection = this.transport.connections.items[0];
        return;
      case 'AwaitingConfirmation':
        this.connection!.emit('channel', this.channel);
        return;
      case 'OpeningArchive':
        this.accounts.openGate = new Deferred();
        assert.equal(this.session.confirm(), true);
        return;
      case 'AwaitingPassword':
        assert.equal(this.session.confirm(), true);
        return;
      case 'CheckingPassword':
        this.accounts.openGate = new Deferred();
        this.channel.receive({ t: 'password', password: PASSWORD });
        return;
      case 'Transferring':
        this.accounts.openGate!.resolve();
        return this.states.waitFor(([n]) => n === 4);
      case 'Done':
        throw new Error('drive to a DONE through an event');
    }
  }

  releaseGates(): void {
    this.accounts.openGate?.resolve();
    this.accounts.credentialsGate?.resolve();
  }
}

/** The signals the client sees on the way to `target`. */
export function exportSignalsUpTo(target: ExportStateName, protection: Protection = 'none'): Signal[] {
  const path = PATHS[protection];
  const reached = new Set(path.slice(0, path.indexOf(target) + 1));
  const signals: [ExportStateName, LinkState, LinkDetails][] = [
    ['Connecting', 2, {}],
    ['AwaitingConfirmation', 3, { peer_address: PEER_ADDRESS }],
    ['Transferring', 4, {}],
  ];
  return signals.filter(([state]) => reached.has(state)).map(([, n, details]) => [n, details]);
}
