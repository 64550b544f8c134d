// The systemd unit and D-Bus activation file are valid and name the same bus name.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs, existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../support/daemon-process.js';

const run = promisify(execFile);
const root = new URL('../../../', import.meta.url);

describe('systemd integration files', () => {
  it('declare a Type=dbus user unit owning cx.ring.Ring, activated by the D-Bus service file', async () => {
    const unit = await fs.readFile(new URL('systemd/jami-linkd.service', root), 'utf8');
    const activation = await fs.readFile(new URL('systemd/cx.ring.Ring.service', root), 'utf8');
    assert.match(unit, /^Type=dbus$/m);
    assert.match(unit, /^BusName=cx\.ring\.Ring$/m);
    assert.match(unit, /^Restart=on-failure$/m);
    assert.match(activation, /^Name=cx\.ring\.Ring$/m);
    assert.match(activation, /^SystemdService=jami-linkd\.service$/m);
  });

  it('passes systemd-analyze verify once installed paths are filled in', async function () {
    if (!existsSync('/usr/bin/systemd-analyze')) this.skip();
    const unit = (await fs.readFile(new URL('systemd/jami-linkd.service', root), 'utf8'))
      .replace('@NODE@', process.execPath)
      .replace('@PREFIX@', path.resolve(new URL(root).pathname));
    const dir = tempDir('unit-');
    const file = path.join(dir, 'jami-linkd.service');
    await fs.writeFile(file, unit);
    const { stderr } = await run('systemd-analyze', ['verify', file]);
    assert.equal(stderr.trim(), '', stderr);
  });

  it('ships a system-bus policy that dbus-daemon loads, denying other users calls and receptions', async () => {
    const policy = (await fs.readFile(new URL('systemd/cx.ring.Ring.conf', root), 'utf8')).replace('JAMI_LINKD_USER', 'root');
    assert.match(policy, /<deny send_destination="cx\.ring\.Ring"\/>/);
    assert.match(policy, /<deny receive_sender="cx\.ring\.Ring"\/>/);
    const dir = tempDir('policy-');
    await fs.writeFile(path.join(dir, 'policy.conf'), policy);
    await fs.writeFile(
      path.join(dir, 'bus.conf'),
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>custom</type><listen>unix:path=${dir}/socket</listen><auth>EXTERNAL</auth><include>${dir}/policy.conf</include></busconfig>
`,
    );
    // --print-address only once the whole configuration parsed; a malformed policy makes it exit at once.
    const { spawn } = await import('node:child_process');
    const daemon = spawn('dbus-daemon', [`--config-file=${dir}/bus.conf`, '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let errors = '';
    daemon.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const started = await new Promise<boolean>((resolve) => {
      daemon.stdout!.once('data', () => resolve(true));
      daemon.once('exit', () => resolve(false));
    });
    daemon.kill();
    assert.ok(started, `dbus-daemon refused the policy: ${errors}`);
  });
});
