// Bad input over D-Bus, with a fixed seed so that a failure replays: random and boundary values for
// every method, and mutated tokens for addDevice. The daemon must answer every call and stay small.

import assert from 'node:assert/strict';
import dbus from 'dbus-next';
import { startTestBus, type PrivateBus } from '../support/private-bus.js';
import { startDaemonProcess, type RunningDaemon } from '../support/daemon-process.js';
import { TestClient } from '../support/client.js';
import { probeDaemon, probeEnv } from '../support/daemon-probe.js';
import { SeededRandom } from '../support/seeded-random.js';
import { tryParseAuthToken } from '../../service/linking/auth-token.js';

const SEED = Number(process.env.JAMI_LINKD_FUZZ_SEED ?? 20261126);
const CALLS = Number(process.env.JAMI_LINKD_FUZZ_CALLS ?? 10000);
const TOKENS = Number(process.env.JAMI_LINKD_FUZZ_TOKENS ?? 10000);
const MEGABYTE = 'x'.repeat(1024 * 1024);
/** After a full GC, the JS heap and the memory of Buffers may each grow by this much over the whole run (caches,
 *  compiled code): a leak of a few hundred bytes per call would exceed it. Measured: +0.8-1.2 MB of heap; 8 kB
 *  kept per getAccountList call (7.9 MB in all) failed it. */
const HEAP_GROWTH_BOUND_MB = 4;
/** The process as a whole (native memory too) by this much: a leak of ~13 kB per call would exceed it. Not
 *  tighter: the allocator keeps what the megabyte-sized calls used for a while, so RSS after a full GC still
 *  grew by 22-56 MB over a run, and by 72 MB midway through one, before going back to +24. */
const RSS_GROWTH_BOUND_MB = 128;

