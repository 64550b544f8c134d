// Specification of what the link transport refuses: wrong codes, forged chains and signatures, replays,
// a token used twice, and what a DHT eavesdropper can learn (nothing).

import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { AuthToken } from '../../../service/linking/auth-token.js';
import { parseCertificateChain, type AccountChainVerifier } from '../../../service/transport/signaling/certificate-chain.js';
import { shutdownTransport } from '../../../service/transport/create-link-transport.js';
import type { AccountProof, LinkMessage, ExporterCredentials, PeerChannel } from '../../../service/contract/link-contract.js';
import { exportRawPublicKey } from '../../../service/transport/signaling/raw-keys.js';
import { identityKey, inboxKey, replyKey } from '../../../service/transport/signaling/rendezvous-keys.js';
import { parseIdentityValue } from '../../../service/transport/signaling/temporary-identity.js';
import { handMadeOffer } from './hand-made-offers.js';
import { MemorySignalingNetwork } from '../../support/memory-signaling-bus.js';
import { sharedAccount, type AccountFixture } from './certificate-fixtures.js';
import { closeLink, establishLink, eventually, loopbackTransport, nextEvent, recordEvents, type TestTransport } from './link-fixtures.js';

after(() => shutdownTransport());

function credentialsOf(account: AccountFixture): ExporterCredentials {
  return { certificateChainPem: account.chainPem, devicePrivateKeyPem: account.devicePrivateKeyPem };
}

function withCode(token: AuthToken, code: string): AuthToken {
  return { peerId: token.peerId, code };
}

function otherCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

/** An attacker's own exporter: it skips the local sanity check of what it sends, as a modified client would. */
function attackerTransport(network: MemorySignalingNetwork, devicePublicKeyPem: string): TestTransport {
  const anything: AccountChainVerifier = () => ({
    proof: { accountId: '0'.repeat(40), deviceId: '0'.repeat(40), chainPem: '' },
    devicePublicKey: createPublicKey(devicePublicKeyPem),
  });
  return loopbackTransport(network, { verifyAccountChain: anything });
}

async function roundTrip(from: PeerChannel, to: PeerChannel): Promise<void> {
  const received = nextEvent<LinkMessage>(to, 'message', 5_000);
  from.send({ t: 'stored' });
  assert.deepEqual(await received, { t: 'stored' });
}

