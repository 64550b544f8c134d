// Test helpers: real OpenDHT nodes on 127.0.0.1 and event/condition waits with deadlines.
import { randomInt } from 'node:crypto';

import { DhtRunner, type Identity, type Value } from '../../src/index.js';

/** A network id of our own, so test nodes never talk to anything else. */
export function testNetworkId(): number {
  return randomInt(1_000_000, 2_000_000_000);
}

export async function startNode(networkId: number, identity?: Identity): Promise<DhtRunner> {
  const node = new DhtRunner();
  await node.run({ port: 0, bindIPv4: '127.0.0.1', ipv6: false, peerDiscovery: false, networkId, identity });
  return node;
}

/** n nodes; every node after the first bootstraps to the first. Resolves once all know each other. */
export async function startNetwork(
  n: number,
  identities: (Identity | undefined)[] = [],
  networkId = testNetworkId(),
): Promise<DhtRunner[]> {
  const nodes: DhtRunner[] = [];
  for (let i = 0; i < n; i++) nodes.push(await startNode(networkId, identities[i]));
  const port = nodes[0].getBoundPort();
  await Promise.all(nodes.slice(1).map((node) => node.bootstrap('127.0.0.1', port)));
  await waitFor(() => nodes.every((node) => node.getNodeInfo().ipv4.good >= Math.min(1, n - 1)), 10_000, 'nodes to connect');
  return nodes;
}

export async function stopAll(nodes: DhtRunner[]): Promise<void> {
  await Promise.all(nodes.map((node) => node.shutdown()));
}

/** Rejects after `ms` with a message naming what was awaited (`what` may be a function: read when the time is up,
 *  to say what was still missing then). The timer never holds the process. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string | (() => string)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `condition` every 20 ms until it holds, or rejects at the deadline. */
export async function waitFor(condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Collects what a listener receives and lets a test await a value matching a predicate. */
export class ValueInbox {
  readonly received: Value[] = [];
  readonly expired: Value[] = [];
  #waiters: { match: (v: Value) => boolean; resolve: (v: Value) => void }[] = [];

  readonly onValues = (values: Value[], expired: boolean): void => {
    for (const v of values) {
      (expired ? this.expired : this.received).push(v);
      if (expired) continue;
      this.#waiters = this.#waiters.filter((w) => {
        if (!w.match(v)) return true;
        w.resolve(v);
        return false;
      });
    }
  };

  next(match: (v: Value) => boolean, ms: number, what: string): Promise<Value> {
    const already = this.received.find(match);
    if (already) return Promise.resolve(already);
    return withTimeout(new Promise<Value>((resolve) => this.#waiters.push({ match, resolve })), ms, what);
  }

  has(match: (v: Value) => boolean): boolean {
    return this.received.some(match);
  }
}

export const dataIs = (text: string) => (v: Value) => v.data.toString() === text;
