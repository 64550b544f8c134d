// jami-linkd side by side with magic-wormhole and with bare anchors, measured in one run on loopback, printed as
// ONE table: each row ours, theirs (magic-wormhole's, or the anchor's), their ratio and the target of issue 14.
// Medians over several runs; it never passes or fails on time (the machines are shared and noisy: the ratios,
// taken in the same run, are what count).
//
//   npm run build && BENCH_ONLY=wormhole node dist/bench/run.js      (as root: apt-get and a network namespace)
//
// Our side: two daemons on private dbus-daemons, bootstrapped to a local dhtnode, `--ice-server none`, WebRTC on
// 127.0.0.1, RSA-2048 keys, info logs. magic-wormhole's side: bench/wormhole-rig.ts (its own mailbox server and
// transit relay on 127.0.0.1 in a network namespace of ours; installs the Debian packages when missing).
// Environment: BENCH_SBS_EACH (set: every run of an end-to-end row on stderr), BENCH_SBS_RUNS (5), BENCH_SBS_BIG_RUNS (3), BENCH_SBS_BIG_MB (50), BENCH_SBS_PASSWORD_RUNS (3),
// BENCH_SBS_LINK_RUNS (15), BENCH_SBS_START_RUNS (15), BENCH_SBS_GROWTH_SIZES (0.01,1,10,50), BENCH_SBS_CONCURRENCY (1,10,50),
// BENCH_SBS_GROWTH_RUNS (3); BENCH_SBS_PARTS picks parts (e2e,daemon,cli,start,growth; default all).

import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { aesDecrypt, aesEncrypt } from 'opendht-node';
import { startLinkNetwork, startSide, stopSide, startImport, type Side } from '../test/support/link-fixture.js';
import { spawnDaemon, tempDir, type RunningDaemon } from '../test/support/daemon-process.js';
import { startTestBus } from '../test/support/private-bus.js';
import { TestClient } from '../test/support/client.js';
import { createBigAccount } from '../test/support/big-archive.js';
import { JAMI_LINK_BIN } from '../test/e2e/jami-link-process.js';
import { datachannelFloor } from './datachannel-floor.js';
import { workFloor } from './work-floor.js';
import { startWormholeRig, type WormholeRig } from './wormhole-rig.js';
import { cliLink } from './cli-link.js';
import { link } from './link.js';
import { concurrencyCurve, sizeCurve } from './growth.js';
import { NameWatch, rssMb, stopProcess, timeToExit } from './process-timing.js';
import { median, ms, printComparison, ratio, type ComparisonRow } from './stats.js';

const numberFrom = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const listFrom = (name: string, fallback: string): number[] => (process.env[name] ?? fallback).split(',').map(Number);

const RUNS = numberFrom('BENCH_SBS_RUNS', 5);
const BIG_RUNS = numberFrom('BENCH_SBS_BIG_RUNS', 3);
const BIG_MB = numberFrom('BENCH_SBS_BIG_MB', 50);
const PASSWORD_RUNS = numberFrom('BENCH_SBS_PASSWORD_RUNS', 3);
const LINK_RUNS = numberFrom('BENCH_SBS_LINK_RUNS', 15);
/** Starts of the daemon and of its anchors, each: a start varies by tens of ms from one to the next on these machines. */
const START_RUNS = numberFrom('BENCH_SBS_START_RUNS', 15);
const GROWTH = {
  sizesMb: listFrom('BENCH_SBS_GROWTH_SIZES', '0.01,1,10,50'),
  concurrency: listFrom('BENCH_SBS_CONCURRENCY', '1,10,50'),
  runs: numberFrom('BENCH_SBS_GROWTH_RUNS', 3),
};
/** Measured with the password link, told in the notes. */
let twoKdfsAtOnceMs = NaN;
const PARTS = new Set((process.env.BENCH_SBS_PARTS ?? 'e2e,daemon,cli,start,growth').split(','));
const PASSWORD = 'bench password';
const BARE_BUS_NAME = fileURLToPath(new URL('./bare-bus-name.js', import.meta.url));
const FLOOR_CLI_CALL = fileURLToPath(new URL('./floor-cli-call.js', import.meta.url));
const FLOOR_CLI_HELP = fileURLToPath(new URL('./floor-cli-help.js', import.meta.url));
/** As a user runs the daemon: info logs (the test helpers ask for debug). */
const DAEMON_ARGS = ['--log-level', 'info', '--max-pending-imports', String(Math.max(64, ...GROWTH.concurrency))];

