// A child process of test/support/dht-swarm.ts: runs a share of a swarm's OpenDHT nodes (the project's
// binding, one DhtRunner each) on 127.0.0.1, joins them to the nodes of earlier shares, and, when told,
// waits until each of its nodes knows enough good peers. Then it answers `get` requests (to look at what
// the swarm holds) until told to stop or until its parent goes away.
//
// Started with child_process.fork(): `node dht-swarm-process.js '<ShareRequest as JSON>'`.
// Messages: child -> parent `running` (ports and ids), then `formed` or `failed`; `got` answers a `get`.

import { readdirSync, readFileSync } from 'node:fs';
import { DhtRunner, InfoHash } from 'opendht-node';

export interface ShareRequest {
  /** Global index of this share's first node: node g bootstraps to nodes of index < g. */
  firstIndex: number;
  count: number;
  /** Ports of the nodes of earlier shares, by global index (0 .. firstIndex - 1). */
  earlierPorts: number[];
  /** Each node pings node 0 and up to fanOut - 1 other random earlier nodes. */
  fanOut: number;
  /** Seed of the choice of earlier nodes, so that a failing run can be repeated. */
  seed: number;
}

export interface SwarmNode {
  /** Global index in the swarm. */
  index: number;
  port: number;
  /** 40 hex: the node's DHT id. */
  nodeId: string;
}

export interface ShareCost {
  pid: number;
  nodes: number;
  rssMb: number;
  threads: number;
  fds: number;
  /** This process before any node ran, to tell the nodes' own share. */
  baselineRssMb: number;
  baselineThreads: number;
  /** Bootstrap pings that got no answer (OpenDHT keeps retrying those addresses on its own). */
  unansweredPings: number;
  /** The fewest good IPv4 peers any node of this share had when it counted as formed. */
  fewestGoodPeers: number;
}

export type ShareMessage =
  | { type: 'running'; nodes: SwarmNode[] }
  | { type: 'formed'; cost: ShareCost }
  | { type: 'failed'; error: string }
  | { type: 'got'; requestId: number; values?: { size: number }[]; error?: string };

export type ShareCommand =
  | { type: 'form'; minGoodPeers: number; timeoutMs: number }
  | { type: 'get'; requestId: number; key: string; from: number }
  | { type: 'stop' };

// OpenDHT 2.4 waits on its sockets with select(): a descriptor numbered FD_SETSIZE (1024) or more aborts
// the whole process (glibc's "bit out of range 0 - FD_SETSIZE on fd_set"). A node takes 3 descriptors
// (its socket and a pipe), so a process holds at most ~330 nodes; refuse before reaching that.
const FD_SETSIZE = 1024;
const FDS_PER_NODE = 3;

// Routing tables are polled (OpenDHT has no event for "peer confirmed"); 100 ms keeps 250 nodes' polls cheap.
const POLL_MS = 100;

/** The highest open descriptor: new ones take the lowest free number, so the next ones come after it. */
function highestFd(): number {
  return Math.max(...readdirSync('/proc/self/fd').map(Number).filter(Number.isInteger));
}

function procStatus(field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) : NaN;
}

/** A small deterministic generator (mulberry32) for the choice of bootstrap nodes. */
function randomFrom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function send(message: ShareMessage): void {
  process.send?.(message);
}

class Share {
  readonly runners: DhtRunner[] = [];
  private unansweredPings = 0;
  private readonly baselineRssMb = procStatus('VmRSS') / 1024;
  private readonly baselineThreads = procStatus('Threads');

  constructor(private readonly request: ShareRequest) {}

