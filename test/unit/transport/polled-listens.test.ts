// Specification of polled listens: a listen whose DHT node never tells it of a new value (every update lost on the
// way) still hands that value on, from a get at its next poll; each value is handed on once, whichever brings it
// first, while a repeat the listen is told passes (a replay, for the layer above); the polls pause 1, 2, 4, 5, 5... s,
// then 15 s from two minutes on; cancel() ends them; a failed poll is tried at the next turn, and a node shut down
// is polled no more; a handler's throw is logged. The bus underneath is the in-memory DHT.

import assert from 'node:assert/strict';
import { OpenDhtError, type OpenDhtErrorCode } from 'opendht-node';
import pino from 'pino';
import type { Clock } from '../../../service/contract/clock.js';
import type { SignalingBus } from '../../../service/contract/link-contract.js';
import { DEFAULT_LISTEN_POLL, polledListens } from '../../../service/transport/signaling/polled-listens.js';
import { resolveTransportSettings } from '../../../service/transport/transport-settings.js';
import { MemorySignalingNetwork } from '../../support/memory-signaling-bus.js';
import { FakeClock } from '../linking/fakes.js';

const KEY = 'cd'.repeat(20);
const silent = pino({ level: 'silent' });

/** Runs the clock's earliest timer, then lets the bus's deferred work finish; returns the timer's pause. */
async function fireNext(clock: FakeClock): Promise<number> {
  const pause = clock.fireNext();
  await settle();
  return pause;
}

/** Lets the in-memory DHT's deliveries (setImmediate) and the promise chains after them run. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 5; turn += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** A deaf node of the in-memory DHT (every update lost) whose gets can fail, and are counted; `tell()` makes its
 *  listen hear a value when the test says (an update that comes late). */
class DeafNode implements SignalingBus {
  private readonly inner: SignalingBus;
  private onValue: ((data: Buffer) => void) | undefined;
  gets = 0;
  getFailures: OpenDhtErrorCode[] = [];

  constructor(network: MemorySignalingNetwork) {
    this.inner = network.deafNode();
  }

  put(key: string, data: Buffer): Promise<void> {
    return this.inner.put(key, data);
  }

  async get(key: string): Promise<Buffer[]> {
    this.gets += 1;
    const code = this.getFailures.shift();
    if (code !== undefined) throw new OpenDhtError(code, `get ${key}: ${code}`);
    return this.inner.get(key);
  }

  listen(key: string, onValue: (data: Buffer) => void): { cancel(): void; ready: Promise<void> } {
    this.onValue = onValue;
    return this.inner.listen(key, onValue);
  }

  tell(data: Buffer): void {
    this.onValue?.(data);
  }
}

/** A listen on `bus` that records what it hands on, once it is ready. */
async function recordingListen(bus: SignalingBus): Promise<{ seen: string[]; listener: { cancel(): void } }> {
  const seen: string[] = [];
  const listener = bus.listen(KEY, (data) => seen.push(String(data)));
  await listener.ready;
  return { seen, listener };
}

function setup() {
  const network = new MemorySignalingNetwork();
  const clock = new FakeClock();
  const deaf = new DeafNode(network);
  const bus = polledListens(deaf, DEFAULT_LISTEN_POLL, clock, silent);
  return { network, clock, deaf, bus, writer: network.node() };
}

