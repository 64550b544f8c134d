// Specification of the retrying signaling bus: what opendht-node reports as the network's failure (a put no
// node stored, a get no node answered) is tried again, a bounded number of times, with doubling pauses, never
// past the deadline; everything else fails at once; each retry is logged at debug. The bus underneath is the
// in-memory DHT, failing as many times as a test says, with the errors opendht-node throws.

import assert from 'node:assert/strict';
import { OpenDhtError, type OpenDhtErrorCode } from 'opendht-node';
import pino from 'pino';
import type { Clock } from '../../../service/contract/clock.js';
import type { SignalingBus } from '../../../service/contract/link-contract.js';
import { isNetworkFailure, retryingSignaling, type SignalingRetryPolicy } from '../../../service/transport/signaling/retrying-signaling.js';
import { resolveTransportSettings } from '../../../service/transport/transport-settings.js';
import { MemorySignalingNetwork } from '../../support/memory-signaling-bus.js';

const KEY = 'ab'.repeat(20);
const POLICY: SignalingRetryPolicy = { attempts: 5, firstPauseMs: 500, maxPauseMs: 2_000, deadlineMs: 30_000 };

/** A clock whose pauses pass at once, moving time on by their length (and by what each attempt "took"). */
class SteppingClock implements Clock {
  time = 0;
  readonly pauses: number[] = [];
  now(): number {
    return this.time;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    this.pauses.push(ms);
    this.time += ms;
    queueMicrotask(callback);
    return this.pauses.length;
  }
  clearTimeout(): void {}
}

/** A node of the in-memory DHT whose next puts/gets fail as opendht-node's do; each attempt takes `attemptMs`. */
class FlakyNode implements SignalingBus {
  readonly inner: SignalingBus;
  putFailures: { count: number; code: OpenDhtErrorCode } = { count: 0, code: 'EPUTFAILED' };
  getFailures: { count: number; code: OpenDhtErrorCode } = { count: 0, code: 'EGETFAILED' };
  puts = 0;
  gets = 0;

  constructor(network: MemorySignalingNetwork, private readonly clock: SteppingClock, private readonly attemptMs = 0) {
    this.inner = network.node();
  }

  async put(key: string, data: Buffer): Promise<void> {
    this.puts += 1;
    this.clock.time += this.attemptMs;
    if (this.putFailures.count > 0) {
      this.putFailures.count -= 1;
      throw new OpenDhtError(this.putFailures.code, `put ${key} failed: no DHT node stored the value`);
    }
    return this.inner.put(key, data);
  }

  async get(key: string): Promise<Buffer[]> {
    this.gets += 1;
    this.clock.time += this.attemptMs;
    if (this.getFailures.count > 0) {
      this.getFailures.count -= 1;
      throw new OpenDhtError(this.getFailures.code, `get ${key} failed: no DHT node answered (is the node bootstrapped?)`);
    }
    return this.inner.get(key);
  }

  listen(key: string, onValue: (data: Buffer) => void): { cancel(): void; ready: Promise<void> } {
    return this.inner.listen(key, onValue);
  }
}

/** A logger whose lines the test reads. */
function recordingLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: pino({ level: 'debug' }, { write: (text: string) => lines.push(JSON.parse(text) as Record<string, unknown>) }) };
}

function setup(policy = POLICY, attemptMs = 0) {
  const network = new MemorySignalingNetwork();
  const clock = new SteppingClock();
  const flaky = new FlakyNode(network, clock, attemptMs);
  const { logger, lines } = recordingLogger();
  const bus = retryingSignaling(flaky, policy, clock, logger);
  const reader = network.node();
  return { network, clock, flaky, bus, lines, reader };
}

