// Drives an ImportSession over the fake transport to any state of the import machine.

import { strict as assert } from 'node:assert';
import type { ImportStateName } from '../../../service/linking/import-machine.js';
import { ImportSession } from '../../../service/linking/import-session.js';
import type { LinkDetails, LinkState } from '../../../service/linking/link-state.js';
import {
  archiveOf,
  Deferred,
  FakeClock,
  FakePeerChannel,
  FakeRendezvous,
  FakeTransport,
  InMemoryImportAccounts,
  JAMI_ID,
  LogRecorder,
  PROOF,
  StateRecorder,
  TEST_TOKEN_TEXT,
  type Signal,
} from './fakes.js';

export const PASSWORD = 'correct horse battery staple';
export const WRONG_PASSWORD = 'Tr0ub4dor&3';
export const ARCHIVE = archiveOf(JAMI_ID);
export const TIMEOUT_MS = 60_000;

export type Scheme = 'none' | 'password';

const PATHS: Record<Scheme, ImportStateName[]> = {
  none: ['Init', 'TokenAvailable', 'Connecting', 'AwaitingAuth', 'AwaitingTransfer', 'Receiving', 'Storing', 'Acknowledging'],
  password: ['Init', 'TokenAvailable', 'Connecting', 'AwaitingAuth', 'AwaitingPassword', 'CheckingPassword', 'Receiving', 'Storing', 'Acknowledging'],
};

/** Every live state, each with the scheme of a path that reaches it. */
export const IMPORT_LIVE_STATES: [ImportStateName, Scheme][] = [
  ['Init', 'none'],
  ['TokenAvailable', 'none'],
  ['Connecting', 'none'],
  ['AwaitingAuth', 'none'],
  ['AwaitingPassword', 'password'],
  ['CheckingPassword', 'password'],
  ['AwaitingTransfer', 'none'],
  ['Receiving', 'none'],
  ['Storing', 'none'],
  ['Acknowledging', 'none'],
];

/** States in which the data channel is up (and not yet being closed by us). */
export const CHANNEL_UP: ImportStateName[] = ['AwaitingAuth', 'AwaitingPassword', 'CheckingPassword', 'AwaitingTransfer', 'Receiving', 'Storing'];

export class ImportHarness {
  readonly clock = new FakeClock();
  readonly transport = new FakeTransport();
  readonly accounts = new InMemoryImportAccounts();
  readonly states = new StateRecorder();
  readonly logs = new LogRecorder();
  readonly channel = new FakePeerChannel();
  readonly session: ImportSession;
  rendezvous: FakeRendezvous | undefined;

  constructor(readonly accountId = 'new-account') {
    this.session = new ImportSession({
      accountId,
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

  /** Plays the happy path (with or without a password) until the session is in `target`. */
  async driveTo(target: ImportStateName, scheme: Scheme = 'none'): Promise<void> {
    const path = PATHS[scheme];
    const end = path.indexOf(target);
    assert.ok(end >= 0, `${target} is not on the ${scheme} path`);
    for (const state of path.slice(0, end + 1)) {
      await this.enter(state);
      assert.equal(this.session.state, state);
    }
  }

  private async enter(state: ImportStateName): Promise<void> {
    switch (state) {
      case 'Init':
        return this.session.start();
      case 'TokenAvailable':
        this.rendezvous = this.transport.grantImport(0);
        return this.states.waitForLength(1);
      case 'Connecting':
        this.rendezvous!.emit('peer', PROOF);
        return;
      case 'AwaitingAuth':
        this.rendezvous!.emit('channel', this.channel);
        return;
      case 'AwaitingPassword':
        return this.channel.receive({ t: 'auth', scheme: 'password' });
      case 'CheckingPassword':
        assert.equal(this.session.provideAuthentication(PASSWORD, 'password'), true);
        return;
      case 'AwaitingTransfer':
        return this.channel.receive({ t: 'auth', scheme: 'none' });
      case 'Receiving':
        return this.channel.receive({ t: 'transfer', size: ARCHIVE.length });
      case 'Storing':
        this.accounts.storeGate = new Deferred();
        return this.channel.receiveArchive(ARCHIVE);
      case 'Acknowledging':
        this.channel.closeGate = new Deferred();
        this.accounts.storeGate!.resolve();
        return this.channel.sent.waitFor((m) => m.t === 'stored');
      case 'Done':
        throw new Error('drive to a DONE through an event');
    }
  }

  /** Opens every gate a test may have left closed, so pending effects can finish. */
  releaseGates(): void {
    this.accounts.storeGate?.resolve();
    this.channel.closeGate?.resolve();
  }
}

/** The signals the client sees on the way to `target`. */
export function importSignalsUpTo(target: ImportStateName, scheme: Scheme = 'none'): Signal[] {
  const path = PATHS[scheme];
  const reached = new Set(path.slice(0, path.indexOf(target) + 1));
  const signals: [ImportStateName, LinkState, LinkDetails][] = [
    ['TokenAvailable', 1, { token: TEST_TOKEN_TEXT }],
    ['Connecting', 2, {}],
    ['AwaitingPassword', 3, { peer_id: JAMI_ID, auth_scheme: 'password' }],
    ['AwaitingTransfer', 3, { peer_id: JAMI_ID, auth_scheme: '' }],
    ['Receiving', 4, {}],
  ];
  return signals.filter(([state]) => reached.has(state)).map(([, n, details]) => [n, details]);
}