async function medianOf(runs: number, measure: () => Promise<number>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await measure());
  return median(times);
}

async function minimumOf(runs: number, measure: () => Promise<number>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < runs; i++) best = Math.min(best, await measure());
  return best;
}

/** Each in turn, A B A B … (or A B C A B C …), after one warm-up of each: the machine's drift hits them alike.
 *  Their medians, in order. */
async function inTurn(runs: number, ...each: Array<() => Promise<number>>): Promise<number[]> {
  for (const run of each) await run();
  const times = each.map((): number[] => []);
  for (let i = 0; i < runs; i++) {
    for (const [k, run] of each.entries()) times[k].push(await run());
  }
  if (process.env.BENCH_SBS_EACH) console.error(`  each run: ${times.map((t, k) => `${k === 0 ? 'ours' : k === 1 ? 'theirs' : 'floor'} ${t.map(ms).join(', ')}`).join('; ')}`);
  return times.map(median);
}

/** The account's archive as a file (a plain backup): what wormhole sends, byte for byte. */
async function backupOf(side: Side, accountId: string, dir: string): Promise<{ file: string; bytes: number }> {
  const file = path.join(dir, `${accountId}.gz`);
  if (!(await side.client.call<boolean>('exportToFile', accountId, file, '', ''))) throw new Error(`backup of ${accountId} failed`);
  return { file, bytes: (await fs.stat(file)).size };
}

const mbps = (bytes: number, elapsedMs: number): number => bytes / 1e6 / (elapsedMs / 1000);

/** End to end with two CLIs against wormhole send/receive: the normal account and the big one. */
async function endToEnd(rows: ComparisonRow[], rig: WormholeRig, oldDevice: Side, newDevice: Side, dir: string): Promise<void> {
  const plain = await oldDevice.client.createAccount({ 'Account.alias': 'Plain' });
  const plainFile = await backupOf(oldDevice, plain, dir);
  const [ours, theirs] = await inTurn(RUNS, () => cliLink(oldDevice, newDevice, plain), () => rig.transfer(plainFile.file, plainFile.bytes));
  rows.push({ what: `normal account (${(plainFile.bytes / 1e3).toFixed(1)} KB), two CLIs end to end`, ours: ms(ours), theirs: `${ms(theirs)} wormhole`, ratio: ratio(ours, theirs), target: '<= 0.50' });

  const big = await createBigAccount(oldDevice.client, BIG_MB, 'Big');
  const bigFile = await backupOf(oldDevice, big.accountId, dir);
  const [bigOurs, bigTheirs] = await inTurn(BIG_RUNS, () => cliLink(oldDevice, newDevice, big.accountId), () => rig.transfer(bigFile.file, bigFile.bytes));
  const oursRate = mbps(bigFile.bytes, bigOurs);
  const label = `${BIG_MB} MB account (${(bigFile.bytes / 1e6).toFixed(1)} MB archive), two CLIs`;
  const theirsRate = mbps(bigFile.bytes, bigTheirs);
  rows.push({ what: `${label}: MB/s`, ours: `${oursRate.toFixed(1)} MB/s`, theirs: `${theirsRate.toFixed(1)} wormhole`, ratio: ratio(oursRate, theirsRate), target: '>= 1.00' });
  await datachannelFloor(1024 * 1024); // warm-up: libdatachannel makes its DTLS certificate once
  // A floor again: the best of a few (a connect that meets the DTLS race costs a run 1 s).
  const floor = await minimumOf(BIG_RUNS + 2, async () => {
    const { connectMs, transferMs } = await datachannelFloor(bigFile.bytes);
    return connectMs + transferMs;
  });
  const floorRate = mbps(bigFile.bytes, floor);
  rows.push({ what: `${label}: MB/s vs bare node-datachannel`, ours: `${oursRate.toFixed(1)} MB/s`, theirs: `${floorRate.toFixed(1)} bare`, ratio: ratio(oursRate, floorRate), target: '>= 0.70' });
  // What two CLIs cannot beat: the normal account's whole link (two node starts, D-Bus, DHT, ICE) plus the bare
  // transfer of these bytes, with nothing to inflate, check or write.
  const ceiling = mbps(bigFile.bytes, ours + floor);
  rows.push({ what: '  its ceiling: the normal account\'s CLI link + the bare transfer', ours: `${ceiling.toFixed(1)} MB/s`, theirs: `${theirsRate.toFixed(1)} wormhole`, ratio: ratio(ceiling, theirsRate), target: 'the floor' });
  rows.push({ what: '  the same ceiling against the bare transfer', ours: `${ceiling.toFixed(1)} MB/s`, theirs: `${floorRate.toFixed(1)} bare`, ratio: ratio(ceiling, floorRate), target: 'the floor' });
  // The same with the new device's work (hash, inflate, check, parse, write) done by a second process as it receives.
  const withWork = mbps(bigFile.bytes, ours + (await workFloor(await fs.readFile(bigFile.file), BIG_RUNS + 2)));
  rows.push({ what: "  its floor with the new device's work: that link + a bare transfer to a process that unpacks and writes it", ours: `${withWork.toFixed(1)} MB/s`, theirs: `${theirsRate.toFixed(1)} wormhole`, ratio: ratio(withWork, theirsRate), target: 'the floor' });
  await oldDevice.client.call('removeAccount', big.accountId);
}

