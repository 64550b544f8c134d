// The DHT node's addresses as a user types them: bootstrap host:port (IPv6 in brackets) and the
// bind address of either family (an IPv6-only host binds its IPv6 socket).

import assert from 'node:assert/strict';
import { bindOptionFor, parseHostPort } from '../../../service/dht/dht-node.js';

describe('DHT addresses', () => {
  it('reads host:port, and an IPv6 bootstrap in brackets', () => {
    assert.deepEqual(parseHostPort('198.18.0.2:4222'), { host: '198.18.0.2', port: 4222 });
    assert.deepEqual(parseHostPort('bootstrap.jami.net:4222'), { host: 'bootstrap.jami.net', port: 4222 });
    assert.deepEqual(parseHostPort('[2001:db8::2]:4222'), { host: '2001:db8::2', port: 4222 });
    assert.deepEqual(parseHostPort(' [::1]:1 '), { host: '::1', port: 1 });
  });

  it('refuses an IPv6 bootstrap without brackets, a missing port and a port out of range', () => {
    for (const text of ['2001:db8::2:4222', '[2001:db8::2]', '198.18.0.2', '198.18.0.2:0', '[::1]:65536', '']) {
      assert.throws(() => parseHostPort(text), /is not host:port/, text);
    }
  });

  it('binds the family of the address it is given', () => {
    assert.deepEqual(bindOptionFor('198.19.1.2'), { bindIPv4: '198.19.1.2' });
    assert.deepEqual(bindOptionFor('2001:db8:0:1::2'), { bindIPv6: '2001:db8:0:1::2' });
    assert.deepEqual(bindOptionFor('::1'), { bindIPv6: '::1' });
  });

  it('refuses a bind address that is not an address, with the value in the message', () => {
    for (const text of ['localhost', '[2001:db8::2]', '198.18.0.256', '', '2001:db8::2:4222:']) {
      assert.throws(() => bindOptionFor(text), new RegExp(`"${text.replace(/[[\].]/g, '\\$&')}" is not an IPv4 or IPv6 address`), text);
    }
  });
});
