// Helpers for transport tests: waiting for events with deadlines, capturing logs, counting timers,
// and linking an importer and an exporter over loopback through the in-memory DHT.

import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import type { EventEmitter } from 'node:events';
import type { DataChannel } from 'node-datachannel';
import pino, { type Logger } from 'pino';
import { createLinkTransport, type LinkTransportOptions } from '../../../service/transport/create-link-transport.js';
import type {
  AccountProof,
  ExportConnection,
  ImportRendezvous,
  LinkTransport,
  PeerChannel,
} from '../../../service/contract/link-contract.js';
import { systemClock, type Clock } from '../../../service/contract/clock.js';
import type { PeerLink } from '../../../service/transport/webrtc/peer-link.js';
import { candidatesOf, withoutCandidates } from '../../../service/transport/webrtc/session-description.js';
import { MemorySignalingNetwork } from '../../support/memory-signaling-bus.js';
import { sharedAccount, type AccountFixture } from './certificate-fixtures.js';

/** The first argument of the next `event`; rejects after timeoutMs, or when `failOn` fires first. */
export function nextEvent<T = unknown>(emitter: EventEmitter, event: string, timeoutMs = 10_000, failOn?: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onEvent = (value: T) => {
      cleanup();
      resolve(value);
    };
    const onFail = (value: unknown) => {
      cleanup();
      reject(new Error(`'${failOn}' (${String(value)}) came before '${event}'`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no '${event}' within ${timeoutMs} ms`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
      if (failOn !== undefined) emitter.off(failOn, onFail);
    };
    emitter.on(event, onEvent);
    if (failOn !== undefined) emitter.on(failOn, onFail);
  });
}

/** Polls a condition until it holds (for things that have no event, like file descriptors closing). */
export async function eventually(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A DataChannel that holds every callback it is given, forever, into `held`, as node-datachannel's global handles do
 *  when no close is reported: for tests that an ended channel is not kept alive by them. */
export function neverReleasingDataChannel(held: unknown[]): DataChannel {
  return {
    maxMessageSize: () => 65536,
    bufferedAmount: () => 0,
    setBufferedAmountLowThreshold: () => undefined,
    onBufferedAmountLow: (callback: unknown) => held.push(callback),
    onMessage: (callback: unknown) => held.push(callback),
    onClosed: (callback: unknown) => held.push(callback),
    onError: (callback: unknown) => held.push(callback),
    sendMessage: () => true,
    sendMessageBinary: () => true,
    isOpen: () => true,
    close: () => undefined,
  } as unknown as DataChannel;
}

/** `open()`'s result; if it throws, `links` are closed first. A connection left open holds shutdownTransport()
 *  (libdatachannel's cleanup) up to its 10 s time-out, and then fails every later test file's `after` hook. */
export async function closedOnFailure<T>(links: readonly { close(): void }[], open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    for (const link of links) link.close();
    throw error;
  }
}

/**
 * Connects two PeerLinks on loopback as the transport does, and resolves with their data channels (offerer's,
 * answerer's). The answerer takes the offer without its candidates and gets them only once the offerer applied the
 * answer (PROTOCOL.md, "Why the importer waits for `ready`"): checked at once, the answerer's DTLS can reach an
 * offerer that has no remote fingerprint yet, which fails that connection, in about one loopback pair of 200 on a
 * loaded machine. `offerApplied` runs once the answerer took the offer (where the importer opens its lane).
 * Closes both if a step fails.
 */
export function connectPair(offerer: PeerLink, answerer: PeerLink, offerApplied?: () => void): Promise<[DataChannel, DataChannel]> {
  return closedOnFailure([offerer, answerer], async () => {
    const offer = await offerer.localDescription();
    answerer.acceptRemoteDescription(withoutCandidates(offer), 'offer');
    offerApplied?.();
    offerer.acceptRemoteDescription(await answerer.localDescription(), 'answer');
    for (const { candidate, mid } of candidatesOf(offer)) answerer.addRemoteCandidate(candidate, mid);
    return Promise.all([offerer.channelOpen(), answerer.channelOpen()]);
  });
}

/** Records every event an emitter emits (to assert "never twice", "nothing after close"). */
export function recordEvents(emitter: EventEmitter, events: readonly string[]): { name: string; value: unknown }[] {
  const seen: { name: string; value: unknown }[] = [];
  for (const name of events) emitter.on(name, (value: unknown) => seen.push({ name, value }));
  return seen;
}

export function openFileDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

/** A pino logger whose JSON lines the test can read and wait for. */
export class LogProbe {
  readonly lines: Record<string, unknown>[] = [];
  readonly raw: string[] = [];
  private waiters: { predicate: (line: Record<string, unknown>) => boolean; resolve: () => void }[] = [];
  readonly logger: Logger = pino({ level: 'debug' }, {
    write: (text: string) => {
      if (process.env.TRANSPORT_TEST_LOGS) process.stderr.write(text);
      this.raw.push(text);
      const line = JSON.parse(text) as Record<string, unknown>;
      this.lines.push(line);
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.predicate(line)) return true;
        waiter.resolve();
        return false;
      });
    },
  });

  /** Resolves when a line with this message is (or was) logged. */
  waitForMessage(message: string, timeoutMs = 10_000): Promise<void> {
    const predicate = (line: Record<string, unknown>) => line.msg === message;
    if (this.lines.some(predicate)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no log "${message}" within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ predicate, resolve: () => { clearTimeout(timer); resolve(); } });
    });
  }

  count(message: string): number {
    return this.lines.filter((line) => line.msg === message).length;
  }

  text(): string {
    return this.raw.join('');
  }
}

/** The system clock, counting the timers the transport has pending. */
export class CountingClock implements Clock {
  private readonly pending = new Set<unknown>();

  get activeTimers(): number {
    return this.pending.size;
  }

  now(): number {
    return systemClock.now();
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const handle = systemClock.setTimeout(() => {
      this.pending.delete(handle);
      callback();
    }, ms);
    this.pending.add(handle);
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle);
    systemClock.clearTimeout(handle);
  }
}

export interface TestTransport {
  readonly network: MemorySignalingNetwork;
  readonly transport: LinkTransport;
  readonly clock: CountingClock;
  readonly log: LogProbe;
}

/** A transport on its own node of `network`, ICE bound to loopback, no ICE server. */
export function loopbackTransport(network: MemorySignalingNetwork, options: Partial<LinkTransportOptions> = {}): TestTransport {
  const clock = new CountingClock();
  const log = new LogProbe();
  const transport = createLinkTransport({ signaling: network.node(), bindAddress: '127.0.0.1', clock, logger: log.logger, ...options });
  return { network, transport, clock, log };
}

export interface EstablishedLink {
  readonly importer: ImportRendezvous;
  readonly exporter: ExportConnection;
  readonly importChannel: PeerChannel;
  readonly exportChannel: PeerChannel;
  readonly proof: AccountProof;
  readonly account: AccountFixture;
  readonly importSide: TestTransport;
  readonly exportSide: TestTransport;
  readonly connectMs: number;
}

/** Starts an import, exports to its token, and waits for both data channels. */
export async function establishLink(
  network = new MemorySignalingNetwork(),
  importOptions: Partial<LinkTransportOptions> = {},
  exportOptions: Partial<LinkTransportOptions> = {},
): Promise<EstablishedLink> {
  const account = sharedAccount();
  const importSide = loopbackTransport(network, importOptions);
  const exportSide = loopbackTransport(network, exportOptions);
  const importer = await importSide.transport.startImport();
  const started = performance.now();
  const proofReceived = nextEvent<AccountProof>(importer, 'peer', 10_000, 'failed');
  const importChannelOpen = nextEvent<PeerChannel>(importer, 'channel', 10_000, 'failed');
  const exporter = exportSide.transport.startExport(importer.token, {
    certificateChainPem: account.chainPem,
    devicePrivateKeyPem: account.devicePrivateKeyPem,
  });
  const [proof, importChannel, exportChannel] = await closedOnFailure([exporter, importer], () =>
    Promise.all([proofReceived, importChannelOpen, nextEvent<PeerChannel>(exporter, 'channel', 10_000, 'failed')]),
  );
  const connectMs = performance.now() - started;
  return { importer, exporter, importChannel, exportChannel, proof, account, importSide, exportSide, connectMs };
}

/** Links as establishLink does, sends one message from the exporter's channel, awaits it at the importer's, closes. */
export async function linkAndGreet(
  network: MemorySignalingNetwork,
  importOptions: Partial<LinkTransportOptions>,
  exportOptions: Partial<LinkTransportOptions>,
): Promise<void> {
  const link = await establishLink(network, importOptions, exportOptions);
  try {
    const received = new Promise((resolve) => link.importChannel.once('message', resolve));
    link.exportChannel.send({ t: 'hello' });
    assert.deepEqual(await received, { t: 'hello' });
  } finally {
    closeLink(link);
  }
}

/** Closes everything of a link (owner teardown). */
export function closeLink(link: EstablishedLink): void {
  link.exporter.close();
  link.importer.close();
}
