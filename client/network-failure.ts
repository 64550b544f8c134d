// What jami-link says when a link failed with "network": the daemon's state 5 says where (network_stage) and,
// for ICE, why (ice); this turns them into a sentence that names what failed and what would help. Daemons that
// send neither key (Jami's) get the plain sentence.

import type { Details } from './daemon-client.js';

const TURN_OPTION = 'jami-linkd --ice-server turn:USER:PASS@HOST:PORT';

const ICE_SENTENCES: Readonly<Record<string, string>> = {
  no_relay_configured: `could not connect: no direct path between the two networks and no TURN relay configured: ${TURN_OPTION}`,
  turn_auth_failed: `could not connect: the TURN server refused jami-linkd's user name or password; check them (${TURN_OPTION}).`,
  turn_unreachable: 'could not connect: no direct path between the two networks, and the TURN server did not answer (is UDP to it blocked, or its host or port wrong?).',
  no_path: 'could not connect: no path between the two devices, not even through the TURN relay (is one network blocking UDP and TCP to it?).',
};

/** The sentence for a network failure with details, or undefined to keep the plain one. `peer` names the other side. */
export function networkFailureSentence(details: Details, peer: string): string | undefined {
  switch (details.network_stage) {
    case 'signaling':
      return `the link failed: could not reach the ${peer} through the DHT (is it online, and its token still shown?).`;
    case 'ice':
      return `the link failed: ${ICE_SENTENCES[details.ice ?? ''] ?? `could not connect: no path between the two networks (${details.ice || 'no detail'}).`}`;
    case 'dtls':
      return `the link failed: could not connect: the ${peer} was reached but the encrypted handshake (DTLS) did not complete; a very lossy path? Try again.`;
    case 'sctp':
      return `the link failed: could not connect: the encrypted connection opened but its data channel (SCTP) did not; try again.`;
    case 'transfer':
      return `the link failed: the connection to the ${peer} was lost (network).`;
    default:
      return undefined;
  }
}