/** `count` OpenDHT aesDecrypt (its argon2 KDF) at once in this process: one is the anchor of a password link; two
 *  at once is this machine's floor for it (both devices stretch the password at the same time, here on 2 cores). */
async function kdfs(count: number): Promise<number> {
  const sealed = await aesEncrypt(Buffer.from('one block'), PASSWORD);
  return medianOf(5, async () => {
    const start = performance.now();
    await Promise.all(Array.from({ length: count }, () => aesDecrypt(sealed, PASSWORD)));
    return performance.now() - start;
  });
}

async function daemonOnly(rows: ComparisonRow[], oldDevice: Side, newDevice: Side): Promise<void> {
  const guarded = await oldDevice.client.createAccount({ 'Account.alias': 'Guarded', 'Account.archivePassword': PASSWORD });
  const plain = await oldDevice.client.createAccount({ 'Account.alias': 'Daemon only' });
  await link(oldDevice, newDevice, guarded, PASSWORD); // warm-up
  const kdf = await kdfs(1);
  twoKdfsAtOnceMs = await kdfs(2);
  const password = await medianOf(PASSWORD_RUNS, () => link(oldDevice, newDevice, guarded, PASSWORD));
  rows.push({ what: 'password link (daemon only)', ours: ms(password), theirs: `${ms(kdf)} one KDF`, ratio: ratio(password, kdf), target: '<= 1.30' });

  await link(oldDevice, newDevice, plain); // warm-up
  const plainLink = await medianOf(LINK_RUNS, () => link(oldDevice, newDevice, plain));
  // The floor is the best of several: a bare connect that adds both sides' candidates at once meets libdatachannel's
  // DTLS race now and then (a 1 s retransmit; see PROTOCOL.md, "Why the importer waits for `ready`").
  const connect = await minimumOf(7, async () => (await datachannelFloor(1024)).connectMs);
  rows.push({ what: 'link without password (daemon only)', ours: ms(plainLink), theirs: `${ms(connect)} bare connect`, ratio: ratio(plainLink, connect), target: '<= 100 ms' });

  const token = await medianOf(LINK_RUNS, async () => {
    const start = performance.now();
    const imported = await startImport(newDevice);
    const elapsed = performance.now() - start;
    await newDevice.client.call('removeAccount', imported.accountId);
    return elapsed;
  });
  const roundTrip = await medianOf(LINK_RUNS, async () => {
    const start = performance.now();
    await newDevice.client.call('getAccountList');
    return performance.now() - start;
  });
  rows.push({ what: 'addAccount -> token', ours: ms(token), theirs: `${ms(roundTrip)} D-Bus call`, ratio: ratio(token, roundTrip), target: '<= 20 ms' });
  for (const id of [guarded, plain]) await oldDevice.client.call('removeAccount', id);
}

