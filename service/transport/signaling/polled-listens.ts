// A SignalingBus whose listens also read their key again now and then, and hand on what the listen missed. Why: a
// DHT listen learns of a new value from the node storing it, in one "update" request that node tries three times
// within a few seconds; on a lossy path all three can be lost (an answer spans several UDP fragments, any of
// which loses the try), and the listener then never hears of that value. Measured on the network test bed
// (issue 14's stop): an old device behind a router losing 5% heard the new device's answer 3.4 s late, and
// once not within its 30 s window at all. A get is the listener asking, with its own retries and several
// nodes answering: what a lost update missed, the next get finds.
//
// Each value is handed on once, whichever brings it first: a poll hands on only what was not handed on yet, and
// the listen drops a value a poll handed on before the listen's own (late) update came. A value the listen is
// told twice passes twice: a value put twice is a replay, and the layer above judges replays (the real DHT tells
// a value once). Every value the transport puts is sealed with a fresh ephemeral key, so equal bytes are the
// same message.

import { createHash } from 'node:crypto';
import type { OpenDhtErrorCode } from 'opendht-node';
import type { Clock } from '../../contract/clock.js';
import { describeError, guarded } from '../../contract/guards.js';
import type { SignalingBus } from '../../contract/link-contract.js';
import type { Logger } from '../../contract/logger.js';
import { BoundedSet } from './bounded-set.js';
import { hasDhtCode } from './dht-errors.js';

export interface ListenPollPolicy {
  /** The first get, this long after the listen is ready; each later pause doubles, up to maxPauseMs. */
  readonly firstPauseMs: number;
  readonly maxPauseMs: number;
  /** After this long, one get per slowPauseMs: a listen kept for hours (a token shown and never used) costs
   *  little, and a value it missed is still found well within an exporter's 30 s window. */
  readonly fastForMs: number;
  readonly slowPauseMs: number;
}

/** The first gets come while a link waits on its peer (an answer comes within a second or two when nothing is
 *  lost); two minutes on, one every 15 s. */
export const DEFAULT_LISTEN_POLL: ListenPollPolicy = { firstPauseMs: 1_000, maxPauseMs: 5_000, fastForMs: 120_000, slowPauseMs: 15_000 };

/** More distinct values than any key of a link holds at once (offers of 3 attempts, candidates, tombstones): a value
 *  every poll sees again stays remembered; past this many at once, the least recently seen are forgotten, and handed
 *  on again when seen next, so a flood costs memory only up to this. */
const MAX_REMEMBERED_VALUES = 256;

/** The node is gone: polling it again would only fail again. */
const FINAL_FAILURES: ReadonlySet<OpenDhtErrorCode> = new Set<OpenDhtErrorCode>(['ESHUTDOWN', 'ENOTRUNNING']);

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
      const seen = new BoundedSet<string>(MAX_REMEMBERED_VALUES);
      /** Handed on by a poll, not told by the listen yet: its update, if it comes, is dropped once. */
      const aheadOfListen = new BoundedSet<string>(MAX_REMEMBERED_VALUES);
      let cancelled = false;
      let timer: unknown;
      let readyAt = 0;
      const handOn = (data: Buffer) => guarded(logger, 'a listened value\'s handler threw', () => onValue(data));
      const fromListen = (data: Buffer) => {
        if (cancelled) return;
        const digest = digestOf(data);
        if (aheadOfListen.delete(digest)) return;
        seen.add(digest);
        handOn(data);
      };
      const fromPoll = (data: Buffer) => {
        if (cancelled) return;
        const digest = digestOf(data);
        const known = seen.has(digest);
        seen.add(digest); // seen again: stays remembered
        if (known) return;
        aheadOfListen.add(digest);
        handOn(data);
      };
      const nextPause = (pauseMs: number) =>
        clock.now() - readyAt >= policy.fastForMs ? policy.slowPauseMs : Math.min(pauseMs * 2, policy.maxPauseMs);
      const poll = (pauseMs: number) => {
        timer = clock.setTimeout(() => {
          timer = undefined;
          bus.get(key).then(
            (values) => {
              for (const value of values) fromPoll(value);
              if (!cancelled) poll(nextPause(pauseMs));
            },
            (err: unknown) => {
              if (hasDhtCode(err, FINAL_FAILURES)) return;
              logger.debug({ key: key.slice(0, 8), err: describeError(err) }, 'DHT poll of a listened key failed');
              if (!cancelled) poll(nextPause(pauseMs));
            },
          );
        }, pauseMs);
      };
      const listener = bus.listen(key, fromListen);
      listener.ready.then(
        () => {
          readyAt = clock.now();
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
