// libdatachannel's (and libjuice's) own log, routed into ours: warnings and errors as log lines, and the one
// gathering outcome that explains a failed link and shows only there (a TURN server that refused our
// credentials) counted, so a peer connection can tell what happened while it gathered.
//
// libdatachannel has one process-wide log callback and its lines do not name the peer connection. Every
// link of a daemon uses the same ICE servers, so an outcome seen while a link gathered is taken as that
// link's: a refused credential refuses every link alike.

import nodeDataChannel from 'node-datachannel';
import type { Logger } from '../../contract/logger.js';

/** Gathering outcomes libjuice reports only in its log. */
export type GatheringEvent = 'turn_auth_failed';

const PATTERNS: readonly (readonly [RegExp, GatheringEvent])[] = [
  [/TURN authentication failed/, 'turn_auth_failed'],
];

/** How many times each event was seen in this process; a link compares the counts at its start and end. */
const counts: Record<GatheringEvent, number> = { turn_auth_failed: 0 };

export type GatheringCounts = Readonly<Record<GatheringEvent, number>>;

export function gatheringCounts(): GatheringCounts {
  return { ...counts };
}

/** The events seen since `since` (a snapshot of gatheringCounts()). */
export function eventsSince(since: GatheringCounts): Set<GatheringEvent> {
  return new Set((Object.keys(counts) as GatheringEvent[]).filter((event) => counts[event] > since[event]));
}

let routedTo: Logger | undefined;

/**
 * Routes libdatachannel's log into `logger` (Warning and up as warn/error lines). The
 * last caller wins, as libdatachannel keeps one callback. Lines carry no secrets: libjuice never logs
 * credentials, and SDP bodies are logged only at Verbose, which is not enabled.
 */
export function routeLibdatachannelLog(logger: Logger): void {
  const log = logger.child({ component: 'libdatachannel' });
  routedTo = log;
  // Warning and up only: each line is a call from libdatachannel's threads into JS, so the fewer the better. An
  // unanswering server shows only at Info ("TURN allocation failed"): a missing relay without an authentication
  // error reads as unreachable, a missing STUN answer says nothing a failed path does not.
  nodeDataChannel.initLogger('Warning', (level, message) => {
    for (const [pattern, event] of PATTERNS) if (pattern.test(message)) counts[event] += 1;
    if (routedTo !== log) return;
    if (level === 'Warning') log.warn({ line: message }, 'libdatachannel warning');
    else if (level === 'Error' || level === 'Fatal') log.error({ line: message }, 'libdatachannel error');
  });
}