describe(`D-Bus fuzzing (seed ${SEED})`, function () {
  this.timeout(300000);
  let bus: PrivateBus;
  let daemon: RunningDaemon;
  let client: TestClient;
  let realAccount: string;

  before(async () => {
    bus = await startTestBus();
    daemon = await startDaemonProcess({ busAddress: bus.address, env: probeEnv() });
    client = await TestClient.connect(bus.address);
    realAccount = await client.createAccount({ 'Account.alias': 'Fuzz target' });
  });

  after(async () => {
    client?.close();
    await daemon?.stop();
    await bus?.stop();
  });

  it(`answers ${CALLS} random and boundary calls to every method, and keeps its memory bounded`, async () => {
    const random = new SeededRandom(SEED);
    const strings = () =>
      random.pick([
        '',
        realAccount,
        'nope',
        random.string(64),
        `jami-auth://${random.string(40, '0123456789abcdef')}/${random.string(6, '0123456789')}`,
        random.int(0, 200) === 0 ? MEGABYTE : 'z'.repeat(random.int(0, 300)),
      ]);
    const u32 = () => random.pick([0, 1, 2, 0x7fffffff, 0xffffffff, random.int(0, 0xffffffff)]);
    const details = (): Record<string, string> => {
      const map: Record<string, string> = {};
      for (let i = random.int(0, 4); i > 0; i--) {
        const key = random.pick(['Account.type', 'Account.alias', 'Account.archiveURL', 'Account.archivePath', 'Account.archivePassword', 'Account.deviceName', random.string(20)]);
        map[key] = random.pick(['SIP', 'RING', '', 'http://x', 'relative', '/nonexistent/archive.gz', random.string(30), random.int(0, 300) === 0 ? MEGABYTE : 'v']);
      }
      // Creating a real account costs key generation; only a few calls may succeed in doing so.
      if (map['Account.type'] !== 'SIP' && !map['Account.archiveURL'] && !map['Account.archivePath'] && random.int(0, 20) > 0) map['Account.type'] = 'SIP';
      return map;
    };
    const calls: Array<() => [string, string, unknown[]]> = [
      () => ['addAccount', 'a{ss}', [details()]],
      () => ['removeAccount', 's', [random.pick(['', 'nope', random.string(16, '0123456789abcdef')])]],
      () => ['provideAccountAuthentication', 'sss', [strings(), strings(), random.pick(['password', '', 'none', random.string(8)])]],
      () => ['addDevice', 'ss', [random.pick([realAccount, strings()]), strings()]],
      () => ['confirmAddDevice', 'su', [random.pick([realAccount, strings()]), u32()]],
      () => ['cancelAddDevice', 'su', [random.pick([realAccount, strings()]), u32()]],
      () => ['getAccountList', '', []],
      () => ['getAccountDetails', 's', [strings()]],
      () => ['getVolatileAccountDetails', 's', [strings()]],
      () => ['exportToFile', 'ssss', [strings(), random.pick(['', 'relative', '/nonexistent/dir/file.gz']), random.pick(['', 'password', 'x']), strings()]],
      // Wrong signatures for every method name, and unknown members.
      () => [random.pick(['addAccount', 'removeAccount', 'addDevice', 'confirmAddDevice', 'noSuchMethod', 'exportToFile']), random.pick(['', 's', 'u', 'ss', 'sb', 'a{sv}', 'as']), []],
    ];

    // One call of each kind first: the daemon loads some modules on first use (the link transport with the first
    // addDevice), which is start-up cost, not growth under calls.
    for (const make of calls) {
      const [member, signature, body] = make();
      await client.rawCall(daemon.busName, member, signature, body.length > 0 || signature === '' ? body : fill(signature, random)).catch(() => undefined);
    }
    const before = await probeDaemon(daemon);
    let answered = 0;
    let errors = 0;
    const unexpected: string[] = [];
    for (let i = 0; i < CALLS; i++) {
      const [member, signature, body] = random.pick(calls)();
      const args = body.length > 0 || signature === '' ? body : fill(signature, random);
      try {
        await client.rawCall(daemon.busName, member, signature, args);
        answered++;
      } catch (error) {
        const name = (error as dbus.DBusError).type ?? '';
        if (!name.startsWith('cx.ring.Ring.Error.') && name !== 'org.freedesktop.DBus.Error.UnknownMethod') {
          unexpected.push(`${member}(${signature}): ${name} ${(error as Error).message.slice(0, 100)}`);
        }
        errors++;
      }
    }
    const after = await probeDaemon(daemon);
    console.log(
      `      fuzz: ${CALLS} calls, ${answered} answered, ${errors} errors; after a full GC, daemon heap ${before.heapUsedMB} -> ${after.heapUsedMB} MB, buffers ${before.externalMB} -> ${after.externalMB} MB, RSS ${before.rssMB} -> ${after.rssMB} MB`,
    );
    assert.deepEqual(unexpected.slice(0, 10), []);
    assert.equal(answered + errors, CALLS);
    assert.ok(after.heapUsedMB - before.heapUsedMB < HEAP_GROWTH_BOUND_MB, `the heap grew by ${(after.heapUsedMB - before.heapUsedMB).toFixed(1)} MB`);
    assert.ok(after.externalMB - before.externalMB < HEAP_GROWTH_BOUND_MB, `Buffers grew by ${(after.externalMB - before.externalMB).toFixed(1)} MB`);
    assert.ok(after.rssMB - before.rssMB < RSS_GROWTH_BOUND_MB, `RSS grew by ${(after.rssMB - before.rssMB).toFixed(1)} MB`);
    assert.ok((await client.call<string[]>('getAccountList')).includes(realAccount), 'the real account is intact');
    assert.equal(daemon.child.exitCode, null, 'still running');
  });

  it(`answers ${TOKENS} mutated tokens with -1 and no signal`, async () => {
    const random = new SeededRandom(SEED + 1);
    const base = `jami-auth://${'0123456789abcdef'.repeat(3).slice(0, 40)}/123456`;
    const mutate = (token: string): string => {
      const chars = [...token];
      switch (random.int(0, 6)) {
        case 0: chars.splice(random.int(0, chars.length - 1), 1); break;
        case 1: chars.splice(random.int(0, chars.length), 0, random.string(1, 'aZ9/:%é ')); break;
        case 2: chars[random.int(0, chars.length - 1)] = random.pick(['G', 'A', '/', ' ', ':', '\u00e9', 'x']); break;
        case 3: return token.slice(0, random.int(0, token.length - 1));
        case 4: return token + random.string(random.int(1, 10));
        case 5: return token.toUpperCase();
        default: return random.string(70);
      }
      return chars.join('');
    };
    // Link signals only: accounts the random calls above created may still be finishing in the background.
    const linkSignals = () => client.signals.filter(({ name }) => name === 'addDeviceStateChanged' || name === 'deviceAuthStateChanged').length;
    const signalsBefore = linkSignals();
    let sent = 0;
    while (sent < TOKENS) {
      const token = mutate(random.int(0, 3) === 0 ? mutate(base) : base);
      if (tryParseAuthToken(token)) continue; // still a valid token: not a bad input
      assert.equal(await client.call('addDevice', realAccount, token), -1, JSON.stringify(token));
      sent++;
    }
    assert.equal(linkSignals(), signalsBefore, 'no link signal');
    assert.ok(!daemon.logs.some((line) => line.includes('"export') && line.includes('state')), 'no export started');
  });
});

function fill(signature: string, random: SeededRandom): unknown[] {
  const values: unknown[] = [];
  for (const type of signature.match(/a\{..\}|a.|./g) ?? []) {
    if (type === 's') values.push(random.string(10));
    else if (type === 'u') values.push(random.int(0, 0xffffffff));
    else if (type === 'b') values.push(random.int(0, 1) === 1);
    else if (type === 'as') values.push([random.string(5)]);
    else if (type === 'a{sv}') values.push({});
    else if (type === 'a{ss}') values.push({ [random.string(5)]: random.string(5) });
  }
  return values;
}
