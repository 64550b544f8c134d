// A real D-Bus client of the daemon (dbus-next), as a desktop client would be, recording signals.

import { EventEmitter } from 'node:events';
import dbus from 'dbus-next';
import { OBJECT_PATH, INTERFACE_NAME } from '../../service/config.js';
import { withTimeout } from './wait.js';

/** Longer than any call of the suite takes (the slowest, addAccount on a 200 MB archive file, takes seconds). */
const CALL_REPLY_MS = 60000;

export interface SignalRecord {
  name: string;
  args: unknown[];
}

export class TestClient extends EventEmitter {
  readonly signals: SignalRecord[] = [];

  private constructor(
    readonly bus: dbus.MessageBus,
    readonly iface: dbus.ClientInterface,
  ) {
    super();
    // Each recorder of a test listens for the whole test file.
    this.setMaxListeners(0);
    for (const name of ['deviceAuthStateChanged', 'addDeviceStateChanged', 'accountsChanged', 'registrationStateChanged', 'volatileAccountDetailsChanged', 'knownDevicesChanged', 'registeredNameFound']) {
      iface.on(name, (...args: unknown[]) => {
        this.signals.push({ name, args });
        this.emit('signal', name, args);
        this.emit(name, ...args);
      });
    }
  }

  static async connect(address: string, busName = 'cx.ring.Ring'): Promise<TestClient> {
    const bus = dbus.sessionBus({ busAddress: address });
    const object = await withTimeout(bus.getProxyObject(busName, OBJECT_PATH), 10000, 'the daemon object');
    return new TestClient(bus, object.getInterface(INTERFACE_NAME));
  }

  /** A method call; one that gets no reply within a minute rejects (a daemon that stopped answering fails the test
   *  that called it, by name, instead of leaving it to the test's own time-out). */
  call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    const reply = (this.iface as unknown as Record<string, (...a: unknown[]) => Promise<T>>)[method](...args);
    return withTimeout(reply, CALL_REPLY_MS, `a reply to ${method}`);
  }

  /**
   * addAccount for a new account or an archive file, then waits until the daemon stored it: its registration
   * state leaves INITIALIZING, as Jami's client waits for it. Rejects with the daemon's error, or when it fails.
   */
  async createAccount(details: Record<string, string>, ms = 60000): Promise<string> {
    const id = await this.call<string>('addAccount', details);
    await this.registrationLeavesInitializing(id, ms);
    return id;
  }

  /** The first registration state of `accountId` other than INITIALIZING (rejects on ERROR_GENERIC). */
  registrationLeavesInitializing(accountId: string, ms = 60000): Promise<string> {
    const leaves = (args: unknown[]) => args[0] === accountId && args[1] !== 'INITIALIZING';
    const seen = this.signals.find((signal) => signal.name === 'registrationStateChanged' && leaves(signal.args));
    const state = seen
      ? Promise.resolve(seen.args[1] as string)
      : new Promise<string>((resolve) => {
          const listener = (name: string, args: unknown[]) => {
            if (name !== 'registrationStateChanged' || !leaves(args)) return;
            this.off('signal', listener);
            resolve(args[1] as string);
          };
          this.on('signal', listener);
        });
    return withTimeout(state, ms, `account ${accountId} to be stored`).then((value) => {
      if (value === 'ERROR_GENERIC') throw new Error(`the daemon could not create account ${accountId}`);
      return value;
    });
  }

  /** Sends a call with an explicit signature (to test wrong argument types). */
  async rawCall(busName: string, member: string, signature: string, body: unknown[]): Promise<dbus.Message> {
    const reply = await this.bus.call(
      new dbus.Message({ destination: busName, path: OBJECT_PATH, interface: INTERFACE_NAME, member, signature, body }),
    );
    return reply as dbus.Message;
  }

  close(): void {
    this.bus.disconnect();
  }
}
