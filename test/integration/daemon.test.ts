// The daemon's D-Bus face against a real private dbus-daemon: accounts, persistence, errors, files.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { promises as fs, statSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import dbus from 'dbus-next';
import { startTestBus, type PrivateBus } from '../support/private-bus.js';
import { startDaemonProcess, spawnDaemon, tempDir, whenReady, type RunningDaemon } from '../support/daemon-process.js';
import { TestClient } from '../support/client.js';
import { nextEvent, until, withTimeout } from '../support/wait.js';
import { rememberSecret } from '../support/secrets.js';
import { livePidsWhose } from '../support/stuck-process.js';

const run = promisify(execFile);
const PASSWORD = rememberSecret('hunter2');

describe('jami-linkd on a private D-Bus', function () {
  this.timeout(60000);
  let bus: PrivateBus;
  let daemon: RunningDaemon;
  let client: TestClient;

  before(async () => {
    bus = await startTestBus();
    daemon = await startDaemonProcess({ busAddress: bus.address });
    client = await TestClient.connect(bus.address);
  });

  after(async () => {
    client?.close();
    await daemon?.stop();
    await bus?.stop();
  });

  it('creates an account with a Jami ID, a device id and the details asked for', async () => {
    const changed = nextEvent(client, 'accountsChanged', 20000);
    const id = await client.createAccount({ 'Account.type': 'RING', 'Account.alias': 'Alice', 'Account.deviceName': 'laptop' });
    assert.match(id, /^[0-9a-f]{16}$/);
    await changed;
    const details = await client.call<Record<string, string>>('getAccountDetails', id);
    assert.equal(details['Account.type'], 'RING');
    assert.equal(details['Account.alias'], 'Alice');
    assert.equal(details['Account.deviceName'], 'laptop');
    assert.match(details['Account.username'], /^[0-9a-f]{40}$/);
    assert.match(details['Account.deviceID'], /^[0-9a-f]{64}$/);
    assert.equal(details['Account.archiveHasPassword'], 'false');
    assert.equal(details['Account.enable'], 'true');
    const volatile = await client.call<Record<string, string>>('getVolatileAccountDetails', id);
    assert.ok(volatile['Account.registrationStatus'], 'a registration status');
    assert.ok((await client.call<string[]>('getAccountList')).includes(id));
  });

  it('stores accounts in 0700 directories and 0600 files, the archive encrypted when there is a password', async () => {
    const id = await client.createAccount({ 'Account.alias': 'Secret', 'Account.archivePassword': PASSWORD });
    const details = await client.call<Record<string, string>>('getAccountDetails', id);
    assert.equal(details['Account.archiveHasPassword'], 'true');
    const dir = path.join(daemon.dataDir, id);
    assert.equal(statSync(daemon.dataDir).mode & 0o777, 0o700);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    for (const file of readdirSync(dir)) {
      assert.equal(statSync(path.join(dir, file)).mode & 0o777, 0o600, file);
    }
    const archive = await fs.readFile(path.join(dir, 'archive.gz'));
    assert.notEqual(archive[0], 0x1f, 'an encrypted archive is not gzip');
    assert.ok(!archive.includes(Buffer.from('ringAccountKey')), 'no plaintext key names');
  });

  it('removes an account and its files, and emits accountsChanged', async () => {
    const id = await client.createAccount({ 'Account.alias': 'Temp' });
    const changed = nextEvent(client, 'accountsChanged', 20000);
    await client.call('removeAccount', id);
    await changed;
    assert.ok(!(await client.call<string[]>('getAccountList')).includes(id));
    assert.deepEqual(await client.call('getAccountDetails', id), {});
    await assert.rejects(fs.stat(path.join(daemon.dataDir, id)), /ENOENT/);
  });

  it('answers unknown ids with empty results and false, as Jami does', async () => {
    assert.deepEqual(await client.call('getAccountDetails', 'nope'), {});
    assert.deepEqual(await client.call('getVolatileAccountDetails', 'nope'), {});
    assert.equal(await client.call('confirmAddDevice', 'nope', 1), false);
    assert.equal(await client.call('cancelAddDevice', 'nope', 1), false);
    assert.equal(await client.call('provideAccountAuthentication', 'nope', 'pw', 'password'), false);
    assert.equal(await client.call('addDevice', 'nope', 'jami-auth://' + 'a'.repeat(40) + '/123456'), -3);
    await client.call('removeAccount', 'nope');
  });

  it('refuses invalid details with cx.ring.Ring.Error.InvalidArgument and a one-line message', async () => {
    for (const details of [{ 'Account.type': 'SIP' }, { 'Account.archiveURL': 'http://example' }, { 'Account.alias': 'x'.repeat(100000) }]) {
      await assert.rejects(client.call('addAccount', details), (error: dbus.DBusError) => {
        assert.equal(error.type, 'cx.ring.Ring.Error.InvalidArgument');
        assert.ok(!error.text.includes('\n') && !error.text.includes(' at '), error.text);
        return true;
      });
    }
  });

  it('answers every method called with wrong argument types with an error, and keeps running', async () => {
    const wrong: Array<[string, string, unknown[]]> = [
      ['addAccount', 's', ['x']],
      ['removeAccount', 'u', [1]],
      ['provideAccountAuthentication', 'ss', ['a', 'b']],
      ['addDevice', 'su', ['a', 1]],
      ['confirmAddDevice', 'ss', ['a', 'b']],
      ['cancelAddDevice', 's', ['a']],
      ['getAccountList', 's', ['a']],
      ['getAccountDetails', '', []],
      ['getVolatileAccountDetails', 'i', [3]],
      ['getAccountTemplate', '', []],
      ['lookupAddress', 'ss', ['a', 'b']],
      ['noSuchMethod', '', []],
    ];
    for (const [member, signature, body] of wrong) {
      await assert.rejects(client.rawCall(daemon.busName, member, signature, body), (error: dbus.DBusError) => {
        // As jamid: a member it does not have is UnknownMethod; a known one with wrong arguments is refused.
        const expected = member === 'noSuchMethod' ? 'org.freedesktop.DBus.Error.UnknownMethod' : 'cx.ring.Ring.Error.InvalidArgument';
        assert.equal(error.type, expected, `${member}(${signature})`);
        assert.ok(!error.text.includes('\n'), error.text);
        return true;
      });
    }
    assert.ok(Array.isArray(await client.call('getAccountList')), 'still answering');
  });

  it('introspects with the XML file\'s members, signatures and argument names', async () => {
    const served = await introspectionOf(await introspect(client.bus, daemon.busName));
    const xml = await fs.readFile(new URL('../../../dbus-introspection/cx.ring.Ring.ConfigurationManager.xml', import.meta.url), 'utf8');
    assert.deepEqual(served, await introspectionOf(xml));
    assert.ok(!JSON.stringify(served).includes('arg_'), 'no arg_N names');
  });

  it('can be driven by busctl and gdbus, as a script would', async function () {
    const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: bus.address };
    const { stdout: list } = await run('busctl', ['--user', 'call', daemon.busName, '/cx/ring/Ring/ConfigurationManager', 'cx.ring.Ring.ConfigurationManager', 'getAccountList'], { env });
    assert.match(list, /^as \d+/);
    const { stdout: created } = await run('gdbus', ['call', '--session', '--dest', daemon.busName, '--object-path', '/cx/ring/Ring/ConfigurationManager', '--method', 'cx.ring.Ring.ConfigurationManager.addAccount', "{'Account.alias': 'FromGdbus'}"], { env });
    const id = /'([0-9a-f]{16})'/.exec(created)?.[1];
    assert.ok(id, created);
    const { stdout: introspection } = await run('busctl', ['--user', 'introspect', daemon.busName, '/cx/ring/Ring/ConfigurationManager', 'cx.ring.Ring.ConfigurationManager'], { env });
    assert.match(introspection, /\.addDevice\s+method\s+ss\s+i\s/);
    assert.match(introspection, /\.confirmAddDevice\s+method\s+su\s+b\s/);
    assert.match(introspection, /\.addDeviceStateChanged\s+signal\s+suia\{ss\}/);
    const { stdout: gdbusIntrospection } = await run('gdbus', ['introspect', '--session', '--dest', daemon.busName, '--object-path', '/cx/ring/Ring/ConfigurationManager'], { env });
    assert.match(gdbusIntrospection, /addDevice\(in\s+s accountId,\s+in\s+s uri,\s+out i op_id\)/);
    assert.match(gdbusIntrospection, /removeAccount\(in\s+s accoundID\)/);
  });

  it('finds its accounts again after a restart', async () => {
    const id = await client.createAccount({ 'Account.alias': 'Persistent' });
    const before = await client.call<Record<string, string>>('getAccountDetails', id);
    client.close();
    assert.equal(await daemon.stop(), 0, 'clean exit on SIGTERM');
    daemon = await startDaemonProcess({ busAddress: bus.address, dataDir: daemon.dataDir });
    client = await TestClient.connect(bus.address);
    assert.deepEqual(await client.call('getAccountDetails', id), before);
  });

  it('exits with a clear message when another daemon owns the bus name', async () => {
    const second = spawnDaemon({ busAddress: bus.address });
    const code = await withTimeout(second.exited, 20000, 'the second daemon to exit');
    assert.equal(code, 2);
    assert.ok(second.logs.some((line) => line.includes('already owned')), second.logs.join('\n'));
    assert.ok(Array.isArray(await client.call('getAccountList')), 'the first one still answers');
  });
});

