// LinkOperations, the registry the D-Bus layer calls: Jami's return codes, signals per account and
// operation, independence of concurrent operations, shutdown, and two daemons linked end to end.

import { strict as assert } from 'node:assert';
import { AddDeviceError, LinkOperations } from '../../../service/linking/link-operations.js';
import type { LinkDetails, LinkState } from '../../../service/linking/link-state.js';
import type { LinkTransport } from '../../../service/contract/link-contract.js';
import {
  archiveOf,
  chainOf,
  FakeClock,
  FakePeerChannel,
  FakeTransport,
  InMemoryExportAccounts,
  InMemoryImportAccounts,
  JAMI_ID,
  LogRecorder,
  newDeviceChainOf,
  PROOF,
  Recorder,
  TEST_TOKEN,
  TEST_TOKEN_TEXT,
  type Signal,
} from './fakes.js';
import { PASSWORD, WRONG_PASSWORD } from './import-harness.js';
import { LoopbackNetwork } from './loopback-transport.js';

interface AuthSignal {
  accountId: string;
  state: LinkState;
  details: LinkDetails;
}
interface AddSignal extends AuthSignal {
  opId: number;
}

interface DaemonOptions {
  tokenLifetimeMs?: number;
}

const TIMEOUT_MS = 60_000;

class Daemon {
  readonly clock = new FakeClock();
  readonly logs = new LogRecorder();
  readonly importAccounts = new InMemoryImportAccounts();
  readonly exportAccounts = new InMemoryExportAccounts();
  readonly auth = new Recorder<AuthSignal>();
  readonly add = new Recorder<AddSignal>();
  /** isImporting(accountId) as seen from inside each deviceAuthStateChanged. */
  readonly importingAtSignal: boolean[] = [];
  /** The devices the export accounts listed when each addDeviceStateChanged DONE was emitted. */
  readonly devicesAtAddDone: string[][] = [];
  readonly ops: LinkOperations;

  constructor(
    readonly transport: LinkTransport = new FakeTransport(),
    options: DaemonOptions = {},
  ) {
    this.ops = new LinkOperations({
      transport,
      importAccounts: this.importAccounts,
      exportAccounts: this.exportAccounts,
      clock: this.clock,
      logger: this.logs,
      timeoutMs: TIMEOUT_MS,
      tokenLifetimeMs: options.tokenLifetimeMs,
      signals: {
        deviceAuthStateChanged: (accountId, state, details) => {
          this.importingAtSignal.push(this.ops.isImporting(accountId));
          this.auth.push({ accountId, state, details });
        },
        addDeviceStateChanged: (accountId, opId, state, details) => {
          if (state === 5) this.devicesAtAddDone.push(this.exportAccounts.devices.items.map((d) => d.deviceChain));
          this.add.push({ accountId, opId, state, details });
        },
      },
    });
  }

  get fake(): FakeTransport {
    return this.transport as FakeTransport;
  }

  authOf(accountId: string): Signal[] {
    return this.auth.items.filter((s) => s.accountId === accountId).map((s) => [s.state, s.details]);
  }

  addOf(accountId: string, opId: number): Signal[] {
    return this.add.items.filter((s) => s.accountId === accountId && s.opId === opId).map((s) => [s.state, s.details]);
  }

  authState(accountId: string, state: LinkState, count = 1): Promise<void> {
    return this.auth.until((items) => items.filter((s) => s.accountId === accountId && s.state === state).length >= count);
  }

  addState(accountId: string, opId: number, state: LinkState): Promise<void> {
    return this.add.waitFor((s) => s.accountId === accountId && s.opId === opId && s.state === state);
  }
}

