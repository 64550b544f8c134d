import assert from 'node:assert/strict';
import { MAX_ARCHIVE_FILE_BYTES } from '../../../service/accounts/archive.js';
import { MAX_ARCHIVE_BYTES } from '../../../service/contract/link-contract.js';
import { resolveTransportSettings } from '../../../service/transport/transport-settings.js';
import { encodeLinkMessage, parseTextFrame } from '../../../service/transport/channel/channel-frames.js';
import { IceServerConfigError, parseIceServers } from '../../../service/transport/webrtc/ice-servers.js';
import { candidateAddressOf, candidateHostOf, candidatesOf, candidateTypeOf, dtlsFingerprintOf, hostOfAddress, withoutCandidates } from '../../../service/transport/webrtc/session-description.js';
import {
  decodeSignedMessage,
  encodeSignedMessage,
  exporterCandidatesText,
  gaveUpText,
  parseInboxBody,
  parseReplyBody,
  replyBodyText,
} from '../../../service/transport/signaling/signaling-messages.js';
import { ownAddressOf, peerLocationOf } from '../../../service/transport/open-channel.js';

describe('data channel frames', () => {
  it('hands on any JSON object with a string `t` outside `link.` as a linking message, unchanged', () => {
    for (const message of [{ t: 'auth', scheme: 'none' }, { t: 'stored', extra: 1 }, { t: 'launch_missiles', list: [1, null] }, { t: '' }]) {
      assert.deepEqual(parseTextFrame(JSON.stringify(message)), { kind: 'message', message });
    }
  });

  it('parses transport frames and refuses malformed, unknown or oversized text', () => {
    const sha256 = 'a'.repeat(64);
    assert.deepEqual(parseTextFrame(`{"t":"link.archive","size":3,"sha256":"${sha256}"}`), { kind: 'frame', frame: { t: 'link.archive', size: 3, sha256 } });
    for (const text of ['{', '[]', '"stored"', '{"type":"stored"}', '{"t":5}', '{"t":"link.nope"}', '{"t":"link.ping","x":1}',
      `{"t":"link.archive","size":-1,"sha256":"${sha256}"}`, JSON.stringify({ t: 'password', password: 'x'.repeat(70_000) })]) {
      assert.equal(parseTextFrame(text), undefined, text.slice(0, 40));
    }
  });

  it('accepts by default an archive as large as an account archive can be, and no larger', () => {
    assert.equal(MAX_ARCHIVE_BYTES, MAX_ARCHIVE_FILE_BYTES, 'the transport and the account store bound archives alike');
    const signaling = { put: async () => {}, get: async () => [], listen: () => ({ cancel: () => {}, ready: Promise.resolve() }) };
    assert.equal(resolveTransportSettings({ signaling }).channel.maxArchiveBytes, MAX_ARCHIVE_BYTES);
  });

  it('encodes a linking message, and throws TypeError for a non-object, a missing or non-string `t`, a `link.` type or an oversized one', () => {
    assert.equal(encodeLinkMessage({ t: 'stored' }), '{"t":"stored"}');
    for (const message of [null, 'stored', 3, [{ t: 'stored' }], {}, { t: 1 }, { t: 'link.ping' }, { t: 'x', big: 'x'.repeat(64 * 1024) }, { t: 'x', n: 1n }]) {
      assert.throws(() => encodeLinkMessage(message), TypeError);
    }
  });
});

