// A DHT node: OpenDHT's DhtRunner (threaded SecureDht) behind a promise-based API.
// Policy lives here: validation, defaults, error wording. The addon only converts and calls.
import { lookup } from 'node:dns/promises';
import { isIPv4, isIPv6 } from 'node:net';

import { type BytesLike, toBinary, toBytes } from './bytes.js';
import { capabilities } from './capabilities.js';
import { OpenDhtError, callNative, invalid, wrapNative } from './errors.js';
import { handle } from './handle.js';
import { Identity, identityHandles } from './identity.js';
import { type InfoHashLike, hashHex } from './infohash.js';
import { PublicKey } from './keys.js';
import {
  type NativeCertificate,
  type NativeDhtRunner,
  type NativeNodeStats,
  type NativePrivateKey,
  type NativePublicKey,
  PutMode,
  native,
} from './native.js';
import { type Value, checkId, checkType, toValue } from './value.js';

export interface RunOptions {
  /** UDP port to bind, 0 (default) = any free port. IPv6 tries the same port as IPv4. */
  port?: number;
  /** IPv4 address to bind (default: all). */
  bindIPv4?: string;
  /** IPv6 address to bind (default: all). */
  bindIPv6?: string;
  /** Node identity: enables putSigned/putEncrypted and receiving encrypted values. RSA only on OpenDHT 2.4. */
  identity?: Identity;
  /** DHT network id: nodes only talk to nodes of the same network. Default 0 (the public network). */
  networkId?: number;
  /** Find nodes on the LAN by multicast. Default false. */
  peerDiscovery?: boolean;
  /** Announce this node on the LAN by multicast. Default false. */
  peerPublish?: boolean;
  /** Use IPv6. Default true. */
  ipv6?: boolean;
  /** Use IPv4. Default true. */
  ipv4?: boolean;
  /** Print OpenDHT's own logs on stdout/stderr. Default false. */
  log?: boolean;
}

export interface DhtRunnerOptions {
  /**
   * How long shutdown() waits for OpenDHT's graceful shutdown before stopping the node anyway.
   * OpenDHT only runs it once connected, so a node still connecting would otherwise wait.
   * Default 1000 ms.
   */
  shutdownTimeoutMs?: number;
}

export interface PutOptions {
  /** Keep announcing the value until the node stops (or cancelPut). Default false: 10 min lifetime. */
  permanent?: boolean;
  /** Value type id. Default 0 (user data). */
  type?: number;
  /** Value id. Default: random. A put with the id of an existing value of ours replaces it. */
  id?: bigint | number;
}

export interface Listener {
  /** Resolves once OpenDHT has registered the listen (its token is known). */
  readonly ready: Promise<void>;
  /** Stops delivery at once (no callback runs after cancel() returns). Idempotent. */
  cancel(): void;
}

/** Routing-table figures for one address family, as OpenDHT's NodeStats gives them. */
export type NodeStats = NativeNodeStats;

export interface NodeInfo {
  /** 40 hex: this node's DHT id. */
  nodeId: string;
  /** 40 hex: id of the identity's public key, '' without identity. */
  id: string;
  /** Bound UDP port (IPv4's, or IPv6's when IPv4 is off). */
  boundPort: number;
  bound4: number;
  bound6: number;
  ipv4: NodeStats;
  ipv6: NodeStats;
  /** Operations queued or running inside OpenDHT. */
  ongoingOps: number;
}

export type PutKind = 'plain' | 'signed' | 'encrypted';

export type DhtRunnerState = 'idle' | 'running' | 'stopping' | 'stopped';

// Recipients named by id have an unknown key size: assume the largest one in common use.
const ASSUMED_RECIPIENT_BITS = 4096;
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 1000;

const MODE: Record<PutKind, PutMode> = { plain: PutMode.Plain, signed: PutMode.Signed, encrypted: PutMode.Encrypted };

function copyStats(s: NativeNodeStats): NodeStats {
  return { ...s };
}

function checkBoolean(name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw invalid(`${name} must be a boolean`);
  return v;
}

function checkPort(port: unknown, allowZero: boolean): number {
  const p = typeof port === 'string' && /^\d+$/.test(port) ? Number(port) : port;
  if (typeof p !== 'number' || !Number.isInteger(p) || p < (allowZero ? 0 : 1) || p > 65535) {
    throw invalid(`port must be an integer in [${allowZero ? 0 : 1}, 65535], got ${String(port)}`);
  }
  return p;
}

/** Keeps the highest sequence number of each value id, in first-seen order. */
function latestById(values: Value[]): Value[] {
  const byId = new Map<bigint, Value>();
  for (const v of values) {
    const seen = byId.get(v.id);
    if (!seen || v.seq > seen.seq) byId.set(v.id, v);
  }
  return [...byId.values()];
}

