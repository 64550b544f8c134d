// Issue #12, finding 8: text a peer or a file chose (an account's alias, a device name) never reaches the
// user's terminal as control characters. The daemon cleans an archive's alias when it imports it; jami-link
// cleans whatever a daemon sends, checked here against a hostile service that answers with escapes.

import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import dbus from 'dbus-next';
import { INTERFACE_NAME, OBJECT_PATH } from '../../service/config.js';
import { TestClient } from '../support/client.js';
import { startDaemonProcess, tempDir, type RunningDaemon } from '../support/daemon-process.js';
import { startTestBus, type PrivateBus } from '../support/private-bus.js';
import { JamiLinkProcess } from './jami-link-process.js';

const EVIL_ALIAS = 'Evil\u001b[31m red\u001b[0m\r\nok: forged line\u009b2J\u0007';
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/; // every control but the newline ending each output line

describe('terminal escapes from peers and files', function () {
  this.timeout(60000);
  let bus: PrivateBus;

  before(async () => {
    bus = await startTestBus();
  });
  after(async () => {
    await bus?.stop();
  });

  it('the daemon strips control characters from an imported archive\'s alias', async () => {
    const daemon: RunningDaemon = await startDaemonProcess({ busAddress: bus.address });
    const client = await TestClient.connect(bus.address);
    try {
      const files = tempDir('escapes-');
      const seed = await client.createAccount({ 'Account.alias': 'Seed' });
      const backup = path.join(files, 'seed.gz');
      assert.equal(await client.call('exportToFile', seed, backup, '', ''), true);
      const content = JSON.parse(gunzipSync(await fs.readFile(backup)).toString('utf8'));
      content['Account.alias'] = EVIL_ALIAS;
      await fs.writeFile(path.join(files, 'evil.gz'), gzipSync(JSON.stringify(content)));
      const imported = await client.createAccount({ 'Account.archivePath': path.join(files, 'evil.gz') });
      const alias = (await client.call<Record<string, string>>('getAccountDetails', imported))['Account.alias'];
      assert.equal(alias, 'Evil[31m red[0mok: forged line2J');
    } finally {
      client.close();
      await daemon.stop();
    }
  });

  it('jami-link accounts prints no control character a daemon sends, in plain and --json output', async () => {
    // A service on the daemon's name that answers with escape-laden strings, as a compromised or foreign daemon could.
    const service = dbus.sessionBus({ busAddress: bus.address });
    const answers: Record<string, [string, unknown]> = {
      getAccountList: ['as', ['evil\u001b]0;pwned\u0007']],
      getAccountDetails: ['a{ss}', { 'Account.alias': EVIL_ALIAS, 'Account.username': 'a'.repeat(40), 'Account.deviceName': 'dev\u001b[2K' }],
    };
    service.addMethodHandler((message: dbus.Message) => {
      const answer = message.interface === INTERFACE_NAME ? answers[message.member ?? ''] : undefined;
      if (answer === undefined) return false;
      service.send(dbus.Message.newMethodReturn(message, answer[0], [answer[1]]));
      return true;
    });
    await service.requestName('cx.ring.Ring', 4);
    try {
      for (const args of [['accounts'], ['--json', 'accounts']]) {
        const run = new JamiLinkProcess(args, bus.address);
        const exit = await run.exited;
        assert.equal(exit.code, 0, run.transcript.join('\n'));
        const output = [...run.stdout, ...run.stderr].join('\n');
        assert.ok(output.includes('Evil'), output);
        assert.ok(!CONTROL.test(output), `control characters in: ${JSON.stringify(output)}`);
        assert.ok(!output.split('\n').some((line) => line.startsWith('ok: forged line')), 'a forged line');
        // The name's owner is this test process, not jami-linkd: jami-link says so.
        assert.match(run.stderr.join('\n'), /cx\.ring\.Ring is owned by node \(pid \d+\), not jami-linkd/);
      }
    } finally {
      service.disconnect();
    }
  });
});
