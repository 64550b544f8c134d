// In-memory stand-ins for the linking layer's collaborators: a fake clock, a scriptable fake
// transport (rendezvous, connection, channel), account ports, and recorders to await events.

import { EventEmitter } from 'node:events';
import type { Clock } from '../../../service/contract/clock.js';
import type {
  AccountProof,
  AuthToken,
  CloseOptions,
  ExportConnection,
  ExporterCredentials,
  ImportRendezvous,
  LinkFailure,
  LinkTransport,
  PeerChannel,
  PeerLocation,
} from '../../../service/contract/link-contract.js';
import type { Logger } from '../../../service/contract/logger.js';
import type { ControlMessage } from '../../../service/linking/control-messages.js';
import type { LinkDetails, LinkState } from '../../../service/linking/link-state.js';
import type { ExportAccountPort, ImportAccountPort, StoreOutcome } from '../../../service/linking/ports.js';

export class Deferred<T = void> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (err: unknown) => void;
  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/** A list you can await: waitFor resolves once an item (already there or still to come) matches. */
export class Recorder<T> {
  readonly items: T[] = [];
  private waiters: { match: (items: T[]) => boolean; resolve: () => void }[] = [];

  push(item: T): void {
    this.items.push(item);
    this.waiters = this.waiters.filter((w) => (w.match(this.items) ? (w.resolve(), false) : true));
  }

  until(match: (items: T[]) => boolean): Promise<void> {
    if (match(this.items)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  waitFor(match: (item: T) => boolean): Promise<void> {
    return this.until((items) => items.some(match));
  }

  waitForLength(n: number): Promise<void> {
    return this.until((items) => items.length >= n);
  }
}

export type Signal = [LinkState, LinkDetails];

/** Records a session's onState calls. */
export class StateRecorder extends Recorder<Signal> {
  readonly onState = (state: LinkState, details: LinkDetails): void => this.push([state, { ...details }]);
  get states(): LinkState[] {
    return this.items.map(([state]) => state);
  }
  get dones(): Signal[] {
    return this.items.filter(([state]) => state === 5);
  }
  /** Resolves at the DONE signal. */
  done(): Promise<void> {
    return this.waitFor(([state]) => state === 5);
  }
}

/** A clock whose time moves only when the test says so (advance), or whose timers all fire at once (expireAll). */
export class FakeClock implements Clock {
  private next = 1;
  private time = 0;
  now(): number {
    return this.time;
  }

  readonly timers = new Map<number, { fn: () => void; ms: number; due: number }>();

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { fn, ms, due: this.time + ms });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  /** Makes every pending timer expire now. */
  expireAll(): void {
    const due = [...this.timers.entries()];
    for (const [id, { fn }] of due) {
      this.timers.delete(id);
      fn();
    }
  }

  /** Moves time to the earliest pending timer and runs it; returns the pause it was set for. */
  fireNext(): number {
    const [id, timer] = [...this.timers.entries()].sort(([, a], [, b]) => a.due - b.due)[0] ?? [];
    if (id === undefined || timer === undefined) throw new Error('no timer pending');
    this.timers.delete(id);
    this.time = timer.due;
    timer.fn();
    return timer.ms;
  }

  /** Moves time on by `ms`, firing each timer that falls due on the way, earliest first. */
  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const [id, timer] = [...this.timers.entries()].filter(([, t]) => t.due <= until).sort(([, a], [, b]) => a.due - b.due)[0] ?? [];
      if (id === undefined || timer === undefined) break;
      this.timers.delete(id);
      this.time = timer.due;
      timer.fn();
    }
    this.time = until;
  }
}

type LogLine = { level: string; fields: Record<string, unknown>; message: string };
type LogArgs = [Record<string, unknown>, string] | [string];

/** Records every log call (with its child loggers' bindings), so a test can grep for secrets. */
export class LogRecorder implements Logger {
  constructor(
    readonly lines: LogLine[] = [],
    private readonly bindings: Record<string, unknown> = {},
  ) {}

  debug = (...args: LogArgs): void => this.record('debug', args);
  info = (...args: LogArgs): void => this.record('info', args);
  warn = (...args: LogArgs): void => this.record('warn', args);
  error = (...args: LogArgs): void => this.record('error', args);

  child(bindings: Record<string, unknown>): Logger {
    return new LogRecorder(this.lines, { ...this.bindings, ...bindings });
  }

  get text(): string {
    return this.lines.map((line) => JSON.stringify(line)).join('\n');
  }

  private record(level: string, args: LogArgs): void {
    const [fields, message] = args.length === 2 ? args : [{}, args[0]];
    this.lines.push({ level, fields: { ...this.bindings, ...fields }, message });
  }
}