describe('polled listens', () => {
  it('hands on a value whose update was lost at the next poll, once, though every later poll finds it again', async () => {
    const { clock, bus, writer } = setup();
    const { seen, listener } = await recordingListen(bus);
    await writer.put(KEY, Buffer.from('answer'));
    await settle();
    assert.deepEqual(seen, [], 'the listen itself is told nothing');
    assert.equal(await fireNext(clock), 1_000);
    assert.deepEqual(seen, ['answer']);
    await writer.put(KEY, Buffer.from('candidates'));
    await fireNext(clock);
    await fireNext(clock);
    assert.deepEqual(seen, ['answer', 'candidates']);
    listener.cancel();
  });

  it('pauses 1, 2, 4, then 5 s between polls, 15 s from two minutes on, and polls nothing once cancelled', async () => {
    const { clock, deaf, bus } = setup();
    const listener = bus.listen(KEY, () => undefined);
    await listener.ready;
    const pauses: number[] = [];
    for (let poll = 0; poll < 6; poll += 1) pauses.push(await fireNext(clock));
    assert.deepEqual(pauses, [1_000, 2_000, 4_000, 5_000, 5_000, 5_000]);
    assert.equal(deaf.gets, 6);
    while (clock.now() < DEFAULT_LISTEN_POLL.fastForMs) assert.equal(await fireNext(clock), 5_000);
    assert.deepEqual([await fireNext(clock), await fireNext(clock)], [15_000, 15_000]);
    listener.cancel();
    assert.equal(clock.timers.size, 0, 'no poll left pending');
  });

  it('hands on nothing a poll in flight brings back after cancel, and schedules no further poll', async () => {
    const { clock, bus, writer } = setup();
    const { seen, listener } = await recordingListen(bus);
    await writer.put(KEY, Buffer.from('late'));
    const [handle, timer] = [...clock.timers][0];
    clock.timers.delete(handle);
    timer.fn(); // the get starts; its answer comes on a later turn
    listener.cancel();
    await settle();
    assert.deepEqual(seen, []);
    assert.equal(clock.timers.size, 0);
  });

  it('hands on by poll nothing the listen did, and what the listen is told as it comes, a repeat included', async () => {
    const network = new MemorySignalingNetwork();
    const clock = new FakeClock();
    const bus = polledListens(network.node(), DEFAULT_LISTEN_POLL, clock, silent);
    const { seen, listener } = await recordingListen(bus);
    await network.node().put(KEY, Buffer.from('offer'));
    await network.node().put(KEY, Buffer.from('offer'));
    await settle();
    assert.deepEqual(seen, ['offer', 'offer'], 'a replay reaches the layer that judges replays');
    await fireNext(clock);
    await fireNext(clock);
    assert.deepEqual(seen, ['offer', 'offer']);
    listener.cancel();
  });

  it('polls on after a failed poll, at the next turn, and stops once the node is shut down', async () => {
    const { clock, deaf, bus, writer } = setup();
    const { seen, listener } = await recordingListen(bus);
    await writer.put(KEY, Buffer.from('answer'));
    deaf.getFailures = ['EGETFAILED', 'ENATIVE'];
    await fireNext(clock);
    assert.equal(await fireNext(clock), 2_000, 'the next turn, as if the poll had found nothing');
    assert.deepEqual(seen, []);
    await fireNext(clock);
    assert.deepEqual(seen, ['answer']);
    deaf.getFailures = ['ESHUTDOWN'];
    await fireNext(clock);
    assert.equal(clock.timers.size, 0, 'a node shut down is not polled again');
    listener.cancel();
  });

  it('drops the late update of a value a poll handed on first, once: a later repeat is a replay and passes', async () => {
    const { clock, deaf, bus, writer } = setup();
    const { seen, listener } = await recordingListen(bus);
    await writer.put(KEY, Buffer.from('candidates'));
    await fireNext(clock);
    assert.deepEqual(seen, ['candidates'], 'the poll came first');
    deaf.tell(Buffer.from('candidates'));
    assert.deepEqual(seen, ['candidates'], 'the update that came late');
    deaf.tell(Buffer.from('candidates'));
    assert.deepEqual(seen, ['candidates', 'candidates']);
    listener.cancel();
  });

  it('keeps remembering the values every poll sees again: 250 values, three polls, each handed on once', async () => {
    const { clock, bus, writer } = setup();
    let handed = 0;
    const listener = bus.listen(KEY, () => (handed += 1));
    await listener.ready;
    for (let value = 0; value < 250; value += 1) await writer.put(KEY, Buffer.from(`value ${value}`));
    for (let poll = 0; poll < 3; poll += 1) await fireNext(clock);
    assert.equal(handed, 250);
    listener.cancel();
  });

  it('logs a handler that throws, and polls on', async () => {
    const network = new MemorySignalingNetwork();
    const clock = new FakeClock();
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'debug' }, { write: (text: string) => lines.push(JSON.parse(text) as Record<string, unknown>) });
    const listener = polledListens(network.deafNode(), DEFAULT_LISTEN_POLL, clock, logger).listen(KEY, () => {
      throw new Error('handler bug');
    });
    await listener.ready;
    await network.node().put(KEY, Buffer.from('offer'));
    await fireNext(clock);
    assert.ok(lines.some((line) => line.msg === "a listened value's handler threw"), JSON.stringify(lines));
    assert.equal(clock.timers.size, 1, 'the next poll is scheduled');
    listener.cancel();
  });

  it('refuses a policy that would poll without pause', () => {
    const network = new MemorySignalingNetwork();
    for (const policy of [{ ...DEFAULT_LISTEN_POLL, firstPauseMs: 0 }, { ...DEFAULT_LISTEN_POLL, maxPauseMs: Number.NaN }, { ...DEFAULT_LISTEN_POLL, slowPauseMs: -1 }]) {
      assert.throws(() => polledListens(network.node(), policy, new FakeClock(), silent), RangeError, JSON.stringify(policy));
    }
  });

  it('is what the transport settings wire in: a deaf listen of the transport hears a value at the first poll', async () => {
    const network = new MemorySignalingNetwork();
    const clock = new FakeClock();
    const { signaling } = resolveTransportSettings({ signaling: network.deafNode(), clock });
    const { seen, listener } = await recordingListen(signaling);
    await network.node().put(KEY, Buffer.from('reply'));
    await fireNext(clock);
    assert.deepEqual(seen, ['reply']);
    listener.cancel();
  });
});
