// Liveness of the framed channel on real slow and lossy paths (network test bed): a sender that hears nothing
// from its receiver for far longer than the idle time-out lives on the bytes the receiver acknowledges; a
// receiver that dies, or a path that is cut, still ends the link within the idle time-out; the heartbeat lane
// carries pings over a 20% lossy path. Each end is the transport's PeerLink and FramedChannel in a process of
// its own, in a device namespace (test/support/netbed/channel-agent.ts); the test relays their SDPs.

import assert from 'node:assert/strict';
import { ChannelAgent, connectAgents } from '../../support/netbed/channel-agent.js';
import { execIn } from '../../support/netbed/host-command.js';
import { NetBed } from '../../support/netbed/net-bed.js';
import { INTERFACES } from '../../support/netbed/plan.js';
import { skipWithoutNetBed } from '../../support/netbed/skip-reason.js';

/** The slow path: 1.6 Mbit/s each way (a token bucket on both of its router's egresses), and 5% loss. */
const SLOW_RATE = '1600kbit';
/**
 * 6 MB at 1.6 Mbit/s: some 30 s, nearly four idle time-outs. Larger than usrsctp's 1 MiB send buffer, which
 * takes the archive's last MiB at once: the sender sees that tail acknowledged by nothing but the final
 * archive_ack, some 5 s at this rate, so the idle time-out must exceed that.
 */
const ARCHIVE_BYTES = 6_000_000;
const SENDER_IDLE_MS = 8_000;
/** How many connects across the 20% lossy path are tried at most (see lossyLink). */
const CONNECT_ATTEMPTS = 3;

