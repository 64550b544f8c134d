// Specification of the heartbeat lane beside the framed channel: pings heard on it alone keep a link alive, and
// their end is silence; it carries pings only; a peer that has no lane (an older daemon) resets its stream and
// the link goes on without it; lanes of links that never connected do not crash shutdownTransport(). Real
// WebRTC on loopback, the remote end played raw where a test needs it. (On a lossy path: lossy-path.test.ts.)

import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { DataChannel } from 'node-datachannel';
import pino from 'pino';
import { systemClock } from '../../../service/contract/clock.js';
import type { LinkFailure } from '../../../service/contract/link-contract.js';
import { FramedChannel, type FramedChannelOptions } from '../../../service/transport/channel/framed-channel.js';
import { shutdownTransport } from '../../../service/transport/create-link-transport.js';
import { HEARTBEAT_STREAM_ID } from '../../../service/transport/webrtc/heartbeat-lane.js';
import { PeerLink } from '../../../service/transport/webrtc/peer-link.js';
import { withTimeout } from '../../support/wait.js';
import { closedOnFailure, connectPair, LogProbe, neverReleasingDataChannel, nextEvent, recordEvents } from './link-fixtures.js';

after(() => shutdownTransport());

const silent = pino({ level: 'silent' });
const PING = JSON.stringify({ t: 'link.ping' });

interface LanePair {
  readonly offerer: PeerLink;
  readonly answerer: PeerLink;
  readonly offererDc: DataChannel;
  readonly answererDc: DataChannel;
  readonly offererLane: DataChannel | undefined;
  readonly answererLane: DataChannel | undefined;
  close(): void;
}

/** Two PeerLinks on loopback, each with its heartbeat lane unless told otherwise, both channels open. */
async function lanePair(lanes: { offerer: boolean; answerer: boolean } = { offerer: true, answerer: true }): Promise<LanePair> {
  const peer = { iceServers: [], bindAddress: '127.0.0.1', logger: silent };
  const offerer = new PeerLink('offerer', peer);
  const answerer = new PeerLink('answerer', peer);
  // As the transport opens them: the exporter (offerer) at once, the importer once the offer is applied.
  const offererLane = lanes.offerer ? offerer.openHeartbeatChannel() : undefined;
  assert.equal(answerer.openHeartbeatChannel(), undefined, 'no lane on an answerer before the offer');
  let answererLane: DataChannel | undefined;
  const [offererDc, answererDc] = await connectPair(offerer, answerer, () => {
    answererLane = lanes.answerer ? answerer.openHeartbeatChannel() : undefined;
  });
  // The lane opens on its own, soon after the channel or soon before: a test that sends on it waits for it. (A lane
  // facing none never opens: its peer resets the stream.)
  if (offererLane !== undefined && answererLane !== undefined) {
    const lanes = [offererLane, answererLane];
    await closedOnFailure([offerer, answerer], () => withTimeout(Promise.all(lanes.map(laneOpen)), 5_000, 'both lanes to open'));
  }
  return { offerer, answerer, offererDc, answererDc, offererLane, answererLane, close: () => { offerer.close(); answerer.close(); } };
}

function laneOpen(lane: DataChannel): Promise<void> {
  return new Promise((resolve) => {
    if (lane.isOpen()) resolve();
    // Replaces PeerLink's own handler, which only keeps the lane reachable: this closure does too.
    else lane.onOpen(() => resolve(void lane));
  });
}

function options(overrides: Partial<FramedChannelOptions> = {}): FramedChannelOptions {
  return { logger: silent, clock: systemClock, heartbeatMs: 0, idleTimeoutMs: 0, closeTimeoutMs: 1_000, maxArchiveBytes: 1024, ...overrides };
}

/** Sends `count` lane pings, one every `everyMs`; resolves once the last was sent, rejects (and stops) when the
 *  lane can no longer send or `stop` fires first. */
function pulse(lane: DataChannel, count: number, everyMs: number, stop: Promise<unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    const timer = setInterval(() => {
      try {
        lane.sendMessage(PING);
      } catch (error) {
        clearInterval(timer);
        reject(error as Error);
        return;
      }
      sent += 1;
      if (sent === count) {
        clearInterval(timer);
        resolve();
      }
    }, everyMs);
    void stop.then((value) => {
      clearInterval(timer);
      reject(new Error(`stopped after ${sent} pings: ${String(value)}`));
    });
  });
}

