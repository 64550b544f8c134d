// The link transport, loaded by the first link instead of at start: node-datachannel with the WebRTC and signaling
// code is ~20 ms of a daemon's start and ~8 MB of an idle daemon's memory, and only links need it. Until then the
// daemon owns its bus name and answers every other call; the first link waits the few ms of the load.

import { EventEmitter } from 'node:events';
import type { AuthToken, ExportConnection, ExporterCredentials, ImportRendezvous, LinkTransport } from './contract/link-contract.js';

/** What loading the transport gives: the transport, and what releases it at exit. */
export interface LoadedTransport {
  readonly transport: LinkTransport;
  shutdown(): void;
}

export interface DeferredTransport extends LinkTransport {
  /** Releases the transport if a link loaded it (nothing to release otherwise). */
  shutdown(): void;
}

export function deferredTransport(load: () => Promise<LoadedTransport>): DeferredTransport {
  let loading: Promise<LoadedTransport> | undefined;
  let loaded: LoadedTransport | undefined;
  const transport = (): Promise<LoadedTransport> =>
    (loading ??= load().then((result) => {
      loaded = result;
      return result;
    }));
  return {
    startImport: async (): Promise<ImportRendezvous> => (await transport()).transport.startImport(),
    startExport(token: AuthToken, credentials: ExporterCredentials): ExportConnection {
      // Loaded already (every link after the first): the transport's own connection, as without deferral.
      if (loaded !== undefined) return loaded.transport.startExport(token, credentials);
      const pending = new PendingExportConnection();
      transport().then(
        (result) => pending.attach(result.transport.startExport(token, credentials)),
        () => pending.fail(),
      );
      return pending;
    },
    shutdown: () => loaded?.shutdown(),
  };
}

/** The first export's connection while the transport loads: the real one's events are passed on once it exists,
 *  and a close() before then closes it as soon as it does. */
class PendingExportConnection extends EventEmitter implements ExportConnection {
  private real: ExportConnection | undefined;
  private closed = false;

  attach(real: ExportConnection): void {
    if (this.closed) {
      real.close();
      return;
    }
    this.real = real;
    real.on('channel', (...args: unknown[]) => this.emit('channel', ...args));
    real.on('failed', (...args: unknown[]) => this.emit('failed', ...args));
  }

  /** The transport could not be loaded: the link fails as one that never reached the network. */
  fail(): void {
    if (!this.closed) this.emit('failed', 'network', { stage: 'signaling' });
  }

  close(): void {
    this.closed = true;
    this.real?.close();
  }
}
