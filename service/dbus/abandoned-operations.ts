// A link that waits for its user (a password, a confirmation) while the client that started it has
// left the bus would only end at the 5-minute time-out, leaving the peer waiting. Such operations
// are canceled after a grace period. Operations that need nobody (connecting, transferring, or a
// token waiting for the old device) go on: scripts start them with busctl and exit.

import type dbus from 'dbus-next';
import type { LinkOperations } from '../linking/link-operations.js';
import { watchDepartures, type Departures } from './client-departures.js';

export interface OperationRef {
  accountId: string;
  /** Export operations have an op id; imports are named by their account. */
  opId?: number;
}

export class AbandonedOperations {
  private readonly byClient = new Map<string, OperationRef[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly departures: Departures;

  constructor(
    bus: dbus.MessageBus,
    private readonly links: LinkOperations,
    private readonly graceMs: number,
    private readonly logger: { info(obj: object, msg?: string): void },
  ) {
    this.departures = watchDepartures(bus, (name) => {
      if (this.byClient.has(name)) this.clientLeft(name);
    });
  }

  start(): Promise<void> {
    return this.departures.ready;
  }

  /** Remembers which client started an operation. */
  started(client: string, operation: OperationRef): void {
    if (!client) return;
    const list = this.byClient.get(client) ?? [];
    // Finished operations are dropped here, so the list stays as short as the client's live work.
    const live = list.filter((op) => this.links.operationStatus(op.accountId, op.opId) !== 'done');
    live.push(operation);
    this.byClient.set(client, live);
  }

  stop(): void {
    this.departures.stop();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.byClient.clear();
  }

  private clientLeft(client: string): void {
    const operations = this.byClient.get(client) ?? [];
    this.byClient.delete(client);
    for (const operation of operations) this.watch(operation);
  }

  /** Checks every grace period; cancels only after a whole period spent waiting for the user. */
  private watch(operation: OperationRef, waitedBefore = false): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const status = this.links.operationStatus(operation.accountId, operation.opId);
      if (status === 'done') return;
      if (status === 'running') return this.watch(operation);
      if (!waitedBefore) return this.watch(operation, true);
      this.logger.info({ accountId: operation.accountId, opId: operation.opId }, 'client left while the link waited for it: canceling');
      if (operation.opId === undefined) this.links.cancelImport(operation.accountId);
      else this.links.cancelAddDevice(operation.accountId, operation.opId);
    }, this.graceMs);
    timer.unref();
    this.timers.add(timer);
  }
}
