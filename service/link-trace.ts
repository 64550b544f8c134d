// JAMI_LINKD_TRACE=1: where a link's time goes. Wraps the DHT signaling bus and the accounts' slow calls so each
// logs, at debug level, when it started and how long it took; with it, log lines carry sub-millisecond times.
// bench/link-trace.ts merges two daemons' lines into one timeline. Off by default: nothing is wrapped then.
// Lines name DHT keys by their first 8 hex digits (a DHT observer sees the keys anyway), never values.

import type { SignalingBus } from './contract/link-contract.js';
import type { Logger } from './contract/logger.js';

export const TRACE_ENV = 'JAMI_LINKD_TRACE';

export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[TRACE_ENV] === '1';
}

const elapsedSince = (start: number): number => Math.round((performance.now() - start) * 100) / 100;

/** `work` with a debug line once it settled: `step`, its duration, and whether it failed. */
export function traced<T>(log: Logger, step: string, fields: Record<string, unknown>, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const promise = work();
  promise.then(
    () => log.debug({ step, ms: elapsedSince(start), ...fields }, 'trace'),
    () => log.debug({ step, ms: elapsedSince(start), failed: true, ...fields }, 'trace'),
  );
  return promise;
}

/** The signaling bus with a trace line per put, get, listen ready and value heard. */
export function tracedSignaling(bus: SignalingBus, logger: Logger): SignalingBus {
  const log = logger.child({ component: 'trace' });
  const short = (key: string) => key.slice(0, 8);
  return {
    put: (key, data) => traced(log, 'dht put', { key: short(key), bytes: data.length }, () => bus.put(key, data)),
    get: (key) => traced(log, 'dht get', { key: short(key) }, () => bus.get(key)),
    listen(key, onValue) {
      const start = performance.now();
      const listener = bus.listen(key, (data) => {
        log.debug({ step: 'dht value heard', key: short(key), sinceListen: elapsedSince(start), bytes: data.length }, 'trace');
        onValue(data);
      });
      listener.ready.then(
        () => log.debug({ step: 'dht listen ready', key: short(key), ms: elapsedSince(start) }, 'trace'),
        () => undefined,
      );
      return listener;
    },
  };
}
