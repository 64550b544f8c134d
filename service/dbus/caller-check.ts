// Only the user who runs the daemon (or root) may call it. On the session bus that is what the bus
// itself enforces; on the system bus or a shared bus address anyone could send us a message, so the
// service asks the bus daemon who each caller is (GetConnectionUnixUser) and refuses the others.

import dbus from 'dbus-next';
import type { CallerCheck } from './exported-object.js';

/** Unique names are never reused on a bus, so a caller's uid can be remembered; the cap bounds memory. */
const MAX_REMEMBERED_CALLERS = 4096;

export function callerCheckFor(bus: dbus.MessageBus, ownUid: number = process.getuid?.() ?? 0): CallerCheck {
  const known = new Map<string, number>();
  const uidOf = async (sender: string): Promise<number | undefined> => {
    const cached = known.get(sender);
    if (cached !== undefined) return cached;
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
    if (uid !== undefined) {
      if (known.size >= MAX_REMEMBERED_CALLERS) known.clear();
      known.set(sender, uid);
    }
    return uid;
  };
  return async (sender) => {
    const uid = await uidOf(sender).catch(() => undefined);
    if (uid === ownUid || uid === 0) return undefined;
    return `only uid ${ownUid} may use this service (caller uid ${uid ?? 'unknown'})`;
  };
}