/** One turn of the event loop: lets queued microtasks run (used only to show that nothing happens). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('LinkOperations', () => {
  describe('addDevice', () => {
    const invalid: [string, unknown][] = [
      ['an empty string', ''],
      ['the prefix alone', 'jami-auth://'],
      ['another scheme', TEST_TOKEN_TEXT.replace('jami-auth', 'jami-auht')],
      ['upper-case hex', `jami-auth://${TEST_TOKEN.peerId.toUpperCase()}/${TEST_TOKEN.code}`],
      ['a 5-digit code', TEST_TOKEN_TEXT.slice(0, -1)],
      ['a 7-digit code', `${TEST_TOKEN_TEXT}0`],
      ['a letter in the code', `${TEST_TOKEN_TEXT.slice(0, -1)}a`],
      ['a trailing newline', `${TEST_TOKEN_TEXT}\n`],
      ['a number', 42],
      ['undefined', undefined],
    ];
    for (const [what, uri] of invalid) {
      it(`answers -1 for ${what}, with no signal and no transport call`, async () => {
        const d = new Daemon();
        d.exportAccounts.add('old', { jamiId: JAMI_ID });
        assert.equal(d.ops.addDevice('old', uri as string), AddDeviceError.INVALID_URI);
        assert.equal(AddDeviceError.INVALID_URI, -1);
        await nextTurn();
        assert.deepEqual(d.add.items, []);
        assert.deepEqual(d.fake.connections.items, []);
        if (typeof uri === 'string' && uri !== '') assert.ok(!d.logs.text.includes(uri), 'the refused token is logged');
      });
    }

    it('answers -3 for an unknown account, with no signal', async () => {
      const d = new Daemon();
      assert.equal(d.ops.addDevice('nobody', TEST_TOKEN_TEXT), -3);
      assert.equal(d.ops.addDevice('', TEST_TOKEN_TEXT), -3);
      await nextTurn();
      assert.deepEqual(d.add.items, []);
    });

    it('answers -3 when the account lookup throws', () => {
      const d = new Daemon();
      d.exportAccounts.exists = () => {
        throw new Error('store unreadable');
      };
      assert.equal(d.ops.addDevice('old', TEST_TOKEN_TEXT), -3);
    });

    it('answers -2 while a link is in progress for the account, and accepts a new one after its DONE', async () => {
      const d = new Daemon();
      d.exportAccounts.add('old', { jamiId: JAMI_ID });
      const first = d.ops.addDevice('old', TEST_TOKEN_TEXT);
      assert.ok(first > 0);
      assert.equal(d.ops.addDevice('old', TEST_TOKEN_TEXT), -2);
      assert.equal(d.ops.cancelAddDevice('old', first), true);
      await d.addState('old', first, 5);
      const second = d.ops.addDevice('old', TEST_TOKEN_TEXT);
      assert.ok(second > 0 && second !== first);
    });

    it('answers -2 for an account that is being imported', () => {
      const d = new Daemon();
      d.exportAccounts.add('new', { jamiId: JAMI_ID });
      d.ops.startImport('new');
      assert.equal(d.ops.addDevice('new', TEST_TOKEN_TEXT), -2);
    });

    it('gives positive, distinct int32 operation ids', async () => {
      const d = new Daemon();
      const ids = new Set<number>();
      for (let i = 0; i < 20; i += 1) {
        d.exportAccounts.add(`acct${i}`, { jamiId: JAMI_ID });
        ids.add(d.ops.addDevice(`acct${i}`, TEST_TOKEN_TEXT));
      }
      assert.equal(ids.size, 20);
      for (const id of ids) assert.ok(Number.isInteger(id) && id > 0 && id <= 0x7fffffff);
      await d.ops.shutdown();
    });

    it('returns the operation id before any signal that carries it, then reports state 2', async () => {
      const d = new Daemon();
      d.exportAccounts.add('old', { jamiId: JAMI_ID });
      const opId = d.ops.addDevice('old', TEST_TOKEN_TEXT);
      assert.deepEqual(d.add.items, []);
      await d.addState('old', opId, 2);
      assert.deepEqual(d.addOf('old', opId), [[2, {}]]);
      await d.fake.connections.waitForLength(1);
      assert.deepEqual(d.fake.connections.items[0]!.token, TEST_TOKEN);
    });
  });

  describe('confirmAddDevice and cancelAddDevice', () => {
    it('return false for an unknown account or operation id', async () => {
      const d = new Daemon();
      d.exportAccounts.add('old', { jamiId: JAMI_ID });
      const opId = d.ops.addDevice('old', TEST_TOKEN_TEXT);
      for (const [account, id] of [['old', opId + 1], ['other', opId], ['old', -1], ['old', 1.5], ['', opId]] as const) {
        assert.equal(d.ops.confirmAddDevice(account, id), false);
        assert.equal(d.ops.cancelAddDevice(account, id), false);
      }
      await d.addState('old', opId, 2);
      assert.deepEqual(d.addOf('old', opId), [[2, {}]]);
    });

    it('confirm is true only once the peer is shown (state 3), and cancel is false after DONE', async () => {
      const d = new Daemon();
      d.exportAccounts.add('old', { jamiId: JAMI_ID });
      const opId = d.ops.addDevice('old', TEST_TOKEN_TEXT);
      await d.fake.connections.waitForLength(1);
      assert.equal(d.ops.confirmAddDevice('old', opId), false);
      const channel = new FakePeerChannel();
      d.fake.connections.items[0]!.emit('channel', channel);
      assert.equal(d.ops.confirmAddDevice('old', opId), true);
      assert.equal(d.ops.confirmAddDevice('old', opId), false);
      channel.receive({ t: 'password', password: '' });
      assert.equal(d.ops.confirmAddDevice('old', opId), false);
      await d.addState('old', opId, 4);
      channel.receive({ t: 'stored', device: newDeviceChainOf('new') });
      await d.addState('old', opId, 5);
      assert.equal(d.ops.cancelAddDevice('old', opId), false);
      assert.equal(d.ops.confirmAddDevice('old', opId), false);
      assert.deepEqual(d.addOf('old', opId).map(([n]) => n), [2, 3, 4, 5]);
    });
  });

  describe('imports', () => {
    it('shows a token, takes the consent only in state 3, and forgets the account at DONE', async () => {
      const d = new Daemon();
      d.ops.startImport('new');
      assert.equal(d.ops.isImporting('new'), true);
      assert.equal(d.ops.provideAccountAuthentication('new', PASSWORD, 'password'), false);
      d.fake.grantImport(0);
      await d.authState('new', 1);
      const rendezvous = d.fake.rendezvous.items[0]!;
      const channel = new FakePeerChannel();
      rendezvous.emit('peer', PROOF);
      rendezvous.emit('channel', channel);
      channel.receive({ t: 'auth', scheme: 'password' });
      assert.equal(d.ops.provideAccountAuthentication('other', PASSWORD, 'password'), false);
      assert.equal(d.ops.provideAccountAuthentication('', PASSWORD, 'password'), false);
      assert.equal(d.ops.provideAccountAuthentication('new', PASSWORD, 'key'), false);
      assert.equal(d.ops.provideAccountAuthentication('new', PASSWORD, 'password'), true);
      assert.equal(d.ops.provideAccountAuthentication('new', PASSWORD, 'password'), false);
      assert.deepEqual(channel.sent.items, [{ t: 'password', password: PASSWORD }]);
      channel.receive({ t: 'transfer', size: archiveOf(JAMI_ID).length });
      channel.receiveArchive(archiveOf(JAMI_ID));
      await d.authState('new', 5);
      assert.deepEqual(d.authOf('new'), [
        [1, { token: TEST_TOKEN_TEXT }],
        [2, {}],
        [3, { peer_id: JAMI_ID, auth_scheme: 'password' }],
        [4, {}],
        [4, {}],
        [5, { error: '' }],
      ]);
      assert.deepEqual(d.importingAtSignal, [true, true, true, true, true, false]);
      assert.equal(d.ops.isImporting('new'), false);
      assert.equal(d.ops.cancelImport('new'), false);
    });

    it('cancelImport (removeAccount) ends it with DONE/canceled once; false for an unknown account', async () => {
      const d = new Daemon();
      assert.equal(d.ops.cancelImport('new'), false);
      d.ops.startImport('new');
      d.fake.grantImport(0);
      await d.authState('new', 1);
      assert.equal(d.ops.cancelImport('new'), true);
      assert.equal(d.ops.cancelImport('new'), false);
      await d.authState('new', 5);
      assert.deepEqual(d.authOf('new'), [[1, { token: TEST_TOKEN_TEXT }], [5, { error: 'canceled' }]]);
      assert.deepEqual(d.importAccounts.discarded.items, ['new']);
      assert.equal(d.ops.isImporting('new'), false);
    });

    it('ignores a second startImport for an account already importing', async () => {
      const d = new Daemon();
      d.ops.startImport('new');
      d.ops.startImport('new');
      assert.equal(d.fake.importRequests.items.length, 1);
    });

    it('keeps two imports independent: canceling one does not touch the other', async () => {
      const d = new Daemon();
      d.ops.startImport('a');
      d.ops.startImport('b');
      d.fake.grantImport(0);
      d.fake.grantImport(1);
      await d.authState('a', 1);
      await d.authState('b', 1);
      assert.notEqual(d.authOf('a')[0]![1]['token'], d.authOf('b')[0]![1]['token']);
      assert.equal(d.ops.cancelImport('a'), true);
      await d.authState('a', 5);
      assert.equal(d.ops.isImporting('b'), true);
      const rendezvous = d.fake.rendezvous.items[1]!;
      const channel = new FakePeerChannel();
      rendezvous.emit('peer', PROOF);
      rendezvous.emit('channel', channel);
      channel.receive({ t: 'auth', scheme: 'none' });
      assert.equal(d.ops.provideAccountAuthentication('b', '', ''), true);
      channel.receive({ t: 'transfer', size: archiveOf(JAMI_ID).length });
      channel.receiveArchive(archiveOf(JAMI_ID));
      await d.authState('b', 5);
      assert.deepEqual(d.authOf('b').at(-1), [5, { error: '' }]);
      assert.deepEqual(d.authOf('a').map(([n]) => n), [1, 5]);
      assert.deepEqual(d.importAccounts.discarded.items, ['a']);
      assert.equal(d.fake.rendezvous.items[1]!.closeCalls, 1);
    });

    it('with tokenLifetimeMs, ends a token nobody used with DONE/timeout; without it, arms no timer until a channel', async () => {
      const limited = new Daemon(new FakeTransport(), { tokenLifetimeMs: 10 * TIMEOUT_MS });
      limited.ops.startImport('new');
      limited.fake.grantImport(0);
      await limited.authState('new', 1);
      assert.deepEqual([...limited.clock.timers.values()].map((t) => t.ms), [10 * TIMEOUT_MS]);
      limited.clock.advance(10 * TIMEOUT_MS);
      await limited.authState('new', 5);
      assert.deepEqual(limited.authOf('new'), [[1, { token: TEST_TOKEN_TEXT }], [5, { error: 'timeout' }]]);
      assert.equal(limited.ops.isImporting('new'), false);

      const unlimited = new Daemon();
      unlimited.ops.startImport('new');
      unlimited.fake.grantImport(0);
      await unlimited.authState('new', 1);
      assert.equal(unlimited.clock.pending, 0);
      unlimited.clock.advance(100 * TIMEOUT_MS);
      assert.equal(unlimited.ops.isImporting('new'), true);
      assert.equal(unlimited.ops.cancelImport('new'), true);
    });
  });

  describe('exports', () => {
    it('keeps exports of two accounts independent', async () => {
      const d = new Daemon();
      d.exportAccounts.add('x', { jamiId: JAMI_ID }).add('y', { jamiId: JAMI_ID });
      const opX = d.ops.addDevice('x', TEST_TOKEN_TEXT);
      const opY = d.ops.addDevice('y', TEST_TOKEN_TEXT);
      assert.notEqual(opX, opY);
      await d.fake.connections.waitForLength(2);
      const [connX, connY] = d.fake.connections.items;
      const channelY = new FakePeerChannel();
      connY!.emit('channel', channelY);
      assert.equal(d.ops.cancelAddDevice('x', opX), true);
      await d.addState('x', opX, 5);
      assert.equal(connX!.closeCalls, 1);
      assert.equal(d.ops.confirmAddDevice('y', opY), true);
      channelY.receive({ t: 'password', password: '' });
      await d.addState('y', opY, 4);
      channelY.receive({ t: 'stored', device: newDeviceChainOf('new') });
      await d.addState('y', opY, 5);
      assert.deepEqual(d.addOf('x', opX), [[2, {}], [5, { error: 'canceled' }]]);
      assert.deepEqual(d.addOf('y', opY).map(([n]) => n), [2, 3, 4, 5]);
      assert.deepEqual(d.addOf('y', opY).at(-1), [5, { error: '' }]);
      assert.deepEqual(d.exportAccounts.devices.items, [{ accountId: 'y', deviceChain: newDeviceChainOf('new') }]);
    });

    it('times out from the start, whatever the token lifetime (that is the new device\'s)', async () => {
      const d = new Daemon(new FakeTransport(), { tokenLifetimeMs: 10 * TIMEOUT_MS });
      d.exportAccounts.add('old', { jamiId: JAMI_ID });
      const opId = d.ops.addDevice('old', TEST_TOKEN_TEXT);
      await d.addState('old', opId, 2);
      assert.deepEqual([...d.clock.timers.values()].map((t) => t.ms), [TIMEOUT_MS]);
      d.clock.advance(TIMEOUT_MS);
      await d.addState('old', opId, 5);
      assert.deepEqual(d.addOf('old', opId), [[2, {}], [5, { error: 'timeout' }]]);
    });
  });

  describe('cancelExportsOf (removeAccount)', () => {
    it('cancels the live export of that account only, once', async () => {
      const d = new Daemon();
      d.exportAccounts.add('x', { jamiId: JAMI_ID }).add('y', { jamiId: JAMI_ID });
      const opX = d.ops.addDevice('x', TEST_TOKEN_TEXT);
      const opY = d.ops.addDevice('y', TEST_TOKEN_TEXT);
      assert.equal(d.ops.cancelExportsOf('x'), true);
      assert.equal(d.ops.cancelExportsOf('x'), false);
      assert.equal(d.ops.cancelExportsOf('nobody'), false);
      await d.addState('x', opX, 5);
      await d.addState('y', opY, 2);
      assert.deepEqual(d.addOf('x', opX), [[5, { error: 'canceled' }]]);
      assert.deepEqual(d.addOf('y', opY), [[2, {}]]);
    });
  });

  describe('shutdown', () => {
    it('ends every live operation with exactly one DONE/canceled, then refuses new ones', async () => {
      const d = new Daemon();
      d.exportAccounts.add('old', { jamiId: JAMI_ID });
      d.ops.startImport('new');
      d.fake.grantImport(0);
      await d.authState('new', 1);
      const opId = d.ops.addDevice('old', TEST_TOKEN_TEXT);
      await d.fake.connections.waitForLength(1);
      const channel = new FakePeerChannel();
      d.fake.connections.items[0]!.emit('channel', channel);
      await d.ops.shutdown();
      assert.deepEqual(d.authOf('new'), [[1, { token: TEST_TOKEN_TEXT }], [5, { error: 'canceled' }]]);
      assert.deepEqual(d.addOf('old', opId), [[2, {}], [3, { peer_address: channel.peerAddress, peer_address_type: 'srflx' }], [5, { error: 'canceled' }]]);
      assert.deepEqual(channel.sent.items, [{ t: 'abort', error: 'canceled' }]);
      assert.equal(channel.closeCalls, 1);
      assert.equal(d.fake.connections.items[0]!.closeCalls, 1);
      assert.equal(d.fake.rendezvous.items[0]!.closeCalls, 1);
      assert.equal(d.clock.pending, 0);
      assert.equal(d.ops.addDevice('old', TEST_TOKEN_TEXT), -3);
      d.ops.startImport('late');
      await d.authState('late', 5);
      assert.deepEqual(d.authOf('late'), [[5, { error: 'canceled' }]]);
      assert.equal(d.fake.importRequests.items.length, 1);
    });

    it('waits for an export whose start was still queued', async () => {
      const d = new Daemon();
      d.exportAccounts.add('old', { jamiId: JAMI_ID });
      const opId = d.ops.addDevice('old', TEST_TOKEN_TEXT);
      await d.ops.shutdown();
      assert.deepEqual(d.addOf('old', opId), [[5, { error: 'canceled' }]]);
      await nextTurn();
      assert.deepEqual(d.fake.connections.items, []);
    });
  });

  describe('two daemons linked over a loopback transport', () => {
    function pair(password?: string): { network: LoopbackNetwork; newDevice: Daemon; oldDevice: Daemon } {
      const network = new LoopbackNetwork();
      const newDevice = new Daemon(network.transport());
      const oldDevice = new Daemon(network.transport());
      oldDevice.exportAccounts.add('old', password === undefined ? { jamiId: JAMI_ID } : { jamiId: JAMI_ID, password });
      return { network, newDevice, oldDevice };
    }

    async function connect(newDevice: Daemon, oldDevice: Daemon): Promise<number> {
      newDevice.ops.startImport('new');
      await newDevice.authState('new', 1);
      const token = newDevice.authOf('new')[0]![1]['token']!;
      const opId = oldDevice.ops.addDevice('old', token);
      assert.ok(opId > 0);
      await oldDevice.addState('old', opId, 3);
      await newDevice.authState('new', 2);
      return opId;
    }

    it('links an account without a password once the new device consents: both sides end with DONE ""', async () => {
      const { network, newDevice, oldDevice } = pair();
      const opId = await connect(newDevice, oldDevice);
      assert.equal(oldDevice.ops.confirmAddDevice('old', opId), true);
      await newDevice.authState('new', 3);
      assert.deepEqual(newDevice.authOf('new').at(-1), [3, { peer_id: JAMI_ID, auth_scheme: '' }]);
      const [importerEnd, exporterEnd] = network.channels;
      assert.deepEqual(importerEnd!.sent, [], 'no password before the consent');
      assert.deepEqual(exporterEnd!.sent, [{ t: 'auth', scheme: 'none' }]);
      assert.equal(newDevice.ops.operationStatus('new'), 'awaiting-user');
      assert.deepEqual(oldDevice.exportAccounts.openCalls.items, [{ accountId: 'old', password: '' }], 'read ahead, not sent');
      assert.equal(newDevice.ops.provideAccountAuthentication('new', '', ''), true);
      await newDevice.authState('new', 5);
      await oldDevice.addState('old', opId, 5);
      assert.deepEqual(newDevice.authOf('new').map(([n, d]) => [n, d['error'] ?? d['auth_scheme'] ?? '-']), [
        [1, '-'], [2, '-'], [3, ''], [4, '-'], [4, '-'], [5, ''],
      ]);
      assert.deepEqual(oldDevice.addOf('old', opId).map(([n]) => n), [2, 3, 4, 5]);
      assert.deepEqual(oldDevice.addOf('old', opId).at(-1), [5, { error: '' }]);
      assert.deepEqual(newDevice.importAccounts.stored.get('new'), { jamiId: JAMI_ID, password: '' });
      assert.deepEqual(importerEnd!.sent, [{ t: 'password', password: '' }, { t: 'stored', device: newDeviceChainOf('new') }]);
    });

    it('each device lists the other: the old one before its DONE, the new one with the stored account', async () => {
      const { newDevice, oldDevice } = pair();
      const opId = await connect(newDevice, oldDevice);
      oldDevice.ops.confirmAddDevice('old', opId);
      await newDevice.authState('new', 3);
      newDevice.ops.provideAccountAuthentication('new', '', '');
      await oldDevice.addState('old', opId, 5);
      assert.deepEqual(oldDevice.devicesAtAddDone, [[newDeviceChainOf('new')]]);
      await newDevice.authState('new', 5);
      assert.equal(newDevice.importAccounts.exporterDevices.get('new'), chainOf(JAMI_ID));
    });

    it('tells which operations wait for their own user: the confirmation, then the password; none after DONE', async () => {
      const { newDevice, oldDevice } = pair(PASSWORD);
      assert.equal(newDevice.ops.operationStatus('new'), 'done');
      const opId = await connect(newDevice, oldDevice);
      assert.equal(oldDevice.ops.operationStatus('old', opId), 'awaiting-user');
      assert.equal(newDevice.ops.operationStatus('new'), 'running');
      assert.equal(oldDevice.ops.operationStatus('old', opId + 1), 'done');
      oldDevice.ops.confirmAddDevice('old', opId);
      assert.equal(oldDevice.ops.operationStatus('old', opId), 'running');
      await newDevice.authState('new', 3);
      assert.equal(oldDevice.ops.operationStatus('old', opId), 'running');
      assert.equal(newDevice.ops.operationStatus('new'), 'awaiting-user');
      assert.equal(newDevice.ops.provideAccountAuthentication('new', PASSWORD, 'password'), true);
      assert.equal(newDevice.ops.operationStatus('new'), 'running');
      await newDevice.authState('new', 5);
      await oldDevice.addState('old', opId, 5);
      assert.equal(newDevice.ops.operationStatus('new'), 'done');
      assert.equal(oldDevice.ops.operationStatus('old', opId), 'done');
    });

    // A wrong password, and what Jami's client sends for an empty field: both are a wrong try.
    for (const [what, credentials, scheme] of [['a wrong password', WRONG_PASSWORD, 'password'], ['empty credentials', '', '']] as const) {
      it(`links a password account after ${what}: state 3 again with invalid_credentials, then DONE "" on both sides`, async () => {
        const { newDevice, oldDevice } = pair(PASSWORD);
        const opId = await connect(newDevice, oldDevice);
        assert.equal(oldDevice.ops.confirmAddDevice('old', opId), true);
        await newDevice.authState('new', 3);
        assert.equal(newDevice.ops.provideAccountAuthentication('new', credentials, scheme), true);
        await newDevice.authState('new', 3, 2);
        assert.deepEqual(newDevice.authOf('new').at(-1), [3, { peer_id: JAMI_ID, auth_scheme: 'password', auth_error: 'invalid_credentials' }]);
        assert.equal(newDevice.ops.provideAccountAuthentication('new', PASSWORD, 'password'), true);
        await newDevice.authState('new', 5);
        await oldDevice.addState('old', opId, 5);
        assert.deepEqual(newDevice.authOf('new').at(-1), [5, { error: '' }]);
        assert.deepEqual(oldDevice.addOf('old', opId).at(-1), [5, { error: '' }]);
        assert.deepEqual(oldDevice.exportAccounts.openCalls.items.map((c) => c.password), [credentials, PASSWORD]);
        assert.deepEqual(newDevice.importAccounts.stored.get('new'), { jamiId: JAMI_ID, password: PASSWORD });
      });
    }

    it('ends with DONE/auth_error on both sides after the third wrong password, and refuses a 4th consent', async () => {
      const { network, newDevice, oldDevice } = pair(PASSWORD);
      const opId = await connect(newDevice, oldDevice);
      oldDevice.ops.confirmAddDevice('old', opId);
      for (let attempt = 1; attempt <= 3; attempt += 1) {
        await newDevice.authState('new', 3, attempt);
        assert.equal(newDevice.ops.provideAccountAuthentication('new', `${WRONG_PASSWORD}${attempt}`, 'password'), true);
      }
      await newDevice.authState('new', 5);
      await oldDevice.addState('old', opId, 5);
      assert.deepEqual(newDevice.authOf('new').map(([n]) => n), [1, 2, 3, 4, 3, 4, 3, 4, 5]);
      assert.deepEqual(newDevice.authOf('new').at(-1), [5, { error: 'auth_error' }]);
      assert.deepEqual(oldDevice.addOf('old', opId), [[2, {}], [3, { peer_address: network.channels[1]!.peerAddress, peer_address_type: 'host' }], [5, { error: 'auth_error' }]]);
      assert.equal(newDevice.ops.provideAccountAuthentication('new', PASSWORD, 'password'), false);
      assert.equal(newDevice.importAccounts.stored.size, 0);
      assert.deepEqual(oldDevice.exportAccounts.devices.items, []);
    });

    it('ends with DONE/canceled on both sides when the new device cancels (removeAccount)', async () => {
      const { newDevice, oldDevice } = pair();
      const opId = await connect(newDevice, oldDevice);
      assert.equal(newDevice.ops.cancelImport('new'), true);
      await newDevice.authState('new', 5);
      await oldDevice.addState('old', opId, 5);
      assert.deepEqual(newDevice.authOf('new').at(-1), [5, { error: 'canceled' }]);
      assert.deepEqual(oldDevice.addOf('old', opId).at(-1), [5, { error: 'canceled' }]);
    });

    it('ends with DONE/canceled on both sides when the old device cancels (cancelAddDevice)', async () => {
      const { newDevice, oldDevice } = pair(PASSWORD);
      const opId = await connect(newDevice, oldDevice);
      oldDevice.ops.confirmAddDevice('old', opId);
      await newDevice.authState('new', 3);
      assert.equal(oldDevice.ops.cancelAddDevice('old', opId), true);
      await newDevice.authState('new', 5);
      await oldDevice.addState('old', opId, 5);
      assert.deepEqual(newDevice.authOf('new').at(-1), [5, { error: 'canceled' }]);
      assert.deepEqual(oldDevice.addOf('old', opId).at(-1), [5, { error: 'canceled' }]);
      // The new device keeps nothing of a failed import (the account port drops what the link stored).
      assert.deepEqual(newDevice.importAccounts.discarded.items, ['new']);
    });

    it('ends with DONE/timeout on both sides when the new device times out while its user is asked', async () => {
      const { newDevice, oldDevice } = pair(PASSWORD);
      const opId = await connect(newDevice, oldDevice);
      oldDevice.ops.confirmAddDevice('old', opId);
      await newDevice.authState('new', 3);
      newDevice.clock.expireAll();
      await newDevice.authState('new', 5);
      await oldDevice.addState('old', opId, 5);
      assert.deepEqual(newDevice.authOf('new').at(-1), [5, { error: 'timeout' }]);
      assert.deepEqual(oldDevice.addOf('old', opId).at(-1), [5, { error: 'timeout' }]);
    });

    it('never logs a password, the token or its code, or the archive on either side', async () => {
      const { newDevice, oldDevice } = pair(PASSWORD);
      const opId = await connect(newDevice, oldDevice);
      const token = newDevice.authOf('new')[0]![1]['token']!;
      oldDevice.ops.confirmAddDevice('old', opId);
      await newDevice.authState('new', 3);
      newDevice.ops.provideAccountAuthentication('new', WRONG_PASSWORD, 'password');
      await newDevice.authState('new', 3, 2);
      newDevice.ops.provideAccountAuthentication('new', PASSWORD, 'password');
      await newDevice.authState('new', 5);
      await oldDevice.addState('old', opId, 5);
      const logs = `${newDevice.logs.text}\n${oldDevice.logs.text}`;
      for (const secret of [PASSWORD, WRONG_PASSWORD, token, token.slice(-6), 'ARCHIVE-SECRET-BYTES']) {
        assert.ok(!logs.includes(secret), `the logs contain ${secret}`);
      }
    });
  });
});