describe('jami-linkd without a session bus', function () {
  this.timeout(30000);

  it('starts a private dbus-daemon, prints its address and serves on it', async () => {
    const env = { DBUS_SESSION_BUS_ADDRESS: '', XDG_RUNTIME_DIR: '/nonexistent' };
    const daemon = spawnDaemon({ env });
    try {
      const line = await withTimeout(
        new Promise<string>((resolve) => {
          const check = () => {
            const found = daemon.stdout.find((l) => l.startsWith('DBUS_SESSION_BUS_ADDRESS='));
            if (found) resolve(found);
          };
          daemon.child.stdout!.on('data', () => setImmediate(check));
        }),
        20000,
        'the printed bus address',
      );
      const address = line.slice('DBUS_SESSION_BUS_ADDRESS='.length);
      const client = await TestClient.connect(address);
      assert.ok(Array.isArray(await client.call('getAccountList')));
      client.close();
    } finally {
      assert.equal(await daemon.stop(), 0);
    }
  });
});

describe('jami-linkd ending, with a private dbus-daemon of its own', function () {
  this.timeout(30000);

  /** Pids of the dbus-daemons whose config file sits under `dir` (a private bus's, made in its TMPDIR). */
  const busPidsUnder = (dir: string): number[] => livePidsWhose((command) => command.startsWith('dbus-daemon ') && command.includes(`${dir}/`));

  // The private dbus-daemon is a child that outlives an exit it is not stopped for. The DHT node starts after the
  // bus: a DHT port another process holds fails the start with the bus up.
  it('stops the private dbus-daemon it started when its DHT node cannot start, and exits 2 saying why', async () => {
    const holder = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(0, '0.0.0.0', resolve));
    const tmp = tempDir('jami-linkd-tmp-');
    const port = holder.address().port;
    const daemon = spawnDaemon({ extraArgs: ['--dht-port', String(port)], env: { DBUS_SESSION_BUS_ADDRESS: '', XDG_RUNTIME_DIR: '/nonexistent', TMPDIR: tmp } });
    // 'close', not 'exit': the last lines of its stderr may come after the exit.
    const closed = new Promise<number | null>((resolve) => daemon.child.once('close', (code) => resolve(code)));
    try {
      const code = await withTimeout(closed, 20000, 'jami-linkd to exit');
      const logs = daemon.logs.join('\n');
      assert.equal(code, 2, logs);
      assert.match(logs, /"no session bus: started a private dbus-daemon"/, 'the premise: a private bus was up');
      assert.match(logs, new RegExp(`^jami-linkd: cannot start the DHT node: cannot bind UDP port ${port} `, 'm'));
      assert.deepEqual(busPidsUnder(tmp), [], 'a private dbus-daemon outlived the daemon that started it');
    } finally {
      holder.close();
      await daemon.stop();
    }
  });

  it('ends within its stop deadline, with exit code 1, when a SIGTERM comes while its start waits on a bus that never answers', async () => {
    const socket = path.join(tempDir('jami-linkd-silent-bus-'), 'bus');
    const server = net.createServer(() => undefined); // accepts, says nothing
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    const connected = new Promise<void>((resolve) => server.once('connection', () => resolve()));
    const daemon = spawnDaemon({ busAddress: `unix:path=${socket}` });
    try {
      await withTimeout(connected, 10000, 'the daemon to connect to the silent bus');
      daemon.child.kill('SIGTERM');
      // Killed by the signal's default action, it would have no code; waiting for the bus, it would say 2 after 10 s.
      assert.equal(await withTimeout(daemon.exited, 9000, 'jami-linkd to exit'), 1, daemon.logs.join('\n'));
    } finally {
      await daemon.stop();
      server.close();
    }
  });

  it('stops its private dbus-daemon too when a second signal cuts its stop short, and exits 1', async () => {
    const tmp = tempDir('jami-linkd-tmp-');
    const daemon = spawnDaemon({ env: { DBUS_SESSION_BUS_ADDRESS: '', XDG_RUNTIME_DIR: '/nonexistent', TMPDIR: tmp } });
    const closed = new Promise<number | null>((resolve) => daemon.child.once('close', (code) => resolve(code)));
    let frozen: number | undefined;
    try {
      await whenReady(daemon);
      const [busPid] = busPidsUnder(tmp);
      assert.ok(busPid, 'the premise: a private bus was up');
      // A bus that does not answer keeps the stop waiting (on releasing the name) until the second signal.
      frozen = busPid;
      process.kill(frozen, 'SIGSTOP');
      daemon.child.kill('SIGTERM');
      await until(() => daemon.logs.some((line) => line.includes('"stopping"')), 10000, 'the daemon to begin stopping');
      daemon.child.kill('SIGTERM');
      assert.equal(await withTimeout(closed, 10000, 'jami-linkd to exit'), 1, daemon.logs.join('\n'));
      process.kill(frozen, 'SIGCONT'); // the SIGTERM it was sent, if any, now lands
      await until(() => busPidsUnder(tmp).length === 0, 10000, 'the private dbus-daemon to end');
    } finally {
      if (frozen !== undefined) for (const pid of busPidsUnder(tmp)) process.kill(pid, 'SIGKILL');
      await daemon.stop();
    }
  });
});