describe('heartbeat lane', function () {
  this.timeout(30_000);

  it('is stream 2 on both sides, beside the in-band channel on stream 0 or 1', async () => {
    const pair = await lanePair();
    try {
      assert.deepEqual([pair.offererLane?.getId(), pair.answererLane?.getId()], [HEARTBEAT_STREAM_ID, HEARTBEAT_STREAM_ID]);
      assert.ok([0, 1].includes(pair.offererDc.getId()), `in-band channel on stream ${pair.offererDc.getId()}`);
      assert.equal(pair.answererDc.getId(), pair.offererDc.getId());
    } finally {
      pair.close();
    }
  });

  it('keeps a link alive on lane pings alone, and ends it closed/network once they stop', async () => {
    const pair = await lanePair();
    try {
      const log = new LogProbe();
      const framed = new FramedChannel(pair.offererDc, pair.offerer, { address: '127.0.0.1:1', type: 'host' }, options({ logger: log.logger, idleTimeoutMs: 600 }), pair.offererLane);
      const closed = nextEvent<LinkFailure>(framed, 'closed', 10_000);
      // Nothing on the channel itself: 15 lane pings 100 ms apart span 2.5 idle time-outs.
      await pulse(pair.answererLane!, 15, 100, closed.then((failure) => `the channel closed (${failure}) while pinged`));
      assert.equal(await closed, 'network');
      assert.deepEqual(log.lines.filter((line) => line.msg === 'channel lost').map((line) => line.why), ['peer_silent']);
    } finally {
      pair.close();
    }
  });

  it('sends lane pings four times per heartbeat, which keep the peer alive too', async () => {
    const pair = await lanePair();
    try {
      let lanePings = 0;
      const eightLanePings = new Promise<void>((resolve) => pair.answererLane!.onMessage((message) => {
        if (message === PING && ++lanePings === 8) resolve();
      }));
      const channelPings: unknown[] = [];
      pair.answererDc.onMessage((message) => channelPings.push(message));
      const framed = new FramedChannel(pair.offererDc, pair.offerer, { address: '127.0.0.1:1', type: 'host' }, options({ heartbeatMs: 400 }), pair.offererLane);
      await withTimeout(eightLanePings, 10_000, () => `8 lane pings (${lanePings} came)`);
      // 8 lane pings, 100 ms apart, span two heartbeats: two pings on the channel, give or take one.
      assert.ok(channelPings.length >= 1 && channelPings.length <= 3, `${channelPings.length} pings on the channel`);
      assert.ok(channelPings.every((message) => message === PING));
      framed.destroy();
    } finally {
      pair.close();
    }
  });

  for (const [what, send] of [
    ['another transport frame', (lane: DataChannel) => lane.sendMessage(JSON.stringify({ t: 'link.bye' }))],
    ['a linking-layer message', (lane: DataChannel) => lane.sendMessage(JSON.stringify({ t: 'stored' }))],
    ['binary data', (lane: DataChannel) => lane.sendMessageBinary(Buffer.from('ping'))],
    ['bad JSON', (lane: DataChannel) => lane.sendMessage('{"t":')],
  ] as const) {
    it(`carries pings only: ${what} on it ends the link closed/network`, async () => {
      const pair = await lanePair();
      try {
        const framed = new FramedChannel(pair.offererDc, pair.offerer, { address: '127.0.0.1:1', type: 'host' }, options(), pair.offererLane);
        const closed = nextEvent<LinkFailure>(framed, 'closed', 5_000);
        send(pair.answererLane!);
        assert.equal(await closed, 'network');
      } finally {
        pair.close();
      }
    });
  }

  it('keeps a lane that opens after the channel: the pulses due before it opened are skipped, the later ones go', async () => {
    const held: unknown[] = [];
    const log = new LogProbe();
    // Shut for its first three looks (pulses due before it opened), then open; sending while shut throws, as
    // libdatachannel does ("DataChannel not open").
    let looks = 0;
    let sent = 0;
    let twoSent: () => void = () => undefined;
    const twoPulses = new Promise<void>((resolve) => (twoSent = resolve));
    const lane = {
      ...neverReleasingDataChannel(held),
      isOpen: () => ++looks > 3,
      sendMessage: () => {
        if (looks <= 3) throw new Error('DataChannel not open');
        if (++sent === 2) twoSent();
        return true;
      },
    } as unknown as DataChannel;
    const carrier = { onLost: () => undefined, close: () => undefined };
    const channel = new FramedChannel(neverReleasingDataChannel(held), carrier, { address: '127.0.0.1:1', type: 'host' }, options({ logger: log.logger, heartbeatMs: 40 }), lane);
    try {
      await withTimeout(twoPulses, 5_000, 'two pulses on the lane once it opened');
      assert.equal(log.count('heartbeat lane dropped'), 0);
      assert.ok(looks > 3);
    } finally {
      channel.destroy();
    }
  });

  for (const missing of ['answerer', 'offerer'] as const) {
    it(`links with a peer that has no lane (the ${missing}): its stream is reset, the lane dropped, the link goes on`, async () => {
      const pair = await lanePair({ offerer: missing !== 'offerer', answerer: missing !== 'answerer' });
      try {
        const log = new LogProbe();
        const withLane = missing === 'answerer' ? 'offerer' : 'answerer';
        const ours = new FramedChannel(
          withLane === 'offerer' ? pair.offererDc : pair.answererDc,
          withLane === 'offerer' ? pair.offerer : pair.answerer,
          { address: '127.0.0.1:1', type: 'host' },
          options({ logger: log.logger, heartbeatMs: 200, idleTimeoutMs: 2_000 }),
          withLane === 'offerer' ? pair.offererLane : pair.answererLane,
        );
        const theirs = new FramedChannel(
          withLane === 'offerer' ? pair.answererDc : pair.offererDc,
          withLane === 'offerer' ? pair.answerer : pair.offerer,
          { address: '127.0.0.1:2', type: 'host' },
          options({ heartbeatMs: 200, idleTimeoutMs: 2_000 }),
        );
        const events = [...recordEvents(ours, ['closed']), ...recordEvents(theirs, ['closed'])];
        await log.waitForMessage('heartbeat lane dropped', 5_000);
        assert.deepEqual(log.lines.filter((line) => line.msg === 'heartbeat lane dropped').map((line) => line.why), ['closed'], 'by the peer\'s stream reset');
        const message = nextEvent(theirs, 'message', 5_000);
        ours.send({ t: 'stored' });
        assert.deepEqual(await message, { t: 'stored' });
        const back = nextEvent(ours, 'message', 5_000);
        theirs.send({ t: 'auth' });
        assert.deepEqual(await back, { t: 'auth' });
        assert.deepEqual(events, []);
        ours.destroy();
        theirs.destroy();
      } finally {
        pair.close();
      }
    });
  }
});

