// Issue #7, load: many links at once between two daemons (each on a different account of the old device),
// then many links in sequence. Every link must succeed on both sides, and neither daemon may keep what the
// links used: open fds, EventEmitter listeners, active handles/timers and threads return to their warm
// baseline, and the heap (after a full GC) and RSS grow by less than the stated bounds. Figures are printed.
// CI counts are small; `npm run test:stress` sets JAMI_LINKD_LOAD_CONCURRENT=50 JAMI_LINKD_LOAD_SEQUENTIAL=1000.

import assert from 'node:assert/strict';
import { probeDaemon, probeEnv, type ProbeReport } from '../support/daemon-probe.js';
import { startLinkNetwork, startSide, stopSide, type LinkNetwork, type Side } from '../support/link-fixture.js';
import { LinkSignalLog, beginExport, beginImport, exportKey, importKey } from '../support/link-signals.js';

const CONCURRENT = Number(process.env.JAMI_LINKD_LOAD_CONCURRENT ?? 10);
const SEQUENTIAL = Number(process.env.JAMI_LINKD_LOAD_SEQUENTIAL ?? 30);
const WARMUP = 5;
const LINK_MS = 120000;

/** What may remain after the links, over the warm baseline (per daemon). */
const BOUNDS = {
  fds: 10,
  listeners: 5,
  resources: 5,
  threads: 4,
  /** Live JS heap after a full GC. */
  heapMB: 8,
  /**
   * RSS, per phase: 40 MB + 60 KB per link. Under load V8 commits up to ~30 MB more heap (given back when idle)
   * and native memory grows ~20 KB per link, as the plain dhtnode's does (~11 KB per link): every node of this
   * 3-node DHT stores each link's signaling values for their 10-minute lifetime.
   */
  rssMB: (links: number) => 40 + 0.06 * links,
};

interface Device {
  name: string;
  side: Side;
  log: LinkSignalLog;
}

interface PhaseFigures {
  phase: string;
  links: number;
  seconds: number;
  medianMs: number;
  p95Ms: number;
  before: Record<string, ProbeReport>;
  after: Record<string, ProbeReport>;
}

