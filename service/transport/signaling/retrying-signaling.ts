// A SignalingBus that tries a DHT put or get again when the network failed it: on a lossy path a single
// attempt fails often enough to end a link that a second attempt would have carried. Bounded: a few tries,
// growing pauses, and no try starts after the deadline (the signaling window).
//
// What "the network failed it" means is opendht-node's to say: put() rejects EPUTFAILED when no node stored
// the value, get() rejects EGETFAILED when no node answered (and nothing was found). Those, and only those, are
// retried. A get that finds nothing is an answer, not a failure (the value may not be there yet: the callers
// listen for it). Anything else (a node shut down, a value too large, a malformed key) fails as before, at
// once. listen() is passed through: OpenDHT keeps a listen alive by itself, its `ready` only rejects when
// the node shuts down.

import type { OpenDhtErrorCode } from 'opendht-node';
import type { Clock } from '../../contract/clock.js';
import { describeError } from '../../contract/guards.js';
import type { SignalingBus } from '../../contract/link-contract.js';
import type { Logger } from '../../contract/logger.js';
import { hasDhtCode } from './dht-errors.js';

export interface SignalingRetryPolicy {
  /** Tries in all, the first included: 1 means no retry. */
  readonly attempts: number;
  /** The pause before the first retry; each later pause doubles, up to maxPauseMs. */
  readonly firstPauseMs: number;
  readonly maxPauseMs: number;
  /** No try starts later than this after the first one started. */
  readonly deadlineMs: number;
}

/** OpenDHT answers a put or a get after its own retransmissions (seconds each): a handful of tries fill the
 *  signaling window; the pauses let a lossy path or a routing table recover between them. Enough tries that
 *  failures within milliseconds still reach the deadline: on a path losing 15%, an offer put that failed once
 *  (8-10 s, OpenDHT's own tries) was refused again within ms four times, and 5 tries ended the link at ~16 s
 *  of a 30 s window. OpenDHT's log of such a run: after the put's search expired, the next puts of that key found
 *  it expired at once, 1 and 2 s later; the one 4 s later was sent, and stored. Slow failures are bounded by the deadline, not by these. */
export const DEFAULT_SIGNALING_ATTEMPTS = 8;
export const DEFAULT_FIRST_PAUSE_MS = 500;
export const DEFAULT_MAX_PAUSE_MS = 4_000;

const NETWORK_FAILURES: ReadonlySet<OpenDhtErrorCode> = new Set<OpenDhtErrorCode>(['EPUTFAILED', 'EGETFAILED']);

/** True for the rejections a retry may cure: no DHT node stored the value, or none answered. */
export function isNetworkFailure(error: unknown): boolean {
  return hasDhtCode(error, NETWORK_FAILURES);
}

/** Throws RangeError for a policy that could loop forever or not try at all. */
function checkRetryPolicy(policy: SignalingRetryPolicy): void {
  if (!Number.isSafeInteger(policy.attempts) || policy.attempts < 1) throw new RangeError('signaling attempts must be an integer >= 1');
  for (const [name, value] of Object.entries({ firstPauseMs: policy.firstPauseMs, maxPauseMs: policy.maxPauseMs, deadlineMs: policy.deadlineMs })) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number`);
  }
}

export function retryingSignaling(bus: SignalingBus, policy: SignalingRetryPolicy, clock: Clock, logger: Logger): SignalingBus {
  checkRetryPolicy(policy);
  const pause = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));

  async function withRetries<T>(op: 'put' | 'get', key: string, run: () => Promise<T>): Promise<T> {
    const started = clock.now();
    let pauseMs = policy.firstPauseMs;
    let failure: unknown;
    for (let attempt = 1; attempt <= policy.attempts; attempt += 1) {
      try {
        return await run();
      } catch (err) {
        failure = err;
        const late = clock.now() + pauseMs - started > policy.deadlineMs;
        if (!isNetworkFailure(err) || attempt === policy.attempts || late) break;
        // DHT keys are hashes anyone may compute from public data: a prefix is enough to follow one in the log.
        logger.debug({ op, key: key.slice(0, 8), attempt, retryInMs: pauseMs, err: describeError(err) }, `DHT ${op} failed, retrying`);
        await pause(pauseMs);
        pauseMs = Math.min(pauseMs * 2, policy.maxPauseMs);
      }
    }
    throw failure;
  }

  return {
    put: (key, data) => withRetries('put', key, () => bus.put(key, data)),
    get: (key) => withRetries('get', key, () => bus.get(key)),
    listen: (key, onValue) => bus.listen(key, onValue),
  };
}
