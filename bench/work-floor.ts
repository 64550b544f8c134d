// A floor for the 50 MB row with the new device's work in it: a bare node-datachannel transfer (as
// datachannel-floor.ts, no DHT, no D-Bus, no protocol) to another process that does with the bytes what a new
// device must (work-floor-receiver.ts: copy, hash, inflate, check, decode, parse, write). Two processes on the same
// cores, as two daemons are; what it cannot show is the rest of a link (the CLIs, the DHT, the handshake).

import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nodeDataChannel from 'node-datachannel';
import { remoteSideOf, sendPaced } from './datachannel-floor.js';

const RECEIVER = fileURLToPath(new URL('./work-floor-receiver.js', import.meta.url));

type FromReceiver =
  | { t: 'description'; sdp: string; type: string }
  | { t: 'candidate'; candidate: string; mid: string }
  | { t: 'open' | 'expecting' | 'done' }
  | { t: 'failed'; why: string };

/** ms from the first byte sent to the receiver having parsed and written `archive`, the best of `runs`. */
export async function workFloor(archive: Buffer, runs: number): Promise<number> {
  const receiver = fork(RECEIVER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const offerer = new nodeDataChannel.PeerConnection('work-floor-sender', { iceServers: [], bindAddress: '127.0.0.1' } as never);
  try {
    const next = (wanted: FromReceiver['t']) => waitFor(receiver, wanted);
    const remote = remoteSideOf(offerer);
    receiver.on('message', (message: FromReceiver) => {
      if (message.t === 'description') remote.description(message.sdp, message.type);
      else if (message.t === 'candidate') remote.candidate(message.candidate, message.mid);
    });
    offerer.onLocalDescription((sdp, type) => receiver.send({ t: 'description', sdp, type }));
    offerer.onLocalCandidate((candidate, mid) => receiver.send({ t: 'candidate', candidate, mid }));
    const opened = next('open');
    const channel = offerer.createDataChannel('work-floor');
    await opened;
    const file = path.join(os.tmpdir(), `jami-link-work-floor-${process.pid}.gz`);
    let best = Infinity;
    for (let run = 0; run < runs; run++) {
      const expecting = next('expecting');
      receiver.send({ t: 'expect', size: archive.length, file });
      await expecting;
      const done = next('done');
      const start = performance.now();
      sendPaced(channel, archive.length, (from, to) => archive.subarray(from, to));
      await done;
      best = Math.min(best, performance.now() - start);
    }
    channel.close();
    await rm(file, { force: true });
    return best;
  } finally {
    offerer.close();
    receiver.disconnect();
    await once(receiver, 'exit');
  }
}

/** The receiver's next `wanted` message; rejects if it fails or exits first, or after 60 s. */
function waitFor(child: ChildProcess, wanted: FromReceiver['t']): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    const onMessage = (message: FromReceiver) => {
      if (message.t === 'failed') settle(new Error(`work floor receiver: ${message.why}`));
      else if (message.t === wanted) settle();
    };
    const onExit = () => settle(new Error('work floor receiver exited'));
    const timer = setTimeout(() => settle(new Error(`work floor receiver: no ${wanted} within 60 s`)), 60_000);
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}
