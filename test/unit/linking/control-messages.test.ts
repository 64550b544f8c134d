// The linking layer judges every message its peer sends: exactly the control messages of the protocol,
// each with exactly its fields, pass; anything else is "malformed" (the transport carries it opaquely).

import { strict as assert } from 'node:assert';
import { MAX_PASSWORD_LENGTH, readControlMessage } from '../../../service/linking/control-messages.js';

describe('control messages', () => {
  it('reads exactly the control messages of the protocol', () => {
    const messages = [
      { t: 'auth', scheme: 'none' },
      { t: 'auth', scheme: 'password' },
      { t: 'password', password: '' },
      { t: 'password', password: 'pässwörd "quoted" \u{1F511}' },
      { t: 'bad_password' },
      { t: 'transfer', size: 0 },
      { t: 'transfer', size: 123_456 },
      { t: 'stored', device: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' },
      { t: 'stored', device: '' },
      ...['network', 'timeout', 'auth_error', 'canceled', 'unknown'].map((error) => ({ t: 'abort', error })),
    ];
    for (const message of messages) assert.deepEqual(readControlMessage(message), message, JSON.stringify(message));
  });

  it('takes a password of up to MAX_PASSWORD_LENGTH characters, no longer', () => {
    const longest = { t: 'password', password: 'x'.repeat(MAX_PASSWORD_LENGTH) };
    assert.deepEqual(readControlMessage(longest), longest);
    assert.equal(readControlMessage({ t: 'password', password: 'x'.repeat(MAX_PASSWORD_LENGTH + 1) }), 'malformed');
  });

  it('takes a device chain of up to 32 KiB in `stored`, no longer', () => {
    const longest = { t: 'stored', device: 'x'.repeat(32 * 1024) };
    assert.deepEqual(readControlMessage(longest), longest);
    assert.equal(readControlMessage({ t: 'stored', device: 'x'.repeat(32 * 1024 + 1) }), 'malformed');
  });

  it('finds a known type with a missing or ill-shaped field malformed', () => {
    const bad = [
      { t: 'auth' },
      { t: 'auth', scheme: 'maybe' },
      { t: 'auth', scheme: 'key' },
      { t: 'password', password: 42 },
      { t: 'password' },
      { t: 'transfer', size: -1 },
      { t: 'transfer', size: '10' },
      { t: 'transfer', size: 2 ** 53 },
      { t: 'stored' },
      { t: 'stored', device: 42 },
      { t: 'stored', device: null },
      { t: 'abort' },
    ];
    for (const message of bad) assert.equal(readControlMessage(message), 'malformed', JSON.stringify(message));
  });

  it('finds a known type with an extra field malformed', () => {
    const extra = [
      { t: 'stored', device: 'chain', x: 1 },
      { t: 'bad_password', attemptsLeft: 2 },
      { t: 'auth', scheme: 'none', password: 'x' },
      { t: 'transfer', size: 1, sha256: 'a'.repeat(64) },
      { t: 'abort', error: 'canceled', reason: 'x' },
    ];
    for (const message of extra) assert.equal(readControlMessage(message), 'malformed', JSON.stringify(message));
  });

  it("finds an unknown type, the transport's own frames and non-objects malformed", () => {
    for (const value of [{ t: 'hello' }, { t: 'archive' }, { t: 'link.ping' }, { t: 'toString' }, { t: 7 }, {}, [], null, undefined, 'stored', 17]) {
      assert.equal(readControlMessage(value), 'malformed', JSON.stringify(value));
    }
  });

  it('reads an abort whose error is not one of jamid\'s words as a network failure: the peer leaves all the same', () => {
    for (const error of ['boom', 42, null, '', 'none', 'authentication', 'bad_password', 'invalid_credentials', 'state', 'AUTH_ERROR']) {
      assert.deepEqual(readControlMessage({ t: 'abort', error }), { t: 'abort', error: 'network' }, JSON.stringify(error));
    }
  });

  it('keeps only the fields it read (no prototype tricks)', () => {
    const message = JSON.parse('{"t":"stored","device":"chain","__proto__":{"t":"abort"}}') as unknown;
    assert.equal(readControlMessage(message), 'malformed');
  });
});