describe(`load: ${CONCURRENT} links at once, ${SEQUENTIAL} in sequence, nothing kept afterwards`, function () {
  this.timeout(Math.max(300000, SEQUENTIAL * 3000 + CONCURRENT * 5000));
  let network: LinkNetwork;
  let oldDevice: Device;
  let newDevice: Device;
  let accounts: string[] = [];
  const figures: PhaseFigures[] = [];

  async function start(name: string): Promise<Device> {
    const side = await startSide(network.dht, { env: probeEnv(), extraArgs: ['--max-pending-imports', String(Math.max(16, CONCURRENT))] });
    return { name, side, log: new LinkSignalLog(side.client) };
  }

  before(async function () {
    this.timeout(300000);
    network = await startLinkNetwork();
    [oldDevice, newDevice] = await Promise.all([start('old device'), start('new device')]);
    // Account creation costs three RSA keys each: all of them up front, outside the measured phases.
    accounts = await Promise.all(
      Array.from({ length: Math.max(CONCURRENT, 1) }, (_, i) => oldDevice.side.client.createAccount({ 'Account.alias': `Load ${i}` })),
    );
  });

  after(async function () {
    this.timeout(60000);
    printFigures(figures);
    for (const device of [newDevice, oldDevice]) {
      if (!device) continue;
      device.log.detach();
      await stopSide(device.side);
    }
    await network?.stop();
  });

  /** One whole link, start to end; both sides must end with "". Returns its duration. */
  async function link(accountId: string): Promise<number> {
    const started = performance.now();
    const imported = await beginImport(newDevice.side.client, newDevice.log, {}, LINK_MS);
    const iKey = importKey(imported.accountId);
    const opId = await beginExport(oldDevice.side.client, accountId, imported.token);
    const eKey = exportKey(accountId, opId);
    // State 3 (confirm), or an early DONE: then fail at once with what happened.
    await oldDevice.log.waitUntil(eKey, (states) => states.some(({ state }) => state === 3 || state === 5), LINK_MS, `${eKey} to reach state 3`);
    assert.equal(oldDevice.log.current(eKey), 3, `export ${accountId}/${opId}: ${JSON.stringify(oldDevice.log.states(eKey))}`);
    assert.equal(await oldDevice.side.client.call('confirmAddDevice', accountId, opId), true);
    await newDevice.log.waitFor(iKey, 3, LINK_MS);
    assert.equal(await newDevice.side.client.call('provideAccountAuthentication', imported.accountId, '', ''), true, 'consent');
    const [importDone, exportDone] = await Promise.all([newDevice.log.waitFor(iKey, 5, LINK_MS), oldDevice.log.waitFor(eKey, 5, LINK_MS)]);
    assert.deepEqual(importDone.details, { error: '' }, `import ${imported.accountId}: ${JSON.stringify(newDevice.log.states(iKey))}`);
    assert.deepEqual(exportDone.details, { error: '' }, `export ${accountId}/${opId}: ${JSON.stringify(oldDevice.log.states(eKey))}`);
    assert.deepEqual(newDevice.log.states(iKey).map(([state]) => state), [1, 2, 3, 4, 4, 5]);
    assert.deepEqual(oldDevice.log.states(eKey).map(([state]) => state), [2, 3, 4, 5]);
    const elapsed = performance.now() - started;
    // The linked account has served its purpose: the new device goes back to its steady state.
    await newDevice.side.client.call('removeAccount', imported.accountId);
    newDevice.log.forget(iKey);
    oldDevice.log.forget(eKey);
    return elapsed;
  }

  async function probeBoth(): Promise<Record<string, ProbeReport>> {
    const [oldReport, newReport] = await Promise.all([probeDaemon(oldDevice.side.daemon), probeDaemon(newDevice.side.daemon)]);
    return { [oldDevice.name]: oldReport, [newDevice.name]: newReport };
  }

  function checkBounds(phase: PhaseFigures): void {
    for (const name of Object.keys(phase.before)) {
      const before = phase.before[name];
      const after = phase.after[name];
      const what = `${name}, after ${phase.phase}`;
      assert.ok(after.fds <= before.fds + BOUNDS.fds, `${what}: ${after.fds} fds (baseline ${before.fds})`);
      assert.ok(after.listeners <= before.listeners + BOUNDS.listeners, `${what}: ${after.listeners} listeners (baseline ${before.listeners}): ${grown(before.byEvent, after.byEvent)}`);
      assert.ok(total(after.resources) <= total(before.resources) + BOUNDS.resources, `${what}: resources ${JSON.stringify(after.resources)} (baseline ${JSON.stringify(before.resources)})`);
      assert.ok(after.threads <= before.threads + BOUNDS.threads, `${what}: ${after.threads} threads (baseline ${before.threads})`);
      assert.ok(after.heapUsedMB - before.heapUsedMB <= BOUNDS.heapMB, `${what}: heap ${after.heapUsedMB} MB (baseline ${before.heapUsedMB} MB)`);
      assert.ok(after.rssMB - before.rssMB <= BOUNDS.rssMB(phase.links), `${what}: RSS ${after.rssMB} MB (baseline ${before.rssMB} MB, bound +${BOUNDS.rssMB(phase.links)} MB)`);
    }
    for (const device of [oldDevice, newDevice]) {
      const warnings = device.side.daemon.logs.filter((line) => line.includes('MaxListenersExceededWarning'));
      assert.deepEqual(warnings, [], `${device.name}: listener warnings`);
    }
  }

  async function phase(name: string, links: number, run: (durations: number[]) => Promise<void>): Promise<PhaseFigures> {
    const before = await probeBoth();
    const durations: number[] = [];
    const started = performance.now();
    await run(durations);
    const seconds = (performance.now() - started) / 1000;
    const after = await probeBoth();
    durations.sort((a, b) => a - b);
    const figure: PhaseFigures = {
      phase: name,
      links,
      seconds,
      medianMs: durations[Math.floor(durations.length / 2)] ?? 0,
      p95Ms: durations[Math.min(durations.length - 1, Math.floor(durations.length * 0.95))] ?? 0,
      before,
      after,
    };
    figures.push(figure);
    return figure;
  }

  it(`warms up with ${WARMUP} links in sequence and one round of ${Math.min(CONCURRENT, WARMUP)} at once`, async () => {
    const warm = await phase('warm-up', WARMUP + Math.min(CONCURRENT, WARMUP), async (durations) => {
      for (let i = 0; i < WARMUP; i++) durations.push(await link(accounts[i % accounts.length]));
      durations.push(...(await Promise.all(accounts.slice(0, Math.min(CONCURRENT, WARMUP)).map((accountId) => link(accountId)))));
    });
    assert.equal(warm.links, WARMUP + Math.min(CONCURRENT, WARMUP));
  });

  it(`runs ${CONCURRENT} links at once between two daemons, one per account: all succeed, nothing kept`, async () => {
    const figure = await phase(`${CONCURRENT} at once`, CONCURRENT, async (durations) => {
      durations.push(...(await Promise.all(accounts.slice(0, CONCURRENT).map((accountId) => link(accountId)))));
    });
    checkBounds(figure);
  });

  it(`runs ${SEQUENTIAL} links in sequence: all succeed, nothing kept`, async () => {
    const figure = await phase(`${SEQUENTIAL} in sequence`, SEQUENTIAL, async (durations) => {
      for (let i = 0; i < SEQUENTIAL; i++) durations.push(await link(accounts[i % accounts.length]));
    });
    checkBounds(figure);
  });
});