describe('link transport: what it refuses', function () {
  this.timeout(60_000);
  let alice: AccountFixture;
  let mallory: AccountFixture;
  before(() => {
    alice = sharedAccount('alice');
    mallory = sharedAccount('mallory');
  });

  it('never lets an exporter with a wrong 6-digit code reach the importer: it gets no reply, times out, and the importer keeps waiting', async () => {
    const network = new MemorySignalingNetwork();
    const importSide = loopbackTransport(network);
    const importer = await importSide.transport.startImport();
    const importEvents = recordEvents(importer, ['peer', 'failed']);
    const wrongSide = loopbackTransport(network, { signalingTimeoutMs: 1_500 });
    const wrong = wrongSide.transport.startExport(withCode(importer.token, otherCode(importer.token.code)), credentialsOf(alice));
    assert.equal(await nextEvent(wrong, 'failed', 5_000, 'channel'), 'network');
    assert.equal(wrongSide.log.count('offer sent, waiting for the answer'), 1, 'the offer was put, on the inbox its code names');
    assert.equal(importSide.log.count('refused an offer'), 0, 'the importer never saw it');
    assert.deepEqual(importEvents, []);
    const right = loopbackTransport(network).transport.startExport(importer.token, credentialsOf(alice));
    await Promise.all([nextEvent(right, 'channel', 10_000, 'failed'), nextEvent(importer, 'channel', 10_000, 'failed')]);
    right.close();
    importer.close();
  });

  it('gives up with authentication after the third refused offer from holders of the code, once', async () => {
    const network = new MemorySignalingNetwork();
    const importer = await loopbackTransport(network).transport.startImport();
    const importEvents = recordEvents(importer, ['peer', 'failed', 'channel']);
    const failedImport = nextEvent(importer, 'failed', 10_000);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const forged = attackerTransport(network, mallory.devicePem).transport.startExport(importer.token, {
        certificateChainPem: mallory.devicePem + alice.accountPem + alice.caPem,
        devicePrivateKeyPem: mallory.devicePrivateKeyPem,
      });
      assert.equal(await nextEvent(forged, 'failed', 5_000), 'authentication');
    }
    assert.equal(await failedImport, 'authentication');
    const late = loopbackTransport(network).transport.startExport(importer.token, credentialsOf(alice));
    assert.ok(['network', 'authentication'].includes(await nextEvent<string>(late, 'failed', 5_000, 'channel')));
    importer.close();
    assert.deepEqual(importEvents, [{ name: 'failed', value: 'authentication' }]);
    assert.equal(network.activeListeners, 0);
  });

  it('refuses a wrong code, a forged chain and a wrong signature in the code\'s inbox with one and the same reply', async () => {
    const network = new MemorySignalingNetwork();
    const importer = await loopbackTransport(network, { maxFailedAttempts: 4 }).transport.startImport();
    const { peerId, code } = importer.token;
    const identity = (network.snapshot().get(identityKey(peerId)) ?? []).map((value) => parseIdentityValue(value, peerId)).find(Boolean)!;
    const aliceKey = createPrivateKey(alice.devicePrivateKeyPem);
    const offers = {
      wrongCode: handMadeOffer(identity, otherCode(code), alice.chainPem, aliceKey),
      forgedChain: handMadeOffer(identity, code, mallory.devicePem + alice.accountPem + alice.caPem, createPrivateKey(mallory.devicePrivateKeyPem)),
      wrongSignature: handMadeOffer(identity, code, alice.chainPem, createPrivateKey(mallory.devicePrivateKeyPem)),
    };
    const reasons = await Promise.all(Object.values(offers).map(async (offer) => {
      const reply = new Promise<string>((resolve) => {
        const listener = network.node().listen(replyKey(peerId, offer.session), (value) => {
          const body = offer.readReply(value);
          if (body?.t === 'refused') {
            listener.cancel();
            resolve(JSON.stringify(Object.keys(body)) + body.reason);
          }
        });
        void listener.ready.then(() => network.node().put(inboxKey(peerId, code), offer.value));
      });
      return reply;
    }));
    assert.deepEqual(reasons, Array(3).fill(JSON.stringify(['t', 'v', 'from', 'session', 'offer', 'ts', 'reason']) + 'not_accepted'));
    importer.close();
  });

  it('never accepts an offer whose device certificate is not signed by the account it claims', async () => {
    const network = new MemorySignalingNetwork();
    const importer = await loopbackTransport(network).transport.startImport();
    const importEvents = recordEvents(importer, ['peer', 'failed', 'channel']);
    const forged = attackerTransport(network, mallory.devicePem).transport.startExport(importer.token, {
      certificateChainPem: mallory.devicePem + alice.accountPem + alice.caPem,
      devicePrivateKeyPem: mallory.devicePrivateKeyPem,
    });
    assert.equal(await nextEvent(forged, 'failed', 5_000, 'channel'), 'authentication');
    assert.deepEqual(importEvents, []);
    importer.close();
  });

  it('never accepts an offer carrying a genuine chain but signed by another key', async () => {
    const network = new MemorySignalingNetwork();
    const importer = await loopbackTransport(network).transport.startImport();
    const importEvents = recordEvents(importer, ['peer', 'failed', 'channel']);
    const malloryPublic = createPublicKey(createPrivateKey(mallory.devicePrivateKeyPem)).export({ type: 'spki', format: 'pem' }).toString();
    const forged = attackerTransport(network, malloryPublic).transport.startExport(importer.token, {
      certificateChainPem: alice.chainPem,
      devicePrivateKeyPem: mallory.devicePrivateKeyPem,
    });
    assert.equal(await nextEvent(forged, 'failed', 5_000, 'channel'), 'authentication');
    assert.deepEqual(importEvents, []);
    // The importer is still usable by the genuine exporter.
    const genuine = loopbackTransport(network).transport.startExport(importer.token, credentialsOf(alice));
    const proof = await nextEvent<AccountProof>(importer, 'peer', 10_000, 'failed');
    assert.equal(proof.accountId, alice.accountIdByOpenssl);
    await nextEvent(genuine, 'channel', 10_000, 'failed');
    genuine.close();
    importer.close();
  });

  it('fails an exporter with authentication when its own key does not match its certificate, before sending anything', async () => {
    const network = new MemorySignalingNetwork();
    const importer = await loopbackTransport(network).transport.startImport();
    const before = network.snapshot().get(inboxKey(importer.token.peerId, importer.token.code))?.length ?? 0;
    const exporter = loopbackTransport(network).transport.startExport(importer.token, {
      certificateChainPem: alice.chainPem,
      devicePrivateKeyPem: mallory.devicePrivateKeyPem,
    });
    assert.equal(await nextEvent(exporter, 'failed', 5_000), 'authentication');
    assert.equal(network.snapshot().get(inboxKey(importer.token.peerId, importer.token.code))?.length ?? 0, before);
    importer.close();
  });

  it('ignores an identity record that does not hash to the token id, and links to the genuine one', async () => {
    const network = new MemorySignalingNetwork();
    const importer = await loopbackTransport(network).transport.startImport();
    const fake = Buffer.concat([Buffer.from('jami-linkd-id1', 'ascii'), exportRawPublicKey(generateKeyPairSync('ed25519').publicKey), exportRawPublicKey(generateKeyPairSync('x25519').publicKey), Buffer.alloc(64)]);
    await network.node().put(identityKey(importer.token.peerId), fake);
    const exporter = loopbackTransport(network).transport.startExport(importer.token, credentialsOf(alice));
    await Promise.all([nextEvent(exporter, 'channel', 10_000, 'failed'), nextEvent(importer, 'channel', 10_000, 'failed')]);
    exporter.close();
    importer.close();
  });

  it('lets a DHT eavesdropper see no SDP, no address, no code, no certificate: only random-looking bytes', async () => {
    const network = new MemorySignalingNetwork();
    const observed: Buffer[] = [];
    network.observe((_key, value) => observed.push(value));
    const link = await establishLink(network);
    const listenerNode = network.node();
    const listened: Buffer[] = [];
    const listeners = [identityKey(link.importer.token.peerId), inboxKey(link.importer.token.peerId, link.importer.token.code)]
      .map((key) => listenerNode.listen(key, (value) => listened.push(value)));
    await Promise.all(listeners.map((listener) => listener.ready));
    try {
      const secrets = [
        'v=0', 'a=fingerprint', 'candidate', 'a=ice-pwd', '127.0.0.1', 'BEGIN CERTIFICATE', link.importer.token.code, link.proof.accountId,
        link.importChannel.peerAddress.split(':')[1]!, link.exportChannel.peerAddress.split(':')[1]!,
        parseCertificateChain(alice.chainPem)[0]!.raw.subarray(100, 140).toString('binary'),
      ];
      assert.ok(observed.length >= 4, 'identity, offer, claim and answer were put');
      for (const value of [...observed, ...listened]) {
        for (const secret of secrets) assert.ok(!value.includes(Buffer.from(secret, 'binary')), `a DHT value contains ${JSON.stringify(secret)}`);
        const printableRun = /[\x20-\x7e]{20,}/.exec(value.toString('latin1'));
        assert.equal(printableRun, null, `a DHT value holds readable text: ${printableRun?.[0]}`);
      }
    } finally {
      for (const listener of listeners) listener.cancel();
      closeLink(link);
    }
  });

  it('ignores a replayed offer: no second peer, no new reply, the link goes on', async () => {
    const network = new MemorySignalingNetwork();
    const importSide = loopbackTransport(network);
    const importer = await importSide.transport.startImport();
    const inbox = inboxKey(importer.token.peerId, importer.token.code);
    const captured: Buffer[] = [];
    const stopCapturing = network.observe((key, value) => { if (key === inbox) captured.push(value); });
    const peers = recordEvents(importer, ['peer', 'failed']);
    const exportSide = loopbackTransport(network);
    const exporter = exportSide.transport.startExport(importer.token, credentialsOf(alice));
    const [importChannel, exportChannel] = await Promise.all([
      nextEvent<PeerChannel>(importer, 'channel', 10_000, 'failed'),
      nextEvent<PeerChannel>(exporter, 'channel', 10_000, 'failed'),
    ]);
    stopCapturing();
    assert.equal(captured.length, 2, 'the offer and the ready message');
    const valuesBefore = [...network.snapshot().values()].flat().length;
    for (const value of captured) await network.node().put(inbox, value);
    await eventually(() => importSide.log.count('ignored a replayed offer') === 2, 5_000, 'both replays ignored');
    assert.equal([...network.snapshot().values()].flat().length, valuesBefore + 2, 'nothing but the replays was published');
    assert.equal(peers.length, 1);
    await roundTrip(exportChannel, importChannel);
    exporter.close();
    importer.close();
  });

  it('fails a second exporter using an already used token within 10 s, while the first link goes on', async () => {
    const network = new MemorySignalingNetwork();
    const link = await establishLink(network);
    try {
      const started = Date.now();
      const second = loopbackTransport(network).transport.startExport(link.importer.token, credentialsOf(alice));
      const reason = await nextEvent<string>(second, 'failed', 10_000, 'channel');
      assert.ok(reason !== '' && reason === 'authentication');
      assert.ok(Date.now() - started < 10_000);
      await roundTrip(link.exportChannel, link.importChannel);
      await roundTrip(link.importChannel, link.exportChannel);
    } finally {
      closeLink(link);
    }
  });

  it('links exactly one of two exporters racing with the same token; the other fails with authentication', async () => {
    const network = new MemorySignalingNetwork();
    const importer = await loopbackTransport(network).transport.startImport();
    const peers = recordEvents(importer, ['peer']);
    const importChannel = nextEvent(importer, 'channel', 10_000, 'failed');
    const exporters = [0, 1].map(() => loopbackTransport(network).transport.startExport(importer.token, credentialsOf(alice)));
    const outcomes = await Promise.all(exporters.map((exporter) => new Promise<string>((resolve) => {
      exporter.once('channel', () => resolve('channel'));
      exporter.once('failed', (reason: string) => resolve(reason));
    })));
    assert.deepEqual([...outcomes].sort(), ['authentication', 'channel']);
    assert.equal(peers.length, 1);
    await importChannel;
    for (const exporter of exporters) exporter.close();
    importer.close();
  });

  it('never writes the code, the password, SDP or keys to its logs', async () => {
    const link = await establishLink();
    try {
      const received = nextEvent<LinkMessage>(link.exportChannel, 'message');
      link.importChannel.send({ t: 'password', password: 'correct horse battery staple' });
      await received;
      // Only string values: numbers (timestamps, pids) may contain any 6 digits.
      const strings = (value: unknown): string[] => typeof value === 'string' ? [value]
        : typeof value === 'object' && value !== null ? Object.values(value).flatMap(strings) : [];
      const logs = [...link.importSide.log.lines, ...link.exportSide.log.lines].flatMap(strings).join('\n');
      assert.ok(logs.length > 0);
      for (const secret of [link.importer.token.code, 'correct horse', 'a=fingerprint', 'candidate:', 'PRIVATE KEY', 'BEGIN CERTIFICATE']) {
        assert.ok(!logs.includes(secret), `logs contain ${secret}`);
      }
    } finally {
      closeLink(link);
    }
  });
});
