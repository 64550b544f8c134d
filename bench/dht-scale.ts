// Links through DHTs of growing size: for each swarm size (10, 100, 500 nodes on loopback), two daemons
// bootstrapped to two swarm nodes far apart in the id space run K links; prints the swarm's cost and, per
// size, the success rate and the median link time (addDevice to DONE on both sides). Never fails on time.
//
// In `npm run bench` (BENCH_ONLY=scale for this one alone), or by itself:
//   node dist/bench/dht-scale.js [--links K] [--sizes 10,100,500]
// Environment: BENCH_SCALE_LINKS, BENCH_SCALE_SIZES.

import { pathToFileURL } from 'node:url';
import { startSide, stopSide, startImport, startExport, type ExportRecorder, type ImportRecorder, type Side } from '../test/support/link-fixture.js';
import { withTimeout } from '../test/support/wait.js';
import { startDhtSwarm, farApart, bootstrapOf } from '../test/support/dht-swarm.js';
import { median, ms } from './stats.js';

const STEP_TIMEOUT_MS = 60000;

export interface ScaleOptions {
  links: number;
  sizes: number[];
}

/** `--links K` / `--sizes a,b,c` on the command line win over the environment. */
export function scaleOptions(argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): ScaleOptions {
  const flag = (name: string): string | undefined => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const linksText = flag('--links') ?? env.BENCH_SCALE_LINKS ?? '5';
  const sizesText = flag('--sizes') ?? env.BENCH_SCALE_SIZES ?? '10,100,500';
  const links = Number(linksText);
  const sizes = sizesText.split(',').map(Number);
  if (!Number.isInteger(links) || links < 1 || links > 1000) throw new Error(`--links must be an integer from 1 to 1000, not "${linksText}"`);
  if (sizes.some((size) => !Number.isInteger(size) || size < 2 || size > 5000)) {
    throw new Error(`--sizes must be integers from 2 to 5000, comma-separated, not "${sizesText}"`);
  }
  return { links, sizes };
}

interface LinkOutcome {
  ms: number;
  /** '' when both sides ended DONE with error ''; otherwise what went wrong. */
  failure: string;
}

/** The first of `wanted` states the recorder has seen or sees next (a failed side ends in 5, not 3). */
function firstOf(recorder: ImportRecorder | ExportRecorder, event: string, wanted: readonly number[]): Promise<number> {
  let check = () => {};
  const reached = new Promise<number>((resolve) => {
    check = () => {
      const found = recorder.states.find(([state]) => wanted.includes(state));
      if (found) resolve(found[0]);
    };
    // Registered after the recorder's own listener, so its states are up to date when this one runs.
    recorder.client.on(event, check);
    check();
  });
  return withTimeout(reached, STEP_TIMEOUT_MS, `${event} ${wanted.join(' or ')} after ${JSON.stringify(recorder.states)}`).finally(() =>
    recorder.client.off(event, check),
  );
}

/** One link; the token is ready before the clock starts, as in bench/link.ts. */
async function link(oldDevice: Side, newDevice: Side, accountId: string): Promise<LinkOutcome> {
  let importedAccount: string | undefined;
  let start = performance.now();
  try {
    const imported = await startImport(newDevice);
    importedAccount = imported.accountId;
    start = performance.now();
    const exported = await startExport(oldDevice, accountId, imported.token);
    if (exported.opId <= 0) return { ms: performance.now() - start, failure: `addDevice returned ${exported.opId}` };
    if ((await firstOf(exported.recorder, 'addDeviceStateChanged', [3, 5])) === 3) {
      await oldDevice.client.call('confirmAddDevice', accountId, exported.opId);
      if ((await firstOf(imported.recorder, 'deviceAuthStateChanged', [3, 5])) === 3) {
        await newDevice.client.call('provideAccountAuthentication', imported.accountId, '', '');
      }
    }
    const [a, b] = await Promise.all([imported.recorder.waitFor(5, STEP_TIMEOUT_MS), exported.recorder.waitFor(5, STEP_TIMEOUT_MS)]);
    const elapsed = performance.now() - start;
    return { ms: elapsed, failure: a.error === '' && b.error === '' ? '' : `import ${a.error}, export ${b.error}` };
  } catch (error) {
    return { ms: performance.now() - start, failure: (error as Error).message.slice(0, 300) };
  } finally {
    if (importedAccount) await newDevice.client.call('removeAccount', importedAccount).catch(() => undefined);
  }
}

interface SizeResult {
  nodes: number;
  processes: number;
  swarmStartMs: number;
  swarmRssMb: number;
  swarmThreads: number;
  outcomes: LinkOutcome[];
}

async function runSize(nodes: number, links: number): Promise<SizeResult> {
  const swarm = await startDhtSwarm({ nodes });
  let oldDevice: Side | undefined;
  let newDevice: Side | undefined;
  try {
    const [oldNode, newNode] = farApart(swarm.nodes);
    [oldDevice, newDevice] = await Promise.all([startSide({ bootstrap: bootstrapOf(oldNode) }), startSide({ bootstrap: bootstrapOf(newNode) })]);
    const accountId = await oldDevice.client.createAccount({ 'Account.alias': `Scale ${nodes}` });
    const outcomes: LinkOutcome[] = [];
    for (let i = 0; i < links; i += 1) {
      const outcome = await link(oldDevice, newDevice, accountId);
      if (outcome.failure) console.log(`  ${nodes} nodes, link ${i + 1}: failed after ${ms(outcome.ms)}: ${outcome.failure}`);
      outcomes.push(outcome);
    }
    return {
      nodes,
      processes: swarm.costs.length,
      swarmStartMs: swarm.startMs,
      swarmRssMb: swarm.costs.reduce((sum, cost) => sum + cost.rssMb, 0),
      swarmThreads: swarm.costs.reduce((sum, cost) => sum + cost.threads, 0),
      outcomes,
    };
  } finally {
    await stopSide(oldDevice);
    await stopSide(newDevice);
    await swarm.stop();
  }
}

function printTable(results: readonly SizeResult[]): void {
  const header = ['nodes', 'processes', 'swarm start', 'swarm RSS', 'threads', 'links ok', 'success', 'median link', 'slowest ok'];
  const rows = results.map((result) => {
    const ok = result.outcomes.filter((outcome) => outcome.failure === '').map((outcome) => outcome.ms);
    return [
      String(result.nodes),
      String(result.processes),
      ms(result.swarmStartMs),
      `${result.swarmRssMb.toFixed(0)} MB`,
      String(result.swarmThreads),
      `${ok.length}/${result.outcomes.length}`,
      `${((100 * ok.length) / result.outcomes.length).toFixed(0)} %`,
      ok.length ? ms(median(ok)) : '-',
      ok.length ? ms(Math.max(...ok)) : '-',
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padStart(widths[column])).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

export async function benchDhtScale(options: ScaleOptions = scaleOptions()): Promise<void> {
  console.log(`\n== links through DHT swarms on loopback (${options.links} links a size; daemons bootstrapped to two far-apart nodes) ==`);
  const results: SizeResult[] = [];
  for (const nodes of options.sizes) results.push(await runSize(nodes, options.links));
  printTable(results);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchDhtScale().then(
    () => process.exit(0),
    (error: Error) => {
      console.error(`dht-scale: ${error.message}`);
      process.exit(1);
    },
  );
}
