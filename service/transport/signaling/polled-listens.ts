// A SignalingBus whose listens also read their key again now and then, and hand each value on once. Why: a DHT
// listen learns of a new value from the node storing it, in one "update" request that node tries three times
// within a few seconds; on a lossy path all three can be lost (an answer spans several UDP fragments, any of
// which loses the try), and the listener then never hears of that value. Measured on the network test bed
// (issue 14's stop): an old device behind a router losing 5% heard the new device's answer 3.4 s late, and
// once not within its 30 s window at all. A get is the listener asking, with its own retries and several
// nodes answering: what a lost update missed, the next get finds.
//
// A poll hands on only what the listen has not: the listen's own values pass as they come, repeats included (a
// value put twice is a replay, and the layer above judges replays; the real DHT tells a value once). Every value
// the transport puts is sealed with a fresh ephemeral key, so equal bytes are the same message.

import { createHash } from 'node:crypto';
import type { Clock } from '../../contract/clock.js';
import { describeError } from '../../contract/guards.js';
import type { SignalingBus } from '../../contract/link-contract.js';
import type { Logger } from '../../contract/logger.js';
import { isNetworkFailure } from './retrying-signaling.js';

export interface ListenPollPolicy {
  /** The first get, this long after the listen is ready; each later pause doubles, up to maxPauseMs. */
  readonly firstPauseMs: number;
  readonly maxPauseMs: number;
}

/** The first gets come while a link waits on its peer (an answer comes within a second or two when nothing is
 *  lost); a listen kept for minutes (an import's inbox) then costs one get every 5 s. */
export const DEFAULT_LISTEN_POLL: ListenPollPolicy = { firstPauseMs: 1_000, maxPauseMs: 5_000 };

/** More distinct values than any key of a link holds (offers of 3 attempts, candidates, tombstones): past it, the
 *  oldest are forgotten (a poll may hand one on again), so a flood can cost memory only up to this. */
const MAX_REMEMBERED_VALUES = 256;

function checkPolicy(policy: ListenPollPolicy): void {
  for (const [name, value] of Object.entries(policy)) {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number`);
  }
}

function digestOf(data: Buffer): string {
  return createHash('sha256').update(data).digest('base64');
}

export function polledListens(bus: SignalingBus, policy: ListenPollPolicy, clock: Clock, logger: Logger): SignalingBus {
  checkPolicy(policy);
  return {
    put: (key, data) => bus.put(key, data),
    get: (key) => bus.get(key),
    listen(key, onValue) {
      const seen = new Set<string>();
      let cancelled = false;
      let timer: unknown;
      const remember = (digest: string) => {
        seen.add(digest);
        if (seen.size > MAX_REMEMBERED_VALUES) {
          const oldest = seen.values().next().value;
          if (oldest !== undefined) seen.delete(oldest);
        }
      };
      const fromListen = (data: Buffer) => {
        if (cancelled) return;
        remember(digestOf(data));
        onValue(data);
      };
      const fromPoll = (data: Buffer) => {
        const digest = digestOf(data);
        if (cancelled || seen.has(digest)) return;
        remember(digest);
        onValue(data);
      };
      const poll = (pauseMs: number) => {
        timer = clock.setTimeout(() => {
          timer = undefined;
          bus.get(key).then(
            (values) => {
              for (const value of values) fromPoll(value);
              if (!cancelled) poll(Math.min(pauseMs * 2, policy.maxPauseMs));
            },
            (err: unknown) => {
              // A get the network failed is tried at the next turn; any other failure (the node shut down) ends
              // the polling, and the listen reports what it has to.
              logger.debug({ key: key.slice(0, 8), err: describeError(err) }, 'DHT poll of a listened key failed');
              if (!cancelled && isNetworkFailure(err)) poll(Math.min(pauseMs * 2, policy.maxPauseMs));
            },
          );
        }, pauseMs);
      };
      const listener = bus.listen(key, fromListen);
      listener.ready.then(
        () => {
          if (!cancelled) poll(policy.firstPauseMs);
        },
        () => undefined, // the caller sees it on `ready`
      );
      return {
        ready: listener.ready,
        cancel() {
          cancelled = true;
          if (timer !== undefined) clock.clearTimeout(timer);
          timer = undefined;
          listener.cancel();
        },
      };
    },
  };
}
