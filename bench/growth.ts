// How a link's cost grows (daemon only, addDevice to both DONE): with the account's size (10 KB to 50 MB of
// account data) and with links run at once (1, 10, 50, each its own account). Each point is set against the
// point before it grown linearly (its time x the size or count ratio): a ratio above 1 is a step worse than linear.

import { startImport, type Side } from '../test/support/link-fixture.js';
import { createBigAccount } from '../test/support/big-archive.js';
import { linkWithToken, link } from './link.js';
import { median, ms, ratio, type ComparisonRow } from './stats.js';

export interface GrowthOptions {
  /** Account data sizes in MB (the archive's JSON; 0.01 = 10 KB). */
  sizesMb: number[];
  concurrency: number[];
  runs: number;
}

interface Point {
  label: string;
  /** The size (bytes) or count this point stands for. */
  amount: number;
  ms: number;
}

function rowsOf(what: string, points: readonly Point[], unit: (point: Point) => string): ComparisonRow[] {
  return points.map((point, index) => {
    const before = points[index - 1];
    const linear = before === undefined ? NaN : before.ms * (point.amount / before.amount);
    return {
      what: `${what} ${point.label}`,
      ours: `${ms(point.ms)}${unit(point)}`,
      theirs: before === undefined ? '-' : `${ms(linear)} linear`,
      ratio: before === undefined ? '-' : ratio(point.ms, linear),
      target: before === undefined ? 'the curve' : '<= 1.00',
    };
  });
}

const sizeLabel = (bytes: number): string => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(0)} KB`);

/** Links of accounts of each size, `runs` times each (after one warm-up of the smallest). */
export async function sizeCurve(oldDevice: Side, newDevice: Side, options: GrowthOptions): Promise<ComparisonRow[]> {
  const points: Point[] = [];
  for (const megabytes of options.sizesMb) {
    const big = await createBigAccount(oldDevice.client, megabytes, `Growth ${megabytes}`);
    if (points.length === 0) await link(oldDevice, newDevice, big.accountId);
    const times: number[] = [];
    for (let i = 0; i < options.runs; i++) times.push(await link(oldDevice, newDevice, big.accountId));
    points.push({ label: `(${sizeLabel(big.archiveBytes)} archive)`, amount: big.archiveBytes, ms: median(times) });
    await oldDevice.client.call('removeAccount', big.accountId);
  }
  return rowsOf('growth: link of a', points, (point) =>
    point.amount >= 1e6 ? `, ${(point.amount / 1e6 / (point.ms / 1000)).toFixed(1)} MB/s` : '',
  );
}

/** `count` links at once between the two daemons, one account each: ms from the first addDevice to the last DONE
 *  (the tokens are shown before the clock starts). */
async function concurrentLinks(oldDevice: Side, newDevice: Side, accounts: readonly string[]): Promise<number> {
  const imports = await Promise.all(accounts.map(() => startImport(newDevice)));
  const start = performance.now();
  await Promise.all(accounts.map((account, index) => linkWithToken(oldDevice, newDevice, account, imports[index])));
  const elapsed = performance.now() - start;
  for (const imported of imports) await newDevice.client.call('removeAccount', imported.accountId);
  return elapsed;
}

/** The new device must admit max(concurrency) pending imports (--max-pending-imports). */
export async function concurrencyCurve(oldDevice: Side, newDevice: Side, options: GrowthOptions): Promise<ComparisonRow[]> {
  const most = Math.max(...options.concurrency);
  const accounts: string[] = [];
  for (let i = 0; i < most; i++) accounts.push(await oldDevice.client.createAccount({ 'Account.alias': `Concurrent ${i}` }));
  const points: Point[] = [];
  for (const count of options.concurrency) {
    const times: number[] = [];
    for (let i = 0; i < options.runs; i++) times.push(await concurrentLinks(oldDevice, newDevice, accounts.slice(0, count)));
    points.push({ label: `${count} at once`, amount: count, ms: median(times) });
  }
  for (const account of accounts) await oldDevice.client.call('removeAccount', account);
  return rowsOf('growth: links', points, (point) => (point.amount > 1 ? ` (${ms(point.ms / point.amount)} each)` : ''));
}
