// Who may use the daemon and where it keeps secrets: a caller of another uid is refused by the service
// itself (as on the system bus), and a data dir that others can write to is refused at start.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promises as fs, existsSync, mkdirSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startDaemonProcess, spawnDaemon, tempDir, type RunningDaemon } from '../support/daemon-process.js';
import { stopChild } from '../support/private-bus.js';
import { TestClient } from '../support/client.js';
import { startLocalDht, type LocalDht } from '../support/local-dht.js';
import { withTimeout } from '../support/wait.js';

const run = promisify(execFile);
const NOBODY = 65534;

/** A dbus-daemon that, like the system bus, lets every user connect. */
async function startSharedBus(): Promise<{ address: string; stop(): Promise<void> }> {
  const dir = tempDir('shared-bus-');
  const config = path.join(dir, 'bus.conf');
  await fs.writeFile(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>custom</type>
  <listen>unix:path=${dir}/socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
`,
  );
  chmodSync(dir, 0o755);
  const daemon = spawn('dbus-daemon', [`--config-file=${config}`, '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const address = await withTimeout(
    new Promise<string>((resolve) => daemon.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().split('\n')[0].trim()))),
    10000,
    'the shared bus',
  );
  return { address, stop: () => stopChild(daemon) };
}

describe('access control', function () {
  this.timeout(60000);

  describe('on a bus other users can reach', () => {
    let bus: { address: string; stop(): Promise<void> };
    let daemon: RunningDaemon;
    let dht: LocalDht;

    before(async function () {
      if (process.getuid?.() !== 0 || !existsSync('/usr/bin/setpriv')) this.skip();
      bus = await startSharedBus();
      dht = await startLocalDht();
      daemon = await startDaemonProcess({ busAddress: bus.address, bootstrap: dht.bootstrap });
    });

    after(async () => {
      await daemon?.stop();
      await bus?.stop();
      await dht?.stop();
    });

    it('sends the link signals (the token in state 1) to its own user\'s clients only, never to another user listening', async () => {
      // Another local user listens to everything cx.ring.Ring emits, as it may on such a bus.
      const monitor = spawn('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', 'gdbus', 'monitor', '--address', bus.address, '--dest', 'cx.ring.Ring'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let heard = '';
      monitor.stdout!.on('data', (chunk: Buffer) => (heard += chunk.toString('utf8')));
      const client = await TestClient.connect(bus.address);
      try {
        await withTimeout(new Promise<void>((resolve) => {
          const look = () => (/is owned by/.test(heard) ? resolve() : setImmediate(look));
          look();
        }), 10000, 'the other user\'s monitor to start');
        const accountId = await client.call<string>('addAccount', { 'Account.type': 'RING', 'Account.archiveURL': 'jami-auth' });
        const [, , details] = await withTimeout(new Promise<unknown[]>((resolve) => {
          const found = () => client.signals.find(({ name, args }) => name === 'deviceAuthStateChanged' && args[0] === accountId && args[1] === 1);
          const look = () => { const f = found(); if (f) resolve(f.args); else setImmediate(look); };
          look();
        }), 20000, 'the token on our own client');
        const token = (details as Record<string, string>).token;
        assert.match(token, /^jami-auth:\/\//);
        // A signal the monitor may hear arrives after ours: a broadcast of accountsChanged would; the token must not.
        await client.call('removeAccount', accountId);
        assert.ok(!heard.includes(token), `the other user heard the token:\n${heard}`);
        assert.ok(!heard.includes('deviceAuthStateChanged'), 'the other user heard a link signal');
      } finally {
        client.close();
        monitor.kill();
      }
    });

    const call = (asUid?: number) => {
      const gdbus = ['gdbus', 'call', '--address', bus.address, '--dest', 'cx.ring.Ring', '--object-path', '/cx/ring/Ring/ConfigurationManager', '--method', 'cx.ring.Ring.ConfigurationManager.getAccountList'];
      const [file, ...args] = asUid === undefined ? gdbus : ['setpriv', `--reuid=${asUid}`, `--regid=${asUid}`, '--clear-groups', ...gdbus];
      return run(file, args);
    };

    it('serves the daemon\'s own user', async () => {
      const { stdout } = await call();
      assert.match(stdout, /^\((@as )?\[/);
    });

    it('refuses a caller of another uid with cx.ring.Ring.Error.AccessDenied, checked by the service', async () => {
      await assert.rejects(call(NOBODY), (error: Error & { stderr: string }) => {
        assert.match(error.stderr, /cx\.ring\.Ring\.Error\.AccessDenied/);
        assert.match(error.stderr, /only uid 0 may use this service \(caller uid 65534\)/);
        return true;
      });
      const { stdout } = await call();
      assert.match(stdout, /^\((@as )?\[/, 'still serving its user');
    });
  });

  describe('the data dir', () => {
    it('refuses to start on a data dir other users can write to, with a clear message', async () => {
      const dataDir = path.join(tempDir('open-data-'), 'data');
      mkdirSync(dataDir, { mode: 0o777 });
      chmodSync(dataDir, 0o777);
      const daemon = spawnDaemon({ dataDir, env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' } });
      assert.equal(await withTimeout(daemon.exited, 20000, 'the daemon to exit'), 2);
      assert.ok(daemon.logs.some((line) => /writable by other users.*chmod 700/.test(line)), daemon.logs.join('\n'));
    });

    it('creates a missing data dir with mode 0700', async () => {
      const dataDir = path.join(tempDir('new-data-'), 'deep', 'data');
      const daemon = spawnDaemon({ dataDir, env: { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' } });
      await withTimeout(daemon.exited, 20000, 'the daemon to exit (no bus)');
      assert.equal((await fs.stat(dataDir)).mode & 0o777, 0o700);
    });
  });
});
