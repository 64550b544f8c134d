// The daemon's command line: its ICE servers (Jami's by default, "none", the user's own, a typo) and
// list options checked after parsing, and a DHT port another process holds, which must end in a one-line error
// and exit 2, not a stack trace. And the size of libuv's thread pool (bin/jami-linkd.cts): 8 unless
// UV_THREADPOOL_SIZE says otherwise.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestBus, type PrivateBus } from '../support/private-bus.js';
import { DAEMON_BIN, startDaemonProcess, tempDir } from '../support/daemon-process.js';
import { TestClient } from '../support/client.js';
import { withTimeout } from '../support/wait.js';

const run = promisify(execFile);

/** The `iceServers` field of the daemon's "jami-linkd ready" line. */
function readyIceServers(logs: readonly string[]): unknown {
  const ready = logs.map((line) => JSON.parse(line) as { msg?: string; iceServers?: unknown }).find((line) => line.msg === 'jami-linkd ready');
  assert.ok(ready, 'no "jami-linkd ready" line');
  return ready.iceServers;
}

/** The thread count of a daemon started with this UV_THREADPOOL_SIZE (undefined: unset), once it is ready. libuv
 *  creates every thread of its pool at once, when the pool is first used (by then the daemon has read its own
 *  files), so a pool's size is the difference between two daemons' counts. */
async function threadsOfDaemon(bus: PrivateBus, poolSize: string | undefined): Promise<number> {
  const daemon = await startDaemonProcess({ busAddress: bus.address, env: { UV_THREADPOOL_SIZE: poolSize } });
  try {
    return readdirSync(`/proc/${daemon.child.pid}/task`).length;
  } finally {
    await daemon.stop();
  }
}

