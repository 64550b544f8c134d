// The transport loaded by the first link: nothing is loaded before one, the first export's connection passes the
// real one's events on (and a close before the load closes the real one), a failed load fails the link.

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { AuthToken, ExportConnection, ExporterCredentials, ImportRendezvous, LinkTransport } from '../../service/contract/link-contract.js';
import { deferredTransport, type LoadedTransport } from '../../service/deferred-transport.js';
import { withTimeout } from '../support/wait.js';

const TOKEN = { peerId: '0'.repeat(40), code: '123456' } as unknown as AuthToken;
const CREDENTIALS: ExporterCredentials = { certificateChainPem: 'chain', devicePrivateKeyPem: 'key' };

class FakeConnection extends EventEmitter implements ExportConnection {
  closed = false;
  close(): void {
    this.closed = true;
  }
}

/** A transport that records what it made, behind a load the test releases. */
function loadable() {
  const made: FakeConnection[] = [];
  let loads = 0;
  let shutdowns = 0;
  let release!: (loaded: LoadedTransport) => void;
  let refuse!: (error: Error) => void;
  const gate = new Promise<LoadedTransport>((resolve, reject) => {
    release = resolve;
    refuse = reject;
  });
  const transport: LinkTransport = {
    startImport: async () => Object.assign(new EventEmitter(), { token: TOKEN, close: () => undefined }) as unknown as ImportRendezvous,
    startExport: () => {
      const connection = new FakeConnection();
      made.push(connection);
      return connection;
    },
  };
  const deferred = deferredTransport(() => {
    loads += 1;
    return gate;
  });
  return {
    deferred,
    made,
    loads: () => loads,
    shutdowns: () => shutdowns,
    load: () => release({ transport, shutdown: () => (shutdowns += 1) }),
    fail: () => refuse(new Error('cannot load node-datachannel')),
  };
}

const event = (emitter: EventEmitter, name: string) => withTimeout(new Promise<unknown[]>((resolve) => emitter.once(name, (...args: unknown[]) => resolve(args))), 2000, name);

describe('the deferred link transport', () => {
  it('loads nothing until a link, and has nothing to release then', () => {
    const t = loadable();
    t.deferred.shutdown();
    assert.equal(t.loads(), 0);
    assert.equal(t.shutdowns(), 0);
  });

  it("passes the first export's events on from the connection made once loaded; later exports get the real one", async () => {
    const t = loadable();
    const first = t.deferred.startExport(TOKEN, CREDENTIALS);
    assert.equal(t.made.length, 0, 'not made before the load');
    const channel = event(first, 'channel');
    t.load();
    await withTimeout(new Promise<void>((resolve) => setImmediate(resolve)), 1000, 'the load');
    assert.equal(t.made.length, 1);
    t.made[0].emit('channel', 'the channel');
    assert.deepEqual(await channel, ['the channel']);
    const failed = event(first, 'failed');
    t.made[0].emit('failed', 'network', { stage: 'ice' });
    assert.deepEqual(await failed, ['network', { stage: 'ice' }]);
    assert.equal(t.deferred.startExport(TOKEN, CREDENTIALS), t.made[1]);
    assert.equal(t.loads(), 1);
    t.deferred.shutdown();
    assert.equal(t.shutdowns(), 1);
  });

  it('closes the real connection as soon as it is made when the first export was closed while loading', async () => {
    const t = loadable();
    t.deferred.startExport(TOKEN, CREDENTIALS).close();
    t.load();
    await withTimeout(new Promise<void>((resolve) => setImmediate(resolve)), 1000, 'the load');
    assert.equal(t.made.length, 1);
    assert.equal(t.made[0].closed, true);
  });

  it('fails the first export as a network failure and the import start, when the transport cannot be loaded', async () => {
    const t = loadable();
    const first = t.deferred.startExport(TOKEN, CREDENTIALS);
    const failed = event(first, 'failed');
    t.fail();
    assert.deepEqual(await failed, ['network', { stage: 'signaling' }]);
    await assert.rejects(t.deferred.startImport(), /cannot load node-datachannel/);
  });
});
