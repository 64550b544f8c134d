// Invalid tokens are refused by jami-link itself, with what is wrong, before any D-Bus call.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { runExport } from '../../../client/export-command.js';
import { ExitCode } from '../../../client/exit-codes.js';
import { resultForError } from '../../../client/command-context.js';
import { checkToken } from '../../../client/token-input.js';
import { testContext } from './support.js';
import { tempDir } from '../../support/daemon-process.js';

const GOOD = 'jami-auth://0123456789abcdef0123456789abcdef01234567/123456';

const CASES: Array<{ name: string; token: string; problem: string; says: RegExp }> = [
  { name: 'a wrong prefix', token: GOOD.replace('jami-auth', 'jami-auht'), problem: 'prefix', says: /must start with jami-auth:\/\// },
  { name: 'a missing prefix', token: GOOD.slice('jami-auth://'.length), problem: 'prefix', says: /must start with jami-auth:\/\// },
  { name: 'a truncated token', token: GOOD.slice(0, -1), problem: 'length', says: /59 characters long, not 58/ },
  { name: 'an extra character', token: `${GOOD}0`, problem: 'length', says: /59 characters long, not 60/ },
  { name: 'upper-case hex', token: GOOD.replace('abcdef', 'ABCDEF'), problem: 'hex', says: /40 lowercase hexadecimal digits/ },
  { name: 'a non-hex character', token: GOOD.replace('0123', 'g123'), problem: 'hex', says: /40 lowercase hexadecimal digits/ },
  { name: 'letters in the code', token: GOOD.replace('/123456', '/12a456'), problem: 'code', says: /slash and 6 decimal digits/ },
  { name: 'no slash before the code', token: GOOD.replace('/123456', '-123456'), problem: 'code', says: /slash and 6 decimal digits/ },
];

/** A fake bus socket that counts connections: any D-Bus call would have to connect to it first. */
async function countingBus(): Promise<{ address: string; connections: () => number; close: () => Promise<void> }> {
  const dir = tempDir('jami-link-bus-');
  const socket = path.join(dir, 'bus');
  let connections = 0;
  const server = net.createServer((connection) => {
    connections++;
    connection.destroy();
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return { address: `unix:path=${socket}`, connections: () => connections, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('token refusal (client/token-input.ts)', () => {
  it('accepts a well-formed token, ignoring surrounding spaces', () => {
    assert.deepEqual(checkToken(`  ${GOOD}\n`), { ok: true, token: GOOD });
  });

  for (const { name, token, problem, says } of CASES) {
    it(`refuses ${name} with problem "${problem}"`, () => {
      const check = checkToken(token);
      assert.equal(check.ok, false);
      if (check.ok) return;
      assert.equal(check.problem, problem);
      assert.match(check.message, /^invalid token: /);
      assert.match(check.message, says);
    });
  }

  for (const { name, token, problem, says } of CASES) {
    it(`export refuses ${name} with the usage exit code and no connection to the bus`, async () => {
      const bus = await countingBus();
      try {
        const ctx = testContext({ json: true, bus: bus.address });
        const result = await runExport({ account: 'Alice', token, yes: true }, ctx).catch((error) => resultForError('export', error));
        assert.equal(result.exitCode, ExitCode.usage);
        assert.equal(result.data?.error, 'invalid_token');
        assert.equal(result.data?.problem, problem);
        assert.match(result.message ?? '', says);
        assert.equal(bus.connections(), 0, 'no D-Bus connection was made');
      } finally {
        await bus.close();
      }
    });
  }

  it('refuses an invalid token read from standard input, before any D-Bus call', async () => {
    const bus = await countingBus();
    try {
      const ctx = testContext({ bus: bus.address });
      ctx.stdin.end(`${GOOD.slice(0, 30)}\n`);
      const result = await runExport({ account: 'Alice', yes: false }, ctx).catch((error) => resultForError('export', error));
      assert.equal(result.exitCode, ExitCode.usage);
      assert.match(result.message ?? '', /59 characters long, not 30 \(from standard input\)/);
      assert.equal(bus.connections(), 0);
    } finally {
      await bus.close();
    }
  });

  it('refuses a QR image that is not a PNG, or a QR code that is not a token, before any D-Bus call', async () => {
    const bus = await countingBus();
    const dir = tempDir('jami-link-qr-');
    const notPng = path.join(dir, 'photo.jpg');
    writeFileSync(notPng, 'not a picture');
    try {
      const ctx = testContext({ bus: bus.address });
      const result = await runExport({ account: 'Alice', qrImage: notPng, yes: true }, ctx).catch((error) => resultForError('export', error));
      assert.equal(result.exitCode, ExitCode.usage);
      assert.match(result.message ?? '', /not a PNG image/);
      assert.equal(bus.connections(), 0);
    } finally {
      await bus.close();
    }
  });

  it('refuses --json without --yes (it would need a prompt), before any D-Bus call', async () => {
    const ctx = testContext({ json: true });
    const result = await runExport({ account: 'Alice', token: GOOD, yes: false }, ctx).catch((error) => resultForError('export', error));
    assert.equal(result.exitCode, ExitCode.usage);
    assert.match(result.message ?? '', /--yes/);
  });

  it('reports a malformed token before anything else, even with --json and no --yes', async () => {
    const ctx = testContext({ json: true });
    const result = await runExport({ account: 'Alice', token: GOOD.slice(0, -1), yes: false }, ctx).catch((error) => resultForError('export', error));
    assert.equal(result.exitCode, ExitCode.usage);
    assert.equal(result.data?.error, 'invalid_token');
    assert.doesNotMatch(result.message ?? '', /--yes/);
  });

  it('goes on to the daemon with a valid token (and says when it is not running)', async () => {
    const bus = await countingBus();
    try {
      const ctx = testContext({ json: true, bus: bus.address });
      const result = await runExport({ account: 'Alice', token: GOOD, yes: true }, ctx).catch((error) => resultForError('export', error));
      assert.equal(result.exitCode, ExitCode.daemonNotRunning);
      assert.equal(bus.connections(), 1);
    } finally {
      await bus.close();
    }
  });
});
