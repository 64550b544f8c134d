// The words a DONE carries are jamid's (HEAD's DeviceAuthInfo errors), and the one mapping from the
// transport's failures and a peer's untrusted abort into them.

import { strict as assert } from 'node:assert';
import { LINK_FAILURES } from '../../../service/contract/link-contract.js';
import { asFailureWord, failureWordOf, INVALID_CREDENTIALS, LinkError } from '../../../service/linking/link-state.js';

/** What jamid HEAD emits as state 5's `error` (archive_account_manager.cpp, DeviceAuthInfo::createError). */
const JAMID_DONE_ERRORS = ['', 'network', 'timeout', 'auth_error', 'canceled', 'unknown'];

describe('link vocabulary', () => {
  it("has exactly jamid's DONE errors: '' for success, then network, timeout, auth_error, canceled, unknown", () => {
    assert.deepEqual(Object.values(LinkError).sort(), [...JAMID_DONE_ERRORS].sort());
    for (const seedOnly of ['none', 'authentication', 'bad_password']) assert.ok(!Object.values<string>(LinkError).includes(seedOnly), seedOnly);
  });

  it("says state 3's wrong-password error as jamid does: invalid_credentials", () => {
    assert.equal(INVALID_CREDENTIALS, 'invalid_credentials');
  });

  it("maps the transport's authentication failure to auth_error and keeps its other failures", () => {
    assert.equal(failureWordOf('authentication'), 'auth_error');
    for (const failure of LINK_FAILURES.filter((f) => f !== 'authentication')) assert.equal(failureWordOf(failure), failure);
    for (const failure of LINK_FAILURES) assert.ok(JAMID_DONE_ERRORS.includes(failureWordOf(failure)), failure);
  });

  it("reads a peer's word as itself when it is one of ours, and as network otherwise (never success)", () => {
    for (const word of JAMID_DONE_ERRORS.filter((w) => w !== '')) assert.equal(asFailureWord(word), word);
    for (const value of ['', 'none', 'authentication', 'Auth_Error', 'toString', 42, null, undefined, {}]) {
      assert.equal(asFailureWord(value), 'network', JSON.stringify(value));
    }
  });
});