async function cliStart(rows: ComparisonRow[], oldDevice: Side): Promise<void> {
  const bareNode = () => timeToExit(process.execPath, ['-e', '0']);
  const helpFloor = () => timeToExit(process.execPath, [FLOOR_CLI_HELP]);
  const [help, nodeForHelp, commanderHelp] = await inTurn(RUNS * 2, () => timeToExit(process.execPath, [JAMI_LINK_BIN, '--help']), bareNode, helpFloor);
  rows.push({ what: 'jami-link --help', ours: ms(help), theirs: `${ms(nodeForHelp)} node -e 0`, ratio: ratio(help, nodeForHelp), target: '<= 100 ms' });
  rows.push({ what: '  its floor: node + commander, printing a help text', ours: ms(commanderHelp), theirs: `${ms(nodeForHelp)} node -e 0`, ratio: ratio(commanderHelp, nodeForHelp), target: 'the floor' });
  const accounts = () => timeToExit(process.execPath, [JAMI_LINK_BIN, '--bus', oldDevice.bus.address, 'accounts']);
  const floorCall = () => timeToExit(process.execPath, [FLOOR_CLI_CALL, '--bus', oldDevice.bus.address]);
  const [listed, nodeForAccounts, floor] = await inTurn(RUNS * 2, accounts, bareNode, floorCall);
  rows.push({ what: 'jami-link accounts (running daemon)', ours: ms(listed), theirs: `${ms(nodeForAccounts)} node -e 0`, ratio: ratio(listed, nodeForAccounts), target: '<= 100 ms' });
  rows.push({ what: '  its floor: node + commander + dbus-next, one call', ours: ms(floor), theirs: `${ms(nodeForAccounts)} node -e 0`, ratio: ratio(floor, nodeForAccounts), target: 'the floor' });
}

/** Daemon start to its bus name, against a bare node + dbus-next that owns a name; both processes' idle RSS.
 *  The daemons started and stopped here use a dhtnode of their own: left in the links' DHT as dead nodes, they
 *  would cost the next links' DHT rounds their time-outs (~1 s; seen on a link of the growth curve). */
async function daemonStart(rows: ComparisonRow[]): Promise<void> {
  const network = await startLinkNetwork();
  const bootstrap = network.dht.bootstrap;
  const bus = await startTestBus();
  const watch = await NameWatch.connect(bus.address);
  const daemonRss: number[] = [];
  const bareRss: number[] = [];
  try {
    const startDaemon = async () => {
      let daemon: RunningDaemon | undefined;
      const { ms: elapsed } = await watch.owned('cx.ring.Ring', () => {
        daemon = spawnDaemon({ busAddress: bus.address, bootstrap, dataDir: path.join(tempDir('jami-linkd-bench-'), 'data'), extraArgs: DAEMON_ARGS });
        return daemon.child;
      });
      const client = await TestClient.connect(bus.address);
      await client.call('getAccountList');
      client.close();
      daemonRss.push(rssMb(daemon!.child.pid!));
      await daemon!.stop();
      return elapsed;
    };
    const startBare = (rss: number[], ...extra: string[]) => async () => {
      const { ms: elapsed, child } = await watch.owned('bench.bare.Name', () => spawn(process.execPath, [BARE_BUS_NAME, bus.address, 'bench.bare.Name', ...extra], { stdio: 'ignore' }));
      rss.push(rssMb(child.pid!));
      await stopProcess(child);
      return elapsed;
    };
    const stackRss: number[] = [];
    const [ours, bare, stack] = await inTurn(START_RUNS, startDaemon, startBare(bareRss), startBare(stackRss, '--with-stack'));
    rows.push({ what: 'daemon start -> bus name owned', ours: ms(ours), theirs: `${ms(bare)} bare node+dbus-next`, ratio: ratio(ours, bare), target: '<= 1.30' });
    rows.push({ what: '  its floor: commander, pino, opendht-node, dbus-next as the daemon loads them', ours: ms(stack), theirs: `${ms(bare)} bare node+dbus-next`, ratio: ratio(stack, bare), target: 'the floor' });
    // The first of each is inTurn's warm-up, a cold start.
    for (const samples of [daemonRss, bareRss, stackRss]) samples.shift();
    const rss = median(daemonRss);
    const bareMb = median(bareRss);
    rows.push({ what: 'idle RSS after start', ours: `${rss.toFixed(1)} MB`, theirs: `${bareMb.toFixed(1)} MB bare`, ratio: ratio(rss, bareMb), target: '<= 66 MB' });
    rows.push({ what: '  its floor: commander, pino, opendht-node, dbus-next as the daemon loads them', ours: `${median(stackRss).toFixed(1)} MB`, theirs: `${bareMb.toFixed(1)} MB bare`, ratio: ratio(median(stackRss), bareMb), target: 'the floor' });
  } finally {
    watch.close();
    await bus.stop();
    await network.stop();
  }
}

