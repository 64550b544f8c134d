// The floor for the link benchmark: two bare node-datachannel PeerConnections in one process with
// direct signaling, connect + transfer of the same size with the same flow control idea.

import nodeDataChannel from 'node-datachannel';

const CHUNK = 64 * 1024;
const LOW_WATER = 1024 * 1024;

export interface FloorResult {
  connectMs: number;
  transferMs: number;
}

export async function datachannelFloor(bytes: number): Promise<FloorResult> {
  const start = performance.now();
  const offerer = new nodeDataChannel.PeerConnection('floor-offer', { iceServers: [], bindAddress: '127.0.0.1' } as never);
  const answerer = new nodeDataChannel.PeerConnection('floor-answer', { iceServers: [], bindAddress: '127.0.0.1' } as never);
  // Direct trickle signaling; a candidate that overtakes its description waits for it.
  const wire = (from: nodeDataChannel.PeerConnection, to: nodeDataChannel.PeerConnection) => {
    let described = false;
    const early: Array<[string, string]> = [];
    from.onLocalDescription((sdp, type) => {
      to.setRemoteDescription(sdp, type as never);
      described = true;
      for (const [candidate, mid] of early.splice(0)) to.addRemoteCandidate(candidate, mid);
    });
    from.onLocalCandidate((candidate, mid) => {
      if (described) to.addRemoteCandidate(candidate, mid);
      else early.push([candidate, mid]);
    });
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
  channel.setBufferedAmountLowThreshold(LOW_WATER);
  let sent = 0;
  const pump = () => {
    while (sent < bytes && channel.bufferedAmount() < 4 * LOW_WATER) {
      const size = Math.min(CHUNK, bytes - sent);
      channel.sendMessageBinary(size === CHUNK ? payload : payload.subarray(0, size));
      sent += size;
    }
  };
  channel.onBufferedAmountLow(pump);
  pump();
  await done;
  const transferMs = performance.now() - transferStart;
  channel.close();
  offerer.close();
  answerer.close();
  return { connectMs, transferMs };
}
