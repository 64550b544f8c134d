// Lifecycle: shutdown with work in flight, processes that must exit by themselves, and many
// runners created and stopped without leaking memory, threads, descriptors or handles.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { DhtRunner, InfoHash, OpenDhtError } from '../src/index.js';
import { ValueInbox, dataIs, startNetwork, startNode, stopAll, testNetworkId, waitFor, withTimeout } from './support/network.js';

const INDEX = fileURLToPath(new URL('../src/index.js', import.meta.url));

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs an ES module snippet in a child node; kills it (and fails) if it does not exit in time. */
async function runChild(source: string, ms: number): Promise<ChildResult> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', source], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, ms);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (c, s) => resolve([c, s])),
  );
  clearTimeout(timer);
  assert.ok(!timedOut, `child did not exit by itself within ${ms} ms\nstdout: ${stdout}\nstderr: ${stderr}`);
  return { code, signal, stdout, stderr, ms: Date.now() - started };
}

function childPrelude(): string {
  return `import { DhtRunner, InfoHash } from ${JSON.stringify(INDEX)};
const net = ${testNetworkId()};
const opts = { port: 0, bindIPv4: '127.0.0.1', ipv6: false, networkId: net };
const a = new DhtRunner(); const b = new DhtRunner();
await a.run(opts); await b.run(opts);
await b.bootstrap('127.0.0.1', a.getBoundPort());
const key = InfoHash.random();
let got;
const received = new Promise((resolve) => { got = resolve; });
const listener = b.listen(key, (values) => { if (values.some((v) => v.data.toString() === 'ping')) got(); });
await listener.ready;
await a.put(key, 'ping');
await received;
console.log('received');
`;
}

// A gc() function even when node runs without --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function procStatus(field: string): number {
  const m = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${field}:\\s+(\\d+)`, 'm'));
  return m ? Number(m[1]) : NaN;
}

function snapshot(): { rssMb: number; threads: number; fds: number; handles: number } {
  return {
    rssMb: Math.round((process.memoryUsage().rss / 1048576) * 10) / 10,
    threads: procStatus('Threads'),
    fds: readdirSync('/proc/self/fd').length,
    handles: process.getActiveResourcesInfo().length,
  };
}

describe('DhtRunner lifecycle', function () {
  this.timeout(60_000);

  it('settles every pending operation when shut down with listeners and gets in flight', async () => {
    const nodes = await startNetwork(2);
    const [a, b] = nodes;
    const inbox = new ValueInbox();
    const listeners = [b.listen(InfoHash.random(), inbox.onValues), b.listen(InfoHash.random(), inbox.onValues)];
    // Each operation labelled, so a time-out says which are still pending.
    const pending = new Set<string>();
    const track = (label: string, operation: Promise<unknown>) => {
      pending.add(label);
      return operation.finally(() => pending.delete(label));
    };
    const onB: Promise<unknown>[] = [];
    const onA: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      onB.push(track(`b.get ${i}`, b.get(InfoHash.random())));
      onB.push(track(`b.put ${i}`, b.put(InfoHash.random(), `value ${i}`)));
      onA.push(track(`a.get ${i}`, a.get(InfoHash.random())));
    }
    onB.push(...listeners.map((l, i) => track(`b.listen ${i} ready`, l.ready)));
    const shutdown = b.shutdown();
    // b's own operations settle with its shutdown. a's gets that lost their only peer mid-search wait for one (an
    // OpenDHT search without nodes does not end by itself: a full suite run caught 14 of 20 still pending 45 s on):
    // they settle with a's own shutdown.
    const stillPending = () => `the operations to settle (still pending: ${[...pending].join(', ')})`;
    const resultsOfB = await withTimeout(Promise.allSettled(onB), 15_000, stillPending);
    await withTimeout(shutdown, 15_000, 'shutdown');
    await withTimeout(a.shutdown(), 15_000, "the other node's shutdown");
    const resultsOfA = await withTimeout(Promise.allSettled(onA), 15_000, stillPending);
    const results = [...resultsOfB, ...resultsOfA];
    for (const r of results) {
      if (r.status === 'rejected') {
        assert.ok(r.reason instanceof OpenDhtError, String(r.reason));
        assert.ok(['ESHUTDOWN', 'EGETFAILED', 'EPUTFAILED'].includes(r.reason.code), r.reason.message);
      }
    }
    assert.equal(b.state, 'stopped');
    // Shutdown is idempotent, cancelling after it is harmless.
    await b.shutdown();
    for (const l of listeners) l.cancel();
    await stopAll(nodes);
  });

  it('rejects operations queued on a node that never connected', async () => {
    const lonely = await startNode(testNetworkId());
    // Ask a peer that does not exist: the node stays "connecting" and queues what it is given.
    const bootstrap = lonely.bootstrap('127.0.0.1', 9).catch((e: unknown) => e);
    const gets = [lonely.get(InfoHash.random()), lonely.get(InfoHash.random())].map((p) => p.catch((e: unknown) => e));
    await lonely.shutdown();
    for (const outcome of await Promise.all([...gets, bootstrap])) {
      assert.ok(outcome instanceof OpenDhtError, String(outcome));
    }
  });

  it('lets a process that listened and shut down exit by itself', async () => {
    const result = await runChild(
      `${childPrelude()}
