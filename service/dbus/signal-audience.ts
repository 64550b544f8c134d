// Who receives our signals on a bus other users can reach (the system bus, a shared bus address): a
// broadcast there would hand every local user the token in state 1 (and peer ids, addresses). Each
// signal goes instead, unicast, to every client that passed the caller check (by calling any member:
// Jami's clients call Instance.Register first) and is still connected. On the session bus, which admits
// its user only, signals stay broadcasts, as Jami's clients expect.

import type dbus from 'dbus-next';
import { watchDepartures, type Departures } from './client-departures.js';
import type { CallerCheck } from './exported-object.js';

/** Bounds the set if clients come and go without the bus telling us (it always should). */
const MAX_ADMITTED = 4096;

export class SignalAudience {
  private readonly admitted = new Set<string>();
  private readonly departures: Departures;

  constructor(
    bus: dbus.MessageBus,
    private readonly check: CallerCheck,
  ) {
    this.departures = watchDepartures(bus, (name) => this.admitted.delete(name));
  }

  start(): Promise<void> {
    return this.departures.ready;
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
    this.departures.stop();
    this.admitted.clear();
  }
}
