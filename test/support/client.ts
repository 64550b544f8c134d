// A real D-Bus client of the daemon (dbus-next), as a desktop client would be, recording signals.

import { EventEmitter } from 'node:events';
import dbus from 'dbus-next';
import { OBJECT_PATH, INTERFACE_NAME } from '../../service/config.js';
import { withTimeout } from './wait.js';

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
    for (const name of ['deviceAuthStateChanged', 'addDeviceStateChanged', 'accountsChanged']) {
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

  call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    return (this.iface as unknown as Record<string, (...a: unknown[]) => Promise<T>>)[method](...args);
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
