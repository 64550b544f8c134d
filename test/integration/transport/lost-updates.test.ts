// Links through a DHT that loses every listen update (real WebRTC on loopback, the in-memory DHT): neither side's
// listens are ever told of a value, so the offer and the answer reach the other side only through the polls of
// polled-listens.ts (`ready` too, though on loopback the link usually opens before it matters). On the network test
// bed, a 5% lossy path lost all three tries of one update often enough to end a link at signaling.

import { shutdownTransport } from '../../../service/transport/create-link-transport.js';
import { MemorySignalingNetwork } from '../../support/memory-signaling-bus.js';
import { sharedAccount } from './certificate-fixtures.js';
import { linkAndGreet } from './link-fixtures.js';

after(() => shutdownTransport());

describe('link transport: a DHT whose listens hear nothing', function () {
  this.timeout(30_000);
  before(() => sharedAccount());

  it('links both sides through their polls, and exchanges messages over the channel', async () => {
    const network = new MemorySignalingNetwork();
    await linkAndGreet(network, { signaling: network.deafNode() }, { signaling: network.deafNode() });
  });
});
