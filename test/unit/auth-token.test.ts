import assert from 'node:assert/strict';
import { formatAuthToken, parseAuthToken, InvalidTokenError, AUTH_TOKEN_LENGTH } from '../../service/linking/auth-token.js';

const ID = '0123456789abcdef0123456789abcdef01234567';

describe('parseAuthToken', () => {
  it('accepts jami-auth://<40 lowercase hex>/<6 digits> and nothing else', () => {
    const token = `jami-auth://${ID}/042917`;
    assert.equal(token.length, AUTH_TOKEN_LENGTH);
    assert.deepEqual(parseAuthToken(token), { peerId: ID, code: '042917' });
    assert.equal(formatAuthToken({ peerId: ID, code: '042917' }), token);
  });

  const refusals: Array<[string, unknown, string]> = [
    ['another scheme', `jami://${ID}/042917xxxxx`, 'prefix'],
    ['too short', `jami-auth://${ID}/04291`, 'length'],
    ['too long', `jami-auth://${ID}/0429170`, 'length'],
    ['upper-case hex', `jami-auth://${ID.toUpperCase()}/042917`, 'hex'],
    ['non-hex', `jami-auth://${'g'.repeat(40)}/042917`, 'hex'],
    ['letters in the code', `jami-auth://${ID}/04291a`, 'code'],
    ['no slash', `jami-auth://${ID}x042917`, 'code'],
    ['not a string', 42, 'type'],
    ['empty', '', 'prefix'],
  ];
  for (const [what, input, problem] of refusals) {
    it(`refuses ${what} and says why (${problem})`, () => {
      assert.throws(() => parseAuthToken(input), (error: InvalidTokenError) => error.problem === problem && error.message.length > 0);
    });
  }
});
