// The daemon's single DHT node: started at launch, bootstrapped in the background (the daemon works
// offline), and offered to the link transport as a SignalingBus of raw values.

import { isIPv4, isIPv6 } from 'node:net';
import { DhtRunner, type Value } from 'opendht-node';
import type { SignalingBus } from '../contract/link-contract.js';
import type { Logger } from '../contract/logger.js';

export interface DhtNodeOptions {
  port: number;
  /** host:port pairs; an empty list runs without bootstrap. */
  bootstrap: readonly string[];
  peerDiscovery: boolean;
  /** An IPv4 or IPv6 address for that family's socket (tests use 127.0.0.1); the other family binds all. */
  bindAddress?: string;
  /** OpenDHT's own log on standard output. */
  dhtLog?: boolean;
  logger: Logger;
}

/** Splits "host:port" (or "[v6]:port"); throws a clear error on anything else. */
export function parseHostPort(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65535) throw new Error(`"${text}" is not host:port`);
  return { host: match[1] ?? match[2], port };
}

/**
 * The runner's bind option for one address of either family: an IPv6-only host binds its IPv6
 * socket, a dual-stack or IPv4 host its IPv4 one. Throws a clear error on anything but an address.
 */
export function bindOptionFor(address: string): { bindIPv4: string } | { bindIPv6: string } {
  if (isIPv4(address)) return { bindIPv4: address };
  if (isIPv6(address)) return { bindIPv6: address };
  throw new Error(`"${address}" is not an IPv4 or IPv6 address`);
}

export class DhtNode implements SignalingBus {
  private readonly runner = new DhtRunner();
  private stopped?: Promise<void>;

  private constructor(private readonly options: DhtNodeOptions) {}

  static async start(options: DhtNodeOptions): Promise<DhtNode> {
    const bootstrap = options.bootstrap.map(parseHostPort);
    const node = new DhtNode(options);
    // OpenDHT runs on whichever family could bind, and fails only when neither did. The family that matters is the
    // one asked for (--dht-bind), else IPv4: a port another process holds there, or an address this host lacks,
    // would leave a node that family's peers never reach, behind a daemon that says it is ready.
    // (isIPv4 asked, not isIPv6: the address is one or the other, and Node's IPv6 pattern costs ~4 ms to compile.)
    const family = options.bindAddress !== undefined && !isIPv4(options.bindAddress) ? 'IPv6' : 'IPv4';
    const unbound = (cause?: unknown) =>
      new Error(
        `cannot start the DHT node: cannot bind ${options.port === 0 ? 'a UDP port' : `UDP port ${options.port}`} on ${options.bindAddress ?? family} ` +
          `(${options.port === 0 ? 'not an address of this host?' : 'in use by another process, or not an address of this host; --dht-port 0 picks a free one'})`,
        { cause },
      );
    try {
      await node.runner.run({
        port: options.port,
        ...(options.bindAddress !== undefined ? bindOptionFor(options.bindAddress) : {}),
        peerDiscovery: options.peerDiscovery,
        peerPublish: options.peerDiscovery,
        log: options.dhtLog === true,
      });
    } catch (error) {
      throw unbound(error);
    }
    const { bound4, bound6 } = node.runner.getNodeInfo();
    const bound = family === 'IPv6' ? bound6 : bound4;
    if (bound === 0 || (options.port !== 0 && bound !== options.port)) {
      await node.runner.shutdown().catch(() => undefined);
      throw unbound();
    }
    options.logger.info({ port: node.runner.getBoundPort(), nodeId: node.runner.getNodeId() }, 'DHT node running');
    for (const { host, port } of bootstrap) {
      node.runner.bootstrap(host, port).catch((error: Error) => {
        options.logger.warn({ host, port, reason: error.message }, 'DHT bootstrap failed; running without it');
      });
    }
    return node;
  }

  get port(): number {
    return this.runner.getBoundPort();
  }

  /** True once the node knows at least one good peer. */
  get connected(): boolean {
    const info = this.runner.getNodeInfo();
    return info.ipv4.good + info.ipv6.good > 0;
  }

  put(key: string, data: Buffer): Promise<void> {
    return this.runner.put(key, data);
  }

  async get(key: string): Promise<Buffer[]> {
    return (await this.runner.get(key)).map((value: Value) => value.data);
  }

  listen(key: string, onValue: (data: Buffer) => void): { cancel(): void; ready: Promise<void> } {
    const listener = this.runner.listen(key, (values: Value[], expired: boolean) => {
      if (expired) return;
      for (const value of values) onValue(value.data);
    });
    return { cancel: () => listener.cancel(), ready: listener.ready };
  }

  stop(): Promise<void> {
    this.stopped ??= this.runner.shutdown();
    return this.stopped;
  }
}