async function introspect(bus: dbus.MessageBus, name: string): Promise<string> {
  const reply = await bus.call(
    new dbus.Message({
      destination: name,
      path: '/cx/ring/Ring/ConfigurationManager',
      interface: 'org.freedesktop.DBus.Introspectable',
      member: 'Introspect',
    }),
  );
  return (reply as dbus.Message).body[0] as string;
}

/** Members of cx.ring.Ring.ConfigurationManager as comparable data: name -> args (name, type, direction). */
async function introspectionOf(xml: string): Promise<Record<string, string[]>> {
  const { parseInterfaceXml } = await import('../../service/dbus/interface-description.js');
  const description = await parseInterfaceXml(xml, 'cx.ring.Ring.ConfigurationManager');
  const result: Record<string, string[]> = {};
  for (const method of description.methods.values()) {
    result[`method ${method.name}`] = [
      ...method.inArgs.map((arg) => `in ${arg.type} ${arg.name}`),
      ...method.outArgs.map((arg) => `out ${arg.type} ${arg.name}`),
    ];
  }
  for (const signal of description.signals.values()) {
    result[`signal ${signal.name}`] = signal.args.map((arg) => `${arg.type} ${arg.name}`);
  }
  return result;
}

describe('jami-linkd when its bus goes away', function () {
  this.timeout(30000);

  it('notices at once, even idle, and exits with a failure code for systemd to restart it', async () => {
    const bus = await startTestBus();
    const daemon = await startDaemonProcess({ busAddress: bus.address });
    await bus.stop();
    assert.equal(await withTimeout(daemon.exited, 10000, 'the daemon to exit'), 1);
    assert.ok(daemon.logs.some((line) => line.includes('lost the bus connection')), daemon.logs.join('\n'));
  });
});
