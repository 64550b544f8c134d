// Link benchmark on loopback with a local DHT: token latency, whole links without and with a password,
// a 50 MB archive (MB/s), against the floor of a bare node-datachannel connect + transfer.
// Prints medians and our/floor ratios; never fails on time.

import { startLinkNetwork, startSide, stopSide, startImport, startExport, type Side } from '../test/support/link-fixture.js';
import { createBigAccount } from '../test/support/big-archive.js';
import { datachannelFloor } from './datachannel-floor.js';
import { median, ms, row, timed } from './stats.js';

const RUNS = Number(process.env.BENCH_LINK_RUNS ?? 15);
const PASSWORD_RUNS = Number(process.env.BENCH_LINK_PASSWORD_RUNS ?? 3);
const BIG_MB = Number(process.env.BENCH_LINK_BIG_MB ?? 50);
const BIG_RUNS = Number(process.env.BENCH_LINK_BIG_RUNS ?? 3);

/** One whole link; resolves with the time from addDevice to DONE on both sides (the token is ready before). */
export async function link(oldDevice: Side, newDevice: Side, accountId: string, password?: string): Promise<number> {
  const imported = await startImport(newDevice);
  const elapsed = await linkWithToken(oldDevice, newDevice, accountId, imported, password);
  await newDevice.client.call('removeAccount', imported.accountId);
  return elapsed;
}

/** The link of an import whose token is shown: addDevice, both users' answers (with the password, if any), as
 *  Jami's clients send them, until DONE on both sides. Resolves with the time from addDevice to both DONE. */
export async function linkWithToken(
  oldDevice: Side,
  newDevice: Side,
  accountId: string,
  imported: Awaited<ReturnType<typeof startImport>>,
  password?: string,
): Promise<number> {
  const start = performance.now();
  const exported = await startExport(oldDevice, accountId, imported.token);
  await exported.recorder.waitFor(3, 120000);
  await oldDevice.client.call('confirmAddDevice', accountId, exported.opId);
  await imported.recorder.waitFor(3, 120000);
  await newDevice.client.call('provideAccountAuthentication', imported.accountId, password ?? '', password ? 'password' : '');
  const [a, b] = await Promise.all([imported.recorder.waitFor(5, 300000), exported.recorder.waitFor(5, 300000)]);
  const elapsed = performance.now() - start;
  if (a.error !== '' || b.error !== '') throw new Error(`link failed: ${a.error} / ${b.error}`);
  return elapsed;
}

export async function benchLink(): Promise<void> {
  console.log('\n== link (two daemons, local dhtnode, WebRTC on loopback, RSA-2048 keys) ==');
  const network = await startLinkNetwork();
  const [oldDevice, newDevice] = await Promise.all([startSide(network.dht), startSide(network.dht)]);
  try {
    const plain = await oldDevice.client.createAccount({ 'Account.alias': 'Bench' });
    const guarded = await oldDevice.client.createAccount({ 'Account.alias': 'Bench pw', 'Account.archivePassword': 'bench password' });

    const tokenTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const [elapsed, imported] = await timed(() => startImport(newDevice));
      tokenTimes.push(elapsed);
      await newDevice.client.call('removeAccount', imported.accountId);
    }
    row('addAccount -> token (median)', ms(median(tokenTimes)), 'target <= 50 ms');

    await link(oldDevice, newDevice, plain); // warm-up
    const linkTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) linkTimes.push(await link(oldDevice, newDevice, plain));
    row('link without password: addDevice..both DONE', ms(median(linkTimes)), 'target <= 300 ms');

    const passwordTimes: number[] = [];
    for (let i = 0; i < PASSWORD_RUNS; i++) passwordTimes.push(await link(oldDevice, newDevice, guarded, 'bench password'));
    row('link with password (median)', ms(median(passwordTimes)), 'argon2 on both sides');

    await datachannelFloor(1024 * 1024); // warm-up: libdatachannel makes its DTLS certificate once
    const floor = await datachannelFloor(1024 * 1024);
    row('floor: bare node-datachannel connect (1 MB)', ms(floor.connectMs));
    row('ratio link / floor connect', (median(linkTimes) / floor.connectMs).toFixed(1));

    const big = await createBigAccount(oldDevice.client, BIG_MB, 'Bench big');
    const bigTimes: number[] = [];
    for (let i = 0; i < BIG_RUNS; i++) bigTimes.push(await link(oldDevice, newDevice, big.accountId));
    const megabytes = big.archiveBytes / (1024 * 1024);
    const ours = megabytes / (median(bigTimes) / 1000);
    const floorBig = await datachannelFloor(big.archiveBytes);
    const floorRate = megabytes / (floorBig.transferMs / 1000);
    row(`link with a ${megabytes.toFixed(1)} MB archive (median)`, ms(median(bigTimes)), `${ours.toFixed(1)} MB/s end to end`);
    row(`floor: bare transfer of ${megabytes.toFixed(1)} MB`, ms(floorBig.transferMs), `${floorRate.toFixed(1)} MB/s`);
    row('ratio ours / floor MB/s', (ours / floorRate).toFixed(2), 'target >= 0.5');
  } finally {
    await stopSide(oldDevice);
    await stopSide(newDevice);
    await network.stop();
  }
}
