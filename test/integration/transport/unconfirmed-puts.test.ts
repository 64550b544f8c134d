// Puts the DHT stores but does not confirm: OpenDHT fails a put when some of the nodes it chose did not answer,
// though another may hold the value and pass it on. On the network test bed's 20% lossy path, the exporter's
// offer put failed (after its retries) while the importer, which had the offer, had answered and ICE had
// connected: the exporter ended the link there. A put's failure counts only while its value can still matter.
// Real WebRTC on loopback, the in-memory DHT.

import { OpenDhtError } from 'opendht-node';
import { Deferred } from '../../../service/contract/deferred.js';
import type { SignalingBus } from '../../../service/contract/link-contract.js';
import { shutdownTransport } from '../../../service/transport/create-link-transport.js';
import { MemorySignalingNetwork } from '../../support/memory-signaling-bus.js';
import { linkAndGreet } from './link-fixtures.js';
import { sharedAccount } from './certificate-fixtures.js';

after(() => shutdownTransport());

/** Picks puts of one node by key and order; called once per put. */
type PutPicker = (key: string) => boolean;

/** The node's first put: the exporter's offer. */
function firstPut(): PutPicker {
  let count = 0;
  return () => ++count === 1;
}

/** The node's second put: the exporter's `ready` (on loopback all its candidates are in the offer). */
function secondPut(): PutPicker {
  let count = 0;
  return () => ++count === 2;
}

/** The first put under a key other than the first put's: the importer's answer (its identity record comes first,
 *  its claim of the token follows under the same key). */
function firstPutElsewhere(): PutPicker {
  let first: string | undefined;
  let picked = false;
  return (key) => {
    first ??= key;
    if (picked || key === first) return false;
    picked = true;
    return true;
  };
}

/**
 * A node of `network` whose put `pick` names is stored and delivered as any other, but answered with OpenDHT's
 * EPUTFAILED only once `confirmation` resolves (a later event of the link), after the deliveries already queued.
 */
function unconfirmedPut(network: MemorySignalingNetwork, pick: PutPicker, confirmation: Promise<void>): SignalingBus {
  const node = network.node();
  return {
    ...node,
    put: (key, data) => {
      const stored = node.put(key, data);
      if (!pick(key)) return stored;
      return stored
        .then(() => confirmation)
        .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
        .then(() => Promise.reject(new OpenDhtError('EPUTFAILED', `put ${key} failed: no DHT node stored the value`)));
    },
  };
}

/** A node of `network` that calls `onPut` right after the put `pick` names is stored (its deliveries queued). */
function tappedPut(network: MemorySignalingNetwork, pick: PutPicker, onPut: () => void): SignalingBus {
  const node = network.node();
  return {
    ...node,
    put: (key, data) => {
      const stored = node.put(key, data);
      if (pick(key)) onPut();
      return stored;
    },
  };
}

describe('link transport: puts the DHT stored but did not confirm', function () {
  this.timeout(30_000);
  before(() => sharedAccount());

  it("links when the exporter's offer put fails after the importer answered it", async () => {
    const network = new MemorySignalingNetwork();
    const answered = new Deferred<void>();
    // No retries: a put's failure reaches its side at once.
    await linkAndGreet(network, { signaling: tappedPut(network, firstPutElsewhere(), () => answered.resolve()), signalingAttempts: 1 }, { signaling: unconfirmedPut(network, firstPut(), answered.promise), signalingAttempts: 1 });
  });

  it("links when the importer's answer put fails after the exporter quoted it in its ready", async () => {
    const network = new MemorySignalingNetwork();
    const ready = new Deferred<void>();
    await linkAndGreet(network, { signaling: unconfirmedPut(network, firstPutElsewhere(), ready.promise), signalingAttempts: 1 }, { signaling: tappedPut(network, secondPut(), () => ready.resolve()), signalingAttempts: 1 });
  });
});
