// The one clock of the daemon: "now" and one-shot timers, injected so tests drive time themselves.

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A one-shot timer that can be restarted and cleared any number of times. */
export class OneShotTimer {
  private handle: unknown;

  constructor(private readonly clock: Clock) {}

  get running(): boolean {
    return this.handle !== undefined;
  }

  start(ms: number, callback: () => void): void {
    this.clear();
    this.handle = this.clock.setTimeout(() => {
      this.handle = undefined;
      callback();
    }, ms);
  }

  clear(): void {
    if (this.handle === undefined) return;
    this.clock.clearTimeout(this.handle);
    this.handle = undefined;
  }
}
