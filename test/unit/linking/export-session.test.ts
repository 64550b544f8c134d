// ExportSession (old device) over a fake transport, fake clock and in-memory accounts:
// the exact ordered (state, details) signals and the messages it sends, in every state.

import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import type { ExportStateName } from '../../../service/linking/export-machine.js';
import { archiveOf, Deferred, JAMI_ID, newDeviceChainOf, TEST_TOKEN, TEST_TOKEN_TEXT } from './fakes.js';
import {
  CONSENTED_PASSWORD,
  EXPORT_ACCOUNT,
  EXPORT_CHANNEL_UP,
  EXPORT_LIVE_STATES,
  ExportHarness,
  exportSignalsUpTo,
  PEER_DETAILS,
} from './export-harness.js';
import { PASSWORD, TIMEOUT_MS, WRONG_PASSWORD } from './import-harness.js';

const ARCHIVE = archiveOf(JAMI_ID);
/** What the importer says once the account is stored: its new device's certificate chain. */
const NEW_DEVICE = newDeviceChainOf('new-account');
const STORED = { t: 'stored', device: NEW_DEVICE };

describe('ExportSession', () => {
  describe('an account without a password', () => {
    it('goes 2 -> 3 (peer_address) -> 4 -> 5 (error "") and sends the archive after confirm and the consent', async () => {
      const h = new ExportHarness('none');
      await h.driveTo('AwaitingConfirmation');
      assert.equal(h.session.confirm(), true);
      h.channel.receive({ t: 'password', password: '' });
      await h.states.waitFor(([n]) => n === 4);
      h.channel.receive(STORED);
      await h.states.done();
      assert.deepEqual(h.signals, [[2, {}], [3, PEER_DETAILS], [4, {}], [5, { error: '' }]]);
      assert.deepEqual(h.channel.sent.items, [
        { t: 'auth', scheme: 'none' },
        { t: 'transfer', size: ARCHIVE.length },
      ]);
      assert.deepEqual(h.channel.archives, [ARCHIVE]);
      assert.deepEqual(h.accounts.openCalls.items, [{ accountId: EXPORT_ACCOUNT, password: '' }]);
      assert.deepEqual(h.accounts.devices.items, [{ accountId: EXPORT_ACCOUNT, deviceChain: NEW_DEVICE }]);
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

    it('sends nothing before its user confirmed; it only reads its archive ahead (it has no password)', async () => {
      const h = new ExportHarness('none');
      await h.driveTo('AwaitingConfirmation');
      assert.deepEqual(h.channel.sent.items, []);
      assert.deepEqual(h.accounts.openCalls.items, [{ accountId: EXPORT_ACCOUNT, password: '' }]);
    });

    it('hands the channel the archive read ahead with its digest: consent opens nothing more', async () => {
      const h = new ExportHarness('none');
      await h.driveTo('Transferring');
      assert.equal(h.accounts.openCalls.items.length, 1, 'read once, at the start');
      assert.deepEqual(h.channel.archiveDigests, [createHash('sha256').update(ARCHIVE).digest('hex')]);
    });

    it('reads nothing ahead for an account with a password: the password opens it, and the channel hashes it', async () => {
      const h = new ExportHarness('password');
      await h.driveTo('AwaitingConsent');
      assert.deepEqual(h.accounts.openCalls.items, []);
      await h.driveTo('Transferring');
      assert.deepEqual(h.channel.archiveDigests, [undefined]);
    });

    it("sends nothing of the account before the importer's consent: auth, then it waits", async () => {
      const h = new ExportHarness('none');
      await h.driveTo('AwaitingConsent');
      assert.deepEqual(h.channel.sent.items, [{ t: 'auth', scheme: 'none' }]);
      assert.deepEqual(h.accounts.openCalls.items, [{ accountId: EXPORT_ACCOUNT, password: '' }], 'read ahead only');
      assert.deepEqual(h.channel.archives, []);
      assert.equal(h.session.awaitsUser, false, "the importer's user, not ours");
      assert.deepEqual(h.signals, exportSignalsUpTo('AwaitingConsent'));
    });

    it('lists the new device among the account\'s devices before it reports DONE', async () => {
      const h = new ExportHarness('none');
      await h.driveTo('Transferring');
      h.accounts.recordGate = new Deferred();
      h.channel.receive(STORED);
      assert.equal(h.session.state, 'Done');
      // Without the record to wait for, DONE would have been reported within the step that took `stored`.
      assert.deepEqual(h.states.dones, [], 'DONE waits for the record');
      h.accounts.recordGate.resolve();
      await h.states.done();
      assert.deepEqual(h.accounts.devices.items, [{ accountId: EXPORT_ACCOUNT, deviceChain: NEW_DEVICE }]);
      assert.deepEqual(h.states.dones, [[5, { error: '' }]]);
      assert.equal(h.channel.closeCalls, 1);
    });

    it('still succeeds when the new device cannot be listed: the new device has the account (logged)', async () => {
      const h = new ExportHarness('none');
      await h.driveTo('Transferring');
      h.accounts.recordFails = true;
      h.channel.receive(STORED);
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: '' }]]);
      assert.deepEqual(h.accounts.devices.items, []);
      assert.ok(h.logs.lines.some((l) => l.level === 'warn' && l.message.includes('new device could not be listed')));
    });

    it('counts a non-empty password from the importer as a wrong try (only "" opens it)', async () => {
      const h = new ExportHarness('none');
      await h.driveTo('AwaitingConsent');
      h.channel.receive({ t: 'password', password: WRONG_PASSWORD });
      await h.channel.sent.waitFor((m) => m.t === 'bad_password');
      assert.equal(h.session.state, 'AwaitingConsent');
      h.channel.receive({ t: 'password', password: '' });
      await h.states.waitFor(([n]) => n === 4);
      assert.deepEqual(h.channel.sent.items, [{ t: 'auth', scheme: 'none' }, { t: 'bad_password' }, { t: 'transfer', size: ARCHIVE.length }]);
      // '' first: the archive read ahead, which the consent with '' then takes.
      assert.deepEqual(h.accounts.openCalls.items.map((c) => c.password), ['', WRONG_PASSWORD]);
    });

    it('ends with DONE/unknown when opening its archive fails (read ahead, then again at consent)', async () => {
      const h = new ExportHarness('none');
      h.accounts.openThrows = true;
      await h.driveTo('CheckingPassword');
      h.accounts.openGate!.resolve();
      await h.states.done();
      assert.deepEqual(h.accounts.openCalls.items.map((c) => c.password), ['', '']);
      assert.deepEqual(h.signals, [...exportSignalsUpTo('CheckingPassword'), [5, { error: 'unknown' }]]);
      assert.deepEqual(h.channel.sent.items.at(-1), { t: 'abort', error: 'unknown' });
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
      h.channel.receive(STORED);
      await h.states.done();
      assert.deepEqual(h.signals, [[2, {}], [3, PEER_DETAILS], [4, {}], [5, { error: '' }]]);
      assert.deepEqual(h.channel.sent.items, [
        { t: 'auth', scheme: 'password' },
        { t: 'transfer', size: ARCHIVE.length },
      ]);
      assert.deepEqual(h.accounts.openCalls.items, [{ accountId: EXPORT_ACCOUNT, password: PASSWORD }]);
    });

    it('answers bad_password (no signal of its own), then accepts the right one', async () => {
      const h = new ExportHarness('password');
      await h.driveTo('AwaitingConsent');
      h.channel.receive({ t: 'password', password: WRONG_PASSWORD });
      await h.channel.sent.waitFor((m) => m.t === 'bad_password');
      assert.equal(h.session.state, 'AwaitingConsent');
      h.channel.receive({ t: 'password', password: PASSWORD });
      await h.states.waitFor(([n]) => n === 4);
      assert.deepEqual(h.channel.sent.items, [
        { t: 'auth', scheme: 'password' },
        { t: 'bad_password' },
        { t: 'transfer', size: ARCHIVE.length },
      ]);
      assert.deepEqual(h.signals, [[2, {}], [3, PEER_DETAILS], [4, {}]]);
    });

    it('counts an empty password (consent without one) as a wrong try on a protected account', async () => {
      const h = new ExportHarness('password');
      await h.driveTo('AwaitingConsent');
      h.channel.receive({ t: 'password', password: '' });
      await h.channel.sent.waitFor((m) => m.t === 'bad_password');
      assert.equal(h.session.state, 'AwaitingConsent');
      assert.deepEqual(h.accounts.openCalls.items, [{ accountId: EXPORT_ACCOUNT, password: '' }]);
      assert.deepEqual(h.channel.archives, []);
    });

    it('ends with DONE/auth_error after the third wrong password (empty ones count), telling the importer', async () => {
      const h = new ExportHarness('password');
      await h.driveTo('AwaitingConsent');
      const tries = ['', `${WRONG_PASSWORD}2`];
      for (const [index, password] of tries.entries()) {
        h.channel.receive({ t: 'password', password });
        await h.channel.sent.until((sent) => sent.filter((m) => m.t === 'bad_password').length === index + 1);
      }
      h.channel.receive({ t: 'password', password: WRONG_PASSWORD });
      await h.states.done();
      assert.deepEqual(h.channel.sent.items, [
        { t: 'auth', scheme: 'password' },
        { t: 'bad_password' },
        { t: 'bad_password' },
        { t: 'abort', error: 'auth_error' },
      ]);
      assert.deepEqual(h.signals, [[2, {}], [3, PEER_DETAILS], [5, { error: 'auth_error' }]]);
      assert.deepEqual(h.channel.archives, []);
      assert.deepEqual(h.accounts.devices.items, []);
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

    it('returns false after a wrong password sent the importer back to its consent', async () => {
      const h = new ExportHarness('password');
      await h.driveTo('AwaitingConsent');
      h.channel.receive({ t: 'password', password: WRONG_PASSWORD });
      await h.channel.sent.waitFor((m) => m.t === 'bad_password');
      assert.equal(h.session.confirm(), false);
      assert.deepEqual(h.channel.sentTypes, ['auth', 'bad_password']);
    });
  });

  describe('a protocol violation by the importer', () => {
    const cases: [string, ExportStateName, 'none' | 'password', unknown][] = [
      ['a password before confirm', 'AwaitingConfirmation', 'password', { t: 'password', password: PASSWORD }],
      ['an empty password before confirm (an account without one)', 'AwaitingConfirmation', 'none', { t: 'password', password: '' }],
      ['a password after the transfer started', 'Transferring', 'none', { t: 'password', password: PASSWORD }],
      ['a second password while the first is checked', 'CheckingPassword', 'password', { t: 'password', password: PASSWORD }],
      ['stored before any transfer', 'AwaitingConfirmation', 'none', STORED],
      ['stored before the archive was sent', 'AwaitingConsent', 'none', STORED],
      ['stored without the new device', 'Transferring', 'none', { t: 'stored' }],
      ['stored with a device chain over 32 KiB', 'Transferring', 'none', { t: 'stored', device: 'x'.repeat(32 * 1024 + 1) }],
      ['an auth (only the exporter sends one)', 'AwaitingConsent', 'password', { t: 'auth', scheme: 'none' }],
      ['a bad_password (only the exporter sends one)', 'AwaitingConsent', 'password', { t: 'bad_password' }],
      ['a transfer (only the exporter sends one)', 'Transferring', 'none', { t: 'transfer', size: 1 }],
      ['a password that is not a string', 'AwaitingConsent', 'password', { t: 'password', password: 42 }],
      ['an unknown type', 'AwaitingConfirmation', 'none', { t: 'hello' }],
      ['not an object', 'AwaitingConfirmation', 'none', 17],
    ];
    for (const [what, state, protection, message] of cases) {
      it(`${what}: ends with DONE/unknown and aborts`, async () => {
        const h = new ExportHarness(protection);
        await h.driveTo(state);
        const opened = h.accounts.openCalls.items.length;
        h.channel.receive(message);
        h.releaseGates();
        await h.states.done();
        assert.deepEqual(h.signals, [...exportSignalsUpTo(state), [5, { error: 'unknown' }]]);
        assert.deepEqual(h.channel.sent.items.at(-1), { t: 'abort', error: 'unknown' });
        assert.equal(h.accounts.openCalls.items.length, opened, 'no password is checked on a violation');
        assert.deepEqual(h.accounts.devices.items, [], 'no device is listed on a violation');
      });
    }

    it('an archive sent to the exporter: ends with DONE/unknown', async () => {
      const h = new ExportHarness();
      await h.driveTo('Transferring');
      h.channel.receiveArchive(ARCHIVE);
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: 'unknown' }]]);
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
        assert.deepEqual(h.signals, [...exportSignalsUpTo(state), [5, { error: 'canceled' }]]);
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
    it('is armed for the whole operation when it starts (the old device does not wait for a channel)', async () => {
      const h = new ExportHarness();
      await h.driveTo('Connecting');
      assert.deepEqual([...h.clock.timers.values()].map((t) => t.ms), [TIMEOUT_MS]);
      h.clock.advance(TIMEOUT_MS - 1);
      assert.equal(h.session.state, 'Connecting');
      h.clock.advance(1);
      await h.states.done();
      assert.deepEqual(h.signals, [[2, {}], [5, { error: 'timeout' }]]);
    });

    it('is not restarted when the channel opens', async () => {
      const h = new ExportHarness();
      await h.driveTo('Connecting');
      h.clock.advance(TIMEOUT_MS - 1);
      await h.driveTo('AwaitingConfirmation');
      h.clock.advance(1);
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: 'timeout' }]]);
    });

    for (const [state, protection] of EXPORT_LIVE_STATES.filter(([s]) => s !== 'Init')) {
      const up = EXPORT_CHANNEL_UP.includes(state);
      it(`in ${state}: ends with DONE/timeout${up ? ' and tells the importer' : ''}`, async () => {
        const h = new ExportHarness(protection);
        await h.driveTo(state);
        h.clock.expireAll();
        h.releaseGates();
        await h.states.done();
        assert.deepEqual(h.signals, [...exportSignalsUpTo(state), [5, { error: 'timeout' }]]);
        assert.deepEqual(h.channel.sent.items.filter((m) => m.t === 'abort'), up ? [{ t: 'abort', error: 'timeout' }] : []);
      });
    }
  });

  describe('a transport failure', () => {
    it("in Connecting, an invalid token: the transport's authentication failure ends it with DONE/auth_error", async () => {
      const h = new ExportHarness();
      await h.driveTo('Connecting');
      h.connection!.emit('failed', 'authentication');
      await h.states.done();
      assert.deepEqual(h.signals, [[2, {}], [5, { error: 'auth_error' }]]);
      assert.equal(h.connection!.closeCalls, 1);
    });

    it('reads a failure the transport does not name as network', async () => {
      const h = new ExportHarness();
      await h.driveTo('Connecting');
      h.connection!.emit('failed', 'gremlins');
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: 'network' }]]);
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
        assert.deepEqual(h.signals, [...exportSignalsUpTo(state), [5, { error: 'network', network_stage: 'transfer' }]]);
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
        assert.deepEqual(h.signals, [...exportSignalsUpTo(state), [5, { error: 'canceled' }]]);
        assert.deepEqual(h.channel.sent.items.filter((m) => m.t === 'abort'), []);
      });
    }

    for (const word of ['network', 'timeout', 'auth_error', 'canceled', 'unknown']) {
      it(`passes the importer's "${word}" on as its own DONE error`, async () => {
        const h = new ExportHarness('none');
        await h.driveTo('AwaitingConsent');
        h.channel.receive({ t: 'abort', error: word });
        await h.states.done();
        assert.deepEqual(h.states.dones, [[5, { error: word }]]);
      });
    }

    it('reads an abort with a word that is not jamid\'s (the seed\'s "authentication") as network', async () => {
      const h = new ExportHarness('none');
      await h.driveTo('AwaitingConsent');
      h.channel.receive({ t: 'abort', error: 'authentication' });
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: 'network' }]]);
    });
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
      h.channel.receive(STORED);
      h.channel.receive({ t: 'password', password: PASSWORD });
      h.channel.drop('network');
      h.connection!.emit('failed', 'network');
      h.clock.expireAll();
      assert.equal(h.signals.length, count);
      assert.deepEqual(h.channel.archives, []);
      assert.deepEqual(h.accounts.devices.items, []);
    });
  });

  it('never logs the password, the token or its code, or the archive', async () => {
    const h = new ExportHarness('password');
    await h.driveTo('AwaitingConsent');
    h.channel.receive({ t: 'password', password: WRONG_PASSWORD });
    await h.channel.sent.waitFor((m) => m.t === 'bad_password');
    h.channel.receive({ t: 'password', password: PASSWORD });
    await h.states.waitFor(([n]) => n === 4);
    h.channel.receive(STORED);
    await h.states.done();
    for (const secret of [PASSWORD, WRONG_PASSWORD, TEST_TOKEN_TEXT, TEST_TOKEN.code, 'ARCHIVE-SECRET-BYTES']) {
      assert.ok(!h.logs.text.includes(secret), `the logs contain ${secret}`);
    }
  });
});