export class DhtRunner {
  readonly #native: NativeDhtRunner;
  readonly #shutdownTimeoutMs: number;
  #state: DhtRunnerState = 'idle';
  #stopped?: Promise<void>;
  #ipv4 = true;
  #hasIdentity = false;
  readonly #limits = new Map<string, number>();

  constructor(opts: DhtRunnerOptions = {}) {
    const timeout = opts.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
    if (!Number.isFinite(timeout) || timeout < 0) throw invalid('shutdownTimeoutMs must be a non-negative number');
    this.#shutdownTimeoutMs = timeout;
    this.#native = new native.NativeDhtRunner();
  }

  /** 'idle' (before run), 'running', 'stopping' (shutdown() called), 'stopped'. */
  get state(): DhtRunnerState {
    return this.#state;
  }

  /** Binds the UDP socket(s) and starts the node's threads. */
  async run(opts: RunOptions = {}): Promise<void> {
    if (this.#state !== 'idle') {
      throw new OpenDhtError(this.#state === 'running' ? 'EINVAL' : 'ESHUTDOWN', `run() was already called (node is ${this.#state})`);
    }
    const port = checkPort(opts.port ?? 0, true);
    const ipv4 = checkBoolean('ipv4', opts.ipv4, true);
    const ipv6 = checkBoolean('ipv6', opts.ipv6, true);
    if (!ipv4 && !ipv6) throw invalid('at least one of ipv4 and ipv6 must be enabled');
    if (opts.bindIPv4 !== undefined && (!ipv4 || !isIPv4(opts.bindIPv4))) {
      throw invalid(ipv4 ? `bindIPv4 is not an IPv4 address: ${String(opts.bindIPv4)}` : 'bindIPv4 given with ipv4: false');
    }
    if (opts.bindIPv6 !== undefined && (!ipv6 || !isIPv6(opts.bindIPv6))) {
      throw invalid(ipv6 ? `bindIPv6 is not an IPv6 address: ${String(opts.bindIPv6)}` : 'bindIPv6 given with ipv6: false');
    }
    const networkId = opts.networkId ?? 0;
    if (!Number.isInteger(networkId) || networkId < 0 || networkId > 0xffffffff) {
      throw invalid('networkId must be an unsigned 32-bit integer');
    }
    let key: NativePrivateKey | undefined;
    let certificate: NativeCertificate | undefined;
    if (opts.identity !== undefined) {
      if (!(opts.identity instanceof Identity)) throw invalid('identity must be an Identity');
      if (opts.identity.key.algorithm !== 'rsa' && !capabilities.ecSignatures) {
        throw new OpenDhtError(
          'EUNSUPPORTED',
          `OpenDHT ${capabilities.opendhtVersion} cannot verify signatures of ${opts.identity.key.algorithm.toUpperCase()} identities: use an RSA identity`,
        );
      }
      [key, certificate] = identityHandles(opts.identity);
    }
    callNative('could not start the DHT node', () =>
      this.#native.run({
        port,
        bindIPv4: opts.bindIPv4,
        bindIPv6: opts.bindIPv6,
        ipv4,
        ipv6,
        networkId,
        key,
        certificate,
        peerDiscovery: checkBoolean('peerDiscovery', opts.peerDiscovery, false),
        peerPublish: checkBoolean('peerPublish', opts.peerPublish, false),
        log: checkBoolean('log', opts.log, false),
      }),
    );
    this.#ipv4 = ipv4;
    this.#hasIdentity = key !== undefined;
    this.#state = 'running';
  }

  /** The bound UDP port (IPv4's unless IPv4 is disabled); 0 when not running. */
  getBoundPort(): number {
    return this.#native.getBoundPort(this.#ipv4 ? 4 : 6);
  }

  /** 40 hex: this node's DHT id ('' before run()). */
  getNodeId(): string {
    return this.#native.getNodeId();
  }

  /** 40 hex: the identity's public key id, '' if the node runs without identity. */
  getId(): string {
    return this.#native.getId();
  }

  getNodeInfo(): NodeInfo {
    const info = callNative('could not read node info', () => this.#native.getNodeInfo());
    return {
      nodeId: info.nodeId,
      id: info.id,
      boundPort: this.#ipv4 ? info.bound4 : info.bound6,
      bound4: info.bound4,
      bound6: info.bound6,
      ipv4: copyStats(info.ipv4),
      ipv6: copyStats(info.ipv6),
      ongoingOps: info.ongoingOps,
    };
  }

  /**
   * Pings host:port and resolves once it answered (rejects EBOOTSTRAP otherwise). The address
   * is also kept as a bootstrap node that OpenDHT retries whenever it gets disconnected.
   */
  async bootstrap(host: string, port: number | string): Promise<void> {
    if (typeof host !== 'string' || host === '') throw invalid('host must be a non-empty string');
    const p = checkPort(port, false);
    this.#assertRunning('bootstrap');
    let ip = host;
    // A host name has no ':', an IPv6 address always one: asked so, a name never compiles Node's IPv6 pattern (~4 ms).
    if (!(isIPv4(host) || (host.includes(':') && isIPv6(host)))) {
      try {
        ip = (await lookup(host, { family: this.#ipv4 ? 4 : 6 })).address;
      } catch (err) {
        throw new OpenDhtError('EBOOTSTRAP', `cannot resolve bootstrap host ${host}: ${(err as Error).message}`, { cause: err });
      }
      this.#assertRunning('bootstrap');
    }
    const ok = await this.#call(`bootstrap ${host}:${p}`, () => this.#native.bootstrap(ip, p, ip));
    if (!ok) {
      this.#assertRunning(`bootstrap ${host}:${p}`);
      throw new OpenDhtError('EBOOTSTRAP', `bootstrap node ${host}:${p} did not answer`);
    }
  }

  /** All values stored at `key` on the network (the latest version of each value id). */
  async get(key: InfoHashLike): Promise<Value[]> {
    const hex = hashHex(key, 'key');
    this.#assertRunning('get');
    const { ok, values } = await this.#call(`get ${hex}`, () => this.#native.get(hex));
    if (!ok && values.length === 0) {
      this.#assertRunning(`get ${hex}`);
      throw new OpenDhtError('EGETFAILED', `get ${hex} failed: no DHT node answered (is the node bootstrapped?)`);
    }
    return latestById(values.map(toValue));
  }

  /** Stores `data` at `key`; resolves when OpenDHT reports the value stored. */
  async put(key: InfoHashLike, data: BytesLike, opts: PutOptions = {}): Promise<void> {
    return this.#put('put', key, data, opts, 'plain');
  }

  /** Like put(), signed with the node identity: receivers see `owner`/`ownerId`. */
  async putSigned(key: InfoHashLike, data: BytesLike, opts: PutOptions = {}): Promise<void> {
    return this.#put('putSigned', key, data, opts, 'signed');
  }

  /**
   * Signs with the node identity and encrypts for `to`: a public key, or the id of a node
   * identity whose certificate OpenDHT then looks up on the DHT. Only that key's holder can read it.
   */
  async putEncrypted(key: InfoHashLike, to: InfoHashLike | PublicKey, data: BytesLike, opts: PutOptions = {}): Promise<void> {
    return this.#put('putEncrypted', key, data, opts, 'encrypted', to);
  }

  /** Low level: puts a value packed by packValue() exactly as it is (no signing, no checks). */
  async putPacked(key: InfoHashLike, packed: Buffer | Uint8Array, opts: { permanent?: boolean } = {}): Promise<void> {
    const hex = hashHex(key, 'key');
    const bytes = toBinary(packed, 'packed');
    const permanent = checkBoolean('permanent', opts.permanent, false);
    this.#assertRunning('putPacked');
    const ok = await this.#call(`putPacked ${hex}`, async () => this.#native.putPacked(hex, bytes, permanent));
    if (!ok) {
      this.#assertRunning(`putPacked ${hex}`);
      throw new OpenDhtError('EPUTFAILED', `putPacked ${hex} failed: no DHT node stored the value`);
    }
  }

  /** Stops announcing a (permanent) value put by this node. */
  cancelPut(key: InfoHashLike, id: bigint | number): void {
    const hex = hashHex(key, 'key');
    const valueId = checkId(id);
    if (valueId === undefined) throw invalid('id is required');
    this.#assertRunning('cancelPut');
    callNative('cancelPut failed', () => this.#native.cancelPut(hex, valueId));
  }

  /**
   * Calls `onValues` with values present or later put at `key` (`expired` = false), and with
   * values that expired (`expired` = true). Listeners do not keep the process alive.
   */
  listen(key: InfoHashLike, onValues: (values: Value[], expired: boolean) => void): Listener {
    const hex = hashHex(key, 'key');
    if (typeof onValues !== 'function') throw invalid('onValues must be a function');
    this.#assertRunning('listen');
    const nativeRunner = this.#native;
    const { id, ready } = callNative(`listen ${hex}`, () =>
      nativeRunner.listen(hex, (values, expired) => onValues(values.map(toValue), expired)),
    );
    const readyWrapped = ready.catch((err: unknown) => {
      throw wrapNative(`listen ${hex}`, err);
    });
    readyWrapped.catch(() => {}); // a listener whose `ready` nobody awaits must not crash the process
    let active = true;
    return {
      ready: readyWrapped,
      cancel(): void {
        if (!active) return;
        active = false;
        nativeRunner.cancelListen(id);
      },
    };
  }

  /**
   * Largest data (bytes) put/putSigned/putEncrypted accept, from OpenDHT's MAX_VALUE_SIZE minus
   * the value's own overhead (signature, owner key, encryption). `recipientBits`: the recipient's
   * RSA key size for 'encrypted' (default 4096, what putEncrypted assumes for an id).
   */
  maxDataSize(kind: PutKind = 'plain', opts: { type?: number; recipientBits?: number } = {}): number {
    const mode = MODE[kind];
    if (mode === undefined) throw invalid(`kind must be 'plain', 'signed' or 'encrypted'`);
    const type = checkType(opts.type ?? 0);
    const bits = opts.recipientBits ?? ASSUMED_RECIPIENT_BITS;
    if (!Number.isInteger(bits) || bits <= 0) throw invalid('recipientBits must be a positive integer');
    this.#assertRunning('maxDataSize');
    if (mode !== PutMode.Plain && !this.#hasIdentity) throw invalid(`${kind} values need the node to run with an identity`);
    const cacheKey = `${mode}:${type}:${mode === PutMode.Encrypted ? bits : 0}`;
    let max = this.#limits.get(cacheKey);
    if (max === undefined) {
      max = callNative('could not compute the value size limit', () => this.#native.maxDataSize(mode, type, bits));
      this.#limits.set(cacheKey, max);
    }
    return max;
  }

  /**
   * Stops the node: OpenDHT's graceful shutdown (at most shutdownTimeoutMs), then joins its
   * threads. Every pending promise settles (ESHUTDOWN if OpenDHT did not finish it), listeners
   * stop, and the node no longer holds the event loop. Idempotent: later calls return the same promise.
   */
  shutdown(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    const wasRunning = this.#state === 'running';
    this.#state = 'stopping';
    if (wasRunning) {
      let timer: NodeJS.Timeout | undefined;
      const graceful = (async () => this.#native.shutdown())().catch(() => undefined);
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.#shutdownTimeoutMs);
      });
      await Promise.race([graceful, timeout]);
      clearTimeout(timer);
    }
    await this.#native.join();
    this.#state = 'stopped';
  }

  async #put(
    what: string,
    key: InfoHashLike,
    data: BytesLike,
    opts: PutOptions,
    kind: PutKind,
    to?: InfoHashLike | PublicKey,
  ): Promise<void> {
    const hex = hashHex(key, 'key');
    const bytes = toBytes(data, 'data');
    const type = checkType(opts.type ?? 0);
    const id = checkId(opts.id);
    const permanent = checkBoolean('permanent', opts.permanent, false);
    this.#assertRunning(what);
    if (kind !== 'plain' && !this.#hasIdentity) {
      throw invalid(`${what} needs the node to run with an identity: run({ identity })`);
    }
    let recipient: string | NativePublicKey | undefined;
    let recipientBits = ASSUMED_RECIPIENT_BITS;
    if (kind === 'encrypted') {
      if (to instanceof PublicKey) {
        if (to.algorithm !== 'rsa') {
          throw new OpenDhtError('EUNSUPPORTED', `OpenDHT can only encrypt for RSA keys, not ${to.algorithm.toUpperCase()}`);
        }
        recipient = to[handle];
        recipientBits = to.bits;
      } else {
        recipient = hashHex(to as InfoHashLike, 'to');
      }
    }
    const max = this.maxDataSize(kind, { type, recipientBits });
    if (bytes.length > max) {
      throw new OpenDhtError(
        'EVALUETOOLARGE',
        `${what}: ${bytes.length} bytes of data exceed OpenDHT's maximum value size ` +
          `(MAX_VALUE_SIZE ${capabilities.maxValueSize} bytes leaves at most ${max} bytes of data for a ${kind} value)`,
      );
    }
    const ok = await this.#call(`${what} ${hex}`, () =>
      this.#native.put(hex, bytes, type, id, permanent, MODE[kind], recipient),
    );
    if (!ok) {
      this.#assertRunning(`${what} ${hex}`);
      const hint =
        kind === 'encrypted' && typeof recipient === 'string'
          ? ' (or the recipient\'s certificate was not found on the DHT)'
          : '';
      throw new OpenDhtError('EPUTFAILED', `${what} ${hex} failed: no DHT node stored the value${hint}`);
    }
  }

  async #call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const e = wrapNative(what, err);
      if (e.code === 'ESHUTDOWN') throw new OpenDhtError('ESHUTDOWN', `${what}: the DHT node was shut down`, { cause: err });
      throw e;
    }
  }

  #assertRunning(what: string): void {
    if (this.#state === 'running') return;
    if (this.#state === 'idle') throw new OpenDhtError('ENOTRUNNING', `${what}: the DHT node is not running (call run() first)`);
    throw new OpenDhtError('ESHUTDOWN', `${what}: the DHT node is shut down`);
  }
}