export class FakePeerChannel extends EventEmitter implements PeerChannel {
  readonly peerAddress: string;
  readonly location: PeerLocation;
  readonly sent = new Recorder<ControlMessage>();
  readonly archives: Buffer[] = [];
  /** The sizes expectArchive armed the receiver with, in order. */
  readonly expectedArchives: number[] = [];
  closeCalls = 0;
  /** The options of each close() call, in order. */
  readonly closeOptions: Array<CloseOptions | undefined> = [];
  /** When set, close() waits for it; sendArchive likewise. */
  closeGate: Deferred | undefined;
  archiveGate: Deferred | undefined;
  /** When set, send() throws (a channel that died under us). */
  sendThrows = false;

  constructor(peerAddress = '192.0.2.7:40123', location: Partial<PeerLocation> = {}) {
    super();
    this.peerAddress = location.address ?? peerAddress;
    this.location = { address: this.peerAddress, type: 'srflx', ...location };
  }

  send(message: ControlMessage): void {
    if (this.sendThrows) throw new Error('channel is closed');
    this.sent.push(structuredClone(message));
  }

  expectArchive(size: number, onChunk?: (chunk: Buffer) => void): void {
    this.expectedArchives.push(size);
    this.onChunk = onChunk;
  }

  /** expectArchive's onChunk: receiveArchive hands it the bytes first, as the real channel does. */
  private onChunk: ((chunk: Buffer) => void) | undefined;

  /** The digest each sendArchive was given (undefined: the channel hashes the archive itself). */
  readonly archiveDigests: Array<string | undefined> = [];

  sendArchive(data: Buffer, sha256?: string): Promise<void> {
    this.archives.push(Buffer.from(data));
    this.archiveDigests.push(sha256);
    return this.archiveGate?.promise ?? Promise.resolve();
  }

  close(options?: CloseOptions): Promise<void> {
    this.closeCalls += 1;
    this.closeOptions.push(options);
    return this.closeGate?.promise ?? Promise.resolve();
  }

  /** The peer sent us this (anything: tests also send malformed messages). */
  receive(message: unknown): void {
    this.emit('message', message);
  }

  receiveArchive(archive: Buffer): void {
    this.onChunk?.(archive);
    this.emit('archive', archive);
  }

  drop(error: LinkFailure = 'network'): void {
    this.emit('closed', error);
  }

  get sentTypes(): string[] {
    return this.sent.items.map((m) => m.t);
  }
}

export class FakeRendezvous extends EventEmitter implements ImportRendezvous {
  closeCalls = 0;
  constructor(readonly token: AuthToken) {
    super();
  }
  close(): void {
    this.closeCalls += 1;
  }
}

export class FakeExportConnection extends EventEmitter implements ExportConnection {
  closeCalls = 0;
  constructor(readonly token: AuthToken, readonly credentials: ExporterCredentials) {
    super();
  }
  close(): void {
    this.closeCalls += 1;
  }
}

export const TEST_TOKEN: AuthToken = { peerId: '0123456789abcdef0123456789abcdef01234567', code: '314159' };
export const TEST_TOKEN_TEXT = `jami-auth://${TEST_TOKEN.peerId}/${TEST_TOKEN.code}`;

/** A transport whose every step the test performs by hand. */
export class FakeTransport implements LinkTransport {
  readonly importRequests = new Recorder<Deferred<ImportRendezvous>>();
  readonly rendezvous = new Recorder<FakeRendezvous>();
  readonly connections = new Recorder<FakeExportConnection>();
  /** When set, startExport throws. */
  startExportThrows = false;
  private tokens = 0;

  startImport(): Promise<ImportRendezvous> {
    const request = new Deferred<ImportRendezvous>();
    this.importRequests.push(request);
    return request.promise;
  }

  /** Answers the oldest unanswered startImport with a fresh rendezvous. */
  grantImport(index = this.rendezvous.items.length): FakeRendezvous {
    const n = this.tokens++;
    const token = n === 0 ? TEST_TOKEN : { peerId: n.toString(16).padStart(40, 'a'), code: String(100000 + n) };
    const rendezvous = new FakeRendezvous(token);
    this.rendezvous.push(rendezvous);
    this.importRequests.items[index]!.resolve(rendezvous);
    return rendezvous;
  }

  startExport(token: AuthToken, credentials: ExporterCredentials): ExportConnection {
    if (this.startExportThrows) throw new Error('transport refused');
    const connection = new FakeExportConnection(token, credentials);
    this.connections.push(connection);
    return connection;
  }
}

/** The archive format of these tests: JSON naming the account it holds. */
export function archiveOf(jamiId: string): Buffer {
  return Buffer.from(JSON.stringify({ jamiId, secret: 'ARCHIVE-SECRET-BYTES' }));
}

