// An in-memory stand-in for the DHT as the transport sees it (SignalingBus): one shared store of key -> values,
// many nodes, delivery always asynchronous. For transport tests; the real DHT is exercised elsewhere.

import type { SignalingBus } from '../../service/contract/link-contract.js';

type Listener = (data: Buffer) => void;

export class MemorySignalingNetwork {
  private readonly store = new Map<string, Buffer[]>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly observers = new Set<(key: string, data: Buffer) => void>();
  private readonly pending = new Set<NodeJS.Immediate>();

  /** A DHT node: what one daemon holds. */
  node(): SignalingBus {
    return {
      put: (key, data) => this.put(key, data),
      get: (key) => this.get(key),
      listen: (key, onValue) => this.listen(key, onValue),
    };
  }

  /** A node whose listens are told nothing, not even the values already there: every DHT update lost on the way
   *  to it. Its puts and gets work. */
  deafNode(): SignalingBus {
    return {
      put: (key, data) => this.put(key, data),
      get: (key) => this.get(key),
      listen: (key) => {
        const listener = this.listen(key, () => undefined);
        return { cancel: () => listener.cancel(), ready: listener.ready };
      },
    };
  }

  /** Sees every value put, by anyone (a DHT node that stores everything: the strongest eavesdropper). */
  observe(observer: (key: string, data: Buffer) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /** Every value stored, per key. */
  snapshot(): Map<string, Buffer[]> {
    return new Map([...this.store].map(([key, values]) => [key, values.map((value) => Buffer.from(value))]));
  }

  /** How many listen() calls are still active (leak checks). */
  get activeListeners(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }

  private defer(action: () => void): void {
    const handle = setImmediate(() => {
      this.pending.delete(handle);
      action();
    });
    this.pending.add(handle);
  }

  private put(key: string, data: Buffer): Promise<void> {
    checkKey(key);
    const copy = Buffer.from(data);
    const values = this.store.get(key) ?? [];
    values.push(copy);
    this.store.set(key, values);
    for (const observer of this.observers) observer(key, Buffer.from(copy));
    for (const listener of this.listeners.get(key) ?? []) {
      this.defer(() => {
        if (this.listeners.get(key)?.has(listener)) listener(Buffer.from(copy));
      });
    }
    return new Promise((resolve) => this.defer(resolve));
  }

  private get(key: string): Promise<Buffer[]> {
    checkKey(key);
    const values = (this.store.get(key) ?? []).map((value) => Buffer.from(value));
    return new Promise((resolve) => this.defer(() => resolve(values)));
  }

  private listen(key: string, onValue: Listener): { cancel(): void; ready: Promise<void> } {
    checkKey(key);
    // Each listen() gets its own wrapper so two listens with the same callback stay distinct.
    const listener: Listener = (data) => onValue(data);
    const set = this.listeners.get(key) ?? new Set<Listener>();
    set.add(listener);
    this.listeners.set(key, set);
    for (const value of this.store.get(key) ?? []) {
      this.defer(() => {
        if (this.listeners.get(key)?.has(listener)) listener(Buffer.from(value));
      });
    }
    return {
      cancel: () => {
        const current = this.listeners.get(key);
        current?.delete(listener);
        if (current?.size === 0) this.listeners.delete(key);
      },
      ready: new Promise((resolve) => this.defer(resolve)),
    };
  }
}

function checkKey(key: string): void {
  if (!/^[0-9a-f]{40}$/.test(key)) throw new Error(`a DHT key is 40 lowercase hex digits, not ${key}`);
}