describe('framed channel on slow and lossy paths (network test bed)', function () {
  // Room for CONNECT_ATTEMPTS connects given up by DTLS after ~31 s each, and each test's waits after them.
  this.timeout(300_000);
  let bed: NetBed;
  const agents: ChannelAgent[] = [];

  before(async function () {
    await skipWithoutNetBed(this);
    bed = await NetBed.create({
      dht: false,
      turn: false,
      networks: [
        { name: 'slow', nat: 'none', devices: ['s'], lossPercent: 5 },
        { name: 'lossy', nat: 'none', devices: ['l'], lossPercent: 20 },
        { name: 'near', nat: 'none', devices: ['n', 'm'] },
      ],
    });
    for (const device of [INTERFACES.routerWan, INTERFACES.routerLan]) {
      await execIn(bed.router('slow').namespace, 'tc', ['qdisc', 'add', 'dev', device, 'root', 'tbf', 'rate', SLOW_RATE, 'burst', '16kb', 'latency', '200ms']);
    }
  });

  afterEach(async () => {
    await Promise.all(agents.splice(0).map((agent) => agent.stop()));
  });

  after(async () => {
    await bed?.destroy();
  });

  function start(device: string, options: Parameters<typeof ChannelAgent.start>[2]): ChannelAgent {
    const agent = ChannelAgent.start(bed, device, options);
    agents.push(agent);
    return agent;
  }

  /**
   * Connects the two agents `pair` starts, and, for a connect that never opened, starts a fresh pair, at most
   * CONNECT_ATTEMPTS times in all. The DTLS handshake runs over the lossy path too, and libdatachannel gives a
   * handshake up once OpenSSL's doubling retransmission timer (1, 2, 4, 8, 16 s) would pass 30 s: a flight lost six
   * times in a row. With 20% loss each way that ended about 1 connect in 40 (1 of 40 in a loop of the lane test's
   * connect; 1 whole CI run), and the slow path's 5% once (1 CI run, "peer connection failed"), before any of what
   * these tests are about could happen.
   */
  async function connectRetrying(pair: () => [ChannelAgent, ChannelAgent]): Promise<[ChannelAgent, ChannelAgent]> {
    for (let attempt = 1; ; attempt += 1) {
      const [offerer, answerer] = pair();
      try {
        await connectAgents(offerer, answerer, 60_000);
        return [offerer, answerer];
      } catch (error) {
        if (attempt === CONNECT_ATTEMPTS || !/never opened/.test((error as Error).message)) throw error;
        await Promise.all(agents.splice(0).map((agent) => agent.stop()));
      }
    }
  }

  /** A sender on the slow path (heartbeat 1 s, idle time-out 8 s) and a receiver that says nothing at all. */
  async function silentReceiverLink(): Promise<{ sender: ChannelAgent; receiver: ChannelAgent }> {
    const [sender, receiver] = await connectRetrying(() => [
      start('s', { role: 'offerer', heartbeatMs: 1_000, idleTimeoutMs: SENDER_IDLE_MS }),
      start('n', { role: 'answerer', heartbeatMs: 0, idleTimeoutMs: 0 }),
    ]);
    return { sender, receiver };
  }

  /** A link across the 20% lossy path (heartbeat 1 s on both ends). */
  async function lossyLink(idleTimeoutMs: number): Promise<{ lossy: ChannelAgent; near: ChannelAgent }> {
    const [lossy, near] = await connectRetrying(() => [
      start('l', { role: 'offerer', heartbeatMs: 1_000, idleTimeoutMs }),
      start('m', { role: 'answerer', heartbeatMs: 1_000, idleTimeoutMs }),
    ]);
    return { lossy, near };
  }

  it('keeps a sender that hears nothing for many idle time-outs alive on the bytes its receiver acknowledges', async () => {
    const { sender, receiver } = await silentReceiverLink();
    receiver.expectArchive(ARCHIVE_BYTES);
    sender.sendArchive(ARCHIVE_BYTES);
    const started = await sender.waitFor('archive_started', 10_000);
    const received = await receiver.waitFor('archive', 150_000, ['closed']);
    await sender.waitFor('archive_sent', 30_000, ['closed', 'archive_failed']);
    assert.equal(received.sha256, started.sha256, 'the archive arrived whole');
    sender.requestGaps();
    const gaps = await sender.waitFor('gaps', 10_000);
    // The premise: nothing but the final acknowledgement came back, long after one idle time-out.
    assert.equal(gaps.laneMessages, 0, 'the receiver sent no lane ping');
    assert.ok((gaps.channel as number) > 2 * SENDER_IDLE_MS, `the sender heard a message every ${String(gaps.channel)} ms at most`);
    assert.deepEqual([...sender.events, ...receiver.events].filter((event) => event.event === 'closed'), []);
  });

  it('still ends the sender within its idle time-out once the receiver dies mid-transfer', async () => {
    const { sender, receiver } = await silentReceiverLink();
    receiver.expectArchive(ARCHIVE_BYTES);
    sender.sendArchive(ARCHIVE_BYTES);
    await sender.waitFor('archive_started', 10_000);
    await receiver.kill();
    const closed = await sender.waitFor('closed', 4 * SENDER_IDLE_MS);
    assert.equal(closed.reason, 'network');
    assert.equal(await sender.lostBecause(), 'peer_silent', 'the idle time-out ended it, not SCTP or ICE giving up later');
    await sender.waitFor('archive_failed', 5_000);
  });

  it('carries lane pings over a 20% lossy path, and ends both sides within the idle time-out once the path is cut', async () => {
    const idleTimeoutMs = 4_000;
    const { lossy, near } = await lossyLink(idleTimeoutMs);
    // Both have heard lane pings (signs of life that SCTP never retransmits) before the cut.
    await Promise.all([lossy.waitFor('lane_heard', 30_000, ['closed']), near.waitFor('lane_heard', 30_000, ['closed'])]);
    await execIn(bed.router('lossy').namespace, 'nft', ['-f', '-'], {
      input: 'table inet cut {\n  chain forward {\n    type filter hook forward priority -300; policy drop;\n  }\n}\n',
    });
    const [lossyClosed, nearClosed] = await Promise.all([lossy.waitFor('closed', 4 * idleTimeoutMs), near.waitFor('closed', 4 * idleTimeoutMs)]);
    assert.deepEqual([lossyClosed.reason, nearClosed.reason], ['network', 'network']);
    // Which notices first, our idle timer ('peer_silent') or libjuice's consent checks (the connection lost), depends
    // on timing (seen under CI load): either way both ended within the bound. The idle timer alone is proved above.
    for (const why of [await lossy.lostBecause(), await near.lostBecause()]) {
      assert.ok(why === 'peer_silent' || /^(peer connection|data channel)/.test(why), why);
    }
  });
});
