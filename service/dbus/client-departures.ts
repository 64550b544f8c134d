// Which clients leave the bus: both the audience of our signals and the watch on abandoned links need to
// know when a unique name goes away (NameOwnerChanged with no new owner).

import dbus from 'dbus-next';

export interface Departures {
  /** Resolves once the bus sends us NameOwnerChanged. */
  readonly ready: Promise<void>;
  stop(): void;
}

/** Calls `left(name)` for every bus name that loses its owner, until stop(). */
export function watchDepartures(bus: dbus.MessageBus, left: (name: string) => void): Departures {
  const onMessage = (message: dbus.Message): void => {
    if (message.type !== dbus.MessageType.SIGNAL || message.interface !== 'org.freedesktop.DBus' || message.member !== 'NameOwnerChanged') return;
    const [name, , newOwner] = message.body as [string, string, string];
    if (newOwner === '') left(name);
  };
  bus.on('message', onMessage);
  const ready = bus
    .call(
      new dbus.Message({
        destination: 'org.freedesktop.DBus',
        path: '/org/freedesktop/DBus',
        interface: 'org.freedesktop.DBus',
        member: 'AddMatch',
        signature: 's',
        body: ["type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged'"],
      }),
    )
    .then(() => undefined);
  return { ready, stop: () => bus.off('message', onMessage) };
}