describe('signaling messages', () => {
  const offer = { t: 'offer', v: 1, to: 'a'.repeat(40), session: 'b'.repeat(32), code: '012345', replyTo: 'A'.repeat(43), sdp: 'v=0', chain: 'pem', ts: 1 };

  it('round-trips a signed message and validates offers strictly', () => {
    const encoded = encodeSignedMessage({ bodyText: JSON.stringify(offer), signature: Buffer.from([1, 2, 3]) });
    const decoded = decodeSignedMessage(encoded)!;
    assert.deepEqual(parseInboxBody(decoded.bodyText), offer);
    assert.deepEqual(decoded.signature, Buffer.from([1, 2, 3]));
    for (const bad of [{ ...offer, code: '12345' }, { ...offer, to: 'A'.repeat(40) }, { ...offer, extra: 1 }, { ...offer, v: 2 }, { ...offer, sdp: '' }]) {
      assert.equal(parseInboxBody(JSON.stringify(bad)), undefined, JSON.stringify(bad));
    }
  });

  it("reads the inbox's other bodies by their t, each with exactly its own fields", () => {
    const common = { v: 1, to: 'a'.repeat(40), session: 'b'.repeat(32), ts: 4 };
    const ready = { t: 'ready', ...common, answer: 'c'.repeat(64) };
    const gaveUp = JSON.parse(gaveUpText(common.to, common.session, 4)) as Record<string, unknown>;
    assert.deepEqual(parseInboxBody(JSON.stringify(ready)), ready);
    assert.deepEqual(parseInboxBody(JSON.stringify(gaveUp)), gaveUp);
    for (const bad of [{ ...ready, answer: 'c' }, { ...ready, t: 'gave_up' }, { ...gaveUp, t: 'ready' }, { ...offer, t: 'ready' }, { ...gaveUp, t: 'answer' }, { ...ready, ts: -1 }]) {
      assert.equal(parseInboxBody(JSON.stringify(bad)), undefined, JSON.stringify(bad));
    }
  });

  it('validates replies: answers with an SDP, refusals with a known reason', () => {
    const common = { v: 1, from: 'a'.repeat(40), session: 'b'.repeat(32), offer: 'c'.repeat(64), ts: 2 };
    assert.ok(parseReplyBody(JSON.stringify({ t: 'answer', ...common, sdp: 'v=0' })));
    assert.ok(parseReplyBody(JSON.stringify({ t: 'refused', ...common, reason: 'in_use' })));
    assert.equal(parseReplyBody(JSON.stringify({ t: 'refused', ...common, reason: 'whatever' })), undefined);
  });

  it('validates trickled candidates both ways: 1 to 16 candidate lines with a mid, nothing else', () => {
    const relay = { candidate: 'candidate:4 1 UDP 1047807 198.18.0.2 49020 typ relay raddr 0.0.0.0 rport 0', mid: '0' };
    const fromImporter = replyBodyText('a'.repeat(40), { session: 'b'.repeat(32), bodyText: '{}' }, { t: 'candidates', candidates: [relay] }, 3);
    assert.deepEqual(parseReplyBody(fromImporter), JSON.parse(fromImporter));
    const fromExporter = exporterCandidatesText('a'.repeat(40), 'b'.repeat(32), [relay], 3);
    assert.deepEqual(parseInboxBody(fromExporter), JSON.parse(fromExporter));
    const body = JSON.parse(fromExporter) as Record<string, unknown>;
    for (const candidates of [[], Array(17).fill(relay), [{ ...relay, mid: '' }], [{ ...relay, extra: 1 }], [{ candidate: 'a=candidate:1', mid: '0' }],
      [{ candidate: 'candidate:1\r\na=fingerprint:sha-256 00', mid: '0' }], [{ candidate: `candidate:${'x'.repeat(600)}`, mid: '0' }], ['candidate:1'], 'candidate:1']) {
      assert.equal(parseInboxBody(JSON.stringify({ ...body, candidates })), undefined, JSON.stringify(candidates).slice(0, 80));
    }
    assert.equal(parseInboxBody(JSON.stringify({ ...body, to: 'x' })), undefined);
  });
});

