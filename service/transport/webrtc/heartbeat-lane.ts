// The heartbeat lane's shape: a second data channel beside "jami-link" that carries only pings, on a stream of
// its own, unordered and never retransmitted: a ping waits for no gap in the ordered stream to be repaired, and
// a lost one is dropped rather than resent with SCTP's growing back-off. framed-channel.ts says how it is used;
// PROTOCOL.md section 7 gives the wire facts and what the lane cannot do.

import type { DataChannelInitConfig } from 'node-datachannel';

export const HEARTBEAT_LANE_LABEL = 'jami-link-heartbeat';

/**
 * The lane's SCTP stream. Negotiated out of band (each side opens it itself: no in-band open), so it must be
 * neither 0 nor 1, the first ids libdatachannel gives the in-band channel (even for the DTLS client, odd for
 * the server, RFC 8832), here and on a peer that has no lane.
 */
export const HEARTBEAT_STREAM_ID = 2;

export const HEARTBEAT_LANE_INIT: DataChannelInitConfig = { negotiated: true, id: HEARTBEAT_STREAM_ID, unordered: true, maxRetransmits: 0 };
