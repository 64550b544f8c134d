// ImportSession (new device) over a fake transport, fake clock and in-memory account store:
// the exact ordered (state, details) signals and the messages it sends, in every state.

import { strict as assert } from 'node:assert';
import type { ImportStateName } from '../../../service/linking/import-machine.js';
import { ImportSession } from '../../../service/linking/import-session.js';
import { archiveOf, Deferred, JAMI_ID, OTHER_JAMI_ID, TEST_TOKEN, TEST_TOKEN_TEXT } from './fakes.js';
import {
  ARCHIVE,
  CHANNEL_UP,
  IMPORT_LIVE_STATES,
  ImportHarness,
  importSignalsUpTo,
  PASSWORD,
  TIMEOUT_MS,
  WRONG_PASSWORD,
} from './import-harness.js';

describe('ImportSession', () => {
  describe('an account without a password', () => {
    it('goes 1 (token) -> 2 -> 3 (auth_scheme "") -> 4 -> 5 (error "") and stores the account', async () => {
      const h = new ImportHarness();
      await h.driveTo('Receiving', 'none');
      h.channel.receiveArchive(ARCHIVE);
      await h.states.done();
      assert.deepEqual(h.signals, [
        [1, { token: TEST_TOKEN_TEXT }],
        [2, {}],
        [3, { peer_id: JAMI_ID, auth_scheme: '' }],
        [4, {}],
        [5, { error: '' }],
      ]);
      assert.deepEqual(h.accounts.stored.get('new-account'), { jamiId: JAMI_ID, password: undefined });
      assert.deepEqual(h.channel.sentTypes, ['stored']);
      assert.equal(await h.session.settled, '');
      assert.equal(h.channel.closeCalls, 1);
      assert.equal(h.rendezvous!.closeCalls, 1);
      assert.equal(h.clock.pending, 0);
      assert.deepEqual(h.accounts.discarded.items, []);
    });

    it('shows a token of exactly 59 characters, formatted from the rendezvous', async () => {
      const h = new ImportHarness();
      await h.driveTo('TokenAvailable');
      const token = h.signals[0]![1]['token']!;
      assert.equal(token.length, 59);
      assert.equal(token, `jami-auth://${TEST_TOKEN.peerId}/${TEST_TOKEN.code}`);
    });

    it('moves on by itself: provideAuthentication is refused when no password is needed', async () => {
      const h = new ImportHarness();
      await h.driveTo('AwaitingTransfer', 'none');
      assert.equal(h.session.provideAuthentication('', 'none'), false);
      assert.equal(h.session.provideAuthentication('', ''), false);
      assert.equal(h.session.provideAuthentication(PASSWORD, 'password'), false);
      assert.deepEqual(h.channel.sentTypes, []);
    });

    it('reports DONE only once `stored` was flushed by closing the channel', async () => {
      const h = new ImportHarness();
      await h.driveTo('Acknowledging', 'none');
      assert.deepEqual(h.states.states, [1, 2, 3, 4]);
      assert.equal(h.channel.closeCalls, 1);
      h.channel.closeGate!.resolve();
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: '' }]]);
    });
  });

  describe('an account with a password', () => {
    it('asks for it in state 3, sends it, and stores the account encrypted with it', async () => {
      const h = new ImportHarness();
      await h.driveTo('AwaitingPassword', 'password');
      assert.deepEqual(h.signals.at(-1), [3, { peer_id: JAMI_ID, auth_scheme: 'password' }]);
      assert.equal(h.session.provideAuthentication(PASSWORD, 'password'), true);
      assert.deepEqual(h.channel.sent.items, [{ t: 'password', password: PASSWORD }]);
      h.channel.receive({ t: 'transfer', size: ARCHIVE.length });
      h.channel.receiveArchive(ARCHIVE);
      await h.states.done();
      assert.deepEqual(h.signals, [
        [1, { token: TEST_TOKEN_TEXT }],
        [2, {}],
        [3, { peer_id: JAMI_ID, auth_scheme: 'password' }],
        [4, {}],
        [5, { error: '' }],
      ]);
      assert.deepEqual(h.accounts.stored.get('new-account'), { jamiId: JAMI_ID, password: PASSWORD });
    });

    it('asks again with auth_error bad_password after a wrong one, then succeeds with the right one', async () => {
      const h = new ImportHarness();
      await h.driveTo('AwaitingPassword', 'password');
      assert.equal(h.session.provideAuthentication(WRONG_PASSWORD, 'password'), true);
      h.channel.receive({ t: 'bad_password', attemptsLeft: 2 });
      assert.equal(h.session.state, 'AwaitingPassword');
      assert.equal(h.session.provideAuthentication(PASSWORD, 'password'), true);
      h.channel.receive({ t: 'transfer', size: ARCHIVE.length });
      h.channel.receiveArchive(ARCHIVE);
      await h.states.done();
      assert.deepEqual(h.signals, [
        [1, { token: TEST_TOKEN_TEXT }],
        [2, {}],
        [3, { peer_id: JAMI_ID, auth_scheme: 'password' }],
        [3, { peer_id: JAMI_ID, auth_scheme: 'password', auth_error: 'bad_password' }],
        [4, {}],
        [5, { error: '' }],
      ]);
      assert.deepEqual(h.channel.sent.items.slice(0, 2), [
        { t: 'password', password: WRONG_PASSWORD },
        { t: 'password', password: PASSWORD },
      ]);
      assert.equal(h.accounts.stored.get('new-account')?.password, PASSWORD);
    });

    it('ends with DONE/authentication after the third wrong password', async () => {
      const h = new ImportHarness();
      await h.driveTo('AwaitingPassword', 'password');
      for (const attemptsLeft of [2, 1]) {
        assert.equal(h.session.provideAuthentication(WRONG_PASSWORD, 'password'), true);
        h.channel.receive({ t: 'bad_password', attemptsLeft });
      }
      assert.equal(h.session.provideAuthentication(WRONG_PASSWORD, 'password'), true);
      h.channel.receive({ t: 'abort', error: 'authentication' });
      await h.states.done();
      assert.deepEqual(h.signals.slice(2), [
        [3, { peer_id: JAMI_ID, auth_scheme: 'password' }],
        [3, { peer_id: JAMI_ID, auth_scheme: 'password', auth_error: 'bad_password' }],
        [3, { peer_id: JAMI_ID, auth_scheme: 'password', auth_error: 'bad_password' }],
        [5, { error: 'authentication' }],
      ]);
      assert.deepEqual(h.channel.sentTypes, ['password', 'password', 'password']);
      assert.equal(h.session.provideAuthentication(PASSWORD, 'password'), false);
    });

    it('refuses a second password while the first is being checked', async () => {
      const h = new ImportHarness();
      await h.driveTo('CheckingPassword', 'password');
      assert.equal(h.session.provideAuthentication(PASSWORD, 'password'), false);
      assert.deepEqual(h.channel.sentTypes, ['password']);
    });

    it('refuses a scheme other than "password"', async () => {
      const h = new ImportHarness();
      await h.driveTo('AwaitingPassword', 'password');
      for (const scheme of ['', 'none', 'PASSWORD', 'key']) assert.equal(h.session.provideAuthentication(PASSWORD, scheme), false);
      assert.deepEqual(h.channel.sentTypes, []);
    });
  });

  describe('provideAuthentication', () => {
    const accepting: ImportStateName[] = ['AwaitingPassword'];
    for (const [state, scheme] of IMPORT_LIVE_STATES) {
      it(`returns ${accepting.includes(state)} in ${state}`, async () => {
        const h = new ImportHarness();
        await h.driveTo(state, scheme);
        const before = h.signals.length;
        assert.equal(h.session.provideAuthentication(PASSWORD, 'password'), accepting.includes(state));
        assert.equal(h.signals.length, before);
        h.releaseGates();
      });
    }

    it('returns false after DONE', async () => {
      const h = new ImportHarness();
      await h.driveTo('AwaitingPassword', 'password');
      h.session.cancel();
      await h.states.done();
      assert.equal(h.session.provideAuthentication(PASSWORD, 'password'), false);
    });
  });

  describe('the store', () => {
    it('ends with DONE/authentication and discards the account when the archive holds another account', async () => {
      const h = new ImportHarness();
      await h.driveTo('Receiving');
      const other = archiveOf(OTHER_JAMI_ID);
      h.channel.receiveArchive(Buffer.concat([other, Buffer.alloc(ARCHIVE.length - other.length, 32)]));
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: 'authentication' }]]);
      assert.deepEqual(h.channel.sent.items, [{ t: 'abort', error: 'authentication' }]);
      assert.deepEqual(h.accounts.discarded.items, ['new-account']);
      assert.equal(h.accounts.stored.size, 0);
    });

    it('ends with DONE/network, tells the exporter and discards when storing fails', async () => {
      const h = new ImportHarness();
      await h.driveTo('Receiving');
      h.accounts.storeFails = true;
      h.channel.receiveArchive(ARCHIVE);
      await h.states.done();
      assert.deepEqual(h.signals.slice(-2), [[4, {}], [5, { error: 'network' }]]);
      assert.deepEqual(h.channel.sent.items, [{ t: 'abort', error: 'network' }]);
      assert.deepEqual(h.accounts.discarded.items, ['new-account']);
    });

    it('ends with DONE/network and discards when flushing `stored` fails', async () => {
      const h = new ImportHarness();
      await h.driveTo('Acknowledging');
      h.channel.closeGate!.reject(new Error('peer vanished'));
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: 'network' }]]);
      assert.deepEqual(h.accounts.discarded.items, ['new-account']);
      assert.equal(h.accounts.stored.size, 0);
    });

    it('leaves the outcome to its own close() when the channel closes while acknowledging', async () => {
      const h = new ImportHarness();
      await h.driveTo('Acknowledging');
      h.channel.drop('network');
      assert.equal(h.session.state, 'Acknowledging');
      h.channel.closeGate!.resolve();
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: '' }]]);
    });

    it('discards only after a store in flight finished, then reports DONE', async () => {
      const h = new ImportHarness();
      await h.driveTo('Storing');
      assert.equal(h.session.cancel(), true);
      assert.deepEqual(h.accounts.discarded.items, []);
      assert.deepEqual(h.states.dones, []);
      h.accounts.storeGate!.resolve();
      await h.states.done();
      assert.deepEqual(h.accounts.discarded.items, ['new-account']);
      assert.equal(h.accounts.stored.size, 0);
      assert.deepEqual(h.states.dones, [[5, { error: 'canceled' }]]);
      assert.deepEqual(h.channel.sentTypes, ['abort']);
    });

    it('reports the DONE of a failed import only once the discard finished', async () => {
      const h = new ImportHarness();
      await h.driveTo('AwaitingAuth');
      h.accounts.discardGate = new Deferred();
      assert.equal(h.session.cancel(), true);
      await h.channel.sent.waitFor((m) => m.t === 'abort');
      assert.deepEqual(h.states.dones, []);
      h.accounts.discardGate.resolve();
      await h.states.done();
      assert.deepEqual(h.accounts.discarded.items, ['new-account']);
      assert.deepEqual(h.states.dones, [[5, { error: 'canceled' }]]);
    });

    it('treats an archive whose size differs from `transfer` as a protocol violation', async () => {
      const h = new ImportHarness();
      await h.driveTo('Receiving');
      h.channel.receiveArchive(Buffer.concat([ARCHIVE, Buffer.from('x')]));
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: 'authentication' }]]);
      assert.deepEqual(h.accounts.storeCalls.items, []);
    });
  });

  describe('cancel (removeAccount)', () => {
    for (const [state, scheme] of IMPORT_LIVE_STATES) {
      it(`in ${state}: ends with DONE/canceled${CHANNEL_UP.includes(state) ? ', tells the exporter' : ''} and discards`, async () => {
        const h = new ImportHarness();
        await h.driveTo(state, scheme);
        assert.equal(h.session.cancel(), true);
        h.releaseGates();
        await h.states.done();
        assert.deepEqual(h.signals, [...importSignalsUpTo(state, scheme), [5, { error: 'canceled' }]]);
        const aborts = h.channel.sent.items.filter((m) => m.t === 'abort');
        assert.deepEqual(aborts, CHANNEL_UP.includes(state) ? [{ t: 'abort', error: 'canceled' }] : []);
        assert.deepEqual(h.accounts.discarded.items, ['new-account']);
        assert.equal(await h.session.settled, 'canceled');
        assert.equal(h.clock.pending, 0);
        if (h.rendezvous) assert.equal(h.rendezvous.closeCalls, 1);
        if (state !== 'Init' && state !== 'TokenAvailable' && state !== 'Connecting') assert.equal(h.channel.closeCalls, 1);
        assert.equal(h.session.cancel(), false);
        assert.equal(h.signals.length, importSignalsUpTo(state, scheme).length + 1);
      });
    }

    it('closes a rendezvous that arrives after a cancel in Init, and says nothing more', async () => {
      const h = new ImportHarness();
      await h.driveTo('Init');
      h.session.cancel();
      await h.states.done();
      const rendezvous = h.transport.grantImport(0);
      await h.transport.importRequests.items[0]!.promise;
      assert.equal(rendezvous.closeCalls, 1);
      assert.deepEqual(h.signals, [[5, { error: 'canceled' }]]);
    });
  });

  describe('the time-out', () => {
    it('is armed for the whole operation when it starts', async () => {
      const h = new ImportHarness();
      await h.driveTo('Init');
      assert.deepEqual([...h.clock.timers.values()].map((t) => t.ms), [TIMEOUT_MS]);
    });

    for (const [state, scheme] of IMPORT_LIVE_STATES) {
      it(`in ${state}: ends with DONE/timeout${CHANNEL_UP.includes(state) ? ', tells the exporter' : ''} and discards`, async () => {
        const h = new ImportHarness();
        await h.driveTo(state, scheme);
        h.clock.expireAll();
        h.releaseGates();
        await h.states.done();
        assert.deepEqual(h.signals, [...importSignalsUpTo(state, scheme), [5, { error: 'timeout' }]]);
        const aborts = h.channel.sent.items.filter((m) => m.t === 'abort');
        assert.deepEqual(aborts, CHANNEL_UP.includes(state) ? [{ t: 'abort', error: 'timeout' }] : []);
        assert.deepEqual(h.accounts.discarded.items, ['new-account']);
      });
    }
  });

  describe('a transport failure', () => {
    it('in Init (no rendezvous): ends with DONE/network', async () => {
      const h = new ImportHarness();
      await h.driveTo('Init');
      h.transport.importRequests.items[0]!.reject(new Error('no DHT'));
      await h.states.done();
      assert.deepEqual(h.signals, [[5, { error: 'network' }]]);
      assert.equal(h.clock.pending, 0);
    });

    for (const [state, scheme] of IMPORT_LIVE_STATES.filter(([s]) => s !== 'Init' && s !== 'Acknowledging')) {
      it(`in ${state}: ends with DONE/network and discards`, async () => {
        const h = new ImportHarness();
        await h.driveTo(state, scheme);
        if (CHANNEL_UP.includes(state)) h.channel.drop('network');
        else h.rendezvous!.emit('failed', 'network');
        h.releaseGates();
        await h.states.done();
        assert.deepEqual(h.signals, [...importSignalsUpTo(state, scheme), [5, { error: 'network' }]]);
        assert.deepEqual(h.channel.sentTypes.filter((t) => t === 'abort'), []);
        assert.deepEqual(h.accounts.discarded.items, ['new-account']);
      });
    }

    it('reports the failure the transport gives (e.g. authentication of the exporter)', async () => {
      const h = new ImportHarness();
      await h.driveTo('Connecting');
      h.rendezvous!.emit('failed', 'authentication');
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: 'authentication' }]]);
    });

    it('ends with DONE/network when a send throws', async () => {
      const h = new ImportHarness();
      await h.driveTo('AwaitingPassword', 'password');
      h.channel.sendThrows = true;
      assert.equal(h.session.provideAuthentication(PASSWORD, 'password'), true);
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: 'network' }]]);
    });
  });

  describe('an abort from the exporter', () => {
    for (const [state, scheme] of IMPORT_LIVE_STATES.filter(([s]) => CHANNEL_UP.includes(s) || s === 'Acknowledging')) {
      it(`in ${state}: ends with DONE and the exporter's error`, async () => {
        const h = new ImportHarness();
        await h.driveTo(state, scheme);
        h.channel.receive({ t: 'abort', error: 'canceled' });
        h.releaseGates();
        await h.states.done();
        assert.deepEqual(h.signals, [...importSignalsUpTo(state, scheme), [5, { error: 'canceled' }]]);
        assert.deepEqual(h.channel.sentTypes.filter((t) => t === 'abort'), []);
      });
    }

    it('reads an abort with an unknown error as network', async () => {
      const h = new ImportHarness();
      await h.driveTo('AwaitingAuth');
      h.channel.receive({ t: 'abort', error: 'gremlins' });
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: 'network' }]]);
    });
  });

  describe('an out-of-order or unknown message', () => {
    const cases: [string, ImportStateName, 'none' | 'password', unknown][] = [
      ['transfer before auth', 'AwaitingAuth', 'none', { t: 'transfer', size: 10 }],
      ['bad_password before auth', 'AwaitingAuth', 'none', { t: 'bad_password', attemptsLeft: 2 }],
      ['a second auth', 'AwaitingTransfer', 'none', { t: 'auth', scheme: 'password' }],
      ['bad_password when no password is needed', 'AwaitingTransfer', 'none', { t: 'bad_password', attemptsLeft: 2 }],
      ['transfer before the password was given', 'AwaitingPassword', 'password', { t: 'transfer', size: 10 }],
      ['a password (only the importer sends one)', 'AwaitingTransfer', 'none', { t: 'password', password: 'x' }],
      ['stored (only the importer sends it)', 'Receiving', 'none', { t: 'stored' }],
      ['an auth with an unknown scheme', 'AwaitingAuth', 'none', { t: 'auth', scheme: 'key' }],
      ['a transfer with a negative size', 'AwaitingTransfer', 'none', { t: 'transfer', size: -1 }],
      ['an unknown type', 'AwaitingAuth', 'none', { t: 'hello' }],
      ['not an object', 'AwaitingAuth', 'none', 'auth'],
      ['null', 'AwaitingAuth', 'none', null],
    ];
    for (const [what, state, scheme, message] of cases) {
      it(`${what} in ${state}: ends with DONE/authentication and aborts`, async () => {
        const h = new ImportHarness();
        await h.driveTo(state, scheme);
        h.channel.receive(message);
        await h.states.done();
        assert.deepEqual(h.signals, [...importSignalsUpTo(state, scheme), [5, { error: 'authentication' }]]);
        assert.deepEqual(h.channel.sent.items.at(-1), { t: 'abort', error: 'authentication' });
      });
    }

    it('an archive before transfer: ends with DONE/authentication without storing', async () => {
      const h = new ImportHarness();
      await h.driveTo('AwaitingTransfer');
      h.channel.receiveArchive(ARCHIVE);
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: 'authentication' }]]);
      assert.deepEqual(h.accounts.storeCalls.items, []);
    });

    it('a channel before a verified peer: ends with DONE/network', async () => {
      const h = new ImportHarness();
      await h.driveTo('TokenAvailable');
      h.rendezvous!.emit('channel', h.channel);
      await h.states.done();
      assert.deepEqual(h.signals, [[1, { token: TEST_TOKEN_TEXT }], [5, { error: 'network' }]]);
      assert.equal(h.channel.closeCalls, 1);
    });
  });

  describe('exactly one DONE', () => {
    it('ignores every input after DONE and emits nothing more', async () => {
      const h = new ImportHarness();
      await h.driveTo('AwaitingPassword', 'password');
      h.channel.receive({ t: 'abort', error: 'network' });
      await h.states.done();
      const count = h.signals.length;
      assert.equal(h.session.cancel(), false);
      assert.equal(h.session.provideAuthentication(PASSWORD, 'password'), false);
      h.channel.receive({ t: 'transfer', size: 1 });
      h.channel.receiveArchive(ARCHIVE);
      h.channel.drop('network');
      h.rendezvous!.emit('failed', 'network');
      h.clock.expireAll();
      assert.equal(h.signals.length, count);
      assert.equal(h.states.dones.length, 1);
      assert.deepEqual(h.accounts.storeCalls.items, []);
    });

    it('survives a state listener that throws', async () => {
      const h = new ImportHarness();
      const session = new ImportSession({
        accountId: 'x',
        transport: h.transport,
        accounts: h.accounts,
        clock: h.clock,
        onState: () => {
          throw new Error('listener bug');
        },
      });
      session.start();
      h.transport.grantImport(0);
      await h.transport.importRequests.items[0]!.promise;
      assert.equal(session.state, 'TokenAvailable');
      assert.equal(session.cancel(), true);
      assert.equal(await session.settled, 'canceled');
    });

    it('accepts a call made from inside a state listener, after the current step', async () => {
      const h = new ImportHarness();
      const seen: string[] = [];
      const session = new ImportSession({
        accountId: 'x',
        transport: h.transport,
        accounts: h.accounts,
        clock: h.clock,
        onState: (state, details) => {
          seen.push(`${state}${details['auth_error'] ? '!' : ''}`);
          if (state === 3) session.provideAuthentication(WRONG_PASSWORD, 'password');
        },
      });
      session.start();
      const rendezvous = h.transport.grantImport(0);
      await h.transport.importRequests.items[0]!.promise;
      rendezvous.emit('peer', { accountId: JAMI_ID, deviceId: 'd' });
      rendezvous.emit('channel', h.channel);
      h.channel.receive({ t: 'auth', scheme: 'password' });
      h.channel.receive({ t: 'bad_password', attemptsLeft: 2 });
      assert.deepEqual(seen, ['1', '2', '3', '3!']);
      assert.deepEqual(h.channel.sentTypes, ['password', 'password']);
      session.cancel();
      await session.settled;
    });
  });

  it('never logs the password, the token or its code, or the archive', async () => {
    const h = new ImportHarness();
    await h.driveTo('AwaitingPassword', 'password');
    h.session.provideAuthentication(WRONG_PASSWORD, 'password');
    h.channel.receive({ t: 'bad_password', attemptsLeft: 2 });
    h.session.provideAuthentication(PASSWORD, 'password');
    h.channel.receive({ t: 'transfer', size: ARCHIVE.length });
    h.channel.receiveArchive(ARCHIVE);
    await h.states.done();
    assert.ok(h.logs.lines.length > 3);
    for (const secret of [PASSWORD, WRONG_PASSWORD, TEST_TOKEN_TEXT, TEST_TOKEN.code, 'ARCHIVE-SECRET-BYTES', ARCHIVE.toString('base64')]) {
      assert.ok(!h.logs.text.includes(secret), `the logs contain ${secret}`);
    }
  });
});