export async function benchSideBySide(): Promise<void> {
  console.log('\n== side by side: jami-linkd and magic-wormhole on loopback, one run (medians; ratios are what count) ==');
  const rig = PARTS.has('e2e') ? await startWormholeRig() : undefined;
  const network = await startLinkNetwork();
  const dir = tempDir('jami-link-bench-files-');
  let oldDevice: Side | undefined;
  let newDevice: Side | undefined;
  const rows: ComparisonRow[] = [];
  try {
    [oldDevice, newDevice] = await Promise.all([startSide(network.dht, { extraArgs: DAEMON_ARGS }), startSide(network.dht, { extraArgs: DAEMON_ARGS })]);
    if (rig) await endToEnd(rows, rig, oldDevice, newDevice, dir);
    if (PARTS.has('daemon')) await daemonOnly(rows, oldDevice, newDevice);
    if (PARTS.has('cli')) await cliStart(rows, oldDevice);
    if (PARTS.has('start')) await daemonStart(rows);
    if (PARTS.has('growth')) {
      rows.push(...(await sizeCurve(oldDevice, newDevice, GROWTH)));
      rows.push(...(await concurrencyCurve(oldDevice, newDevice, GROWTH)));
    }
  } finally {
    await stopSide(oldDevice);
    await stopSide(newDevice);
    await network.stop();
    await rig?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  }
  printComparison(rows, [
    `runs: ${RUNS} (CLI start ${RUNS * 2}, daemon start ${START_RUNS}, 50 MB ${BIG_RUNS}, password ${PASSWORD_RUNS}, daemon-only link and token ${LINK_RUNS}, growth ${GROWTH.runs}), after a warm-up; medians.`,
    `wormhole: send/receive with its own mailbox and transit relay on 127.0.0.1 in a network namespace, direct TCP on 127.0.0.1; entering the namespace costs each wormhole process ~${rig ? ms(rig.enterMs) : '-'} (counted in its figures).`,
    'bare connect: two node-datachannel peers in one process, signaling by function call (no DHT, no D-Bus); bare transfer: the same with 64 KB messages.',
    `one KDF: one OpenDHT aesDecrypt (argon2) in the bench process; two at once take ${ms(twoKdfsAtOnceMs)} here (the two devices stretch the password at the same time, on one machine). D-Bus call: getAccountList round trip; node -e 0: a bare node start.`,
    `bare connect: the best of 7, bare transfer the best of ${BIG_RUNS + 2} (connect included): the others may meet a 1 s DTLS retransmit.`,
    'growth: each point against the point before grown linearly (its time x the size or count ratio): above 1.00 is worse than linear.',
  ]);
}
