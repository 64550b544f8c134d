// What jami-link prints: the JSON line shapes scripts rely on, colours only when wanted, 80 columns.

import assert from 'node:assert/strict';
import { ExitCode } from '../../../client/exit-codes.js';
import {
  accountBlocks,
  colorsWanted,
  HumanReporter,
  JsonReporter,
  makeStyle,
  resultLine,
  stateLine,
  stateName,
  visibleText,
  type AccountRow,
} from '../../../client/render.js';
import { Capture } from './support.js';

describe('rendering (client/render.ts)', () => {
  it('names the seed states 0-5 in JSON lines', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5].map(stateName), ['init', 'token_available', 'connecting', 'authenticating', 'in_progress', 'done']);
  });

  it('prints an import state as {"event":"state","side":"import","state":1,"name":"token_available","details":{...}}', () => {
    const token = 'jami-auth://0123456789abcdef0123456789abcdef01234567/123456';
    const line = stateLine({ side: 'import', accountId: 'a1', state: 1, details: { token }, clientState: 'ImportDevice.TokenAvailable' });
    assert.deepEqual(JSON.parse(JSON.stringify(line)), {
      event: 'state',
      side: 'import',
      accountId: 'a1',
      state: 1,
      name: 'token_available',
      details: { token },
      clientState: 'ImportDevice.TokenAvailable',
    });
  });

  it('adds opId on the export side and attemptsLeft on a password prompt', () => {
    assert.equal(stateLine({ side: 'export', accountId: 'a', opId: 3, state: 2, details: {}, clientState: 'ExportDevice.Connecting' }).opId, 3);
    const auth = stateLine({ side: 'import', accountId: 'a', state: 3, details: { peer_id: 'p', auth_scheme: 'password', auth_error: 'bad_password' }, clientState: 'ImportDevice.Authenticating', attemptsLeft: 2 });
    assert.equal(auth.attemptsLeft, 2);
    assert.equal(auth.name, 'authenticating');
  });

  it('prints a final result line with ok, exitCode, status and the data', () => {
    assert.deepEqual(resultLine({ command: 'import', exitCode: 0, message: 'm', data: { error: '', accountId: 'a', jamiId: 'j' } }), {
      event: 'result',
      command: 'import',
      ok: true,
      exitCode: 0,
      status: 'success',
      message: 'm',
      error: '',
      accountId: 'a',
      jamiId: 'j',
    });
    const failed = resultLine({ command: 'export', exitCode: ExitCode.authentication, data: { error: 'authentication' } });
    assert.equal(failed.ok, false);
    assert.equal(failed.status, 'authentication');
  });

  it('writes exactly one JSON object per line, and nothing for human-only output', () => {
    const out = new Capture();
    const reporter = new JsonReporter(out);
    reporter.say('ok', 'hello');
    reporter.lines(['qr']);
    reporter.wait('waiting');
    reporter.state({ side: 'export', accountId: 'a', opId: 1, state: 4, details: {}, clientState: 'ExportDevice.InProgress' });
    reporter.result({ command: 'export', exitCode: 0 });
    const lines = out.text.split('\n');
    assert.equal(lines.pop(), '');
    assert.deepEqual(lines.map((line) => JSON.parse(line).event), ['state', 'result']);
  });

  it('uses colours only on a terminal, and never with NO_COLOR or TERM=dumb', () => {
    assert.equal(colorsWanted({ isTTY: true }, {}), true);
    assert.equal(colorsWanted({ isTTY: false }, {}), false);
    assert.equal(colorsWanted({}, {}), false);
    assert.equal(colorsWanted({ isTTY: true }, { NO_COLOR: '1' }), false);
    assert.equal(colorsWanted({ isTTY: true }, { TERM: 'dumb' }), false);
    assert.equal(makeStyle(false).red('x'), 'x');
    assert.equal(makeStyle(true).red('x'), '\u001b[31mx\u001b[39m');
  });

  it('prints plain lines (no spinner, no escape codes) when stdout is not a terminal', () => {
    const out = new Capture();
    const err = new Capture();
    const reporter = new HumanReporter(out, err, makeStyle(false));
    reporter.wait('Connecting…');
    reporter.say('ok', 'Connected.');
    reporter.result({ command: 'import', exitCode: ExitCode.network, message: 'the link failed' });
    assert.equal(out.text, '… Connecting…\n✔ Connected.\n');
    assert.equal(err.text, 'jami-link: the link failed\n');
    assert.doesNotMatch(out.text + err.text, /\u001b/);
  });

  it('lists accounts in blocks that fit 80 columns (64-hex device ids included)', () => {
    const row: AccountRow = {
      id: '8f14e45fceea167a',
      alias: 'Alice',
      jamiId: '0123456789abcdef0123456789abcdef01234567',
      deviceId: 'ab'.repeat(32),
      deviceName: 'laptop',
      hasPassword: true,
      linking: false,
    };
    for (const colors of [false, true]) {
      const lines = accountBlocks([row, { ...row, alias: '', linking: true, hasPassword: false }], makeStyle(colors));
      for (const line of lines) assert.ok([...visibleText(line)].length <= 80, visibleText(line));
      const text = lines.map(visibleText).join('\n');
      assert.match(text, /Alice {2}\(id 8f14e45fceea167a\)/);
      assert.match(text, /Jami ID: {3}0123456789abcdef0123456789abcdef01234567/);
      assert.match(text, /password: {2}yes/);
      assert.match(text, /being linked/);
    }
  });
});
