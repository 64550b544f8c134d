// The network test bed is real: NAT rewrites sources, symmetric NAT changes ports per destination,
// routers drop unsolicited inbound, coturn and dhtnode serve devices behind NAT, loss drops about
// what was asked, IPv6-only works, and destroy() leaves nothing behind.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { NetBed } from '../support/netbed/net-bed.js';
import { ipIn, runHostCommand } from '../support/netbed/host-command.js';
import { bedNamespaces, sweepStaleNamespaces } from '../support/netbed/namespaces.js';
import { INTERFACES, MAX_INTERFACE_NAME, planBed } from '../support/netbed/plan.js';
import { skipWithoutNetBed } from '../support/netbed/skip-reason.js';
import { UdpAgent, type UdpMessage } from '../support/netbed/udp-agent.js';
import { until } from '../support/wait.js';

const WAIT_MS = 5000;
const text = (t: string) => (m: UdpMessage) => m.text === t;

/** A zombie has died; only its parent (or init, for an orphan) has yet to reap it. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Sends `fin` until the listener sees it (bounded): after it, every earlier packet has arrived or is lost. */
async function flush(sender: UdpAgent, listener: UdpAgent, host: string, port: number): Promise<void> {
  for (let attempt = 1; attempt <= 20; attempt += 1) {
    await sender.send(host, port, 'fin');
    try {
      await listener.message(text('fin'), 300, 'fin');
      return;
    } catch {
      // That fin was lost on the lossy path; send another.
    }
  }
  throw new Error('no fin reached the listener in 20 attempts');
}

describe('network test bed plan (no root needed)', () => {
  it('uses only documentation addresses, run-prefixed namespaces and interface names the kernel accepts', () => {
    const plan = planBed('jlnb-1-2-3-abcd', {
      networks: Array.from({ length: 200 }, (_, n) => ({ name: `n${n}`, nat: 'masquerade' as const, devices: [`d${n}`, `e${n}`] })),
    });
    const addresses = [plan.wan, ...plan.routers.flatMap((r) => [r.wan, r.lan]), ...plan.devices.map((d) => d.address)].flatMap((group) =>
      Object.values(group).filter((a): a is string => typeof a === 'string' && /[.:]/.test(a)),
    );
    const wanAddresses = [plan.wan.host, plan.wan.dht, plan.wan.turn, plan.wan.dead];
    const all = [...addresses, ...wanAddresses.flatMap((a) => [a.ipv4!, a.ipv6!])];
    for (const address of all) assert.match(address, /^(198\.1[89]\.\d{1,3}\.\d{1,3}|2001:db8:[0-9a-f:]*)$/, address);
    for (const octets of all.filter((a) => a.includes('.')).map((a) => a.split('.').map(Number))) assert.ok(octets.every((o) => o <= 255));
    assert.equal(new Set(all).size, all.length, 'every address is unique');
    const namespaces = [plan.wan.namespace, ...plan.routers.map((r) => r.namespace), ...plan.devices.map((d) => d.namespace)];
    assert.equal(new Set(namespaces).size, namespaces.length);
    for (const namespace of namespaces) assert.ok(namespace.startsWith('jlnb-1-2-3-abcd-'), namespace);
    const interfaces = [...Object.values(INTERFACES), ...plan.routers.map((r) => r.wanPort), ...plan.devices.map((d) => d.lanPort)];
    for (const name of interfaces) assert.ok(name.length <= MAX_INTERFACE_NAME, name);
  });

  it('refuses a loss that is not a percentage and a device named twice', () => {
    assert.throws(() => planBed('r', { networks: [{ name: 'a', nat: 'none', devices: ['x'], lossPercent: 100 }] }), /lossPercent/);
    assert.throws(() => planBed('r', { networks: [{ name: 'a', nat: 'none', devices: ['x', 'x'] }] }), /used twice/);
  });
});

