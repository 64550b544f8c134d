// A UDP socket inside a bed namespace, driven by JSON lines on stdin and reporting JSON lines on
// stdout, so one test can make a NATed device send, listen and answer without sleeping.
// Commands: {"bind":{"address","port"}}, {"send":{"host","port","text"}},
// {"burst":{"host","port","count"}} (paced, texts seq:0..count-1). Events: bound, message, sent, error.

import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import readline from 'node:readline';

type Command =
  | { bind: { address: string; port: number } }
  | { send: { host: string; port: number; text: string } }
  | { burst: { host: string; port: number; count: number } };

const BURST_BATCH = 25;
let socket: dgram.Socket | undefined;

function report(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function requireSocket(): dgram.Socket {
  if (!socket) throw new Error('bind first');
  return socket;
}

function send(host: string, port: number, text: string): Promise<void> {
  return new Promise((resolve, reject) => requireSocket().send(text, port, host, (error) => (error ? reject(error) : resolve())));
}

async function burst(host: string, port: number, count: number): Promise<void> {
  for (let sent = 0; sent < count; ) {
    const batch = Math.min(BURST_BATCH, count - sent);
    await Promise.all(Array.from({ length: batch }, (_, i) => send(host, port, `seq:${sent + i}`)));
    sent += batch;
    // Pacing, not settling: a receive buffer that overflows would look like path loss.
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

async function perform(command: Command): Promise<void> {
  if ('bind' in command) {
    const { address, port } = command.bind;
    socket = dgram.createSocket(isIPv6(address) ? 'udp6' : 'udp4');
    socket.on('message', (message, from) => report({ event: 'message', from: from.address, port: from.port, text: message.toString('utf8') }));
    await new Promise<void>((resolve, reject) => {
      socket!.once('error', reject);
      socket!.bind(port, address, () => resolve());
    });
    report({ event: 'bound', address: socket.address().address, port: socket.address().port });
  } else if ('send' in command) {
    await send(command.send.host, command.send.port, command.send.text);
    report({ event: 'sent', text: command.send.text, host: command.send.host, port: command.send.port });
  } else {
    await burst(command.burst.host, command.burst.port, command.burst.count);
    report({ event: 'sent', text: `burst:${command.burst.count}`, host: command.burst.host, port: command.burst.port });
  }
}

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  perform(JSON.parse(line) as Command).catch((error: Error) => report({ event: 'error', message: error.message }));
});
lines.on('close', () => {
  socket?.close();
  process.exit(0);
});
