// One end of a framed data channel (the transport's PeerLink and FramedChannel, real WebRTC) inside a bed
// namespace, driven by JSON lines on stdin and reporting JSON lines on stdout, so a test can run both ends on
// two networks of a bed (a lossy path between them) and await what each end saw. The test relays the SDPs.
// Commands: {"start":{role, bindAddress, channel:{heartbeatMs, idleTimeoutMs, closeTimeoutMs, chunkBytes?}, lane}},
// {"remote":{sdp, type}}, {"expectArchive":{size}}, {"sendArchive":{size}}, {"close":{}}, {"gaps":{}}.
// Events (each with `at`, this host's Date.now()): description {sdp}, ice {state}, open {peerAddress},
// archive_started {size, sha256}, archive {size, sha256}, archive_sent {sha256}, archive_failed {why},
// lane_heard {count}, gaps {channel, lane, any, ...: the longest silences}, closed {reason}, closed_by_us,
// error {message}.

import { createHash, randomBytes } from 'node:crypto';
import readline from 'node:readline';
import type { DataChannel, PeerConnection } from 'node-datachannel';
import pino from 'pino';
import { systemClock } from '../../../../service/contract/clock.js';
import { FramedChannel } from '../../../../service/transport/channel/framed-channel.js';
import { shutdownTransport } from '../../../../service/transport/create-link-transport.js';
import { PeerLink, type PeerRole } from '../../../../service/transport/webrtc/peer-link.js';

interface StartCommand {
  readonly role: PeerRole;
  readonly bindAddress: string;
  readonly channel: { heartbeatMs: number; idleTimeoutMs: number; closeTimeoutMs: number; chunkBytes?: number };
  /** Open the heartbeat lane (default true); false plays a peer without one. */
  readonly lane?: boolean;
}

type Command =
  | { start: StartCommand }
  | { remote: { sdp: string; type: 'offer' | 'answer' } }
  | { expectArchive: { size: number } }
  | { sendArchive: { size: number } }
  | { close: Record<string, never> }
  | { gaps: Record<string, never> };

// The channel's own log, on stderr (the bed keeps it in a file): why a link ended is there.
const logger = pino({ level: 'debug' }, pino.destination(2));
let link: PeerLink | undefined;
let channel: FramedChannel | undefined;
let lane: DataChannel | undefined;
let wantLane = true;

function report(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, at: Date.now(), ...fields })}\n`);
}

/** When messages arrived on the channel and on the lane: the longest silences tell what liveness had to bridge. */
const arrivals = { channel: [] as number[], lane: [] as number[] };
/** `lane_heard` is reported once this many lane messages came. */
const LANE_HEARD = 3;

/** The data channel as FramedChannel sees it, noting when each message arrives (a measurement, nothing more). */
function timed(dc: DataChannel, into: number[]): DataChannel {
  return new Proxy(dc, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (property === 'onMessage') {
        return (callback: (message: unknown) => void) => target.onMessage((message) => {
          into.push(Date.now());
          if (into === arrivals.lane && into.length === LANE_HEARD) report('lane_heard', { count: LANE_HEARD });
          callback(message);
        });
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function longestGap(times: readonly number[], from: number, to: number): number {
  return gapsOf(times, from, to)[0]?.ms ?? 0;
}

/** The silences between arrivals, longest first, each with when it began (ms after `from`). */
function gapsOf(times: readonly number[], from: number, to: number): { ms: number; after: number }[] {
  const gaps: { ms: number; after: number }[] = [];
  let previous = from;
  for (const time of [...times.filter((t) => t >= from && t <= to), to]) {
    gaps.push({ ms: time - previous, after: previous - from });
    previous = time;
  }
  return gaps.sort((a, b) => b.ms - a.ms);
}

function reportGaps(from: number): void {
  const to = Date.now();
  const any = [...arrivals.channel, ...arrivals.lane].sort((a, b) => a - b);
  report('gaps', {
    channel: longestGap(arrivals.channel, from, to),
    lane: longestGap(arrivals.lane, from, to),
    any: longestGap(any, from, to),
    channelTop: gapsOf(arrivals.channel, from, to).slice(0, 3),
    laneTop: gapsOf(arrivals.lane, from, to).slice(0, 3),
    channelMessages: arrivals.channel.length,
    laneMessages: arrivals.lane.length,
  });
}

let openedAt = 0;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function begin(command: StartCommand): void {
  wantLane = command.lane !== false;
  link = new PeerLink(command.role, { iceServers: [], bindAddress: command.bindAddress, logger });
  // A measurement only: when ICE found its pair, to split the connect time into ICE and DTLS + SCTP.
  // PeerLink keeps the connection to itself and does not use this callback.
  const pc = (link as unknown as { pc?: PeerConnection }).pc;
  pc?.onIceStateChange((state) => report('ice', { state }));
  // As the transport does: the offerer at once, the answerer once the offer is applied.
  if (command.role === 'offerer' && wantLane) lane = link.openHeartbeatChannel();
  link.localDescription().then((sdp) => report('description', { sdp }), (error: Error) => report('error', { message: error.message }));
  link.channelOpen().then(
    (dc) => {
      const pair = link!.selectedPair();
      const peerAddress = { address: pair?.remote.address ?? '', type: pair?.remote.type ?? 'unknown' } as const;
      openedAt = Date.now();
      const options = { logger, clock: systemClock, maxArchiveBytes: 64 * 1024 * 1024, ...command.channel };
      channel = new FramedChannel(timed(dc, arrivals.channel), link!, peerAddress, options, lane && timed(lane, arrivals.lane));
      channel.on('closed', (reason: string) => {
        reportGaps(openedAt);
        report('closed', { reason });
      });
      channel.on('archive', (data: Buffer) => {
        reportGaps(openedAt);
        report('archive', { size: data.length, sha256: sha256(data) });
      });
      report('open', { peerAddress });
    },
    (error: Error) => report('closed', { reason: `never opened: ${error.message}` }),
  );
}

function perform(command: Command): void {
  if ('start' in command) return begin(command.start);
  if ('remote' in command) {
    link!.acceptRemoteDescription(command.remote.sdp, command.remote.type);
    if (command.remote.type === 'offer' && wantLane) lane = link!.openHeartbeatChannel();
    return;
  }
  if (channel === undefined) throw new Error(`no open channel for ${Object.keys(command)[0]}`);
  if ('gaps' in command) return reportGaps(openedAt);
  if ('expectArchive' in command) return channel.expectArchive(command.expectArchive.size);
  if ('sendArchive' in command) {
    const data = randomBytes(command.sendArchive.size);
    const digest = sha256(data);
    report('archive_started', { size: data.length, sha256: digest });
    channel.sendArchive(data).then(() => report('archive_sent', { sha256: digest }), (error: Error) => report('archive_failed', { why: error.message }));
    return;
  }
  channel.close().then(() => report('closed_by_us'));
}

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  try {
    perform(JSON.parse(line) as Command);
  } catch (error) {
    report('error', { message: (error as Error).message });
  }
});
lines.on('close', () => {
  channel?.destroy();
  link?.close();
  shutdownTransport();
  process.exit(0);
});
