// Specification of resource release: every close() lets go of DHT listeners, timers, peer connections and
// sockets, whatever the stage, and a hundred links in a row leave nothing behind.

import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseAuthToken } from '../../../service/linking/auth-token.js';
import { shutdownTransport } from '../../../service/transport/create-link-transport.js';
import type { LinkMessage, LinkFailure } from '../../../service/contract/link-contract.js';
import { MemorySignalingNetwork } from '../../support/memory-signaling-bus.js';
import { sharedAccount } from './certificate-fixtures.js';
import { establishLink, eventually, loopbackTransport, nextEvent, openFileDescriptors, recordEvents } from './link-fixtures.js';

after(() => shutdownTransport());

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

describe('link transport: releasing resources', function () {
  this.timeout(120_000);
  before(() => sharedAccount());

  it('releases its listener and emits nothing once an import waiting for an exporter is closed', async () => {
    const network = new MemorySignalingNetwork();
    const side = loopbackTransport(network);
    const importer = await side.transport.startImport();
    const events = recordEvents(importer, ['peer', 'channel', 'failed']);
    importer.close();
    importer.close();
    assert.equal(network.activeListeners, 0);
    assert.equal(side.clock.activeTimers, 0);
    assert.deepEqual(events, []);
  });

  it('releases listeners and timers, and emits nothing, once an export waiting for its importer is closed', async () => {
    const network = new MemorySignalingNetwork();
    const side = loopbackTransport(network);
    const account = sharedAccount();
    const exporter = side.transport.startExport(parseAuthToken(`jami-auth://${'cd'.repeat(20)}/654321`), {
      certificateChainPem: account.chainPem,
      devicePrivateKeyPem: account.devicePrivateKeyPem,
    });
    const events = recordEvents(exporter, ['channel', 'failed']);
    await eventually(() => network.activeListeners === 1, 2_000, 'listening for the identity');
    exporter.close();
    assert.equal(network.activeListeners, 0);
    assert.equal(side.clock.activeTimers, 0, 'no time-out left to fire');
    assert.deepEqual(events, []);
  });

  it('tears down an open link on the owner close(): no event on that side, closed/network on the other', async () => {
    const link = await establishLink();
    const importEvents = recordEvents(link.importChannel, ['message', 'closed']);
    const otherSide = nextEvent<LinkFailure>(link.exportChannel, 'closed');
    link.importer.close();
    assert.equal(await otherSide, 'network');
    link.exporter.close();
    assert.deepEqual(importEvents, []);
    assert.equal(link.importSide.network.activeListeners, 0);
    assert.equal(link.importSide.clock.activeTimers + link.exportSide.clock.activeTimers, 0);
  });

  it('links 100 times in a row without growing file descriptors, listeners, timers or memory', async () => {
    const network = new MemorySignalingNetwork();
    const runOnce = async () => {
      const link = await establishLink(network);
      const received = nextEvent<LinkMessage>(link.importChannel, 'message');
      link.exportChannel.send({ t: 'stored' });
      await received;
      await Promise.all([link.exportChannel.close(), link.importChannel.close()]);
      link.exporter.close();
      link.importer.close();
      assert.equal(link.importSide.clock.activeTimers + link.exportSide.clock.activeTimers, 0);
    };
    for (let i = 0; i < 5; i += 1) await runOnce(); // warm-up: libdatachannel threads, certificate cache
    const fdsBefore = openFileDescriptors();
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    for (let i = 0; i < 100; i += 1) await runOnce();
    const perLink = (performance.now() - started) / 100;
    assert.equal(network.activeListeners, 0);
    await eventually(() => openFileDescriptors() <= fdsBefore + 4, 10_000, `file descriptors back near ${fdsBefore}`);
    collectGarbage();
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    console.log(`      100 links: ${perLink.toFixed(1)} ms per full link+close, fds ${fdsBefore} -> ${openFileDescriptors()}, heap ${(heapGrowth / 1e6).toFixed(1)} MB`);
    assert.ok(heapGrowth < 20e6, `heap grew by ${heapGrowth} bytes`);
  });
});
