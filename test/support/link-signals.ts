// Every link signal one client sees, time-stamped and indexed by operation, with one listener per signal
// for the client's whole life (the per-operation recorders of link-fixture.ts add listeners per link,
// which a run of thousands of links cannot afford). Lets a test watch an operation another client started.

import type { TestClient } from './client.js';
import type { Details, StateRecord } from './link-fixture.js';
import { rememberSecret } from './secrets.js';
import { withTimeout } from './wait.js';

export interface TimedState {
  state: number;
  details: Details;
  /** performance.now() when the test process received the signal. */
  at: number;
}

/** "import:<accountId>" or "export:<accountId>:<opId>". */
export type OperationKey = string;

export const importKey = (accountId: string): OperationKey => `import:${accountId}`;
export const exportKey = (accountId: string, opId: number): OperationKey => `export:${accountId}:${opId}`;

interface Waiter {
  key: OperationKey;
  check: (states: TimedState[]) => boolean;
}

export class LinkSignalLog {
  private readonly byOperation = new Map<OperationKey, TimedState[]>();
  private waiters: Waiter[] = [];
  private readonly onImport: (accountId: string, state: number, details: Details) => void;
  private readonly onExport: (accountId: string, opId: number, state: number, details: Details) => void;

  constructor(readonly client: TestClient) {
    this.onImport = (accountId, state, details) => this.record(importKey(accountId), state, details);
    this.onExport = (accountId, opId, state, details) => this.record(exportKey(accountId, opId), state, details);
    client.on('deviceAuthStateChanged', this.onImport);
    client.on('addDeviceStateChanged', this.onExport);
  }

  detach(): void {
    this.client.off('deviceAuthStateChanged', this.onImport);
    this.client.off('addDeviceStateChanged', this.onExport);
  }

  timed(key: OperationKey): TimedState[] {
    return this.byOperation.get(key) ?? [];
  }

  states(key: OperationKey): StateRecord[] {
    return this.timed(key).map(({ state, details }) => [state, details]);
  }

  /** The last state seen, or 0 (Init) when none yet. */
  current(key: OperationKey): number {
    return this.timed(key).at(-1)?.state ?? 0;
  }

  doneCount(key: OperationKey): number {
    return this.timed(key).filter(({ state }) => state === 5).length;
  }

  /** Forgets an operation that is over (long runs). */
  forget(key: OperationKey): void {
    this.byOperation.delete(key);
  }

  /** The first record of `state` at index >= `from`. */
  waitFor(key: OperationKey, state: number, ms: number, from = 0): Promise<TimedState> {
    let found: TimedState | undefined;
    return this.waitUntil(
      key,
      (states) => (found = states.slice(from).find((record) => record.state === state)) !== undefined,
      ms,
      `${key} to reach state ${state}`,
    ).then(() => found!);
  }

  /** Resolves once `check` holds for the operation's states (checked now and on each of its signals). */
  waitUntil(key: OperationKey, check: (states: TimedState[]) => boolean, ms: number, what: string): Promise<void> {
    let waiter: Waiter | undefined;
    const reached = new Promise<void>((resolve) => {
      if (check(this.timed(key))) return resolve();
      waiter = {
        key,
        check: (states) => {
          if (!check(states)) return false;
          resolve();
          return true;
        },
      };
      this.waiters.push(waiter);
    });
    // What was seen is read when the time-out fires, not when the wait began.
    return withTimeout(reached, ms, () => `${what}; seen ${JSON.stringify(this.states(key))}`).finally(() => {
      if (waiter) this.waiters = this.waiters.filter((w) => w !== waiter);
    });
  }

  private record(key: OperationKey, state: number, details: Details): void {
    const states = this.byOperation.get(key) ?? [];
    states.push({ state, details, at: performance.now() });
    this.byOperation.set(key, states);
    this.waiters = this.waiters.filter((waiter) => waiter.key !== key || !waiter.check(states));
  }
}

/** Starts an import through `starter` (any client of the daemon); `log` may belong to another client. */
export async function beginImport(starter: TestClient, log: LinkSignalLog, details: Details = {}, ms = 20000): Promise<{ accountId: string; token: string }> {
  const accountId = await starter.call<string>('addAccount', { 'Account.type': 'RING', 'Account.archiveURL': 'jami-auth', ...details });
  const { details: shown } = await log.waitFor(importKey(accountId), 1, ms);
  return { accountId, token: rememberSecret(shown.token) };
}

/** Starts an export through `starter`; throws unless addDevice gives an operation id. */
export async function beginExport(starter: TestClient, accountId: string, token: string): Promise<number> {
  const opId = await starter.call<number>('addDevice', accountId, token);
  if (!(opId > 0)) throw new Error(`addDevice(${accountId}) returned ${opId}`);
  return opId;
}
