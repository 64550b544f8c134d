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
/** State 3's details for the fake channel's peer (reached through its NAT's public address). */
export const PEER_DETAILS = { peer_address: PEER_ADDRESS, peer_address_type: 'srflx' } as const;

export type Protection = 'none' | 'password';

/** One path for both kinds of account: the importer's consent always brings a password ('' for none). */
const PATH: ExportStateName[] = ['Init', 'Connecting', 'AwaitingConfirmation', 'AwaitingConsent', 'CheckingPassword', 'Transferring'];

/** What the importer sends once its user consented, for each kind of account. */
export const CONSENTED_PASSWORD: Record<Protection, string> = { none: '', password: PASSWORD };

/** Every live state, each with the protection of an account whose path reaches it (the consent states with both). */
export const EXPORT_LIVE_STATES: [ExportStateName, Protection][] = [
  ['Init', 'none'],
  ['Connecting', 'none'],
  ['AwaitingConfirmation', 'none'],
  ['AwaitingConsent', 'none'],
  ['AwaitingConsent', 'password'],
  ['CheckingPassword', 'none'],
  ['CheckingPassword', 'password'],
  ['Transferring', 'none'],
];

export const EXPORT_CHANNEL_UP: ExportStateName[] = ['AwaitingConfirmation', 'AwaitingConsent', 'CheckingPassword', 'Transferring'];

export class ExportHarness {
  readonly clock = new FakeClock();
  readonly transport = new FakeTransport();
  readonly accounts = new InMemoryExportAccounts();
  readonly states = new StateRecorder();
  readonly logs = new LogRecorder();
  readonly channel = new FakePeerChannel(PEER_ADDRESS);
  readonly session: ExportSession;
  connection: FakeExportConnection | undefined;
  /** Where on PATH driveTo left the session. */
  private reached = -1;

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
      onState: this.states.onState,
    });
  }

  get signals(): Signal[] {
    return this.states.items;
  }

  /** Plays the happy path until the session is in `target`; a second call goes on from where the first stopped. */
  async driveTo(target: ExportStateName): Promise<void> {
    const end = PATH.indexOf(target);
    assert.ok(end > this.reached, `${target} is not on the path ahead`);
    for (const state of PATH.slice(this.reached + 1, end + 1)) {
      await this.enter(state, end >= PATH.indexOf('CheckingPassword'));
      assert.equal(this.session.state, state);
      this.reached = PATH.indexOf(state);
    }
  }

  private async enter(state: ExportStateName, holdTheArchive: boolean): Promise<void> {
    switch (state) {
      case 'Init':
        return;
      case 'Connecting':
        // Shut before start when the drive goes through CheckingPassword (which waits for the archive until the test
        // opens the gate): an account without a password is read ahead from the start, the read consent waits for.
        if (holdTheArchive) this.accounts.openGate = new Deferred();
        this.session.start();
        await this.transport.connections.waitForLength(1);
        this.connection = this.transport.connections.items[0];
        return;
      case 'AwaitingConfirmation':
        this.connection!.emit('channel', this.channel);
        return;
      case 'AwaitingConsent':
        assert.equal(this.session.confirm(), true);
        return;
      case 'CheckingPassword':
        this.accounts.openGate ??= new Deferred();
        this.channel.receive({ t: 'password', password: CONSENTED_PASSWORD[this.protection] });
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
    this.accounts.recordGate?.resolve();
  }
}

/** The signals the client sees on the way to `target`. */
export function exportSignalsUpTo(target: ExportStateName): Signal[] {
  const reached = new Set(PATH.slice(0, PATH.indexOf(target) + 1));
  const signals: [ExportStateName, LinkState, LinkDetails][] = [
    ['Connecting', 2, {}],
    ['AwaitingConfirmation', 3, PEER_DETAILS],
    ['Transferring', 4, {}],
  ];
  return signals.filter(([state]) => reached.has(state)).map(([, n, details]) => [n, details]);
}