describe('regression: lanes of links that never connected', function () {
  it('are collected without crashing shutdownTransport() (node-datachannel forgets a channel only after its onClosed)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let collected = 0;
    const registry = new FinalizationRegistry(() => (collected += 1));
    (() => {
      for (let n = 0; n < 20; n += 1) {
        const link = new PeerLink('offerer', { iceServers: [], bindAddress: '127.0.0.1', logger: silent });
        registry.register(link.openHeartbeatChannel()!, 'lane');
        link.close();
      }
    })();
    for (let attempt = 0; attempt < 20 && collected < 20; attempt++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(collected, 20, 'the closed links\' lanes were collected');
    // Before the fix this crashed the process (SIGSEGV in node-datachannel's cleanup of a collected channel).
    shutdownTransport();
  });

  it('keep no ended framed channel reachable through the lane\'s callbacks', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const held: unknown[] = [];
    const neverReleasing = (): DataChannel => neverReleasingDataChannel(held);
    let collected = false;
    const registry = new FinalizationRegistry(() => (collected = true));
    (() => {
      const carrier = { onLost: () => undefined, close: () => undefined };
      const channel = new FramedChannel(neverReleasing(), carrier, { address: '127.0.0.1:1', type: 'host' }, options({ heartbeatMs: 1_000 }), neverReleasing());
      registry.register(channel, 'channel');
      channel.destroy();
    })();
    for (let attempt = 0; attempt < 20 && !collected; attempt++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(held.length, 7, 'the channel got its four callbacks, the lane its three');
    assert.ok(collected, 'the ended channel is still reachable from its lane\'s callbacks');
  });
});