  /** Runs the nodes and has each ping a few earlier ones (all pings at once). */
  async start(): Promise<SwarmNode[]> {
    const { firstIndex, count, earlierPorts, fanOut, seed } = this.request;
    for (let i = 0; i < count; i += 1) {
      if (highestFd() + FDS_PER_NODE >= FD_SETSIZE) {
        const why = `OpenDHT's select() cannot watch descriptors >= ${FD_SETSIZE}`;
        throw new Error(`cannot run node ${firstIndex + i}: ${why}; use fewer nodes per process`);
      }
      // A short graceful shutdown: the swarm is stopped as a whole, nobody waits for its nodes' goodbyes.
      const runner = new DhtRunner({ shutdownTimeoutMs: 100 });
      this.runners.push(runner);
      // IPv4 only on loopback, no LAN discovery: nothing leaves 127.0.0.1 (and 3 descriptors a node, not 4).
      await runner.run({ port: 0, bindIPv4: '127.0.0.1', ipv6: false, peerDiscovery: false, peerPublish: false });
    }
    const ports = [...earlierPorts, ...this.runners.map((runner) => runner.getBoundPort())];
    const random = randomFrom(seed + firstIndex);
    const pings: Promise<void>[] = [];
    for (let i = 0; i < count; i += 1) {
      const global = firstIndex + i;
      if (global === 0) continue;
      const targets = new Set<number>([0]);
      for (let attempt = 0; targets.size < Math.min(fanOut, global) && attempt < 4 * fanOut; attempt += 1) {
        targets.add(Math.floor(random() * global));
      }
      for (const target of targets) pings.push(this.runners[i].bootstrap('127.0.0.1', ports[target]));
    }
    // An unanswered ping is not fatal: OpenDHT retries the address, and form() checks what counts.
    this.unansweredPings = (await Promise.allSettled(pings)).filter((ping) => ping.status === 'rejected').length;
    return this.runners.map((runner, i) => ({ index: firstIndex + i, port: ports[firstIndex + i], nodeId: runner.getNodeId() }));
  }

  /**
   * Once every share runs: each node looks up its own id, as a Kademlia node does on joining, which
   * fills its closest buckets from the whole swarm (nodes that joined early would otherwise know only
   * the few that existed then); then waits until every node has `minGoodPeers` good peers.
   */
  async form(minGoodPeers: number, timeoutMs: number): Promise<ShareCost> {
    const deadline = performance.now() + timeoutMs;
    // A lookup that finds nothing stored is fine (no value is there); only the search matters.
    await Promise.allSettled(this.runners.map((runner) => runner.get(InfoHash.fromHex(runner.getNodeId()))));
    const fewestGood = () => Math.min(...this.runners.map((runner) => runner.getNodeInfo().ipv4.good));
    let fewest = fewestGood();
    while (fewest < minGoodPeers) {
      if (performance.now() > deadline) {
        throw new Error(`the swarm did not form in ${timeoutMs} ms: a node has ${fewest} good peers, ${minGoodPeers} wanted`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      fewest = fewestGood();
    }
    return {
      pid: process.pid,
      nodes: this.runners.length,
      rssMb: procStatus('VmRSS') / 1024,
      threads: procStatus('Threads'),
      fds: readdirSync('/proc/self/fd').length,
      baselineRssMb: this.baselineRssMb,
      baselineThreads: this.baselineThreads,
      unansweredPings: this.unansweredPings,
      fewestGoodPeers: fewest,
    };
  }

  async get(command: Extract<ShareCommand, { type: 'get' }>): Promise<void> {
    try {
      const runner = this.runners[command.from - this.request.firstIndex];
      if (!runner) throw new Error(`node ${command.from} is not in this share`);
      const values = await runner.get(InfoHash.fromHex(command.key));
      send({ type: 'got', requestId: command.requestId, values: values.map((value) => ({ size: value.data.length })) });
    } catch (error) {
      send({ type: 'got', requestId: command.requestId, error: (error as Error).message });
    }
  }
}

async function main(): Promise<void> {
  const share = new Share(JSON.parse(process.argv[2] ?? '{}') as ShareRequest);
  // Nothing outlives the parent: when the IPC channel closes (parent gone) the process ends.
  // process.exit() runs the binding's atexit hook, which joins every node's threads.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  const fail = (error: unknown) => {
    send({ type: 'failed', error: (error as Error).message });
    process.exit(1);
  };
  process.on('message', (command: ShareCommand) => {
    if (command.type === 'stop') process.exit(0);
    else if (command.type === 'get') void share.get(command);
    else if (command.type === 'form') share.form(command.minGoodPeers, command.timeoutMs).then((cost) => send({ type: 'formed', cost }), fail);
  });
  share.start().then((nodes) => send({ type: 'running', nodes }), fail);
}

void main();
