// An in-process LinkTransport joining two LinkOperations (two "daemons"): the token finds the
// rendezvous, messages cross in order on the next microtask, close() flushes then tells the peer, and an
// archive the receiver did not arm for (expectArchive) ends the link on both ends, as the framed channel does.

import { EventEmitter } from 'node:events';
import type {
  AuthToken,
  ExportConnection,
  ExporterCredentials,
  ImportRendezvous,
  LinkTransport,
  PeerChannel,
  PeerLocation,
} from '../../../service/contract/link-contract.js';
import type { ControlMessage } from '../../../service/linking/control-messages.js';

class LoopbackChannel extends EventEmitter implements PeerChannel {
  other!: LoopbackChannel;
  private closed = false;
  /** The archive size our side armed for, until it came. */
  private expected: number | undefined;
  readonly sent: ControlMessage[] = [];

  constructor(readonly peerAddress: string) {
    super();
  }

  get location(): PeerLocation {
    return { address: this.peerAddress, type: 'host' };
  }

  send(message: ControlMessage): void {
    if (this.closed) return;
    this.sent.push(message);
    const copy = structuredClone(message);
    queueMicrotask(() => this.other.deliver('message', copy));
  }

  expectArchive(size: number): void {
    this.expected = size;
  }

  sendArchive(data: Buffer): Promise<void> {
    if (this.closed) return Promise.reject(new Error('closed'));
    const copy = Buffer.from(data);
    return new Promise((resolve, reject) =>
      queueMicrotask(() => {
        if (this.other.takeArchive(copy)) return resolve();
        this.peerClosed();
        reject(new Error('the peer refused the archive'));
      }),
    );
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) =>
      queueMicrotask(() => {
        this.other.peerClosed();
        resolve();
      }),
    );
  }

  /** False (and the link ends here) for an archive this end did not arm for. */
  private takeArchive(archive: Buffer): boolean {
    if (this.closed) return true;
    if (this.expected !== archive.length) {
      this.peerClosed();
      return false;
    }
    this.expected = undefined;
    this.emit('archive', archive);
    return true;
  }

  private deliver(event: string, payload: unknown): void {
    if (!this.closed) this.emit(event, payload);
  }

  private peerClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('closed', 'network');
  }
}

class LoopbackRendezvous extends EventEmitter implements ImportRendezvous {
  constructor(readonly token: AuthToken, private readonly network: LoopbackNetwork) {
    super();
  }
  close(): void {
    this.network.forget(this);
  }
}

class LoopbackConnection extends EventEmitter implements ExportConnection {
  close(): void {}
}

export class LoopbackNetwork {
  private readonly waiting = new Map<string, LoopbackRendezvous>();
  private count = 0;
  /** Every channel end, importer's first (its `sent` shows what each side sent). */
  readonly channels: LoopbackChannel[] = [];

  /** What the exporter proves: the Jami ID its certificate chain names (the fakes put it after a space). */
  transport(): LinkTransport {
    return {
      startImport: () => Promise.resolve(this.openRendezvous()),
      startExport: (token, credentials) => this.connect(token, credentials),
    };
  }

  forget(rendezvous: LoopbackRendezvous): void {
    if (this.waiting.get(rendezvous.token.peerId) === rendezvous) this.waiting.delete(rendezvous.token.peerId);
  }

  private openRendezvous(): LoopbackRendezvous {
    this.count += 1;
    const token = { peerId: this.count.toString(16).padStart(40, '0'), code: String(123456 + this.count) };
    const rendezvous = new LoopbackRendezvous(token, this);
    this.waiting.set(token.peerId, rendezvous);
    return rendezvous;
  }

  private connect(token: AuthToken, credentials: ExporterCredentials): ExportConnection {
    const connection = new LoopbackConnection();
    queueMicrotask(() => {
      const rendezvous = this.waiting.get(token.peerId);
      if (rendezvous === undefined || rendezvous.token.code !== token.code) {
        connection.emit('failed', 'authentication');
        return;
      }
      this.waiting.delete(token.peerId);
      const accountId = credentials.certificateChainPem.split(' ')[1]!;
      rendezvous.emit('peer', { accountId, deviceId: 'e'.repeat(40), chainPem: credentials.certificateChainPem });
      const importerEnd = new LoopbackChannel('203.0.113.1:4000');
      const exporterEnd = new LoopbackChannel('203.0.113.2:5000');
      importerEnd.other = exporterEnd;
      exporterEnd.other = importerEnd;
      this.channels.push(importerEnd, exporterEnd);
      rendezvous.emit('channel', importerEnd);
      connection.emit('channel', exporterEnd);
    });
    return connection;
  }
}
