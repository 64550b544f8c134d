// Awaiting events with a deadline: tests never sleep to let things settle.

import type { EventEmitter } from 'node:events';

/** `what` may be a function, to describe the situation when the time-out fires rather than when the wait began. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string | (() => string)): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${typeof what === 'function' ? what() : what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves with the arguments of the first `event` whose arguments satisfy `accept`. */
export function nextEvent<A extends unknown[]>(
  emitter: EventEmitter,
  event: string,
  ms: number,
  accept: (...args: A) => boolean = () => true,
): Promise<A> {
  return withTimeout(
    new Promise<A>((resolve) => {
      const listener = (...args: unknown[]) => {
        if (!accept(...(args as A))) return;
        emitter.off(event, listener);
        resolve(args as A);
      };
      emitter.on(event, listener);
    }),
    ms,
    `event ${event}`,
  );
}

/** Polls `condition` until it holds (for state that has no event, e.g. a file appearing). */
export async function until(condition: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
