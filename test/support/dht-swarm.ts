// A DHT of many nodes on loopback, for tests and benchmarks that must not find every value on the node
// they talk to: N OpenDHT nodes (the project's binding) joined into one network, run in child processes
// of at most NODES_PER_PROCESS nodes each (dht-swarm-process.ts), with each node's port and id.
// Torn down by the children's pids, and killed by an exit hook if the test process ends first.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withTimeout } from './wait.js';
import type { ShareCommand, ShareCost, ShareMessage, ShareRequest, SwarmNode } from './dht-swarm-process.js';

export type { ShareCost, SwarmNode } from './dht-swarm-process.js';

const SHARE_PROCESS = fileURLToPath(new URL('./dht-swarm-process.js', import.meta.url));
/** OpenDHT 2.4's select() limits a process to ~330 nodes (see dht-swarm-process.ts); 250 leaves room. */
export const NODES_PER_PROCESS = 250;
const START_TIMEOUT_MS = 30000;
const STOP_GRACE_MS = 5000;
const GET_TIMEOUT_MS = 30000;

export interface DhtSwarmOptions {
  nodes: number;
  /** Earlier nodes each node pings to join (default 3). */
  fanOut?: number;
  /** Good peers every node must know before the swarm counts as formed (default 8, an OpenDHT bucket). */
  minGoodPeers?: number;
  /** Default: 20 s plus 50 ms a node. */
  formTimeoutMs?: number;
  /** Nodes per child process (default and at most NODES_PER_PROCESS). */
  nodesPerProcess?: number;
  seed?: number;
}

export interface DhtSwarm {
  readonly nodes: readonly SwarmNode[];
  /** Start of the first process to the last node formed. */
  readonly startMs: number;
  /** One entry per child process. */
  readonly costs: readonly ShareCost[];
  readonly pids: readonly number[];
  /** Sizes of the values a get from swarm node `from` (global index) finds at `key` (40 hex). */
  get(key: string, from: number): Promise<{ size: number }[]>;
  stop(): Promise<void>;
}

/** "127.0.0.1:port" of a swarm node, for a daemon's --bootstrap. */
export function bootstrapOf(node: SwarmNode): string {
  return `127.0.0.1:${node.port}`;
}

/** XOR of two 40-hex ids, as 40 hex: compared as strings, a longer common prefix is a smaller distance. */
export function xorDistance(a: string, b: string): string {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  if (left.length !== 20 || right.length !== 20) throw new Error(`not two 40-hex ids: ${a}, ${b}`);
  return Buffer.from(left.map((byte, i) => byte ^ right[i])).toString('hex');
}

/** The two nodes farthest apart in the id space (largest XOR distance): their ids differ in the top bit
 *  whenever the swarm has nodes in both halves, so neither falls in the other's closest buckets. */
export function farApart(nodes: readonly SwarmNode[]): [SwarmNode, SwarmNode] {
  if (nodes.length < 2) throw new Error('a swarm of fewer than two nodes has no pair');
  let best: [SwarmNode, SwarmNode] = [nodes[0], nodes[1]];
  let bestDistance = xorDistance(nodes[0].nodeId, nodes[1].nodeId);
  for (let i = 0; i < nodes.length; i += 1) {
    for (let j = i + 1; j < nodes.length; j += 1) {
      const distance = xorDistance(nodes[i].nodeId, nodes[j].nodeId);
      if (distance > bestDistance) {
        best = [nodes[i], nodes[j]];
        bestDistance = distance;
      }
    }
  }
  return best;
}

/** undefined when the OpenDHT binding loads; otherwise why not (for this.skip()). */
export async function dhtBindingMissing(): Promise<string | undefined> {
  try {
    await import('opendht-node');
    return undefined;
  } catch (error) {
    return `the OpenDHT binding does not load: ${(error as Error).message.split('\n')[0]}`;
  }
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A swarm must not outlive the test process, even when it ends without stopping it. */
function killOnExit(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const running of live) running.kill('SIGKILL');
  });
}

