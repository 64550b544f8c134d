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
export const TOKEN_LIFETIME_MS = 600_000;

/** The scheme the exporter announces: the account has a password, or not. */
export type Scheme = 'none' | 'password';

/** One path for both schemes: the consent (state 3) comes in either case; only what the user gives differs. */
const PATH: ImportStateName[] = [
  'Init', 'TokenAvailable', 'Connecting', 'AwaitingAuth', 'AwaitingConsent', 'CheckingCredentials', 'Receiving', 'Storing', 'Acknowledging',
];

/** What our user gives on consent for each scheme, as Jami's client sends it (an empty field: '' and ''). */
export const CONSENT: Record<Scheme, { credentials: string; scheme: string }> = {
  none: { credentials: '', scheme: '' },
  password: { credentials: PASSWORD, scheme: 'password' },
};

/** Every live state, each with the scheme of a path that reaches it (the consent states with both). */
export const IMPORT_LIVE_STATES: [ImportStateName, Scheme][] = [
  ['Init', 'none'],
  ['TokenAvailable', 'none'],
  ['Connecting', 'none'],
  ['AwaitingAuth', 'none'],
  ['AwaitingConsent', 'none'],
  ['AwaitingConsent', 'password'],
  ['CheckingCredentials', 'none'],
  ['CheckingCredentials', 'password'],
  ['Receiving', 'none'],
  ['Storing', 'none'],
  ['Acknowledging', 'none'],
];

/** States before the data channel opened: only a token lifetime, if any, can time them out. */
export const BEFORE_CHANNEL: ImportStateName[] = ['Init', 'TokenAvailable', 'Connecting'];

/** States in which the data channel is up (and not yet being closed by us). */
export const CHANNEL_UP: ImportStateName[] = ['AwaitingAuth', 'AwaitingConsent', 'CheckingCredentials', 'Receiving', 'Storing'];

export interface ImportHarnessOptions {
  accountId?: string;
  tokenLifetimeMs?: number;
}

export class ImportHarness {
  readonly clock = new FakeClock();
  readonly transport = new FakeTransport();
  readonly accounts = new InMemoryImportAccounts();
  readonly states = new StateRecorder();
  readonly logs = new LogRecorder();
  readonly channel = new FakePeerChannel();
  readonly session: ImportSession;
  readonly accountId: string;
  rendezvous: FakeRendezvous | undefined;
  /** Where on PATH driveTo left the session. */
  private reached = -1;

  constructor(options: ImportHarnessOptions = {}) {
    this.accountId = options.accountId ?? 'new-account';
    this.session = new ImportSession({
      accountId: this.accountId,
      transport: this.transport,
      accounts: this.accounts,
      clock: this.clock,
      logger: this.logs,
      timeoutMs: TIMEOUT_MS,
      tokenLifetimeMs: options.tokenLifetimeMs,
      onState: this.states.onState,
    });
  }

  get signals(): Signal[] {
    return this.states.items;
  }

  /** Plays the happy path (for an account with or without a password) until the session is in `target`;
   *  a second call goes on from where the first stopped. */
  async driveTo(target: ImportStateName, scheme: Scheme = 'none'): Promise<void> {
    const end = PATH.indexOf(target);
    assert.ok(end > this.reached, `${target} is not on the path ahead`);
    for (const state of PATH.slice(this.reached + 1, end + 1)) {
      await this.enter(state, scheme);
      assert.equal(this.session.state, state);
      this.reached = PATH.indexOf(state);
    }
  }

  /** Our user consents with what Jami's client sends for `scheme`; true when the session took it. */
  consent(scheme: Scheme): boolean {
    const { credentials, scheme: named } = CONSENT[scheme];
    return this.session.provideAuthentication(credentials, named);
  }

  private async enter(state: ImportStateName, scheme: Scheme): Promise<void> {
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
      case 'AwaitingConsent':
        return this.channel.receive({ t: 'auth', scheme });
      case 'CheckingCredentials':
        assert.equal(this.consent(scheme), true);
        return;
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

/** The signals the client sees on the way to `target`: jamid's, with its second state 4 when `transfer` comes. */
export function importSignalsUpTo(target: ImportStateName, scheme: Scheme = 'none'): Signal[] {
  const reached = new Set(PATH.slice(0, PATH.indexOf(target) + 1));
  const signals: [ImportStateName, LinkState, LinkDetails][] = [
    ['TokenAvailable', 1, { token: TEST_TOKEN_TEXT }],
    ['Connecting', 2, {}],
    ['AwaitingConsent', 3, { peer_id: JAMI_ID, auth_scheme: scheme === 'password' ? 'password' : '' }],
    ['CheckingCredentials', 4, {}],
    ['Receiving', 4, {}],
  ];
  return signals.filter(([state]) => reached.has(state)).map(([, n, details]) => [n, details]);
}
