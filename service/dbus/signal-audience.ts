// Who receives our signals on a bus other users can reach (the system bus, a shared bus address): a
// broadcast there would hand every local user the token in state 1 (and peer ids, addresses). Each
// signal goes instead, unicast, to every client that passed the caller check (by calling any member:
// Jami's clients call Instance.Register first) and is still connected. On the session bus, which admits
// its user only, signals stay broadcasts, as Jami's clients expect.

import dbus from 'dbus-next';
import type { CallerCheck } from './exported-object.js';

/** Bounds the set if clients come and go without the bus telling us (it always should). */
const MAX_ADMITTED = 4096;

export class SignalAudience {
  private readonly admitted = new Set<string>();
  private readonly onMessage: (message: dbus.Message) => void;

  constructor(
    private readonly bus: dbus.MessageBus,
    private readonly check: CallerCheck,
  ) {
    this.onMessage = (message) => {
      if (message.type !== dbus.MessageType.SIGNAL || message.interface !== 'org.freedesktop.DBus' || message.member !== 'NameOwnerChanged') return;
      const [name, , newOwner] = message.body as [string, string, string];
      if (newOwner === '') this.admitted.delete(name);
    };
    bus.on('message', this.onMessage);
  }

  async start(): Promise<void> {
    await this.bus.call(
      new dbus.Message({
        destination: 'org.freedesktop.DBus',
        path: '/org/freedesktop/DBus',
        interface: 'org.freedesktop.DBus',
        member: 'AddMatch',
        signature: 's',
        body: ["type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged'"],
      }),
    );
  }

  /** A client called us: it hears our signals from now on if the caller check lets it call. */
  async admit(sender: string | undefined): Promise<void> {
    if (!sender || this.admitted.has(sender)) return;
    if ((await this.check(sender)) !== undefined) return;
    if (this.admitted.size >= MAX_ADMITTED) this.admitted.clear();
    this.admitted.add(sender);
  }

  recipients(): readonly string[] {
    return [...this.admitted];
  }

  close(): void {
    this.bus.off('message', this.onMessage);
    this.admitted.clear();
  }
}