await Promise.all([a.shutdown(), b.shutdown()]);
console.log('stopped');
// no process.exit(): the event loop must drain`,
      20_000,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /received\nstopped/);
    console.log(`      child exited ${result.ms} ms after start`);
  });

  it('lets a process exit by itself even with runners never shut down and listeners active', async () => {
    const result = await runChild(`${childPrelude()}// neither shutdown() nor cancel()`, 20_000);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.signal, null);
    assert.match(result.stdout, /received/);
  });

  it('survives process.exit() with runners still running', async () => {
    const result = await runChild(`${childPrelude()}process.exit(3);`, 20_000);
    assert.equal(result.code, 3, result.stderr);
    assert.equal(result.signal, null);
  });

  it('creates and shuts down many runners without growing memory, threads, fds or handles', async function () {
    const count = Number(process.env.OPENDHT_NODE_STRESS_RUNNERS ?? 200);
    assert.ok(Number.isInteger(count) && count >= 0, 'OPENDHT_NODE_STRESS_RUNNERS must be a non-negative integer');
    this.timeout(60_000 + count * 500);
    const networkId = testNetworkId();
    const cycle = async (i: number): Promise<void> => {
      const node = new DhtRunner();
      await node.run({ port: 0, bindIPv4: '127.0.0.1', ipv6: false, networkId });
      const listener = node.listen(InfoHash.random(), () => {});
      await listener.ready;
      if (i % 2 === 0) listener.cancel(); // half shut down with a live listener
      await node.shutdown();
    };
    const warmup = Math.min(20, count);
    for (let i = 0; i < warmup; i++) await cycle(i);
    gc();
    const before = snapshot();
    const started = Date.now();
    for (let i = warmup; i < count; i++) await cycle(i);
    gc();
    const after = snapshot();
    const perCycle = count > warmup ? (Date.now() - started) / (count - warmup) : 0;
    console.log(
      `      ${count} runners, ${perCycle.toFixed(1)} ms each: rss ${before.rssMb} -> ${after.rssMb} MB, ` +
        `threads ${before.threads} -> ${after.threads}, fds ${before.fds} -> ${after.fds}, ` +
        `handles ${before.handles} -> ${after.handles}`,
    );
    assert.ok(after.threads <= before.threads + 2, 'threads leaked');
    assert.ok(after.fds <= before.fds + 4, 'file descriptors leaked');
    assert.ok(after.handles <= before.handles + 2, 'libuv handles leaked');
    assert.ok(after.rssMb - before.rssMb < 40, `RSS grew by ${(after.rssMb - before.rssMb).toFixed(1)} MB`);
  });

  it('stops the threads of runners garbage-collected without shutdown (finalizer safety net)', async () => {
    const networkId = testNetworkId();
    gc();
    const baseline = procStatus('Threads');
    await (async () => {
      for (let i = 0; i < 10; i++) {
        const node = new DhtRunner();
        await node.run({ port: 0, bindIPv4: '127.0.0.1', ipv6: false, networkId });
      }
    })();
    const running = procStatus('Threads');
    assert.ok(running >= baseline + 10, `expected node threads, ${baseline} -> ${running}`);
    await waitFor(
      () => {
        gc();
        return procStatus('Threads') <= baseline + 1;
      },
      10_000,
      'finalizers to stop the nodes',
    );
    const node = await startNode(networkId);
    await node.shutdown();
  });
});

describe('DhtRunner delivery after shutdown', function () {
  this.timeout(30_000);

  it('calls no listener after shutdown() resolves, even with deliveries queued', async () => {
    const nodes = await startNetwork(2);
    const [a, b] = nodes;
    const key = InfoHash.random();
    let afterShutdown = 0;
    let stopped = false;
    const inbox = new ValueInbox();
    const listener = b.listen(key, (values, expired) => {
      if (stopped) afterShutdown++;
      inbox.onValues(values, expired);
    });
    await listener.ready;
    const puts = Array.from({ length: 30 }, (_, i) => a.put(key, `v${i}`).catch(() => undefined));
    await inbox.next(dataIs('v0'), 10_000, 'first value');
    await b.shutdown();
    stopped = true;
    // Let anything still queued for the JS thread run.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    await a.shutdown();
    await Promise.all(puts);
    assert.equal(afterShutdown, 0);
  });
});