describe('jami-linkd options', function () {
  this.timeout(30000);
  let bus: PrivateBus;

  before(async () => {
    bus = await startTestBus();
  });

  after(async () => {
    await bus?.stop();
  });

  it("uses Jami's STUN and TURN servers by default, and logs them without their password", async () => {
    // No link is started: nothing is sent to these servers.
    const daemon = await startDaemonProcess({ busAddress: bus.address, iceServers: 'default' });
    try {
      assert.deepEqual(readyIceServers(daemon.logs), [
        'stun:turn.jami.net:3478',
        'turn:ring:***@turn.jami.net:3478',
      ]);
    } finally {
      await daemon.stop();
    }
  });

  it('takes "none" for no servers, and the user\'s own servers instead of the defaults', async () => {
    const none = await startDaemonProcess({ busAddress: bus.address, busName: 'cx.ring.Ring.none', iceServers: ['none'] });
    const own = await startDaemonProcess({ busAddress: bus.address, busName: 'cx.ring.Ring.own', iceServers: ['stun:198.18.0.1:3478,turn:me:p%40ss@198.18.0.1:3478'] });
    try {
      assert.deepEqual(readyIceServers(none.logs), []);
      assert.deepEqual(readyIceServers(own.logs), ['stun:198.18.0.1:3478', 'turn:me:***@198.18.0.1:3478']);
    } finally {
      await Promise.all([none.stop(), own.stop()]);
    }
  });

  it('shows the TURN server in use in the account details, as Jami\'s client reads them', async () => {
    const cases = [
      ['cx.ring.Ring.turn1', ['stun:198.18.0.1:3478', 'turn:alice:s3cret@198.18.0.1:3479'], { 'TURN.enable': 'true', 'TURN.server': '198.18.0.1:3479', 'TURN.username': 'alice', 'TURN.password': 's3cret' }],
      ['cx.ring.Ring.turn2', ['none'], { 'TURN.enable': 'false', 'TURN.server': '', 'TURN.username': '', 'TURN.password': '' }],
    ] as const;
    for (const [busName, iceServers, expected] of cases) {
      const daemon = await startDaemonProcess({ busAddress: bus.address, busName, iceServers: [...iceServers] });
      const client = await TestClient.connect(bus.address, busName);
      try {
        const accountId = await client.createAccount({ 'Account.type': 'RING', 'Account.alias': 'turn' });
        const details = await client.call<Record<string, string>>('getAccountDetails', accountId);
        for (const [key, value] of Object.entries(expected)) assert.equal(details[key], value, `${busName} ${key}`);
      } finally {
        client.close();
        await daemon.stop();
      }
    }
  });

  it('refuses a --dht-port another process holds, with one line and exit code 2, instead of running a DHT node no IPv4 peer reaches', async () => {
    const holder = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(0, '0.0.0.0', resolve));
    try {
      const port = holder.address().port;
      const dataDir = path.join(tempDir('dht-port-'), 'data');
      const args = [DAEMON_BIN, '--bus', bus.address, '--data-dir', dataDir, '--dht-port', String(port), '--bootstrap', 'none', '--no-peer-discovery', '--ice-server', 'none'];
      const result = await run(process.execPath, args, { timeout: 20000 }).then(
        () => assert.fail('the daemon started, then exited 0'),
        (error: { code: number | null; stderr: string }) => error,
      );
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, new RegExp(`^jami-linkd: cannot start the DHT node: cannot bind UDP port ${port} on IPv4 \\(in use by another process, or not an address of this host; --dht-port 0 picks a free one\\)$`, 'm'));
    } finally {
      holder.close();
    }
  });

  it('refuses a --dht-bind address this host lacks, with one line and exit code 2, instead of a DHT node on the other family alone', async function () {
    // A host that lets sockets bind addresses it lacks (net.ipv4.ip_nonlocal_bind=1) would bind this one.
    if (readFileSync('/proc/sys/net/ipv4/ip_nonlocal_bind', 'utf8').trim() !== '0') this.skip();
    const dataDir = path.join(tempDir('dht-bind-'), 'data');
    // 192.0.2.0/24 is TEST-NET-1: never an address of this host.
    const args = [DAEMON_BIN, '--bus', bus.address, '--data-dir', dataDir, '--dht-bind', '192.0.2.7', '--bootstrap', 'none', '--no-peer-discovery', '--ice-server', 'none'];
    const result = await run(process.execPath, args, { timeout: 20000 }).then(
      () => assert.fail('the daemon started, then exited 0'),
      (error: { code: number | null; stderr: string }) => error,
    );
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^jami-linkd: cannot start the DHT node: cannot bind a UDP port on 192\.0\.2\.7 \(not an address of this host\?\)$/m);
  });

  for (const [args, message] of [
    [['--ice-server', 'stun:host:99999'], /^error: option '--ice-server': bad port in ICE server URL stun:host:99999$/m],
    [['--ice-server', 'turn:host:3478'], /^error: option '--ice-server': a TURN server needs a username and a password/m],
    [['--ice-server', 'none,stun:host'], /^error: option '--ice-server': "none" cannot be combined with ICE server URLs$/m],
    [['--ice-server', 'turn:user:s3cret@host:1?transport=sctp'], /^error: option '--ice-server': unsupported ICE server URL turn:user:\*\*\*@host/m],
    [['--bootstrap', 'nowhere'], /^error: option '--bootstrap': "nowhere" is not host:port$/m],
    [['--ice-server', 'stun:host,turns:u:s3cret@host'], /^error: option '--ice-server': TURN over TCP or TLS is not supported by the WebRTC stack \(libjuice relays over UDP only\): turns:u:\*\*\*@host; use turn:USER:PASS@HOST:PORT$/m],
  ] as const) {
    it(`refuses ${args.join(' ')} with one line and exit code 2`, async () => {
      const result = await run(process.execPath, [DAEMON_BIN, '--bus', bus.address, ...args]).then(
        () => assert.fail('the daemon started'),
        (error: { code: number; stderr: string }) => error,
      );
      assert.equal(result.code, 2);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /s3cret|\n\s+at /, 'a password or a stack trace on stderr');
    });
  }

  it("prints OpenDHT's own log on standard output with JAMI_LINKD_DHT_LOG=1 (--dht-log), and none without", async () => {
    const quiet = await startDaemonProcess({ busAddress: bus.address, busName: 'cx.ring.Ring.quiet' });
    const verbose = await startDaemonProcess({ busAddress: bus.address, busName: 'cx.ring.Ring.verbose', env: { JAMI_LINKD_DHT_LOG: '1' } });
    // The stream's end, not the exit: the last lines may still be in the pipe when the process is gone.
    const closed = (daemon: typeof quiet) => (daemon.child.stdout!.closed ? Promise.resolve() : once(daemon.child.stdout!, 'close'));
    const ended = Promise.all([closed(quiet), closed(verbose)]);
    await Promise.all([quiet.stop(), verbose.stop()]);
    await withTimeout(ended, 10000, 'both daemons\' standard output to close');
    // OpenDHT's runner names its node's id once it runs: the node of the daemon's own ready line.
    const nodeId = (daemon: typeof quiet) => (JSON.parse(daemon.logs.find((line) => line.includes('"DHT node running"'))!) as { nodeId: string }).nodeId;
    assert.ok(verbose.stdout.some((line) => line.includes(`initialised with ID ${nodeId(verbose)}`)), verbose.stdout.slice(0, 20).join('\n'));
    assert.deepEqual(quiet.stdout, []);
  });

  // Key generation and argon2 share the pool with file I/O: with libuv's 4, a few links at once stall file reads.
  it("has a thread pool of 8 by default, and of the size UV_THREADPOOL_SIZE gives", async () => {
    const byDefault = await threadsOfDaemon(bus, undefined);
    const four = await threadsOfDaemon(bus, '4');
    const eight = await threadsOfDaemon(bus, '8');
    assert.equal(byDefault - four, 4, `threads: ${byDefault} by default, ${four} with a pool of 4`);
    assert.equal(byDefault, eight, `threads: ${byDefault} by default, ${eight} with a pool of 8`);
  });
});
