// Where a daemon-only link's time goes: two daemons with JAMI_LINKD_TRACE=1 (timed debug lines for every DHT
// round and slow accounts call, sub-millisecond log times) run K links; their log lines, merged into one
// timeline from the addDevice call, are printed for the median link, then each step's median over the K links.
//
//   npm run build && BENCH_ONLY=trace node dist/bench/run.js        (BENCH_TRACE_LINKS=K, default 9)
//   BENCH_TRACE_PASSWORD=1: an account with a password (the KDFs show up as 'archive opened', 'account stored').
//   BENCH_TRACE_MB=50: an account of that many MB of data (test/support/big-archive.ts) instead of a normal one.

import { startLinkNetwork, startSide, stopSide, startImport, type Side } from '../test/support/link-fixture.js';
import { createBigAccount } from '../test/support/big-archive.js';
import { linkWithToken } from './link.js';
import { median } from './stats.js';

const LINKS = Number(process.env.BENCH_TRACE_LINKS ?? 9);
const PASSWORD = process.env.BENCH_TRACE_PASSWORD === '1' ? 'trace password' : undefined;
const MEGABYTES = Number(process.env.BENCH_TRACE_MB ?? 0);
/** Fields that say which step a line is, beyond its message. */
const LABEL_FIELDS = ['step', 'state', 'machine'] as const;
const SHOWN_FIELDS = ['ms', 'sinceListen', 'bytes', 'candidates', 'unpackMs', 'deviceKeyWaitMs', 'sealMs', 'writeMs', 'peerAddressType'] as const;

interface TraceLine {
  /** ms from the addDevice call. */
  at: number;
  label: string;
  shown: string;
}

const now = (): number => performance.timeOrigin + performance.now();

function linesOf(side: 'old' | 'new', logs: readonly string[], from: number, t0: number): TraceLine[] {
  const seen = new Map<string, number>();
  const lines: TraceLine[] = [];
  for (const text of logs.slice(from)) {
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(text) as Record<string, unknown>;
    } catch {
      continue;
    }
    const base = `${side} ${[entry.msg, ...LABEL_FIELDS.map((field) => entry[field])].filter((part) => part !== undefined && part !== 'trace').join(' ')}`;
    const count = (seen.get(base) ?? 0) + 1;
    seen.set(base, count);
    const shown = SHOWN_FIELDS.filter((field) => entry[field] !== undefined).map((field) => `${field}=${String(entry[field])}`).join(' ');
    lines.push({ at: Number(entry.time) - t0, label: count > 1 ? `${base} #${count}` : base, shown });
  }
  return lines;
}

async function tracedLink(oldDevice: Side, newDevice: Side, accountId: string): Promise<{ total: number; lines: TraceLine[] }> {
  const imported = await startImport(newDevice);
  const [oldFrom, newFrom] = [oldDevice.daemon.logs.length, newDevice.daemon.logs.length];
  const t0 = now();
  const total = await linkWithToken(oldDevice, newDevice, accountId, imported, PASSWORD);
  await newDevice.client.call('removeAccount', imported.accountId);
  const lines = [...linesOf('old', oldDevice.daemon.logs, oldFrom, t0), ...linesOf('new', newDevice.daemon.logs, newFrom, t0)]
    .filter((line) => line.at <= total + 1)
    .sort((a, b) => a.at - b.at);
  return { total, lines };
}

export async function benchLinkTrace(): Promise<void> {
  const kind = `${PASSWORD ? ', with a password' : ''}${MEGABYTES > 0 ? `, ${MEGABYTES} MB account` : ''}`;
  console.log(`\n== where a daemon-only link's time goes (JAMI_LINKD_TRACE=1, ${LINKS} links${kind}; ms from addDevice) ==`);
  const network = await startLinkNetwork();
  const options = { env: { JAMI_LINKD_TRACE: '1' }, extraArgs: ['--log-level', 'debug'] };
  let oldDevice: Side | undefined;
  let newDevice: Side | undefined;
  try {
    [oldDevice, newDevice] = await Promise.all([startSide(network.dht, options), startSide(network.dht, options)]);
    if (MEGABYTES > 0 && PASSWORD) throw new Error('BENCH_TRACE_MB and BENCH_TRACE_PASSWORD: one or the other');
    const accountId =
      MEGABYTES > 0
        ? (await createBigAccount(oldDevice.client, MEGABYTES, 'Trace big')).accountId
        : await oldDevice.client.createAccount({ 'Account.alias': 'Trace', ...(PASSWORD ? { 'Account.archivePassword': PASSWORD } : {}) });
    await tracedLink(oldDevice, newDevice, accountId); // warm-up
    const runs: Array<{ total: number; lines: TraceLine[] }> = [];
    for (let i = 0; i < LINKS; i++) runs.push(await tracedLink(oldDevice, newDevice, accountId));

    const middle = [...runs].sort((a, b) => a.total - b.total)[Math.floor(runs.length / 2)];
    console.log(`-- the median link (${middle.total.toFixed(1)} ms):`);
    for (const line of middle.lines) console.log(`${line.at.toFixed(1).padStart(8)}  ${line.label.padEnd(56)} ${line.shown}`);

    console.log(`-- each step's median over ${runs.length} links (links: ${runs.map((run) => run.total.toFixed(0)).join(', ')} ms):`);
    const byLabel = new Map<string, number[]>();
    for (const run of runs) for (const line of run.lines) byLabel.set(line.label, [...(byLabel.get(line.label) ?? []), line.at]);
    const steps = [...byLabel].filter(([, ats]) => ats.length >= runs.length / 2).map(([label, ats]) => ({ label, at: median(ats), seen: ats.length }));
    for (const step of steps.sort((a, b) => a.at - b.at)) console.log(`${step.at.toFixed(1).padStart(8)}  ${step.label.padEnd(56)} (${step.seen}/${runs.length})`);
  } finally {
    await stopSide(oldDevice);
    await stopSide(newDevice);
    await network.stop();
  }
}
