// Benchmark of opendht-node on a 3-node loopback network, side by side with python3-opendht
// (bench/dht_bench.py, same library, same measurements). Prints figures; never fails on time.
//
//   node dist/bench/dht-bench.js [--samples N] [--puts N]
//   env: OPENDHT_BENCH_SAMPLES, OPENDHT_BENCH_PUTS, OPENDHT_BENCH_PYTHON (default /usr/bin/python3)
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { DhtRunner, InfoHash, capabilities } from '../src/index.js';

interface Figures {
  impl: string;
  delivery_ms_median: number;
  get_ms_median: number;
  puts_per_s: number;
  puts_failed: number;
  samples: number;
  puts: number;
}

const PYTHON_SCRIPT = fileURLToPath(new URL('../../bench/dht_bench.py', import.meta.url));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

async function startNetwork(networkId: number): Promise<DhtRunner[]> {
  const nodes = [new DhtRunner(), new DhtRunner(), new DhtRunner()];
  for (const node of nodes) await node.run({ port: 0, bindIPv4: '127.0.0.1', ipv6: false, networkId });
  for (const node of nodes.slice(1)) await node.bootstrap('127.0.0.1', nodes[0].getBoundPort());
  return nodes;
}

/** Same warm-up as the python script: every node puts once, every node reads it. */
async function warmUp(nodes: DhtRunner[]): Promise<void> {
  for (const src of nodes) {
    const key = InfoHash.random();
    await src.put(key, 'warm-up');
    for (const dst of nodes) {
      const deadline = Date.now() + 10_000;
      while (!(await dst.get(key)).some((v) => v.data.toString() === 'warm-up')) {
        if (Date.now() > deadline) throw new Error('network did not come up');
      }
    }
  }
}

async function deliveryLatencies(sender: DhtRunner, receiver: DhtRunner, samples: number): Promise<number[]> {
  const key = InfoHash.random();
  const waiting = new Map<string, () => void>();
  const listener = receiver.listen(key, (values, expired) => {
    if (expired) return;
    for (const v of values) waiting.get(v.data.toString())?.();
  });
  await listener.ready;
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const payload = `bench-${i}`;
    const delivered = new Promise<void>((resolve) => waiting.set(payload, resolve));
    const start = performance.now();
    const put = sender.put(key, payload);
    await delivered;
    out.push(performance.now() - start);
    waiting.delete(payload);
    await put;
  }
  listener.cancel();
  return out;
}

async function getLatencies(writer: DhtRunner, reader: DhtRunner, samples: number): Promise<number[]> {
  const key = InfoHash.random();
  await writer.put(key, 'stored');
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    const values = await reader.get(key);
    out.push(performance.now() - start);
    if (values.length === 0) throw new Error('get found nothing');
  }
  return out;
}

async function putThroughput(node: DhtRunner, count: number): Promise<[number, number]> {
  const start = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: count }, (_, i) => node.put(InfoHash.random(), `put-${i}`)),
  );
  const elapsed = (performance.now() - start) / 1000;
  return [count / elapsed, results.filter((r) => r.status === 'rejected').length];
}

async function benchOurs(samples: number, puts: number): Promise<Figures> {
  const nodes = await startNetwork(randomInt(1_000_000, 2_000_000_000));
  try {
    await warmUp(nodes);
    const delivery = await deliveryLatencies(nodes[0], nodes[2], samples);
    const gets = await getLatencies(nodes[0], nodes[1], samples);
    const [rate, failed] = await putThroughput(nodes[1], puts);
    return {
      impl: 'opendht-node',
      delivery_ms_median: median(delivery),
      get_ms_median: median(gets),
      puts_per_s: rate,
      puts_failed: failed,
      samples,
      puts,
    };
  } finally {
    await Promise.all(nodes.map((n) => n.shutdown()));
  }
}

async function benchPython(python: string, samples: number, puts: number): Promise<Figures | string> {
  if (!existsSync(python)) return `${python} not found`;
  const child = spawn(
    python,
    [PYTHON_SCRIPT, '--samples', String(samples), '--puts', String(puts), '--network-id', String(randomInt(1_000_000, 2_000_000_000))],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  const line = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) return `python peer failed (exit ${code}): ${stderr.trim()}`;
  return JSON.parse(line) as Figures;
}

function fmt(x: number, digits = 3): string {
  return x.toFixed(digits);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { samples: { type: 'string' }, puts: { type: 'string' } },
  });
  const samples = Number(values.samples ?? process.env.OPENDHT_BENCH_SAMPLES ?? 200);
  const puts = Number(values.puts ?? process.env.OPENDHT_BENCH_PUTS ?? 1000);
  const python = process.env.OPENDHT_BENCH_PYTHON ?? '/usr/bin/python3';

  console.log(`opendht-node bench: OpenDHT ${capabilities.opendhtVersion}, 3 nodes on 127.0.0.1, ${samples} samples, ${puts} puts`);
  const ours = await benchOurs(samples, puts);
  const theirs = await benchPython(python, samples, puts);

  const rows: [string, string, number, number | undefined, 'lower' | 'higher'][] = [
    ['put -> listen delivery, median', 'ms', ours.delivery_ms_median, typeof theirs === 'string' ? undefined : theirs.delivery_ms_median, 'lower'],
    ['get, median', 'ms', ours.get_ms_median, typeof theirs === 'string' ? undefined : theirs.get_ms_median, 'lower'],
    [`${puts} concurrent puts`, 'ops/s', ours.puts_per_s, typeof theirs === 'string' ? undefined : theirs.puts_per_s, 'higher'],
  ];
  console.log('');
  console.log(`${'measure'.padEnd(34)} ${'opendht-node'.padStart(14)} ${'python3-opendht'.padStart(16)} ${'ours/theirs'.padStart(12)}`);
  for (const [name, unit, mine, other, better] of rows) {
    const ratio = other === undefined ? 'n/a' : fmt(mine / other, 2);
    console.log(
      `${`${name} (${unit})`.padEnd(34)} ${fmt(mine).padStart(14)} ${(other === undefined ? 'n/a' : fmt(other)).padStart(16)} ${ratio.padStart(12)}  (${better} is better)`,
    );
  }
  if (ours.puts_failed) console.log(`opendht-node: ${ours.puts_failed} puts failed`);
  if (typeof theirs === 'string') console.log(`python3-opendht: ${theirs}`);
  else if (theirs.puts_failed) console.log(`python3-opendht: ${theirs.puts_failed} puts failed`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