describe('retrying signaling bus', () => {
  it('tries a put no node stored again until one succeeds: the value is on the DHT, one debug line per retry', async () => {
    const { flaky, bus, lines, reader, clock } = setup();
    flaky.putFailures = { count: 3, code: 'EPUTFAILED' };
    await bus.put(KEY, Buffer.from('offer'));
    assert.equal(flaky.puts, 4);
    assert.deepEqual((await reader.get(KEY)).map(String), ['offer']);
    assert.deepEqual(clock.pauses, [500, 1_000, 2_000], 'doubling pauses, capped');
    const retries = lines.filter((line) => line.msg === 'DHT put failed, retrying');
    assert.deepEqual(retries.map((line) => [line.level, line.attempt, line.retryInMs, line.key]), [
      [20, 1, 500, 'abababab'],
      [20, 2, 1_000, 'abababab'],
      [20, 3, 2_000, 'abababab'],
    ]);
  });

  it('tries a get no node answered again, and returns what the later try found', async () => {
    const { flaky, bus, reader } = setup();
    await reader.put(KEY, Buffer.from('identity'));
    flaky.getFailures = { count: 2, code: 'EGETFAILED' };
    assert.deepEqual((await bus.get(KEY)).map(String), ['identity']);
    assert.equal(flaky.gets, 3);
  });

  it('takes a get that found nothing as an answer: no retry', async () => {
    const { flaky, bus, clock } = setup();
    assert.deepEqual(await bus.get(KEY), []);
    assert.equal(flaky.gets, 1);
    assert.deepEqual(clock.pauses, []);
  });

  it('gives up after the last attempt with the last failure', async () => {
    const { flaky, bus, reader } = setup();
    flaky.putFailures = { count: 10, code: 'EPUTFAILED' };
    await assert.rejects(bus.put(KEY, Buffer.from('offer')), (err: unknown) => err instanceof OpenDhtError && err.code === 'EPUTFAILED');
    assert.equal(flaky.puts, POLICY.attempts);
    assert.deepEqual(await reader.get(KEY), []);
  });

  it('starts no try past the deadline, however many attempts remain', async () => {
    // Each failed put takes 9 s (OpenDHT's own retransmissions toward a node that does not answer).
    const { flaky, bus, clock } = setup({ ...POLICY, attempts: 10, deadlineMs: 30_000 }, 9_000);
    flaky.putFailures = { count: 10, code: 'EPUTFAILED' };
    await assert.rejects(bus.put(KEY, Buffer.from('offer')));
    assert.equal(flaky.puts, 3, 'tries at 0 s, 9.5 s and 19.5 s; a fourth would start at 30.5 s');
    assert.ok(clock.time <= 30_000 + 9_000, `the last try ended at ${clock.time} ms`);
  });

  it('fails at once on anything but a network failure: shutdown, a value too large, a bad key', async () => {
    for (const code of ['ESHUTDOWN', 'EVALUETOOLARGE', 'EINVAL', 'ENOTRUNNING', 'ENATIVE'] as const) {
      const { flaky, bus, clock } = setup();
      flaky.putFailures = { count: 1, code };
      flaky.getFailures = { count: 1, code };
      await assert.rejects(bus.put(KEY, Buffer.from('x')), (err: unknown) => (err as OpenDhtError).code === code);
      await assert.rejects(bus.get(KEY), (err: unknown) => (err as OpenDhtError).code === code);
      assert.deepEqual([flaky.puts, flaky.gets, clock.pauses], [1, 1, []], code);
    }
    const { bus } = setup();
    await assert.rejects(bus.put('not a key', Buffer.from('x')), /40 lowercase hex/);
  });

  it('passes listen through: values put later reach the listener, cancel stops them', async () => {
    const { bus, reader, network } = setup();
    const seen: string[] = [];
    const listener = bus.listen(KEY, (data) => seen.push(String(data)));
    await listener.ready;
    await reader.put(KEY, Buffer.from('answer'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seen, ['answer']);
    listener.cancel();
    assert.equal(network.activeListeners, 0);
  });

  it('knows the network failures by opendht-node code only', () => {
    assert.equal(isNetworkFailure(new OpenDhtError('EPUTFAILED', 'x')), true);
    assert.equal(isNetworkFailure(new OpenDhtError('EGETFAILED', 'x')), true);
    for (const other of [new OpenDhtError('ESHUTDOWN', 'x'), new Error('EPUTFAILED'), { code: 5 }, null, undefined, 'EPUTFAILED']) {
      assert.equal(isNetworkFailure(other), false, String(other));
    }
  });

  it('refuses a policy that would never try, and is what the transport settings wire in (1 attempt: none again)', async () => {
    const network = new MemorySignalingNetwork();
    const clock = new SteppingClock();
    assert.throws(() => retryingSignaling(network.node(), { ...POLICY, attempts: 0 }, clock, pino({ level: 'silent' })), RangeError);
    assert.throws(() => resolveTransportSettings({ signaling: network.node(), signalingAttempts: 1.5 }), RangeError);
    const flaky = new FlakyNode(network, clock);
    flaky.putFailures = { count: 1, code: 'EPUTFAILED' };
    await resolveTransportSettings({ signaling: flaky, clock }).signaling.put(KEY, Buffer.from('x'));
    assert.equal(flaky.puts, 2, 'the default retries');
    flaky.putFailures = { count: 1, code: 'EPUTFAILED' };
    await assert.rejects(resolveTransportSettings({ signaling: flaky, clock, signalingAttempts: 1 }).signaling.put(KEY, Buffer.from('x')));
    assert.equal(flaky.puts, 3);
  });
});