describe('session descriptions', () => {
  const sdp = ['v=0', 'a=fingerprint:sha-256 ab:cd:EF', 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'a=mid:0',
    'a=candidate:1 1 UDP 2114977791 127.0.0.1 35395 typ host', 'a=end-of-candidates', ''].join('\r\n');

  it('reads the DTLS fingerprint and the candidates with their mid', () => {
    assert.deepEqual(dtlsFingerprintOf(sdp), { algorithm: 'sha-256', value: 'AB:CD:EF' });
    assert.equal(dtlsFingerprintOf('v=0\r\n'), undefined);
    assert.equal(dtlsFingerprintOf(sdp + 'a=fingerprint:sha-256 00:11\r\n'), undefined);
    assert.deepEqual(candidatesOf(sdp), [{ candidate: 'candidate:1 1 UDP 2114977791 127.0.0.1 35395 typ host', mid: '0' }]);
    assert.ok(!withoutCandidates(sdp).includes('candidate'));
    assert.ok(withoutCandidates(sdp).includes('a=fingerprint'));
  });

  it('reads a candidate\'s type and address (IPv6 in brackets), and the address a peer announced for itself', () => {
    const host = 'candidate:1 1 UDP 2114977791 192.168.1.5 35395 typ host';
    const srflx = 'candidate:3 1 UDP 1678769663 203.0.113.9 40001 typ srflx raddr 0.0.0.0 rport 0';
    const host6 = 'candidate:2 1 UDP 2116026111 2001:db8::5 35395 typ host';
    const relay = 'candidate:4 1 UDP 1047807 198.18.0.2 49020 typ relay raddr 0.0.0.0 rport 0';
    assert.deepEqual([host, srflx, host6, relay].map(candidateTypeOf), ['host', 'srflx', 'host', 'relay']);
    assert.equal(candidateAddressOf(host6), '[2001:db8::5]:35395');
    assert.equal(candidateAddressOf('candidate:1 1 UDP 1 abcd.local 9 typ host'), undefined, 'an mDNS name says nothing');
    assert.equal(candidateHostOf(host6), '2001:db8::5');
    assert.equal(candidateHostOf('candidate:1 1 UDP 1 abcd.local 9 typ host'), undefined);
    assert.equal(hostOfAddress(candidateAddressOf(host6)!), '2001:db8::5');
    assert.equal(hostOfAddress('198.18.0.2:49020'), '198.18.0.2');
    assert.equal(ownAddressOf([host, relay, srflx].map((candidate) => ({ candidate, mid: '0' }))), '203.0.113.9:40001', 'its public address first');
    assert.equal(ownAddressOf([relay, host6].map((candidate) => ({ candidate, mid: '0' }))), '[2001:db8::5]:35395');
    assert.equal(ownAddressOf([relay].map((candidate) => ({ candidate, mid: '0' }))), '', 'a relay is not the peer');
  });

  it('tells the peer\'s place and the relay in between, whichever side of the selected pair the relay is on', () => {
    const announced = [
      'candidate:1 1 UDP 2114977791 10.0.2.2 35395 typ host',
      'candidate:3 1 UDP 1678769663 198.18.0.15 40001 typ srflx raddr 0.0.0.0 rport 0',
      'candidate:4 1 UDP 1047807 198.18.0.3 49020 typ relay raddr 0.0.0.0 rport 0',
    ].map((candidate) => ({ candidate, mid: '0' }));
    const ourServer = (host: string) => host === '198.18.0.3';
    const pair = (remote: string, type: 'host' | 'srflx' | 'prflx' | 'relay', localType: 'host' | 'relay', localAddress: string) =>
      ({ remote: { address: remote, type }, localType, localAddress });
    // Our relay: the peer's checks come from its router's mapping toward the TURN server (what CI once saw).
    assert.deepEqual(peerLocationOf(pair('198.18.0.15:25830', 'prflx', 'relay', '198.18.0.3:50001'), announced, ourServer),
      { address: '198.18.0.15:25830', type: 'relay', relay: '198.18.0.3:50001' });
    // The peer's relay, named by type, by its announcement (prflx before the trickle) or by our server's host,
    // whether our side is a relay too or not (both through coturn: what CI saw next).
    for (const localType of ['host', 'relay'] as const) {
      for (const [remote, type] of [['198.18.0.3:49020', 'relay'], ['198.18.0.3:49020', 'prflx'], ['198.18.0.3:49999', 'prflx']] as const) {
        assert.deepEqual(peerLocationOf(pair(remote, type, localType, '198.18.0.3:50001'), announced, ourServer),
          { address: '198.18.0.15:40001', type: 'relay', relay: remote }, `${type} ${remote} from ${localType}`);
      }
    }
    assert.deepEqual(peerLocationOf(pair('198.18.0.15:40001', 'srflx', 'host', '10.0.1.2:4000'), announced, ourServer),
      { address: '198.18.0.15:40001', type: 'srflx' }, 'no relay in between');
  });
});

describe('ICE server settings', () => {
  it('accepts STUN and TURN over UDP with credentials in the URL or beside it', () => {
    assert.deepEqual(parseIceServers([
      'stun:stun.example.org',
      'turn:al%40ice:p%3Ass@turn.example.org:3479?transport=udp',
      { urls: ['turn:[::1]', 'turn:turn.example.org'], username: 'bob', credential: 's:e@cret' },
    ]), [
      { hostname: 'stun.example.org', port: 3478 },
      { hostname: 'turn.example.org', port: 3479, username: 'al@ice', password: 'p:ss', relayType: 'TurnUdp' },
      { hostname: '::1', port: 3478, username: 'bob', password: 's:e@cret', relayType: 'TurnUdp' },
      { hostname: 'turn.example.org', port: 3478, username: 'bob', password: 's:e@cret', relayType: 'TurnUdp' },
    ]);
  });

  it('refuses TURN over TCP or TLS, which the ICE agent would skip, without repeating a password', () => {
    // Without credentials too: the answer is that TCP and TLS are refused, not that credentials are missing.
    for (const spec of ['turn:u:hunter2@host:443?transport=tcp', 'turns:u:hunter2@host', { urls: 'turns:host', username: 'u', credential: 'hunter2' }, 'turns:host', 'turn:host?transport=tcp']) {
      assert.throws(() => parseIceServers([spec]), (error: Error) => error instanceof IceServerConfigError
        && /TURN over TCP or TLS is not supported/.test(error.message) && !error.message.includes('hunter2'), JSON.stringify(spec));
    }
  });

  it('refuses TURN without credentials and unknown schemes, without repeating a password', () => {
    assert.throws(() => parseIceServers(['turn:turn.example.org']), IceServerConfigError);
    assert.throws(() => parseIceServers(['http://example.org']), IceServerConfigError);
    assert.throws(() => parseIceServers(['turn:user:hunter2@host:99999']), (error: Error) => !error.message.includes('hunter2'));
  });
});
