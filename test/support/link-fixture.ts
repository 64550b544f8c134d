// Two real daemons (old device = export side, new device = import side), each on its own private
// dbus-daemon and data dir, both bootstrapped to one local dhtnode; plus helpers that drive a link
// over D-Bus and record the signals of one operation.

import { startTestBus, type PrivateBus } from './private-bus.js';
import { startDaemonProcess, type RunningDaemon, type DaemonOptions } from './daemon-process.js';
import { startLocalDht, type LocalDht } from './local-dht.js';
import { TestClient } from './client.js';
import { withTimeout } from './wait.js';
import { rememberSecret } from './secrets.js';

export type Details = Record<string, string>;
export type StateRecord = [state: number, details: Details];

export interface Side {
  bus: PrivateBus;
  daemon: RunningDaemon;
  client: TestClient;
}

/** A side bootstrapped to `dht`: the local dhtnode, or any node that has a "127.0.0.1:port" (a swarm's). */
export async function startSide(dht: Pick<LocalDht, 'bootstrap'>, options: Partial<DaemonOptions> = {}): Promise<Side> {
  const bus = await startTestBus();
  let daemon: RunningDaemon | undefined;
  try {
    daemon = await startDaemonProcess({ busAddress: bus.address, bootstrap: dht.bootstrap, ...options });
    const client = await TestClient.connect(bus.address);
    return { bus, daemon, client };
  } catch (error) {
    // A daemon that would not start (a bad option) leaves no bus behind it: nobody else would stop it.
    await daemon?.stop();
    await bus.stop();
    throw error;
  }
}

export async function stopSide(side: Side | undefined): Promise<void> {
  if (!side) return;
  side.client.close();
  await side.daemon.stop();
  await side.bus.stop();
}

/** Restarts a side's daemon on the same bus and data dir (after a stop or a kill). */
export async function restartSide(side: Side, dht: LocalDht, options: Partial<DaemonOptions> = {}): Promise<Side> {
  side.client.close();
  await side.daemon.stop();
  const daemon = await startDaemonProcess({ busAddress: side.bus.address, bootstrap: dht.bootstrap, dataDir: side.daemon.dataDir, ...options });
  const client = await TestClient.connect(side.bus.address);
  return { bus: side.bus, daemon, client };
}

export interface LinkNetwork {
  dht: LocalDht;
  stop(): Promise<void>;
}

export async function startLinkNetwork(): Promise<LinkNetwork> {
  const dht = await startLocalDht();
  return { dht, stop: () => dht.stop() };
}

/** The (state, details) signals of one import operation, in order. */
export class ImportRecorder {
  readonly states: StateRecord[] = [];
  private waiters: Array<() => void> = [];

  constructor(readonly client: TestClient, readonly accountId: string) {
    client.on('deviceAuthStateChanged', (id: string, state: number, details: Details) => {
      if (id !== accountId) return;
      this.states.push([state, details]);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Resolves with the details of the first state `state` recorded at or after index `from`. */
  waitFor(state: number, ms = 30000, from = 0): Promise<Details> {
    return waitForState(this.states, this.waiters, state, ms, `deviceAuthStateChanged(${this.accountId}, ${state}) after ${JSON.stringify(this.states)}`, from);
  }
}

export class ExportRecorder {
  readonly states: StateRecord[] = [];
  private waiters: Array<() => void> = [];

  constructor(readonly client: TestClient, readonly accountId: string, readonly opId: number) {
    client.on('addDeviceStateChanged', (id: string, op: number, state: number, details: Details) => {
      if (id !== accountId || op !== opId) return;
      this.states.push([state, details]);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  waitFor(state: number, ms = 30000, from = 0): Promise<Details> {
    return waitForState(this.states, this.waiters, state, ms, `addDeviceStateChanged(${this.accountId}, ${this.opId}, ${state}) after ${JSON.stringify(this.states)}`, from);
  }
}

function waitForState(states: StateRecord[], waiters: Array<() => void>, state: number, ms: number, what: string, from: number): Promise<Details> {
  return withTimeout(
    new Promise<Details>((resolve) => {
      const check = () => {
        const found = states.slice(from).find(([s]) => s === state);
        if (found) resolve(found[1]);
        else waiters.push(check);
      };
      check();
    }),
    ms,
    what,
  );
}

/** Starts an import on `side`: returns the new account id, its recorder and the token. */
export async function startImport(side: Side, details: Details = {}): Promise<{ accountId: string; recorder: ImportRecorder; token: string }> {
  // Signals can arrive before the reply: record everything, then filter by the id we get back.
  const early: Array<[string, number, Details]> = [];
  const keep = (id: string, state: number, d: Details) => early.push([id, state, d]);
  side.client.on('deviceAuthStateChanged', keep);
  const accountId = await side.client.call<string>('addAccount', { 'Account.type': 'RING', 'Account.archiveURL': 'jami-auth', ...details });
  const recorder = new ImportRecorder(side.client, accountId);
  side.client.off('deviceAuthStateChanged', keep);
  recorder.states.unshift(...early.filter(([id]) => id === accountId).map(([, s, d]) => [s, d] as StateRecord));
  const token = rememberSecret((await recorder.waitFor(1)).token);
  return { accountId, recorder, token };
}

/** Starts an export on `side`; returns the op id and its recorder (op id <= 0: no recorder states). */
export async function startExport(side: Side, accountId: string, token: string): Promise<{ opId: number; recorder: ExportRecorder }> {
  const early: Array<[string, number, number, Details]> = [];
  const keep = (id: string, op: number, state: number, d: Details) => early.push([id, op, state, d]);
  side.client.on('addDeviceStateChanged', keep);
  const opId = await side.client.call<number>('addDevice', accountId, token);
  const recorder = new ExportRecorder(side.client, accountId, opId);
  side.client.off('addDeviceStateChanged', keep);
  recorder.states.unshift(...early.filter(([id, op]) => id === accountId && op === opId).map(([, , s, d]) => [s, d] as StateRecord));
  return { opId, recorder };
}

/** The new device's user consents in state 3 (at or after index `from`), as Jami's client does: the password
 *  with scheme "password", or "" and "" for an account without one. Resolves once the call returned. */
export async function consent(side: Side, imported: { accountId: string; recorder: ImportRecorder }, password = '', from = 0): Promise<void> {
  await imported.recorder.waitFor(3, 30000, from);
  const taken = await side.client.call<boolean>('provideAccountAuthentication', imported.accountId, password, password ? 'password' : '');
  if (!taken) throw new Error(`provideAccountAuthentication(${imported.accountId}) returned false`);
}
