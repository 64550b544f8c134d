// ImportSession (new device) over a fake transport, fake clock and in-memory account store:
// the exact ordered (state, details) signals and the messages it sends, in every state.

import { strict as assert } from 'node:assert';
import type { ImportStateName } from '../../../service/linking/import-machine.js';
import { ImportSession } from '../../../service/linking/import-session.js';
import { archiveOf, Deferred, JAMI_ID, newDeviceChainOf, OTHER_JAMI_ID, PROOF, TEST_TOKEN, TEST_TOKEN_TEXT } from './fakes.js';
import {
  ARCHIVE,
  BEFORE_CHANNEL,
  CHANNEL_UP,
  IMPORT_LIVE_STATES,
  ImportHarness,
  importSignalsUpTo,
  PASSWORD,
  TIMEOUT_MS,
  TOKEN_LIFETIME_MS,
  WRONG_PASSWORD,
} from './import-harness.js';

/** State 3 again after a wrong password: jamid's re-emission, scheme forced to password, with its error word. */
const INVALID = [3, { peer_id: JAMI_ID, auth_scheme: 'password', auth_error: 'invalid_credentials' }];
const NEW_DEVICE = newDeviceChainOf('new-account');

describe('ImportSession', () => {
  describe('an account without a password', () => {
    it('goes 1 (token) -> 2 -> 3 (auth_scheme "") -> consent -> 4 -> 4 (transfer) -> 5 (error "") and stores the account', async () => {
      const h = new ImportHarness();
      await h.driveTo('Receiving', 'none');
      h.channel.receiveArchive(ARCHIVE);
      await h.states.done();
      assert.deepEqual(h.signals, [
        [1, { token: TEST_TOKEN_TEXT }],
        [2, {}],
        [3, { peer_id: JAMI_ID, auth_scheme: '' }],
        [4, {}],
        [4, {}],
        [5, { error: '' }],
      ]);
      assert.deepEqual(h.accounts.stored.get('new-account'), { jamiId: JAMI_ID, password: '' });
      assert.deepEqual(h.accounts.storeCalls.items, [{ accountId: 'new-account', password: '', exporter: PROOF }]);
      assert.deepEqual(h.accounts.sealingKeysPrepared.items, [], 'no KDF for an account without a password');
      assert.deepEqual(h.channel.sent.items, [
        { t: 'password', password: '' },
        { t: 'stored', device: NEW_DEVICE },
      ]);
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

    it('waits in state 3 for its user to consent: nothing goes to the exporter before', async () => {
      const h = new ImportHarness();
      await h.driveTo('AwaitingConsent', 'none');
      assert.deepEqual(h.channel.sent.items, []);
      assert.equal(h.session.awaitsUser, true);
      assert.deepEqual(h.signals.at(-1), [3, { peer_id: JAMI_ID, auth_scheme: '' }]);
      // The exporter's auth alone moves nothing on: no second signal, no message.
      assert.equal(h.session.state, 'AwaitingConsent');
      assert.equal(h.consent('none'), true);
      assert.deepEqual(h.channel.sent.items, [{ t: 'password', password: '' }]);
      assert.equal(h.session.awaitsUser, false);
      assert.deepEqual(h.signals.at(-1), [4, {}]);
    });

    for (const [credentials, scheme] of [['', ''], ['', 'none'], ['', 'password']] as const) {
      it(`takes the consent ("${credentials}", "${scheme}") and sends the empty password`, async () => {
        const h = new ImportHarness();
        await h.driveTo('AwaitingConsent', 'none');
        assert.equal(h.session.provideAuthentication(credentials, scheme), true);
        assert.deepEqual(h.channel.sent.items, [{ t: 'password', password: '' }]);
        assert.equal(h.session.state, 'CheckingCredentials');
      });
    }

    it('sends what its user typed even when none was asked for: the exporter judges it', async () => {
      const h = new ImportHarness();
      await h.driveTo('AwaitingConsent', 'none');
      assert.equal(h.session.provideAuthentication(PASSWORD, 'password'), true);
      assert.deepEqual(h.channel.sent.items, [{ t: 'password', password: PASSWORD }]);
    });

    it('reports DONE only once `stored` was flushed by closing the channel, a close that waits for the peer as a last word', async () => {
      const h = new ImportHarness();
      await h.driveTo('Acknowledging', 'none');
      assert.deepEqual(h.states.states, [1, 2, 3, 4, 4]);
      assert.equal(h.channel.closeCalls, 1);
      // The old device hears of our success only through `stored`: a teardown's short wait lost it once (a lossy path).
      assert.deepEqual(h.channel.closeOptions, [{ lastWord: true }]);
      h.channel.closeGate!.resolve();
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: '' }]]);
    });
  });

  describe('an account with a password', () => {
    it('asks for it in state 3, sends it, and stores the account encrypted with it', async () => {
      const h = new ImportHarness();
      await h.driveTo('AwaitingConsent', 'password');
      assert.deepEqual(h.signals.at(-1), [3, { peer_id: JAMI_ID, auth_scheme: 'password' }]);
      assert.deepEqual(h.channel.sent.items, []);
      assert.equal(h.session.provideAuthentication(PASSWORD, 'password'), true);
      assert.deepEqual(h.channel.sent.items, [{ t: 'password', password: PASSWORD }]);
      // Stretched for storing while the old device checks it, not once the archive is in.
      assert.deepEqual(h.accounts.sealingKeysPrepared.items, [{ accountId: 'new-account', password: PASSWORD }]);
      h.channel.receive({ t: 'transfer', size: ARCHIVE.length });
      h.channel.receiveArchive(ARCHIVE);
      await h.states.done();
      assert.deepEqual(h.signals, [
        [1, { token: TEST_TOKEN_TEXT }],
        [2, {}],
        [3, { peer_id: JAMI_ID, auth_scheme: 'password' }],
        [4, {}],
        [4, {}],
        [5, { error: '' }],
      ]);
      assert.deepEqual(h.accounts.stored.get('new-account'), { jamiId: JAMI_ID, password: PASSWORD });
    });

    it('goes back to 3 with auth_error invalid_credentials after a wrong one, then succeeds with the right one', async () => {
      const h = new ImportHarness();
      await h.driveTo('AwaitingConsent', 'password');
      assert.equal(h.session.provideAuthentication(WRONG_PASSWORD, 'password'), true);
      h.channel.receive({ t: 'bad_password' });
      assert.equal(h.session.state, 'AwaitingConsent');
      assert.equal(h.session.awaitsUser, true);
      assert.equal(h.session.provideAuthentication(PASSWORD, 'password'), true);
      h.channel.receive({ t: 'transfer', size: ARCHIVE.length });
      h.channel.receiveArchive(ARCHIVE);
      await h.states.done();
      assert.deepEqual(h.signals, [
        [1, { token: TEST_TOKEN_TEXT }],
        [2, {}],
        [3, { peer_id: JAMI_ID, auth_scheme: 'password' }],
        [4, {}],
        INVALID,
        [4, {}],
        [4, {}],
        [5, { error: '' }],
      ]);
      assert.deepEqual(h.channel.sent.items.slice(0, 2), [
        { t: 'password', password: WRONG_PASSWORD },
        { t: 'password', password: PASSWORD },
      ]);
      assert.deepEqual(h.accounts.sealingKeysPrepared.items.map(({ password }) => password), [WRONG_PASSWORD, PASSWORD]);
      assert.equal(h.accounts.stored.get('new-account')?.password, PASSWORD);
    });

    it('sends empty credentials on a protected account as they are: the exporter counts them as a wrong try', async () => {
      const h = new ImportHarness();
      await h.driveTo('AwaitingConsent', 'password');
      assert.equal(h.session.provideAuthentication('', ''), true);
      assert.deepEqual(h.channel.sent.items, [{ t: 'password', password: '' }]);
      assert.deepEqual(h.accounts.sealingKeysPrepared.items.map(({ password }) => password), [''], "the store, not the session, knows '' needs no KDF");
      h.channel.receive({ t: 'bad_password' });
      assert.deepEqual(h.signals.slice(-2), [[4, {}], INVALID]);
    });

    it('ends with DONE/auth_error after the third wrong password, and refuses a 4th consent', async () => {
      const h = new ImportHarness();
      await h.driveTo('AwaitingConsent', 'password');
      for (let attempt = 1; attempt <= 2; attempt += 1) {
        assert.equal(h.session.provideAuthentication(WRONG_PASSWORD, 'password'), true);
        h.channel.receive({ t: 'bad_password' });
      }
      assert.equal(h.session.provideAuthentication(WRONG_PASSWORD, 'password'), true);
      h.channel.receive({ t: 'abort', error: 'auth_error' });
      await h.states.done();
      assert.deepEqual(h.signals.slice(2), [
        [3, { peer_id: JAMI_ID, auth_scheme: 'password' }],
        [4, {}],
        INVALID,
        [4, {}],
        INVALID,
        [4, {}],
        [5, { error: 'auth_error' }],
      ]);
      assert.deepEqual(h.channel.sentTypes, ['password', 'password', 'password']);
      const count = h.signals.length;
      assert.equal(h.session.provideAuthentication(PASSWORD, 'password'), false);
      assert.equal(h.signals.length, count);
      assert.deepEqual(h.channel.sentTypes, ['password', 'password', 'password']);
      assert.deepEqual(h.accounts.discarded.items, ['new-account']);
    });

    it('refuses a second password while the first is being checked', async () => {
      const h = new ImportHarness();
      await h.driveTo('CheckingCredentials', 'password');
      assert.equal(h.session.provideAuthentication(PASSWORD, 'password'), false);
      assert.equal(h.session.provideAuthentication('', ''), false);
      assert.deepEqual(h.channel.sentTypes, ['password']);
    });

    it('refuses a scheme other than "", "none" and "password", with no signal', async () => {
      const h = new ImportHarness();
      await h.driveTo('AwaitingConsent', 'password');
      const before = h.signals.length;
      for (const scheme of ['PASSWORD', 'key', 'p2p', ' ', 'None']) assert.equal(h.session.provideAuthentication(PASSWORD, scheme), false, scheme);
      assert.deepEqual(h.channel.sentTypes, []);
      assert.equal(h.signals.length, before);
      assert.equal(h.session.state, 'AwaitingConsent');
    });
  });

  describe('provideAuthentication', () => {
    const accepting: ImportStateName[] = ['AwaitingConsent'];
    for (const [state, scheme] of IMPORT_LIVE_STATES) {
      const accepts = accepting.includes(state);
      it(`returns ${accepts} in ${state} (${scheme})${accepts ? ' and signals 4' : ', with no signal and no message'}`, async () => {
        const h = new ImportHarness();
        await h.driveTo(state, scheme);
        const before = h.signals.length;
        const sent = h.channel.sent.items.length;
        assert.equal(h.session.provideAuthentication(PASSWORD, 'password'), accepts);
        if (accepts) assert.deepEqual(h.signals.slice(before), [[4, {}]]);
        else {
          assert.equal(h.signals.length, before);
          assert.equal(h.channel.sent.items.length, sent);
        }
        h.releaseGates();
      });
    }

    it('returns false after DONE', async () => {
      const h = new ImportHarness();
      await h.driveTo('AwaitingConsent', 'password');
      h.session.cancel();
      await h.states.done();
      assert.equal(h.session.provideAuthentication(PASSWORD, 'password'), false);
    });
  });

  describe('the store', () => {
    it('is handed the archive\'s bytes as the channel receives them, to unpack them before the last one is in', async () => {
      const h = new ImportHarness();
      await h.driveTo('Receiving', 'none');
      assert.equal(h.accounts.receivedBytes.get('new-account'), 0, 'armed with the announced archive');
      h.channel.receiveArchive(ARCHIVE);
      await h.states.done();
      assert.equal(h.accounts.receivedBytes.get('new-account'), ARCHIVE.length);
    });

    it('gives the store the password its user gave and the account the exporter proved', async () => {
      const h = new ImportHarness();
      await h.driveTo('Storing', 'password');
      assert.deepEqual(h.accounts.storeCalls.items, [{ accountId: 'new-account', password: PASSWORD, exporter: PROOF }]);
      h.releaseGates();
    });

    it('ends with DONE/auth_error and discards the account when the archive holds another account', async () => {
      const h = new ImportHarness();
      await h.driveTo('Receiving');
      const other = archiveOf(OTHER_JAMI_ID);
      h.channel.receiveArchive(Buffer.concat([other, Buffer.alloc(ARCHIVE.length - other.length, 32)]));
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: 'auth_error' }]]);
      assert.deepEqual(h.channel.sent.items, [{ t: 'password', password: '' }, { t: 'abort', error: 'auth_error' }]);
      assert.deepEqual(h.accounts.discarded.items, ['new-account']);
      assert.equal(h.accounts.stored.size, 0);
    });

    it('ends with DONE/unknown, tells the exporter and discards when storing fails', async () => {
      const h = new ImportHarness();
      await h.driveTo('Receiving');
      h.accounts.storeFails = true;
      h.channel.receiveArchive(ARCHIVE);
      await h.states.done();
      assert.deepEqual(h.signals.slice(-2), [[4, {}], [5, { error: 'unknown' }]]);
      assert.deepEqual(h.channel.sent.items.at(-1), { t: 'abort', error: 'unknown' });
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
      assert.deepEqual(h.channel.sentTypes, ['password', 'abort']);
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
      assert.deepEqual(h.states.dones, [[5, { error: 'unknown' }]]);
      assert.deepEqual(h.accounts.storeCalls.items, []);
    });
  });

  describe('arming the channel for the archive', () => {
    it('arms it once, when `transfer` comes, with exactly the size it announced', async () => {
      const h = new ImportHarness();
      await h.driveTo('CheckingCredentials');
      assert.deepEqual(h.channel.expectedArchives, [], 'nothing is expected before the exporter announced it');
      h.channel.receive({ t: 'transfer', size: ARCHIVE.length });
      assert.deepEqual(h.channel.expectedArchives, [ARCHIVE.length]);
      h.channel.receiveArchive(ARCHIVE);
      await h.states.done();
      assert.deepEqual(h.channel.expectedArchives, [ARCHIVE.length]);
    });

    it('never arms it when the exporter announces nothing (a wrong password, an abort)', async () => {
      const h = new ImportHarness();
      await h.driveTo('CheckingCredentials', 'password');
      h.channel.receive({ t: 'bad_password' });
      h.channel.receive({ t: 'abort', error: 'auth_error' });
      await h.states.done();
      assert.deepEqual(h.channel.expectedArchives, []);
    });
  });

  describe('cancel (removeAccount)', () => {
    for (const [state, scheme] of IMPORT_LIVE_STATES) {
      it(`in ${state} (${scheme}): ends with DONE/canceled${CHANNEL_UP.includes(state) ? ', tells the exporter' : ''} and discards`, async () => {
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
        // A cancel's close only flushes our abort: the short wait (a daemon stopping does not wait out a silent peer).
        if (state !== 'Acknowledging') assert.ok(h.channel.closeOptions.every((options) => options?.lastWord !== true));
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

  describe('the token lifetime', () => {
    it('without tokenLifetimeMs, a shown token waits until canceled: no timer before the channel, even long after timeoutMs', async () => {
      const h = new ImportHarness();
      await h.driveTo('TokenAvailable');
      assert.equal(h.clock.pending, 0);
      h.clock.advance(TIMEOUT_MS * 100);
      assert.equal(h.session.state, 'TokenAvailable');
      await h.driveTo('Connecting');
      assert.equal(h.clock.pending, 0);
      h.clock.advance(TIMEOUT_MS * 100);
      assert.deepEqual(h.signals, importSignalsUpTo('Connecting'));
      assert.equal(h.session.cancel(), true);
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: 'canceled' }]]);
    });

    it('with tokenLifetimeMs, ends a token still shown in state 1 with DONE/timeout when it runs out', async () => {
      const h = new ImportHarness({ tokenLifetimeMs: TOKEN_LIFETIME_MS });
      await h.driveTo('TokenAvailable');
      assert.deepEqual([...h.clock.timers.values()].map((t) => t.ms), [TOKEN_LIFETIME_MS]);
      h.clock.advance(TOKEN_LIFETIME_MS - 1);
      assert.equal(h.session.state, 'TokenAvailable');
      h.clock.advance(1);
      await h.states.done();
      assert.deepEqual(h.signals, [[1, { token: TEST_TOKEN_TEXT }], [5, { error: 'timeout' }]]);
      assert.deepEqual(h.accounts.discarded.items, ['new-account']);
      assert.equal(h.rendezvous!.closeCalls, 1);
    });

    for (const state of BEFORE_CHANNEL) {
      it(`with tokenLifetimeMs, in ${state}: ends with DONE/timeout and discards`, async () => {
        const h = new ImportHarness({ tokenLifetimeMs: TOKEN_LIFETIME_MS });
        await h.driveTo(state);
        h.clock.expireAll();
        await h.states.done();
        assert.deepEqual(h.signals, [...importSignalsUpTo(state), [5, { error: 'timeout' }]]);
        assert.deepEqual(h.channel.sentTypes, []);
        assert.deepEqual(h.accounts.discarded.items, ['new-account']);
      });
    }
  });

  describe('the time-out', () => {
    // [token lifetime, time spent before the channel opens]: the limit replaces the lifetime, if any.
    for (const [tokenLifetimeMs, before] of [[undefined, TIMEOUT_MS * 2], [TOKEN_LIFETIME_MS, TOKEN_LIFETIME_MS - 1]] as const) {
      it(`is armed for the whole operation when the channel opens, not at start (token lifetime ${tokenLifetimeMs ?? 'none'})`, async () => {
        const h = new ImportHarness({ tokenLifetimeMs });
        await h.driveTo('Connecting');
        h.clock.advance(before);
        await h.driveTo('AwaitingAuth');
        assert.deepEqual([...h.clock.timers.values()].map((t) => t.ms), [TIMEOUT_MS]);
        h.clock.advance(TIMEOUT_MS - 1);
        assert.equal(h.session.state, 'AwaitingAuth');
        h.clock.advance(1);
        await h.states.done();
        assert.deepEqual(h.states.dones, [[5, { error: 'timeout' }]]);
      });
    }

    it('runs on while the user is asked to consent, and ends it with DONE/timeout', async () => {
      const h = new ImportHarness();
      await h.driveTo('AwaitingConsent', 'password');
      h.clock.advance(TIMEOUT_MS);
      await h.states.done();
      assert.deepEqual(h.signals, [...importSignalsUpTo('AwaitingConsent', 'password'), [5, { error: 'timeout' }]]);
      assert.equal(h.session.provideAuthentication(PASSWORD, 'password'), false);
    });

    for (const [state, scheme] of IMPORT_LIVE_STATES.filter(([s]) => !BEFORE_CHANNEL.includes(s))) {
      it(`in ${state} (${scheme}): ends with DONE/timeout${CHANNEL_UP.includes(state) ? ', tells the exporter' : ''} and discards`, async () => {
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
      it(`in ${state} (${scheme}): ends with DONE/network and discards`, async () => {
        const h = new ImportHarness();
        await h.driveTo(state, scheme);
        if (CHANNEL_UP.includes(state)) h.channel.drop('network');
        else h.rendezvous!.emit('failed', 'network');
        h.releaseGates();
        await h.states.done();
        // A channel that closes was open: the transfer broke. A rendezvous that fails without saying where, nothing more.
        const stage = CHANNEL_UP.includes(state) ? { network_stage: 'transfer' } : {};
        assert.deepEqual(h.signals, [...importSignalsUpTo(state, scheme), [5, { error: 'network', ...stage }]]);
        assert.deepEqual(h.channel.sentTypes.filter((t) => t === 'abort'), []);
        assert.deepEqual(h.accounts.discarded.items, ['new-account']);
      });
    }

    it("reports the transport's authentication failure (e.g. of the exporter) as jamid's auth_error", async () => {
      const h = new ImportHarness();
      await h.driveTo('Connecting');
      h.rendezvous!.emit('failed', 'authentication');
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: 'auth_error' }]]);
    });

    for (const failure of ['timeout', 'canceled'] as const) {
      it(`reports the transport's ${failure} as it is`, async () => {
        const h = new ImportHarness();
        await h.driveTo('AwaitingConsent');
        h.channel.drop(failure);
        await h.states.done();
        assert.deepEqual(h.states.dones, [[5, { error: failure, ...(failure === 'timeout' ? { network_stage: 'transfer' } : {}) }]]);
      });
    }

    it('ends with DONE/network when a send throws', async () => {
      const h = new ImportHarness();
      await h.driveTo('AwaitingConsent', 'password');
      h.channel.sendThrows = true;
      assert.equal(h.session.provideAuthentication(PASSWORD, 'password'), true);
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: 'network' }]]);
    });
  });

  describe('an abort from the exporter', () => {
    for (const [state, scheme] of IMPORT_LIVE_STATES.filter(([s]) => CHANNEL_UP.includes(s) || s === 'Acknowledging')) {
      it(`in ${state} (${scheme}): ends with DONE and the exporter's error`, async () => {
        const h = new ImportHarness();
        await h.driveTo(state, scheme);
        h.channel.receive({ t: 'abort', error: 'canceled' });
        h.releaseGates();
        await h.states.done();
        assert.deepEqual(h.signals, [...importSignalsUpTo(state, scheme), [5, { error: 'canceled' }]]);
        assert.deepEqual(h.channel.sentTypes.filter((t) => t === 'abort'), []);
      });
    }

    for (const word of ['network', 'timeout', 'auth_error', 'canceled', 'unknown']) {
      it(`passes the exporter's "${word}" on as its own DONE error`, async () => {
        const h = new ImportHarness();
        await h.driveTo('CheckingCredentials', 'password');
        h.channel.receive({ t: 'abort', error: word });
        await h.states.done();
        assert.deepEqual(h.states.dones, [[5, { error: word }]]);
      });
    }

    for (const word of ['gremlins', 'authentication', 'invalid_credentials', '']) {
      it(`reads an abort with "${word}", not one of jamid's words, as network`, async () => {
        const h = new ImportHarness();
        await h.driveTo('AwaitingAuth');
        h.channel.receive({ t: 'abort', error: word });
        await h.states.done();
        assert.deepEqual(h.states.dones, [[5, { error: 'network' }]]);
      });
    }
  });

  describe('an out-of-order or unknown message', () => {
    const cases: [string, ImportStateName, 'none' | 'password', unknown][] = [
      ['transfer before auth', 'AwaitingAuth', 'none', { t: 'transfer', size: 10 }],
      ['bad_password before auth', 'AwaitingAuth', 'none', { t: 'bad_password' }],
      ['a second auth', 'AwaitingConsent', 'none', { t: 'auth', scheme: 'password' }],
      ['a second auth while the password is checked', 'CheckingCredentials', 'password', { t: 'auth', scheme: 'password' }],
      ['bad_password before the consent was sent', 'AwaitingConsent', 'password', { t: 'bad_password' }],
      ['transfer before the consent was given (no password)', 'AwaitingConsent', 'none', { t: 'transfer', size: 10 }],
      ['transfer before the password was given', 'AwaitingConsent', 'password', { t: 'transfer', size: 10 }],
      ['bad_password with a field (the old attemptsLeft)', 'CheckingCredentials', 'password', { t: 'bad_password', attemptsLeft: 2 }],
      ['bad_password while the archive comes', 'Receiving', 'password', { t: 'bad_password' }],
      ['a password (only the importer sends one)', 'CheckingCredentials', 'none', { t: 'password', password: 'x' }],
      ['stored (only the importer sends it)', 'Receiving', 'none', { t: 'stored', device: 'x' }],
      ['an auth with an unknown scheme', 'AwaitingAuth', 'none', { t: 'auth', scheme: 'key' }],
      ['a transfer with a negative size', 'CheckingCredentials', 'none', { t: 'transfer', size: -1 }],
      ['an unknown type', 'AwaitingAuth', 'none', { t: 'hello' }],
      ['not an object', 'AwaitingAuth', 'none', 'auth'],
      ['null', 'AwaitingAuth', 'none', null],
    ];
    for (const [what, state, scheme, message] of cases) {
      it(`${what} in ${state}: ends with DONE/unknown and aborts`, async () => {
        const h = new ImportHarness();
        await h.driveTo(state, scheme);
        h.channel.receive(message);
        await h.states.done();
        assert.deepEqual(h.signals, [...importSignalsUpTo(state, scheme), [5, { error: 'unknown' }]]);
        assert.deepEqual(h.channel.sent.items.at(-1), { t: 'abort', error: 'unknown' });
      });
    }

    it('an archive before transfer: ends with DONE/unknown without storing', async () => {
      const h = new ImportHarness();
      await h.driveTo('CheckingCredentials');
      h.channel.receiveArchive(ARCHIVE);
      await h.states.done();
      assert.deepEqual(h.states.dones, [[5, { error: 'unknown' }]]);
      assert.deepEqual(h.accounts.storeCalls.items, []);
    });

    it('a channel before a verified peer: ends with DONE/unknown (the transport broke its contract)', async () => {
      const h = new ImportHarness();
      await h.driveTo('TokenAvailable');
      h.rendezvous!.emit('channel', h.channel);
      await h.states.done();
      assert.deepEqual(h.signals, [[1, { token: TEST_TOKEN_TEXT }], [5, { error: 'unknown' }]]);
      assert.equal(h.channel.closeCalls, 1);
    });
  });

  describe('exactly one DONE', () => {
    it('ignores every input after DONE and emits nothing more', async () => {
      const h = new ImportHarness();
      await h.driveTo('AwaitingConsent', 'password');
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
      rendezvous.emit('peer', PROOF);
      rendezvous.emit('channel', h.channel);
      h.channel.receive({ t: 'auth', scheme: 'password' });
      h.channel.receive({ t: 'bad_password' });
      assert.deepEqual(seen, ['1', '2', '3', '4', '3!', '4']);
      assert.deepEqual(h.channel.sentTypes, ['password', 'password']);
      session.cancel();
      await session.settled;
    });
  });

  it('never logs the password, the token or its code, or the archive', async () => {
    const h = new ImportHarness();
    await h.driveTo('AwaitingConsent', 'password');
    h.session.provideAuthentication(WRONG_PASSWORD, 'password');
    h.channel.receive({ t: 'bad_password' });
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
