// ExportSession (old device) over a fake transport, fake clock and in-memory accounts:
// the exact ordered (state, details) signals and the messages it sends, in every state.

import { strict as assert } from 'node:assert';
import type { ExportStateName } from '../../../service/linking/export-machine.js';
import { archiveOf, Deferred, JAMI_ID, TEST_TOKEN, TEST_TOKEN_TEXT } from './fakes.js';
import {
  EXPORT_ACCOUNT,
  EXPORT_CHANNEL_UP,
  EXPORT_LIVE_STATES,
  ExportHarness,
  exportSignalsUpTo,
  PEER_ADDRESS,
} from './export-harness.js';
import { PASSWORD, TIMEOUT_MS, WRONG_PASSWORD } from './import-harness.js';

const ARCHIVE = archiveOf(JAMI_ID);

describe('ExportSession', () => {
  describe('an account without a password', () => {
    it('goes 2 -> 3 (peer_address) -> 4 -> 5 (error "") and sends the archive after confirm', async () => {
      const h = new ExportHarness('none');
      await h.driveTo('AwaitingConfirmation');
      assert.equal(h.session.confirm(), true);
      await h.states.waitFor(([n]) => n === 4);
      h.channel.receive({ t: 'stored' });
      await h.states.done();
      assert.deepEqual(h.signals, [[2, {}], [3, { peer_address: PEER_ADDRESS }], [4, {}], [5, { error: '' }]]);
      assert.deepEqual(h.channel.sent.items, [
        { t: 'auth', scheme: 'none' },
        { t: 'transfer', size: ARCHIVE.length },
      ]);
      assert.deepEqual(h.channel.archives, [ARCHIVE]);
      assert.deepEqual(h.accounts.openCalls.items, [{ accountId: EXPORT_ACCOUNT, password: undefined }]);
      assert.equal(await h.session.settled, '');
      assert.equal(h.channel.closeCalls, 1);
      assert.equal(h.connection!.closeCalls, 1);
      assert.equal(h.clock.pending, 0);
    });

    it('reports state 2 at once, then starts the transport with the token and the account credentials', async () => {
      const h = new ExportHarness();
      h.session.start();
      assert.deepEqual(h.signals, [[2, {}]]);
      await h.transport.connections.waitForLength(1);
      const connection = h.transport.connections.items[0]!;
      assert.deepEqual(connection.token, TEST_TOKEN);
      assert.equal(connection.credentials.certificateChainPem, `FAKE-CHAIN ${JAMI_ID}`);
    });

    it('sends nothing and opens nothing before its user confirmed', async () => {
      const h = new ExportHarness('none');
      await h.driveTo('AwaitingConfirmation');
      assert.deepEqual(h.channel.sent.items, []);
      assert.deepEqual(h.accounts.openCalls.items, []);
    });

    it('reports DONE before it closes the channel', async () => {
      const h = new ExportHarness('none');
      await h.driveTo('Transferring');
      h.channel.receive({ t: 'stored' });
      await h.states.done();
      assert.equal(h.closeCallsAtDone, 0);
      assert.equal(h.channel.closeCalls, 1);
    });

    it('ends with DONE/authentication when its archive does not open without a password', async () => {
      const h = new ExportHarness('none');
      await h.driveTo('OpeningArchive');
      h.accounts.accounts.set(EXPORT_ACCOUNT, { jamiId: JAMI_ID, password: 'set meanwhile' });
      h.accounts.openGate!.resolve();
      await h.states.done();
      assert.deepEqual(h.signals, [...exportSignalsUpTo('OpeningArchive'), [5, { error: 'authentication' }]]);
      assert.deepEqual(h.channel.sent.items.at(-1), { t: 'abort', error: 'authentication' });
    });

    it('ends with DONE/authentication when opening its archive fails', async () => {
      const h = new ExportHarness('none');
      await h.driveTo('OpeningArchive');
      h.accounts.openThrows = true;
      h.accounts.openGate!.resolve();
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: 'authentication' }]]);
    });

    it('ends with DONE/network when sending the archive fails', async () => {
      const h = new ExportHarness('none');
      h.channel.archiveGate = new Deferred();
      await h.driveTo('Transferring');
      h.channel.archiveGate.reject(new Error('buffer overflow'));
      await h.states.done();
      assert.deepEqual(h.signals, [...exportSignalsUpTo('Transferring'), [5, { error: 'network' }]]);
    });
  });

  describe('an account with a password', () => {
    it('asks for it after confirm and sends the archive when it opens it', async () => {
      const h = new ExportHarness('password');
      await h.driveTo('AwaitingConfirmation');
      assert.equal(h.session.confirm(), true);
      assert.deepEqual(h.channel.sent.items, [{ t: 'auth', scheme: 'password' }]);
      h.channel.receive({ t: 'password', password: PASSWORD });
      await h.states.waitFor(([n]) => n === 4);
      h.channel.receive({ t: 'stored' });
      await h.states.done();
      assert.deepEqual(h.signals, [[2, {}], [3, { peer_address: PEER_ADDRESS }], [4, {}], [5, { error: '' }]]);
      assert.deepEqual(h.channel.sent.items, [
        { t: 'auth', scheme: 'password' },
        { t: 'transfer', size: ARCHIVE.length },
      ]);
      assert.deepEqual(h.accounts.openCalls.items, [{ accountId: EXPORT_ACCOUNT, password: PASSWORD }]);
    });

    it('answers bad_password with the attempts left, then accepts the right one', async () => {
      const h = new ExportHarness('password');
      await h.driveTo('AwaitingPassword');
      h.channel.receive({ t: 'password', password: WRONG_PASSWORD });
      await h.channel.sent.waitFor((m) => m.t === 'bad_password');
      assert.equal(h.session.state, 'AwaitingPassword');
      h.channel.receive({ t: 'password', password: PASSWORD });
      await h.states.waitFor(([n]) => n === 4);
      assert.deepEqual(h.channel.sent.items, [
        { t: 'auth', scheme: 'password' },
        { t: 'bad_password', attemptsLeft: 2 },
        { t: 'transfer', size: ARCHIVE.length },
      ]);
      assert.deepEqual(h.signals, [[2, {}], [3, { peer_address: PEER_ADDRESS }], [4, {}]]);
    });

    it('ends with DONE/authentication after the third wrong password, telling the importer', async () => {
      const h = new ExportHarness('password');
      await h.driveTo('AwaitingPassword');
      for (let attempt = 1; attempt <= 2; attempt += 1) {
        h.channel.receive({ t: 'password', password: `${WRONG_PASSWORD}${attempt}` });
        await h.channel.sent.until((sent) => sent.filter((m) => m.t === 'bad_password').length === attempt);
      }
      h.channel.receive({ t: 'password', password: WRONG_PASSWORD });
      await h.states.done();
      assert.deepEqual(h.channel.sent.items, [
        { t: 'auth', scheme: 'password' },
        { t: 'bad_password', attemptsLeft: 2 },
        { t: 'bad_password', attemptsLeft: 1 },
        { t: 'abort', error: 'authentication' },
      ]);
      assert.deepEqual(h.signals, [[2, {}], [3, { peer_address: PEER_ADDRESS }], [5, { error: 'authentication' }]]);
      assert.deepEqual(h.channel.archives, []);
      assert.equal(h.channel.closeCalls, 1);
    });
  });

  describe('confirm', () => {
    for (const [state, protection] of EXPORT_LIVE_STATES) {
      const expected = state === 'AwaitingConfirmation';
      it(`returns ${expected} in ${state}`, async () => {
        const h = new ExportHarness(protection);
        await h.driveTo(state);
        const sent = h.channel.sent.items.length;
        assert.equal(h.session.confirm(), expected);
        if (!expected) assert.equal(h.channel.sent.items.length, sent);
        h.releaseGates();
      });
    }

    it('returns false after DONE', async () => {
      const h = new ExportHarness();
      await h.driveTo('AwaitingConfirmation');
      h.session.cancel();
      await h.states.done();
      assert.equal(h.session.confirm(), false);
    });

    it('returns false a second time', async () => {
      const h = new ExportHarness('password');
      await h.driveTo('AwaitingConfirmation');
      assert.equal(h.session.confirm(), true);
      assert.equal(h.session.confirm(), false);
      assert.deepEqual(h.channel.sent.items, [{ t: 'auth', scheme: 'password' }]);
    });
  });

  describe('a protocol violation by the importer', () => {
    const cases: [string, ExportStateName, 'none' | 'password', unknown][] = [
      ['a password before confirm', 'AwaitingConfirmation', 'password', { t: 'password', password: PASSWORD }],
      ['a password when none is expected', 'OpeningArchive', 'none', { t: 'password', password: PASSWORD }],
      ['a password after the transfer started', 'Transferring', 'none', { t: 'password', password: PASSWORD }],
      ['a second password while the first is checked', 'CheckingPassword', 'password', { t: 'password', password: PASSWORD }],
      ['stored before any transfer', 'AwaitingConfirmation', 'none', { t: 'stored' }],
      ['an auth (only the exporter sends one)', 'AwaitingPassword', 'password', { t: 'auth', scheme: 'none' }],
      ['a transfer (only the exporter sends one)', 'Transferring', 'none', { t: 'transfer', size: 1 }],
      ['a password that is not a string', 'AwaitingPassword', 'password', { t: 'password', password: 42 }],
      ['an unknown type', 'AwaitingConfirmation', 'none', { t: 'hello' }],
      ['not an object', 'AwaitingConfirmation', 'none', 17],
    ];
    for (const [what, state, protection, message] of cases) {
      it(`${what}: ends with DONE/authentication and aborts`, async () => {
        const h = new ExportHarness(protection);
        await h.driveTo(state);
        const opened = h.accounts.openCalls.items.length;
        h.channel.receive(message);
        h.releaseGates();
        await h.states.done();
        assert.deepEqual(h.signals, [...exportSignalsUpTo(state, protection), [5, { error: 'authentication' }]]);
        assert.deepEqual(h.channel.sent.items.at(-1), { t: 'abort', error: 'authentication' });
        assert.equal(h.accounts.openCalls.items.length, opened, 'no password is checked on a violation');
      });
    }

    it('an archive sent to the exporter: ends with DONE/authentication', async () => {
      const h = new ExportHarness();
      await h.driveTo('Transferring');
      h.channel.receiveArchive(ARCHIVE);
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: 'authentication' }]]);
    });
  });

  describe('cancel (cancelAddDevice)', () => {
    for (const [state, protection] of EXPORT_LIVE_STATES) {
      const up = EXPORT_CHANNEL_UP.includes(state);
      it(`in ${state}: ends with DONE/canceled${up ? ' and tells the importer' : ''}`, async () => {
        const h = new ExportHarness(protection);
        await h.driveTo(state);
        assert.equal(h.session.cancel(), true);
        h.releaseGates();
        await h.states.done();
        assert.deepEqual(h.signals, [...exportSignalsUpTo(state, protection), [5, { error: 'canceled' }]]);
        assert.deepEqual(h.channel.sent.items.filter((m) => m.t === 'abort'), up ? [{ t: 'abort', error: 'canceled' }] : []);
        assert.equal(await h.session.settled, 'canceled');
        assert.equal(h.channel.closeCalls, up ? 1 : 0);
        if (h.connection) assert.equal(h.connection.closeCalls, 1);
        assert.equal(h.clock.pending, 0);
        assert.equal(h.session.cancel(), false);
        assert.equal(h.states.dones.length, 1);
      });
    }

    it('before start: no state 2, and a later start does nothing', async () => {
      const h = new ExportHarness();
      assert.equal(h.session.cancel(), true);
      h.session.start();
      await h.states.done();
      assert.deepEqual(h.signals, [[5, { error: 'canceled' }]]);
      assert.equal(h.clock.pending, 0);
    });

    it('while the credentials load: the transport is never started', async () => {
      const h = new ExportHarness();
      h.accounts.credentialsGate = new Deferred();
      h.session.start();
      h.session.cancel();
      h.accounts.credentialsGate.resolve();
      await h.session.settled;
      await h.accounts.credentialsGate.promise;
      assert.equal(h.transport.connections.items.length, 0);
      assert.deepEqual(h.signals, [[2, {}], [5, { error: 'canceled' }]]);
    });

    it('closes a channel that arrives after DONE', async () => {
      const h = new ExportHarness();
      await h.driveTo('Connecting');
      h.session.cancel();
      h.connection!.emit('channel', h.channel);
      assert.equal(h.channel.closeCalls, 1);
      assert.equal(h.states.dones.length, 1);
    });
  });

  describe('the time-out', () => {
    it('is armed for the whole operation when it starts', async () => {
      const h = new ExportHarness();
      await h.driveTo('Connecting');
      assert.deepEqual([...h.clock.timers.values()].map((t) => t.ms), [TIMEOUT_MS]);
    });

    for (const [state, protection] of EXPORT_LIVE_STATES.filter(([s]) => s !== 'Init')) {
      const up = EXPORT_CHANNEL_UP.includes(state);
      it(`in ${state}: ends with DONE/timeout${up ? ' and tells the importer' : ''}`, async () => {
        const h = new ExportHarness(protection);
        await h.driveTo(state);
        h.clock.expireAll();
        h.releaseGates();
        await h.states.done();
        assert.deepEqual(h.signals, [...exportSignalsUpTo(state, protection), [5, { error: 'timeout' }]]);
        assert.deepEqual(h.channel.sent.items.filter((m) => m.t === 'abort'), up ? [{ t: 'abort', error: 'timeout' }] : []);
      });
    }
  });

  describe('a transport failure', () => {
    it('in Connecting, an invalid token: ends with the failure the transport gives', async () => {
      const h = new ExportHarness();
      await h.driveTo('Connecting');
      h.connection!.emit('failed', 'authentication');
      await h.states.done();
      assert.deepEqual(h.signals, [[2, {}], [5, { error: 'authentication' }]]);
      assert.equal(h.connection!.closeCalls, 1);
    });

    it('in Connecting, the peer unreachable: ends with DONE/network', async () => {
      const h = new ExportHarness();
      await h.driveTo('Connecting');
      h.connection!.emit('failed', 'network');
      await h.states.done();
      assert.deepEqual(h.signals, [[2, {}], [5, { error: 'network' }]]);
    });

    it('when the credentials cannot be loaded: ends with DONE/network', async () => {
      const h = new ExportHarness();
      h.accounts.credentialsFail = true;
      h.session.start();
      await h.states.done();
      assert.deepEqual(h.signals, [[2, {}], [5, { error: 'network' }]]);
    });

    it('when the transport throws at start: ends with DONE/network', async () => {
      const h = new ExportHarness();
      h.transport.startExportThrows = true;
      h.session.start();
      await h.states.done();
      assert.deepEqual(h.signals, [[2, {}], [5, { error: 'network' }]]);
    });

    for (const [state, protection] of EXPORT_LIVE_STATES.filter(([s]) => EXPORT_CHANNEL_UP.includes(s))) {
      it(`in ${state}, the channel closes: ends with DONE/network`, async () => {
        const h = new ExportHarness(protection);
        await h.driveTo(state);
        h.channel.drop('network');
        h.releaseGates();
        await h.states.done();
        assert.deepEqual(h.signals, [...exportSignalsUpTo(state, protection), [5, { error: 'network' }]]);
        assert.deepEqual(h.channel.sent.items.filter((m) => m.t === 'abort'), []);
      });
    }

    it('when a send throws: ends with DONE/network', async () => {
      const h = new ExportHarness('password');
      await h.driveTo('AwaitingConfirmation');
      h.channel.sendThrows = true;
      assert.equal(h.session.confirm(), true);
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: 'network' }]]);
    });
  });

  describe('an abort from the importer', () => {
    for (const [state, protection] of EXPORT_LIVE_STATES.filter(([s]) => EXPORT_CHANNEL_UP.includes(s))) {
      it(`in ${state}: ends with DONE and the importer's error`, async () => {
        const h = new ExportHarness(protection);
        await h.driveTo(state);
        h.channel.receive({ t: 'abort', error: 'canceled' });
        h.releaseGates();
        await h.states.done();
        assert.deepEqual(h.signals, [...exportSignalsUpTo(state, protection), [5, { error: 'canceled' }]]);
        assert.deepEqual(h.channel.sent.items.filter((m) => m.t === 'abort'), []);
      });
    }
  });

  describe('exactly one DONE', () => {
    it('ignores every input after DONE and emits nothing more', async () => {
      const h = new ExportHarness('password');
      await h.driveTo('CheckingPassword');
      h.session.cancel();
      await h.states.done();
      const count = h.signals.length;
      h.accounts.openGate!.resolve();
      await h.accounts.openCalls.waitForLength(1);
      assert.equal(h.session.cancel(), false);
      assert.equal(h.session.confirm(), false);
      h.channel.receive({ t: 'stored' });
      h.channel.receive({ t: 'password', password: PASSWORD });
      h.channel.drop('network');
      h.connection!.emit('failed', 'network');
      h.clock.expireAll();
      assert.equal(h.signals.length, count);
      assert.deepEqual(h.channel.archives, []);
    });
  });

  it('never logs the password, the token or its code, or the archive', async () => {
    const h = new ExportHarness('password');
    await h.driveTo('AwaitingPassword');
    h.channel.receive({ t: 'password', password: WRONG_PASSWORD });
    await h.channel.sent.waitFor((m) => m.t === 'bad_password');
    h.channel.receive({ t: 'password', password: PASSWORD });
    await h.states.waitFor(([n]) => n === 4);
    h.channel.receive({ t: 'stored' });
    await h.states.done();
    for (const secret of [PASSWORD, WRONG_PASSWORD, TEST_TOKEN_TEXT, TEST_TOKEN.code, 'ARCHIVE-SECRET-BYTES']) {
      assert.ok(!h.logs.text.includes(secret), `the logs contain ${secret}`);
    }
  });
});
