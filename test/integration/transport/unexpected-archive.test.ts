// A hostile exporter built from our own transport against a new device's real import session (issue 12,
// finding 6): an archive it announces before the new device's user consented ends the import, stores nothing
// and reserves nothing for the size it announced.

import assert from 'node:assert/strict';
import type { DataChannel } from 'node-datachannel';
import type { LinkFailure, PeerChannel } from '../../../service/contract/link-contract.js';
import { parseAuthToken } from '../../../service/linking/auth-token.js';
import { ImportSession } from '../../../service/linking/import-session.js';
import { LinkState } from '../../../service/linking/link-state.js';
import { shutdownTransport } from '../../../service/transport/create-link-transport.js';
import { MemorySignalingNetwork } from '../../support/memory-signaling-bus.js';
import { withTimeout } from '../../support/wait.js';
import { InMemoryImportAccounts, StateRecorder } from '../../unit/linking/fakes.js';
import { sharedAccount } from './certificate-fixtures.js';
import { loopbackTransport, nextEvent } from './link-fixtures.js';

after(() => shutdownTransport());

const MiB = 1024 * 1024;

/** The data channel under our own FramedChannel: what a modified client writes a frame of its choosing on. */
function rawChannelOf(channel: PeerChannel): DataChannel {
  return (channel as unknown as { dc: DataChannel }).dc;
}

describe('a hostile exporter announcing an archive the new device did not ask for', function () {
  this.timeout(60_000);

  it('ends the import before consent with DONE/network, stores nothing, and reserves nothing for the announced size', async () => {
    const network = new MemorySignalingNetwork();
    const accounts = new InMemoryImportAccounts();
    const states = new StateRecorder();
    const session = new ImportSession({ accountId: 'new-account', transport: loopbackTransport(network).transport, accounts, onState: states.onState });
    session.start();
    await withTimeout(states.waitFor(([state]) => state === LinkState.TOKEN_AVAILABLE), 10_000, 'a token');
    const token = parseAuthToken(states.items[0]![1]['token']);

    const account = sharedAccount('mallory');
    const exporter = loopbackTransport(network).transport.startExport(token, { certificateChainPem: account.chainPem, devicePrivateKeyPem: account.devicePrivateKeyPem });
    try {
      const channel = await nextEvent<PeerChannel>(exporter, 'channel', 10_000, 'failed');
      channel.send({ t: 'auth', scheme: 'none' });
      await withTimeout(states.waitFor(([state]) => state === LinkState.AUTHENTICATING), 10_000, 'state 3');

      // Our user has not consented (nor was any `transfer` sent): the exporter announces 60 MiB anyway.
      const exporterClosed = nextEvent<LinkFailure>(channel, 'closed', 10_000);
      const before = process.memoryUsage().arrayBuffers;
      rawChannelOf(channel).sendMessage(JSON.stringify({ t: 'link.archive', size: 60 * MiB, sha256: '0'.repeat(64) }));
      await withTimeout(states.done(), 10_000, 'the import to end');
      const grown = process.memoryUsage().arrayBuffers - before;

      assert.deepEqual(states.dones, [[LinkState.DONE, { error: 'network', network_stage: 'transfer' }]]);
      assert.equal(states.states.filter((state) => state === LinkState.IN_PROGRESS).length, 0, 'never in progress');
      assert.deepEqual(accounts.storeCalls.items, []);
      assert.equal(accounts.stored.size, 0);
      assert.deepEqual(accounts.discarded.items, ['new-account']);
      assert.equal(await exporterClosed, 'network', 'the exporter was told (link.error)');
      assert.ok(grown < 20 * MiB, `array buffers grew by ${grown} bytes for a header`);
      assert.equal(await session.settled, 'network');
    } finally {
      exporter.close();
    }
  });
});
