// The test side of probes/udp-agent: a UDP socket in a bed namespace that a test binds, sends from
// and awaits messages on (every wait an event with a time-out).

import { fileURLToPath } from 'node:url';
import type { BedProcess } from './bed-process.js';
import type { NetBed } from './net-bed.js';

export interface UdpMessage {
  readonly from: string;
  readonly port: number;
  readonly text: string;
}

const AGENT_SCRIPT = fileURLToPath(new URL('./probes/udp-agent.js', import.meta.url));

export class UdpAgent {
  readonly #process: BedProcess;
  #eventsSeen = 0;
  readonly #parsed: Record<string, unknown>[] = [];
  #parsedUpTo = 0;

  private constructor(process: BedProcess) {
    this.#process = process;
  }

  /** Starts an agent in `namespace` with a socket bound to address:port (port 0: any). */
  static async start(bed: NetBed, namespace: string, address: string, port = 0, label = 'udp-agent'): Promise<{ agent: UdpAgent; port: number }> {
    const child = bed.spawn(namespace, process.execPath, [AGENT_SCRIPT], { stdin: true, label });
    const agent = new UdpAgent(child);
    agent.#command({ bind: { address, port } });
    const bound = await agent.#nextEvent('bound', 5000);
    return { agent, port: bound.port as number };
  }

  /** Every message received so far. */
  get messages(): UdpMessage[] {
    return this.#events()
      .filter((e) => e.event === 'message')
      .map((e) => ({ from: e.from as string, port: e.port as number, text: e.text as string }));
  }

  async send(host: string, port: number, text: string): Promise<void> {
    this.#command({ send: { host, port, text } });
    await this.#nextEvent('sent', 5000);
  }

  /** Sends seq:0 .. seq:count-1, paced; resolves once all are handed to the kernel. */
  async burst(host: string, port: number, count: number, ms = 20000): Promise<void> {
    this.#command({ burst: { host, port, count } });
    await this.#nextEvent('sent', ms);
  }

  /** The first message (already received or still to come) that satisfies `accept`. */
  message(accept: (message: UdpMessage) => boolean, ms: number, what: string): Promise<UdpMessage> {
    return this.#process.waitUntil(() => this.messages.find(accept), ms, `for ${what}`);
  }

  async stop(): Promise<void> {
    this.#process.child.stdin?.end();
    await this.#process.stop();
  }

  #command(command: unknown): void {
    this.#process.child.stdin!.write(`${JSON.stringify(command)}\n`);
  }

  /** The agent's events so far, parsed once each as stdout grows. */
  #events(): Record<string, unknown>[] {
    const stdout = this.#process.stdout;
    const end = stdout.lastIndexOf('\n') + 1;
    for (const line of stdout.slice(this.#parsedUpTo, end).split('\n')) {
      if (line.startsWith('{')) this.#parsed.push(JSON.parse(line) as Record<string, unknown>);
    }
    this.#parsedUpTo = end;
    return this.#parsed;
  }

  async #nextEvent(event: string, ms: number): Promise<Record<string, unknown>> {
    const after = this.#eventsSeen;
    const found = await this.#process.waitUntil(
      () => {
        const events = this.#events();
        const index = events.findIndex((e, i) => i >= after && (e.event === event || e.event === 'error'));
        if (index < 0) return undefined;
        this.#eventsSeen = index + 1;
        return events[index];
      },
      ms,
      `for a ${event} event`,
    );
    if (found.event === 'error') throw new Error(`udp agent: ${String(found.message)}`);
    return found;
  }
}