describe('network test bed (namespaces, nftables NAT, coturn, dhtnode)', function () {
  this.timeout(30000);
  let bed: NetBed;
  let listener: UdpAgent;
  let listenerPort: number;
  let second: UdpAgent;
  let secondPort: number;

  before(async function () {
    await skipWithoutNetBed(this);
    bed = await NetBed.create({
      networks: [
        { name: 'a', nat: 'masquerade', devices: ['a'] },
        { name: 'b', nat: 'symmetric', devices: ['b'] },
        { name: 'open', nat: 'none', devices: ['c'] },
        { name: 'lossy', nat: 'masquerade', devices: ['l'], lossPercent: 20 },
        { name: 'home', nat: 'masquerade', devices: ['e', 'f'] },
      ],
    });
    ({ agent: listener, port: listenerPort } = await UdpAgent.start(bed, bed.wan.namespace, bed.wan.host.ipv4!, 0, 'wan-listener'));
    ({ agent: second, port: secondPort } = await UdpAgent.start(bed, bed.wan.namespace, bed.wan.host.ipv4!, 0, 'wan-second'));
  });

  after(async () => {
    await bed?.destroy();
  });

  it('shows the wan a NATed device as its router, and a routed device as itself', async () => {
    const { agent: a } = await UdpAgent.start(bed, bed.device('a').namespace, '0.0.0.0');
    const { agent: c } = await UdpAgent.start(bed, bed.device('c').namespace, '0.0.0.0');
    await a.send(bed.wan.host.ipv4!, listenerPort, 'from-a');
    await c.send(bed.wan.host.ipv4!, listenerPort, 'from-c');
    assert.equal((await listener.message(text('from-a'), WAIT_MS, 'from-a')).from, bed.routerOf('a').wan.ipv4);
    assert.equal((await listener.message(text('from-c'), WAIT_MS, 'from-c')).from, bed.device('c').address.ipv4);
  });

  it('keeps one source port for two destinations behind masquerade, and changes it behind symmetric NAT', async () => {
    const ports = async (device: string) => {
      const { agent } = await UdpAgent.start(bed, bed.device(device).namespace, '0.0.0.0', 40000);
      await agent.send(bed.wan.host.ipv4!, listenerPort, `one-${device}`);
      await agent.send(bed.wan.host.ipv4!, secondPort, `two-${device}`);
      const one = await listener.message(text(`one-${device}`), WAIT_MS, `one-${device}`);
      const two = await second.message(text(`two-${device}`), WAIT_MS, `two-${device}`);
      assert.equal(one.from, bed.routerOf(device).wan.ipv4);
      assert.equal(two.from, bed.routerOf(device).wan.ipv4);
      return [one.port, two.port];
    };
    const [aOne, aTwo] = await ports('a');
    assert.equal(aOne, 40000, 'masquerade preserves the port');
    assert.equal(aTwo, 40000);
    const [bOne, bTwo] = await ports('b');
    assert.notEqual(bOne, bTwo, 'symmetric NAT maps each destination to its own port');
  });

  it('drops unsolicited inbound at a NAT router but forwards replies; a routed device gets both', async () => {
    const { agent: a } = await UdpAgent.start(bed, bed.device('a').namespace, '0.0.0.0');
    await a.send(bed.wan.host.ipv4!, listenerPort, 'hello-from-a');
    const mapped = await listener.message(text('hello-from-a'), WAIT_MS, 'hello-from-a');
    // Same path, same order: the reply arriving means the stranger's earlier packet would have too.
    await second.send(mapped.from, mapped.port, 'unsolicited');
    await listener.send(mapped.from, mapped.port, 'reply');
    await a.message(text('reply'), WAIT_MS, 'the reply');
    assert.deepEqual(a.messages.map((m) => m.text), ['reply']);

    // A wan neighbour that routes to the private LAN itself still gets nothing through the firewall.
    const { agent: a2, port: a2Port } = await UdpAgent.start(bed, bed.device('a').namespace, '0.0.0.0');
    await ipIn(bed.wan.namespace, 'route', 'add', bed.routerOf('a').lanPrefix.ipv4!, 'via', bed.routerOf('a').wan.ipv4!);
    try {
      await second.send(bed.device('a').address.ipv4!, a2Port, 'routed-unsolicited');
      await a2.send(bed.wan.host.ipv4!, listenerPort, 'hello-from-a2');
      const hole = await listener.message(text('hello-from-a2'), WAIT_MS, 'hello-from-a2');
      await listener.send(hole.from, hole.port, 'reply-2');
      await a2.message(text('reply-2'), WAIT_MS, 'the second reply');
      assert.deepEqual(a2.messages.map((m) => m.text), ['reply-2']);
    } finally {
      await ipIn(bed.wan.namespace, 'route', 'del', bed.routerOf('a').lanPrefix.ipv4!);
    }

    const { agent: c, port: cPort } = await UdpAgent.start(bed, bed.device('c').namespace, '0.0.0.0');
    await second.send(bed.device('c').address.ipv4!, cPort, 'unsolicited');
    assert.equal((await c.message(text('unsolicited'), WAIT_MS, 'unsolicited at the routed device')).from, bed.wan.host.ipv4);
  });

  it('lets two devices on one LAN reach each other by private address, without NAT', async () => {
    const { agent: f, port: fPort } = await UdpAgent.start(bed, bed.device('f').namespace, '0.0.0.0');
    const { agent: e } = await UdpAgent.start(bed, bed.device('e').namespace, '0.0.0.0');
    await e.send(bed.device('f').address.ipv4!, fPort, 'neighbour');
    assert.equal((await f.message(text('neighbour'), WAIT_MS, 'neighbour')).from, bed.device('e').address.ipv4);
  });

  it('has a dead server address in the wan that swallows everything', async () => {
    const { agent: wanAll, port } = await UdpAgent.start(bed, bed.wan.namespace, '0.0.0.0', 0, 'wan-any');
    const { agent: a } = await UdpAgent.start(bed, bed.device('a').namespace, '0.0.0.0');
    await a.send(bed.wan.dead.ipv4!, port, 'to-dead');
    await a.send(bed.wan.host.ipv4!, port, 'to-host');
    await wanAll.message(text('to-host'), WAIT_MS, 'to-host');
    assert.deepEqual(wanAll.messages.map((m) => m.text), ['to-host']);
  });

  it('lets a packet to an address nobody routes vanish, as on the Internet, instead of failing the send', async () => {
    // coturn closes an allocation whose relayed send fails (ENETUNREACH): a host candidate behind NAT would kill it.
    const { agent: wanSender } = await UdpAgent.start(bed, bed.wan.namespace, bed.wan.host.ipv4!, 0, 'wan-to-private');
    const { agent: a, port: aPort } = await UdpAgent.start(bed, bed.device('a').namespace, '0.0.0.0');
    await wanSender.send(bed.device('a').address.ipv4!, aPort, 'to-a-private');
    await wanSender.send(bed.wan.host.ipv4!, listenerPort, 'after-private');
    await listener.message(text('after-private'), WAIT_MS, 'the packet sent after it');
    assert.deepEqual(a.messages, []);
  });

  it('answers STUN from behind NAT with the router address', async () => {
    const turn = bed.wan.turnServer!;
    const stun = bed.spawn(bed.device('a').namespace, 'turnutils_stunclient', ['-p', String(turn.port), turn.address.ipv4!]);
    const [, reflexive] = await stun.waitForOutput(/UDP reflexive addr: ([\d.]+):\d+/, WAIT_MS, 'the reflexive address');
    assert.equal(reflexive, bed.routerOf('a').wan.ipv4);
    await stun.stop();
  });

  for (const transport of ['UDP', 'TCP'] as const) {
    it(`grants a TURN allocation over ${transport} with the right credentials`, async () => {
      const turn = bed.wan.turnServer!;
      const flags = transport === 'TCP' ? ['-t'] : [];
      const client = bed.spawn(bed.device('b').namespace, 'turnutils_uclient', [
        ...flags, '-v', '-n', '1', '-u', turn.user, '-w', turn.password, '-p', String(turn.port), '-e', bed.wan.host.ipv4!, turn.address.ipv4!,
      ]);
      const [, relay] = await client.waitForOutput(/Received relay addr: ([\d.]+):\d+/, WAIT_MS, 'a relay address');
      assert.equal(relay, turn.address.ipv4);
      await client.stop();
    });
  }

  it('refuses a TURN allocation with a wrong password', async () => {
    const turn = bed.wan.turnServer!;
    const client = bed.spawn(bed.device('b').namespace, 'turnutils_uclient', [
      '-v', '-n', '1', '-u', turn.user, '-w', 'not-the-password', '-p', String(turn.port), '-e', bed.wan.host.ipv4!, turn.address.ipv4!,
    ]);
    const status = await client.exited(WAIT_MS);
    assert.notEqual(status.code, 0);
    assert.match(client.stdout + client.stderr, /Cannot complete Allocation/);
    assert.doesNotMatch(client.stdout, /Received relay addr/);
  });

  it('carries a DHT put and get between two NATed devices through the wan dhtnode', async () => {
    const dht = bed.wan.dhtNode!;
    const script = new URL('../support/netbed/probes/dht-probe.js', import.meta.url).pathname;
    const key = randomBytes(20).toString('hex');
    const value = `netbed-${randomBytes(4).toString('hex')}`;
    const args = (mode: string) => [script, mode, dht.address.ipv4!, String(dht.port), key, value];
    const put = bed.spawn(bed.device('a').namespace, process.execPath, args('put'), { label: 'dht-put' });
    assert.equal((await put.exited(15000)).code, 0, put.stdout + put.stderr);
    const get = bed.spawn(bed.device('b').namespace, process.execPath, args('get'), { label: 'dht-get' });
    assert.equal((await get.exited(15000)).code, 0, get.stdout + get.stderr);
    assert.ok((JSON.parse(get.stdout.trim()) as { got: string[] }).got.includes(value));
  });

  it('drops about the requested fraction on a lossy path and nothing on a clean one', async () => {
    const count = 1000;
    const received = async (device: string) => {
      const { agent: sink, port } = await UdpAgent.start(bed, bed.wan.namespace, bed.wan.host.ipv4!, 0, `sink-${device}`);
      const { agent: source } = await UdpAgent.start(bed, bed.device(device).namespace, '0.0.0.0');
      await source.burst(bed.wan.host.ipv4!, port, count);
      await flush(source, sink, bed.wan.host.ipv4!, port);
      return sink.messages.filter((m) => m.text.startsWith('seq:')).length;
    };
    const lossy = await received('l');
    const clean = await received('a');
    const lossPercent = (100 * (count - lossy)) / count;
    assert.ok(lossPercent > 12 && lossPercent < 28, `20% asked, ${lossPercent}% lost (by ${bed.router('lossy').lossBy})`);
    assert.ok(clean >= count * 0.99, `clean path delivered ${clean}/${count}`);
  });
});

