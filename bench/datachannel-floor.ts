// The floor for the link benchmark: two bare node-datachannel PeerConnections in one process with
// direct signaling, connect + transfer of the same size with the same flow control idea.

import nodeDataChannel from 'node-datachannel';

const CHUNK = 64 * 1024;
const LOW_WATER = 1024 * 1024;

/** A peer's side of direct trickle signaling: a candidate that overtakes its description waits for it. */
export function remoteSideOf(peer: nodeDataChannel.PeerConnection): { description(sdp: string, type: string): void; candidate(candidate: string, mid: string): void } {
  let described = false;
  const early: Array<[string, string]> = [];
  return {
    description(sdp, type) {
      peer.setRemoteDescription(sdp, type as never);
      described = true;
      for (const [candidate, mid] of early.splice(0)) peer.addRemoteCandidate(candidate, mid);
    },
    candidate(candidate, mid) {
      if (described) peer.addRemoteCandidate(candidate, mid);
      else early.push([candidate, mid]);
    },
  };
}

/** Sends `bytes` in CHUNK messages (`piece(from, to)`), keeping up to 4 MiB queued, refilled at LOW_WATER. */
export function sendPaced(channel: nodeDataChannel.DataChannel, bytes: number, piece: (from: number, to: number) => Buffer): void {
  channel.setBufferedAmountLowThreshold(LOW_WATER);
  let sent = 0;
  const pump = () => {
    while (sent < bytes && channel.bufferedAmount() < 4 * LOW_WATER) {
      const end = Math.min(sent + CHUNK, bytes);
      channel.sendMessageBinary(piece(sent, end));
      sent = end;
    }
  };
  channel.onBufferedAmountLow(pump);
  pump();
}

export interface FloorResult {
  connectMs: number;
  transferMs: number;
}

export async function datachannelFloor(bytes: number): Promise<FloorResult> {
  const start = performance.now();
  const offerer = new nodeDataChannel.PeerConnection('floor-offer', { iceServers: [], bindAddress: '127.0.0.1' } as never);
  const answerer = new nodeDataChannel.PeerConnection('floor-answer', { iceServers: [], bindAddress: '127.0.0.1' } as never);
  const wire = (from: nodeDataChannel.PeerConnection, to: nodeDataChannel.PeerConnection) => {
    const remote = remoteSideOf(to);
    from.onLocalDescription((sdp, type) => remote.description(sdp, type));
    from.onLocalCandidate((candidate, mid) => remote.candidate(candidate, mid));
  };
  wire(offerer, answerer);
  wire(answerer, offerer);
  const received = new Promise<{ channel: nodeDataChannel.DataChannel; opened: number }>((resolve) => {
    answerer.onDataChannel((channel) => resolve({ channel, opened: performance.now() }));
  });
  const channel = offerer.createDataChannel('floor');
  await new Promise<void>((resolve) => channel.onOpen(() => resolve()));
  const { channel: sink } = await received;
  const connectMs = performance.now() - start;

  const payload = Buffer.alloc(CHUNK, 7);
  const transferStart = performance.now();
  const done = new Promise<void>((resolve) => {
    let got = 0;
    sink.onMessage((message) => {
      got += typeof message === 'string' ? message.length : (message as Buffer).length;
      if (got >= bytes) resolve();
    });
  });
  sendPaced(channel, bytes, (from, to) => (to - from === CHUNK ? payload : payload.subarray(0, to - from)));
  await done;
  const transferMs = performance.now() - transferStart;
  channel.close();
  offerer.close();
  answerer.close();
  return { connectMs, transferMs };
}