/** The listener kinds that grew, "Class.event before->after". */
function grown(before: Record<string, number>, after: Record<string, number>): string {
  return Object.keys(after)
    .filter((key) => after[key] > (before[key] ?? 0))
    .map((key) => `${key} ${before[key] ?? 0}->${after[key]}`)
    .join(', ');
}

function total(resources: Record<string, number>): number {
  return Object.values(resources).reduce((sum, count) => sum + count, 0);
}

function printFigures(figures: readonly PhaseFigures[]): void {
  if (figures.length === 0) return;
  const header = ['phase', 'links', 'time', 'median', 'p95', 'daemon', 'fds', 'listeners', 'handles+timers', 'threads', 'heap used MB', 'V8 heap total MB', 'RSS MB'];
  const rows: string[][] = [];
  const change = (before: number, after: number) => `${before} -> ${after} (${after - before >= 0 ? '+' : ''}${Math.round((after - before) * 10) / 10})`;
  for (const figure of figures) {
    for (const name of Object.keys(figure.before)) {
      const before = figure.before[name];
      const after = figure.after[name];
      rows.push([
        figure.phase,
        String(figure.links),
        `${figure.seconds.toFixed(1)} s`,
        `${figure.medianMs.toFixed(0)} ms`,
        `${figure.p95Ms.toFixed(0)} ms`,
        name,
        change(before.fds, after.fds),
        change(before.listeners, after.listeners),
        change(total(before.resources), total(after.resources)),
        change(before.threads, after.threads),
        change(before.heapUsedMB, after.heapUsedMB),
        change(before.heapTotalMB, after.heapTotalMB),
        change(before.rssMB, after.rssMB),
      ]);
    }
  }
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const format = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  console.log(
    [
      '',
      `Load figures (each daemon, probed after a full GC; before -> after each phase). Bounds after a phase: fds +${BOUNDS.fds}, ` +
        `listeners +${BOUNDS.listeners}, handles+timers +${BOUNDS.resources}, threads +${BOUNDS.threads}, heap used +${BOUNDS.heapMB} MB, RSS +40 MB + 60 KB/link`,
      format(header),
      `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
      ...rows.map(format),
      '',
    ].join('\n'),
  );
}