describe('network test bed, IPv6 only, and teardown', function () {
  this.timeout(30000);
  let bed: NetBed;

  before(async function () {
    await skipWithoutNetBed(this);
    bed = await NetBed.create({ families: 'ipv6', dht: false, networks: [{ name: 'six', nat: 'masquerade', devices: ['s'] }] });
  });

  after(async () => {
    await bed?.destroy();
  });

  it('gives an IPv6-only device no IPv4 and NATs its IPv6 through the router', async () => {
    assert.equal(bed.device('s').address.ipv4, undefined);
    const { agent: sink, port } = await UdpAgent.start(bed, bed.wan.namespace, bed.wan.host.ipv6!);
    const { agent: s } = await UdpAgent.start(bed, bed.device('s').namespace, '::');
    await s.send(bed.wan.host.ipv6!, port, 'six');
    assert.equal((await sink.message(text('six'), WAIT_MS, 'six')).from, bed.routerOf('s').wan.ipv6);
    const { agent: s4 } = await UdpAgent.start(bed, bed.device('s').namespace, '0.0.0.0');
    await assert.rejects(s4.send('198.18.0.1', port, 'four'), /ENETUNREACH|EHOSTUNREACH/);
  });

  it('answers STUN over IPv6', async () => {
    const turn = bed.wan.turnServer!;
    const stun = bed.spawn(bed.device('s').namespace, 'turnutils_stunclient', ['-p', String(turn.port), turn.address.ipv6!]);
    const [, reflexive] = await stun.waitForOutput(/UDP reflexive addr: \[?([0-9a-f:]+?)\]?:\d+\s/, WAIT_MS, 'the reflexive address');
    assert.equal(reflexive, bed.routerOf('s').wan.ipv6);
    await stun.stop();
  });

  it('destroy() stops every process and deletes every namespace of the run, and can be called again', async () => {
    const pids = bed.processes.map((p) => p.pid);
    assert.ok(pids.length >= 4, 'coturn and the agents ran');
    assert.ok((await bedNamespaces(bed.runId)).length >= 3);
    await bed.destroy();
    assert.deepEqual(await bedNamespaces(bed.runId), []);
    assert.deepEqual(pids.filter(isAlive), []);
    await bed.destroy();
  });
});

