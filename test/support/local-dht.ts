// A local DHT for integration tests: a real third-party OpenDHT peer (Debian's dhtnode) on loopback,
// which daemons and test nodes use as their bootstrap. No traffic leaves the machine.

import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { withTimeout } from './wait.js';
import { stopChild } from './private-bus.js';

export interface LocalDht {
  readonly port: number;
  /** "127.0.0.1:port", for --bootstrap. */
  readonly bootstrap: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** A UDP port that was free a moment ago (the OS picks it). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

export async function startLocalDht(): Promise<LocalDht> {
  const port = await freeUdpPort();
  const child = spawn('dhtnode', ['-s', '-v', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const onData = (chunk: Buffer) => {
    output += chunk.toString('utf8');
  };
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.stdout!.on('data', () => {
        if (output.includes('state changed to Running') || output.includes('DHT node initialised')) resolve();
      });
      child.once('error', (error) => reject(new Error(`cannot run dhtnode: ${error.message} (apt-get install dhtnode)`)));
      child.once('exit', (code) => reject(new Error(`dhtnode exited (${code}): ${output}`)));
    }),
    10000,
    'dhtnode to run',
  );
  child.stdout!.removeAllListeners('data');
  child.stderr!.removeAllListeners('data');
  child.stdout!.resume();
  child.stderr!.resume();
  return { port, bootstrap: `127.0.0.1:${port}`, process: child, stop: () => stopChild(child) };
}
