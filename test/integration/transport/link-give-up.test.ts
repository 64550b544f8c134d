// When one side gives up, the other is told and ends at once, both saying where it broke; and candidates
// gathered after a description was sent reach the other side (trickle). Real WebRTC on loopback, the
// in-memory DHT with puts that get lost on the way, as on a lossy network.

import assert from 'node:assert/strict';
import type { ExportConnection, ImportRendezvous, LinkFailure, NetworkDiagnosis, SignalingBus } from '../../../service/contract/link-contract.js';
import { shutdownTransport } from '../../../service/transport/create-link-transport.js';
import { identityKey } from '../../../service/transport/signaling/rendezvous-keys.js';
import { MemorySignalingNetwork } from '../../support/memory-signaling-bus.js';
import { sharedAccount } from './certificate-fixtures.js';
import { loopbackTransport, nextEvent } from './link-fixtures.js';
import { createLinkTransport } from '../../../service/transport/create-link-transport.js';

after(() => shutdownTransport());

/** A node of `network` whose puts, except those under `keep`, are lost silently (the DHT said yes). */
function losingPuts(network: MemorySignalingNetwork, keep: (key: string) => boolean): SignalingBus {
  const node = network.node();
  return { ...node, put: (key, data) => (keep(key) ? node.put(key, data) : Promise.resolve()) };
}

function failure(emitter: ImportRendezvous | ExportConnection, timeoutMs: number): Promise<[LinkFailure, NetworkDiagnosis | undefined]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'failed' within ${timeoutMs} ms`)), timeoutMs);
    emitter.once('failed', (error: LinkFailure, diagnosis?: NetworkDiagnosis) => {
      clearTimeout(timer);
      resolve([error, diagnosis]);
    });
  });
}

describe('link transport: giving up', function () {
  this.timeout(60_000);
  before(() => sharedAccount());

  it('tells an importer that accepted the session when the exporter gives up, and the importer ends at once', async () => {
    const network = new MemorySignalingNetwork();
    // The importer's answer never arrives: only its identity record reaches the DHT.
    const importSide = createLinkTransport({
      signaling: losingPuts(network, (key) => importer === undefined || key === identityKey(importer.token.peerId)),
      bindAddress: '127.0.0.1',
      // Far longer than the test: only the exporter's word can end the import in time.
      connectTimeoutMs: 600_000,
    });
    let importer: ImportRendezvous | undefined;
    importer = await importSide.startImport();
    const exportSide = loopbackTransport(network, { signalingTimeoutMs: 1_500 });
    const account = sharedAccount();
    const exporter = exportSide.transport.startExport(importer.token, { certificateChainPem: account.chainPem, devicePrivateKeyPem: account.devicePrivateKeyPem });
    try {
      const accepted = nextEvent(importer, 'peer', 10_000, 'failed');
      const [exportFailure, importFailure] = await Promise.all([failure(exporter, 15_000), failure(importer, 15_000)]);
      await accepted;
      assert.deepEqual(exportFailure, ['network', { stage: 'signaling' }]);
      assert.equal(importFailure[0], 'network');
      assert.equal(importFailure[1]?.stage, 'ice', 'the importer never saw its ICE checks succeed');
    } finally {
      exporter.close();
      importer.close();
    }
  });

  it('says signaling when the exporter\'s offer is lost on the way', async () => {
    const network = new MemorySignalingNetwork();
    const importSide = loopbackTransport(network);
    const importer = await importSide.transport.startImport();
    // The exporter's offer is lost: the importer never sees it, so only the exporter ends.
    const exportSide = createLinkTransport({
      signaling: losingPuts(network, () => false),
      bindAddress: '127.0.0.1',
      signalingTimeoutMs: 1_000,
    });
    const account = sharedAccount();
    const exporter = exportSide.startExport(importer.token, { certificateChainPem: account.chainPem, devicePrivateKeyPem: account.devicePrivateKeyPem });
    try {
      assert.deepEqual(await failure(exporter, 15_000), ['network', { stage: 'signaling' }]);
    } finally {
      exporter.close();
      importer.close();
    }
  });
});
