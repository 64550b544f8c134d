// On the system bus anyone may send us a message: only calls from the user who runs the daemon
// (or root) are served. The bus daemon tells us who the caller is.

import dbus from 'dbus-next';
import type { CallerCheck } from './exported-object.js';

export function callerCheckFor(bus: dbus.MessageBus, ownUid: number = process.getuid?.() ?? 0): CallerCheck {
  return async (sender) => {
    const reply = await bus.call(
      new dbus.Message({
        destination: 'org.freedesktop.DBus',
        path: '/org/freedesktop/DBus',
        interface: 'org.freedesktop.DBus',
        member: 'GetConnectionUnixUser',
        signature: 's',
        body: [sender],
      }),
    );
    const uid = reply?.body?.[0] as number | undefined;
    if (uid === ownUid || uid === 0) return undefined;
    return `only uid ${ownUid} may use this service (caller uid ${uid ?? 'unknown'})`;
  };
}
