// The receiving process of bench/work-floor.ts: a bare node-datachannel answerer that does with the bytes what a
// new device must (account-store.ts storeLinked, framed-channel.ts): copies each message into one buffer, hashes
// it, inflates, shape-checks and decodes it as it comes (ArchiveInflation), and once the last byte is in, writes
// the archive to disk while the JSON is parsed. Signaling with the parent over the IPC channel.

import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import nodeDataChannel from 'node-datachannel';
import { ArchiveInflation } from '../service/accounts/archive-inflation.js';
import { writePrivateFile } from '../service/accounts/atomic-file.js';
import { remoteSideOf } from './datachannel-floor.js';

type FromParent =
  | { t: 'description'; sdp: string; type: string }
  | { t: 'candidate'; candidate: string; mid: string }
  | { t: 'expect'; size: number; file: string };

const send = (message: unknown) => process.send!(message);
const peer = new nodeDataChannel.PeerConnection('work-floor-receiver', { iceServers: [], bindAddress: '127.0.0.1' } as never);
peer.onLocalDescription((sdp, type) => send({ t: 'description', sdp, type }));
peer.onLocalCandidate((candidate, mid) => send({ t: 'candidate', candidate, mid }));
let expected: { size: number; file: string } | undefined;
/** Held here: a channel only its callbacks reference is collected, and its messages stop. */
let held: nodeDataChannel.DataChannel | undefined;
peer.onDataChannel((channel) => {
  held = channel;
  let data = Buffer.alloc(0);
  let received = 0;
  let hash = createHash('sha256');
  let inflation = new ArchiveInflation();
  channel.onMessage((message) => {
    if (expected === undefined || typeof message === 'string') return;
    if (received === 0) {
      data = Buffer.allocUnsafeSlow(expected.size);
      hash = createHash('sha256');
      inflation = new ArchiveInflation();
    }
    const bytes = message as Buffer;
    bytes.copy(data, received);
    hash.update(bytes);
    inflation.write(data.subarray(received, received + bytes.length));
    received += bytes.length;
    if (received < expected.size) return;
    const { file } = expected;
    expected = undefined;
    received = 0;
    hash.digest('hex');
    rmSync(file, { force: true });
    void Promise.all([inflation.finish(), writePrivateFile(file, data)]).then(() => send({ t: 'done' }), (error: Error) => send({ t: 'failed', why: error.message }));
  });
  send({ t: 'open' });
});

const remote = remoteSideOf(peer);
process.on('message', (message: FromParent) => {
  if (message.t === 'description') remote.description(message.sdp, message.type);
  else if (message.t === 'candidate') remote.candidate(message.candidate, message.mid);
  else {
    expected = { size: message.size, file: message.file };
    send({ t: 'expecting' });
  }
});
process.on('disconnect', () => {
  held?.close();
  peer.close();
  process.exit(0);
});