export const JAMI_ID = 'feedfacefeedfacefeedfacefeedfacefeedface';
export const OTHER_JAMI_ID = '1111111111111111111111111111111111111111';
/** The exporter's chain as these fakes write it: the Jami ID after a space (the loopback reads it back). */
export const chainOf = (jamiId: string): string => `FAKE-CHAIN ${jamiId}`;
export const PROOF: AccountProof = { accountId: JAMI_ID, deviceId: 'dddddddddddddddddddddddddddddddddddddddd', chainPem: chainOf(JAMI_ID) };
/** The new device's certificate chain the in-memory import store makes for a local account. */
export const newDeviceChainOf = (localAccountId: string): string => `NEW-DEVICE-CHAIN ${localAccountId}`;

export class InMemoryImportAccounts implements ImportAccountPort {
  readonly stored = new Map<string, { jamiId: string; password: string }>();
  /** The exporter's device each stored account lists (its chain), by local account. */
  readonly exporterDevices = new Map<string, string>();
  readonly storeCalls = new Recorder<{ accountId: string; password: string; exporter: AccountProof }>();
  readonly discarded = new Recorder<string>();
  /** The passwords the session asked to have stretched for storing, in order. */
  readonly sealingKeysPrepared = new Recorder<{ accountId: string; password: string }>();
  /** When set, storeLinkedAccount waits for it before writing. */
  storeGate: Deferred | undefined;
  /** When set, discard waits for it. */
  discardGate: Deferred | undefined;
  storeFails = false;

  async storeLinkedAccount(accountId: string, archive: Buffer, password: string, exporter: AccountProof): Promise<StoreOutcome> {
    this.storeCalls.push({ accountId, password, exporter });
    await this.storeGate?.promise;
    if (this.storeFails) throw new Error('disk full');
    const { jamiId } = JSON.parse(archive.toString('utf8')) as { jamiId: string };
    // Decided before anything is written, as the port promises.
    if (jamiId !== exporter.accountId) return { stored: false, foundAccount: jamiId };
    this.stored.set(accountId, { jamiId, password });
    this.exporterDevices.set(accountId, exporter.chainPem);
    return { stored: true, deviceChain: newDeviceChainOf(accountId) };
  }

  prepareSealingKey(accountId: string, password: string): void {
    this.sealingKeysPrepared.push({ accountId, password });
  }

  /** The bytes each account's archive came in, as the channel handed them on before the whole was checked. */
  readonly receivedBytes = new Map<string, number>();

  beginReceiving(accountId: string): (chunk: Buffer) => void {
    this.receivedBytes.set(accountId, 0);
    return (chunk) => this.receivedBytes.set(accountId, (this.receivedBytes.get(accountId) ?? 0) + chunk.length);
  }

  async discard(accountId: string): Promise<void> {
    await this.discardGate?.promise;
    this.stored.delete(accountId);
    this.exporterDevices.delete(accountId);
    this.discarded.push(accountId);
  }
}

export interface TestAccount {
  jamiId: string;
  password?: string;
}

export class InMemoryExportAccounts implements ExportAccountPort {
  readonly accounts = new Map<string, TestAccount>();
  readonly openCalls = new Recorder<{ accountId: string; password: string }>();
  /** recordDevice calls, in order: the new devices the accounts list. */
  readonly devices = new Recorder<{ accountId: string; deviceChain: string }>();
  /** When set, openArchive waits for it (argon2 is slow). */
  openGate: Deferred | undefined;
  credentialsGate: Deferred | undefined;
  /** When set, recordDevice waits for it. */
  recordGate: Deferred | undefined;
  credentialsFail = false;
  openThrows = false;
  recordFails = false;

  add(accountId: string, account: TestAccount): this {
    this.accounts.set(accountId, account);
    return this;
  }

  exists(accountId: string): boolean {
    return this.accounts.has(accountId);
  }

  hasPassword(accountId: string): boolean {
    return this.accounts.get(accountId)?.password !== undefined;
  }

  async credentials(accountId: string): Promise<ExporterCredentials> {
    await this.credentialsGate?.promise;
    const account = this.accounts.get(accountId);
    if (account === undefined || this.credentialsFail) throw new Error('no such account');
    return { certificateChainPem: chainOf(account.jamiId), devicePrivateKeyPem: 'FAKE-KEY' };
  }

  /** Like the real store: only '' opens an account without a password, only its password a protected one. */
  async openArchive(accountId: string, password: string): Promise<Buffer | undefined> {
    this.openCalls.push({ accountId, password });
    await this.openGate?.promise;
    if (this.openThrows) throw new Error('io error');
    const account = this.accounts.get(accountId);
    if (account === undefined) throw new Error('no such account');
    return (account.password ?? '') === password ? archiveOf(account.jamiId) : undefined;
  }

  async recordDevice(accountId: string, deviceChain: string): Promise<void> {
    await this.recordGate?.promise;
    if (this.recordFails) throw new Error('devices file unwritable');
    this.devices.push({ accountId, deviceChain });
  }
}
