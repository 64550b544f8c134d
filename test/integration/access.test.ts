// Who may use the daemon and where it keeps secrets: a caller of another uid is refused by the service
// itself (as on the system bus), and a data dir that others can write to is refused at start.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { promises as fs, existsSync, mkdirSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startDaemonProcess, spawnDaemon, tempDir, type RunningDaemon } from '../support/daemon-process.js';
import { stopChild } from '../support/private-bus.js';
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

    before(async function () {
      if (process.getuid?.() !== 0 || !existsSync('/usr/bin/setpriv')) this.skip();
      bus = await startSharedBus();
      daemon = await startDaemonProcess({ busAddress: bus.address });
    });

    after(async () => {
      await daemon?.stop();
      await bus?.stop();
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
