// Linking through a DHT of a hundred nodes, not one: two real daemons bootstrapped to two different swarm
// nodes far apart in the id space, so each side must find the other's values by searching the network,
// and the values are stored by nodes that neither daemon was given. (Every other test shares one dhtnode,
// where each value is stored on the node both daemons talk to.)

import assert from 'node:assert/strict';
import { startSide, stopSide, startImport, startExport, consent, type Side } from '../support/link-fixture.js';
import { startDhtSwarm, farApart, bootstrapOf, xorDistance, dhtBindingMissing, type DhtSwarm, type SwarmNode } from '../support/dht-swarm.js';
import { identityKey, inboxKey } from '../../service/transport/signaling/rendezvous-keys.js';

const SWARM_NODES = 100;
const TOKEN = /^jami-auth:\/\/([0-9a-f]{40})\/([0-9]{6})$/;

/** The DHT node id the daemon logged when its node started. */
function daemonNodeId(side: Side): string {
  for (const line of side.daemon.logs) {
    if (!line.includes('"DHT node running"')) continue;
    const { nodeId } = JSON.parse(line) as { nodeId?: string };
    if (nodeId) return nodeId;
  }
  throw new Error(`no "DHT node running" line in the daemon's log:\n${side.daemon.logs.join('\n')}`);
}

describe(`link through a DHT of ${SWARM_NODES} nodes`, function () {
  this.timeout(120000);
  let swarm: DhtSwarm | undefined;
  let oldNode: SwarmNode;
  let newNode: SwarmNode;
  let oldDevice: Side | undefined;
  let newDevice: Side | undefined;

  before(async function () {
    const missing = await dhtBindingMissing();
    if (missing !== undefined) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    swarm = await startDhtSwarm({ nodes: SWARM_NODES });
    [oldNode, newNode] = farApart(swarm.nodes);
    [oldDevice, newDevice] = await Promise.all([startSide({ bootstrap: bootstrapOf(oldNode) }), startSide({ bootstrap: bootstrapOf(newNode) })]);
  });

  after(async () => {
    await stopSide(oldDevice);
    await stopSide(newDevice);
    await swarm?.stop();
  });

  it('links an account end to end, each daemon knowing only one swarm node, far from the other\'s', async () => {
    // The set-up really is what the test claims: two different entry points in opposite halves of the id
    // space, and two daemon nodes that are not swarm nodes (so neither stores what it searches for by fiat).
    assert.notEqual(oldNode.port, newNode.port);
    assert.ok(parseInt(xorDistance(oldNode.nodeId, newNode.nodeId)[0], 16) >= 8, 'the two entry nodes differ in the top bit of their ids');
    const swarmIds = new Set(swarm!.nodes.map((node) => node.nodeId));
    const daemonIds = [daemonNodeId(oldDevice!), daemonNodeId(newDevice!)];
    assert.notEqual(daemonIds[0], daemonIds[1]);
    for (const id of daemonIds) assert.ok(!swarmIds.has(id), `daemon node ${id} is not one of the swarm's`);

    const accountId = await oldDevice!.client.createAccount({ 'Account.alias': 'Swarm' });
    const imported = await startImport(newDevice!);
    const exported = await startExport(oldDevice!, accountId, imported.token);
    assert.ok(exported.opId > 0, `addDevice returned ${exported.opId}`);
    await exported.recorder.waitFor(3, 60000);
    assert.equal(await oldDevice!.client.call('confirmAddDevice', accountId, exported.opId), true);
    await consent(newDevice!, imported);
    const [importDone, exportDone] = await Promise.all([imported.recorder.waitFor(5, 60000), exported.recorder.waitFor(5, 60000)]);
    assert.equal(importDone.error, '', `import ended with ${JSON.stringify(importDone)}`);
    assert.equal(exportDone.error, '', `export ended with ${JSON.stringify(exportDone)}`);
    const details = await newDevice!.client.call<Record<string, string>>('getAccountDetails', imported.accountId);
    const source = await oldDevice!.client.call<Record<string, string>>('getAccountDetails', accountId);
    assert.equal(details['Account.username'], source['Account.username']);
    for (const side of [oldDevice!, newDevice!]) {
      assert.ok(!side.daemon.logs.some((line) => line.includes('DHT bootstrap failed')), 'each daemon joined through its swarm node');
    }

    // The signaling values live in the swarm: with both daemons (and their DHT nodes) gone, a third swarm
    // node still finds the importer's identity record and the exporter's offer.
    await stopSide(oldDevice);
    await stopSide(newDevice);
    oldDevice = newDevice = undefined;
    const [, id, code] = TOKEN.exec(imported.token)!;
    const witness = swarm!.nodes.find((node) => node !== oldNode && node !== newNode)!;
    const identityValues = await swarm!.get(identityKey(id), witness.index);
    const inboxValues = await swarm!.get(inboxKey(id, code), witness.index);
    assert.ok(identityValues.length >= 1, 'the identity record is stored in the swarm');
    assert.ok(inboxValues.length >= 1, 'the offer is stored in the swarm');
  });
});