describe('network test bed leftovers', function () {
  this.timeout(30000);

  before(async function () {
    await skipWithoutNetBed(this);
  });

  it('sweeps namespaces of a run whose process is dead, and leaves a live run alone', async () => {
    // This process's pid with another start time: a run that died and whose pid was reused.
    const dead = `jlnb-${process.pid}-1-1-dead-wan`;
    const live = await NetBed.create({ dht: false, turn: false, networks: [{ name: 'x', nat: 'none', devices: ['x'] }] });
    try {
      await runHostCommand('ip', ['netns', 'add', dead]);
      assert.deepEqual(await sweepStaleNamespaces(), [dead]);
      assert.deepEqual(await bedNamespaces(`jlnb-${process.pid}-1-1-dead`), []);
      assert.equal((await bedNamespaces(live.runId)).length, 3);
    } finally {
      await live.destroy();
    }
  });

  it('removes a bed whose process exits without destroy()', async () => {
    const script = [
      "const { NetBed } = await import(process.argv[1]);",
      "const bed = await NetBed.create({ networks: [{ name: 'x', nat: 'masquerade', devices: ['x'] }] });",
      "console.log(bed.runId, bed.processes.map((p) => p.pid).join(','));",
      'process.exit(0);',
    ].join('\n');
    const module = new URL('../support/netbed/net-bed.js', import.meta.url).pathname;
    const output = await runHostCommand(process.execPath, ['--input-type=module', '-e', script, module], { timeoutMs: 20000 });
    const [runId, pids] = output.trim().split(' ');
    assert.match(runId, /^jlnb-/);
    assert.deepEqual(await bedNamespaces(runId), []);
    // The hook's SIGKILLs are sent, not awaited: the process had no event loop left to wait on.
    const started = pids.split(',').map(Number);
    assert.ok(started.length >= 2, 'dhtnode and coturn ran');
    await until(() => started.every((pid) => !isAlive(pid)), 2000, 'the orphaned processes to die');
  });
});