function checkCount(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}, not ${value}`);
  return value;
}

/** One child process and the messages it sends. */
class ShareProcess {
  readonly child: ChildProcess;
  private output = '';
  private readonly exited: Promise<void>;

  constructor(request: ShareRequest) {
    this.child = fork(SHARE_PROCESS, [JSON.stringify(request)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: [] });
    killOnExit(this.child);
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString('utf8')).slice(-4000);
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  /** The next message of `type`; rejects on `failed` or if the process ends first. */
  next<T extends ShareMessage['type']>(type: T, ms: number, what: string): Promise<Extract<ShareMessage, { type: T }>> {
    return withTimeout(
      new Promise((resolve, reject) => {
        const onMessage = (message: ShareMessage) => {
          if (message.type !== type && message.type !== 'failed') return;
          cleanUp();
          if (message.type === 'failed') reject(new Error(message.error));
          else resolve(message as Extract<ShareMessage, { type: T }>);
        };
        const onExit = (code: number | null, signal: string | null) => {
          cleanUp();
          reject(new Error(`a swarm process exited (${code ?? signal}) while ${what}: ${this.output}`));
        };
        const cleanUp = () => {
          this.child.off('message', onMessage);
          this.child.off('exit', onExit);
        };
        this.child.on('message', onMessage);
        this.child.once('exit', onExit);
      }),
      ms,
      what,
    );
  }

  send(command: ShareCommand): void {
    this.child.send(command);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(killer);
  }
}

export async function startDhtSwarm(options: DhtSwarmOptions): Promise<DhtSwarm> {
  const total = checkCount('nodes', options.nodes, 1, 5000);
  const perProcess = checkCount('nodesPerProcess', options.nodesPerProcess ?? NODES_PER_PROCESS, 1, NODES_PER_PROCESS);
  const fanOut = checkCount('fanOut', options.fanOut ?? 3, 1, 64);
  const minGoodPeers = Math.min(checkCount('minGoodPeers', options.minGoodPeers ?? 8, 0, 64), total - 1);
  const formTimeoutMs = checkCount('formTimeoutMs', options.formTimeoutMs ?? 20000 + 50 * total, 1, 600000);
  const seed = options.seed ?? 13;
  const start = performance.now();
  const shares: ShareProcess[] = [];
  const nodes: SwarmNode[] = [];
  const stop = () => Promise.all(shares.map((share) => share.stop())).then(() => undefined);
  try {
    // One share after the other, each joining the nodes already running.
    for (let firstIndex = 0; firstIndex < total; firstIndex += perProcess) {
      const count = Math.min(perProcess, total - firstIndex);
      const share = new ShareProcess({ firstIndex, count, earlierPorts: nodes.map((node) => node.port), fanOut, seed });
      shares.push(share);
      const running = await share.next('running', START_TIMEOUT_MS, `swarm nodes ${firstIndex}..${firstIndex + count - 1} to run`);
      nodes.push(...running.nodes);
    }
    // Then all shares at once, so that early nodes also learn of the late ones.
    const costs = await Promise.all(
      shares.map((share) => {
        const formed = share.next('formed', formTimeoutMs + 5000, `a swarm of ${total} DHT nodes to form`);
        share.send({ type: 'form', minGoodPeers, timeoutMs: formTimeoutMs });
        return formed.then((message) => message.cost);
      }),
    );
    const startMs = performance.now() - start;

    let nextRequest = 0;
    const get = async (key: string, from: number): Promise<{ size: number }[]> => {
      const share = shares[Math.floor(from / perProcess)];
      if (!Number.isInteger(from) || !share) throw new Error(`no node ${from} in a swarm of ${total}`);
      const requestId = (nextRequest += 1);
      const reply = new Promise<{ size: number }[]>((resolve, reject) => {
        const onMessage = (message: ShareMessage) => {
          if (message.type !== 'got' || message.requestId !== requestId) return;
          share.child.off('message', onMessage);
          if (message.error !== undefined) reject(new Error(message.error));
          else resolve(message.values ?? []);
        };
        share.child.on('message', onMessage);
        share.send({ type: 'get', requestId, key, from });
      });
      return withTimeout(reply, GET_TIMEOUT_MS, `a get of ${key} from swarm node ${from}`);
    };

    return { nodes, startMs, costs, pids: shares.map((share) => share.child.pid!), get, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
