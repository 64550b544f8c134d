// By hand, as root (network namespaces): how long ICE, then DTLS + SCTP take on a lossy path, and how an archive
// fares there. Two devices on two routed networks of the test bed, one router dropping LOSS% of what it forwards
// each way (BOTH=1: both routers, so a packet crosses two lossy hops); each end is the transport's PeerLink and
// FramedChannel in a process of its own (test/support/netbed/channel-agent.ts). Prints one JSON line per run:
// iceMs (answer applied -> ICE connected), offererOpenMs / answererOpenMs (-> data channel open), and with
// ARCHIVE=bytes the transfer's outcome and the longest silences each end heard (channel, lane).
//   npx tsc -p tsconfig.json && sudo RUNS=40 LOSS=20 node dist/bench/lossy-path.js
// Knobs: RUNS (5), LOSS (20), BOTH, ARCHIVE (0: connect only), IDLE (idle time-out, 20000; heartbeat IDLE/4),
// LANE=0 (no heartbeat lane), CHUNK (chunk bytes), IDLE_WAIT (ms to keep an idle link up, then its silences),
// KEEP=1 (keep the agents' logs).

import { NetBed } from '../test/support/netbed/net-bed.js';
import { ChannelAgent, connectAgents, type AgentEvent } from '../test/support/netbed/channel-agent.js';

const env = process.env;
const LOSS = Number(env.LOSS ?? 20);
const RUNS = Number(env.RUNS ?? 5);
const ARCHIVE = Number(env.ARCHIVE ?? 0);
const IDLE = Number(env.IDLE ?? 20_000);
const IDLE_WAIT = Number(env.IDLE_WAIT ?? 0);
const lane = env.LANE !== '0';
const chunkBytes = env.CHUNK ? Number(env.CHUNK) : undefined;

const silences = ({ channel, lane: laneGap, any, channelMessages, laneMessages }: AgentEvent) => ({ channel, lane: laneGap, any, channelMessages, laneMessages });

const bed = await NetBed.create({
  keepLogs: Boolean(env.KEEP),
  dht: false,
  turn: false,
  networks: [
    { name: 'lossy', nat: 'none', devices: ['l'], lossPercent: LOSS },
    { name: 'clean', nat: 'none', devices: ['c'], lossPercent: env.BOTH === '1' ? LOSS : 0 },
  ],
});
console.log(JSON.stringify({ loss: LOSS, both: env.BOTH === '1', lossBy: bed.router('lossy').lossBy, runs: RUNS, logs: env.KEEP ? bed.logDir : undefined }));
try {
  for (let run = 1; run <= RUNS; run += 1) {
    const options = { heartbeatMs: IDLE / 4, idleTimeoutMs: IDLE, lane, chunkBytes };
    const offerer = ChannelAgent.start(bed, 'l', { role: 'offerer', ...options });
    const answerer = ChannelAgent.start(bed, 'c', { role: 'answerer', ...options });
    try {
      const c = await connectAgents(offerer, answerer, 120_000);
      const since = (at: number | undefined) => (at === undefined ? undefined : at - c.startedAt);
      const ice = Math.max(c.offererIce ?? -Infinity, c.answererIce ?? -Infinity);
      console.log(JSON.stringify({ run, iceMs: since(Number.isFinite(ice) ? ice : undefined), offererOpenMs: since(c.offererOpen), answererOpenMs: since(c.answererOpen) }));
      if (IDLE_WAIT > 0) {
        const ended = await Promise.race([
          new Promise<undefined>((resolve) => setTimeout(resolve, IDLE_WAIT)),
          offerer.waitFor('closed', IDLE_WAIT + 1_000).then((e) => ({ side: 'offerer', ...e }), () => undefined),
          answerer.waitFor('closed', IDLE_WAIT + 1_000).then((e) => ({ side: 'answerer', ...e }), () => undefined),
        ]);
        offerer.requestGaps();
        answerer.requestGaps();
        const [o, a] = await Promise.all([offerer.waitFor('gaps', 5_000), answerer.waitFor('gaps', 5_000)]);
        console.log(JSON.stringify({ run, idleWaitMs: IDLE_WAIT, ended, offerer: silences(o), answerer: silences(a) }));
      }
      if (ARCHIVE > 0) {
        answerer.expectArchive(ARCHIVE);
        offerer.sendArchive(ARCHIVE);
        const started = Date.now();
        const outcome = await Promise.race([
          answerer.waitFor('archive', 900_000).then(() => ({ ok: true })),
          answerer.waitFor('closed', 900_000).then((e) => ({ ok: false, side: 'answerer', why: answerer.lostBecause(), ...e })),
          offerer.waitFor('closed', 900_000).then((e) => ({ ok: false, side: 'offerer', why: offerer.lostBecause(), ...e })),
        ]);
        const gaps = (agent: ChannelAgent) => agent.events.filter((e) => e.event === 'gaps').map(silences);
        console.log(JSON.stringify({ run, archive: ARCHIVE, ms: Date.now() - started, ...outcome, answererSilences: gaps(answerer), offererSilences: gaps(offerer) }));
      }
    } catch (error) {
      console.log(JSON.stringify({ run, error: (error as Error).message.slice(0, 300) }));
    } finally {
      await Promise.all([offerer.stop(), answerer.stop()]);
    }
  }
} finally {
  await bed.destroy();
}
