// The test side of probes/channel-agent: one end of a framed data channel in a bed namespace. A test starts
// two, connects them (relaying their SDPs), sends an archive one way and awaits what each end reports
// (every wait an event with a time-out).

import { fileURLToPath } from 'node:url';
import type { BedProcess } from './bed-process.js';
import type { NetBed } from './net-bed.js';

const AGENT_SCRIPT = fileURLToPath(new URL('./probes/channel-agent.js', import.meta.url));

export interface AgentEvent {
  readonly event: string;
  /** Date.now() in the agent (one host: one clock for every agent). */
  readonly at: number;
  readonly [field: string]: unknown;
}

export interface ChannelAgentOptions {
  readonly role: 'offerer' | 'answerer';
  readonly heartbeatMs: number;
  readonly idleTimeoutMs: number;
  readonly closeTimeoutMs?: number;
  readonly chunkBytes?: number;
  /** Open the heartbeat lane (default true). */
  readonly lane?: boolean;
}

export class ChannelAgent {
  readonly #parsed: AgentEvent[] = [];
  #parsedUpTo = 0;

  private constructor(readonly process: BedProcess) {}

  /** Starts an agent on `device` of `bed`, its ICE bound to the device's IPv4 address. */
  static start(bed: NetBed, device: string, options: ChannelAgentOptions): ChannelAgent {
    const plan = bed.device(device);
    const child = bed.spawn(plan.namespace, process.execPath, [AGENT_SCRIPT], { stdin: true, label: `channel-agent-${device}` });
    const agent = new ChannelAgent(child);
    const { role, lane, ...channel } = options;
    agent.#command({ start: { role, bindAddress: plan.address.ipv4, lane, channel: { closeTimeoutMs: 2000, ...channel } } });
    return agent;
  }

  get events(): readonly AgentEvent[] {
    const stdout = this.process.stdout;
    const end = stdout.lastIndexOf('\n') + 1;
    for (const line of stdout.slice(this.#parsedUpTo, end).split('\n')) {
      if (line.startsWith('{')) this.#parsed.push(JSON.parse(line) as AgentEvent);
    }
    this.#parsedUpTo = end;
    return this.#parsed;
  }

  /** The first `event` the agent reported (already or within `ms`); rejects on an `error` event, or on one
   *  of `failOn` coming first. */
  async waitFor(event: string, ms: number, failOn: readonly string[] = []): Promise<AgentEvent> {
    const stops = ['error', ...failOn];
    const found = await this.process.waitUntil(() => this.events.find((e) => e.event === event || stops.includes(e.event)), ms, `for a ${event} event`);
    if (found.event !== event) throw new Error(`channel agent: ${found.event} before ${event}: ${JSON.stringify(found).slice(0, 300)}`);
    return found;
  }

  remote(sdp: string, type: 'offer' | 'answer'): void {
    this.#command({ remote: { sdp, type } });
  }

  expectArchive(size: number): void {
    this.#command({ expectArchive: { size } });
  }

  sendArchive(size: number): void {
    this.#command({ sendArchive: { size } });
  }

  close(): void {
    this.#command({ close: {} });
  }

  /** Asks for a `gaps` event: the longest silences on the channel and the lane since it opened. */
  requestGaps(): void {
    this.#command({ gaps: {} });
  }

  /** Why the agent's channel ended, as its log says ('peer_silent', 'peer connection failed', ...). Awaited: the
   *  log (stderr) may reach us after the `closed` event (stdout) it precedes in the agent. */
  lostBecause(ms = 5_000): Promise<string> {
    const why = (): string | undefined => {
      for (const line of this.process.stderr.split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { msg?: string; why?: string };
        if (entry.msg === 'channel lost') return entry.why ?? '';
      }
      return undefined;
    };
    return this.process.waitUntil(why, ms, 'to log why its channel was lost');
  }

  /** The end of a peer that dies: SIGKILL, nothing said, nothing closed; resolves once it is gone. */
  async kill(): Promise<void> {
    this.process.child.kill('SIGKILL');
    await this.process.exited(5_000);
  }

  /** Ends the agent: stdin closed (it tears its link down), then SIGTERM/SIGKILL if it lingers. */
  async stop(): Promise<void> {
    this.process.child.stdin?.end();
    await this.process.stop();
  }

  #command(command: unknown): void {
    this.process.child.stdin!.write(`${JSON.stringify(command)}\n`);
  }
}

export interface Connection {
  /** When the offerer applied the answer: from here the channel has to open (ICE, DTLS, SCTP). */
  readonly startedAt: number;
  readonly offererIce: number | undefined;
  readonly answererIce: number | undefined;
  readonly offererOpen: number;
  readonly answererOpen: number;
}

/** Relays offer and answer (complete descriptions, candidates included) and waits for both ends to open. */
export async function connectAgents(offerer: ChannelAgent, answerer: ChannelAgent, ms: number): Promise<Connection> {
  const offer = await offerer.waitFor('description', 10_000);
  answerer.remote(String(offer.sdp), 'offer');
  const answer = await answerer.waitFor('description', 10_000);
  offerer.remote(String(answer.sdp), 'answer');
  const startedAt = Date.now();
  const [offererOpen, answererOpen] = await Promise.all([offerer.waitFor('open', ms, ['closed']), answerer.waitFor('open', ms, ['closed'])]);
  const iceAt = (agent: ChannelAgent) => agent.events.find((e) => e.event === 'ice' && e.state === 'connected')?.at;
  return { startedAt, offererIce: iceAt(offerer), answererIce: iceAt(answerer), offererOpen: offererOpen.at, answererOpen: answererOpen.at };
}
