// Interop with a third-party OpenDHT peer: Debian's dhtnode as the only bootstrap node.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';

import { type DhtRunner, Identity, InfoHash, type Value } from '../src/index.js';
import { ValueInbox, dataIs, startNode, testNetworkId, withTimeout } from './support/network.js';

const DHTNODE = '/usr/bin/dhtnode';

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** dhtnode's interactive shell on a pipe: commands in, output accumulated. */
class DhtNodeProcess {
  readonly child: ChildProcessWithoutNullStreams;
  output = '';
  #watchers: (() => void)[] = [];

  constructor(port: number, networkId: number) {
    // -i: dhtnode makes itself an identity, to sign and decrypt.
    this.child = spawn(DHTNODE, ['-i', '-p', String(port), '-n', String(networkId)], { stdio: 'pipe' });
    this.child.stdout.setEncoding('utf8');
    this.child.stderr.setEncoding('utf8');
    const collect = (chunk: string): void => {
      this.output += chunk;
      for (const w of this.#watchers) w();
    };
    this.child.stdout.on('data', collect);
    this.child.stderr.on('data', collect);
  }

  /** Resolves when the output (from `from` on) matches `pattern`. */
  waitForOutput(pattern: RegExp, from: number, ms: number, what: string): Promise<RegExpMatchArray> {
    return withTimeout(
      new Promise<RegExpMatchArray>((resolve, reject) => {
        const check = (): void => {
          const m = this.output.slice(from).match(pattern);
          if (m) {
            this.#watchers = this.#watchers.filter((w) => w !== check);
            resolve(m);
          } else if (this.child.exitCode !== null) {
            reject(new Error(`dhtnode exited (${this.child.exitCode}) before ${what}:\n${this.output}`));
          }
        };
        this.#watchers.push(check);
        check();
      }),
      ms,
      what,
    );
  }

  command(line: string): number {
    const mark = this.output.length;
    this.child.stdin.write(line + '\n');
    return mark;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

describe('interop with dhtnode (third-party OpenDHT peer)', function () {
  this.timeout(60_000);

  let dhtnode: DhtNodeProcess | undefined;
  let a: DhtRunner;
  let b: DhtRunner;
  let bIdentity: Identity;
  let dhtnodeKeyId: string;
  const networkId = testNetworkId();

  /** Gets from `node` until a value matches. */
  async function getUntil(node: DhtRunner, key: InfoHash, match: (v: Value) => boolean, what: string): Promise<Value> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = (await node.get(key)).find(match);
      if (found) return found;
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    }
  }

  before(async function () {
    if (!existsSync(DHTNODE)) this.skip();
    const port = await freeUdpPort();
    dhtnode = new DhtNodeProcess(port, networkId);
    const [, keyId] = await dhtnode.waitForOutput(/Public key ID ([0-9a-f]{40})/, 0, 20_000, 'dhtnode to start');
    dhtnodeKeyId = keyId;
    bIdentity = await Identity.generate('b', { bits: 2048 });
    a = await startNode(networkId);
    b = await startNode(networkId, bIdentity);
    // Each binding node knows only the dhtnode.
    await a.bootstrap('127.0.0.1', port);
    await b.bootstrap('127.0.0.1', port);
  });

  after(async () => {
    await Promise.all([a?.shutdown(), b?.shutdown()]);
    await dhtnode?.stop();
  });

  it('routes a value put by one binding node to another through dhtnode', async () => {
    const key = InfoHash.random();
    const inbox = new ValueInbox();
    const listener = b.listen(key, inbox.onValues);
    await listener.ready;
    await a.put(key, 'via dhtnode');
    await inbox.next(dataIs('via dhtnode'), 10_000, 'the value at b');
    const values = await b.get(key);
    assert.deepEqual(values.map((v) => v.data.toString()), ['via dhtnode']);
    listener.cancel();
  });

  it('reads values that dhtnode puts, and dhtnode reads ours', async () => {
    const key = InfoHash.random();
    const mark = dhtnode!.command(`p ${key.toString()} hello-from-dhtnode`);
    await dhtnode!.waitForOutput(/Put: (success|failure)/, mark, 10_000, 'dhtnode put');
    let found: Value[] = [];
    const deadline = Date.now() + 10_000;
    while (!found.some(dataIs('hello-from-dhtnode'))) {
      assert.ok(Date.now() < deadline, 'value put by dhtnode not found');
      found = await a.get(key);
    }
    assert.equal(found.find(dataIs('hello-from-dhtnode'))?.userType, 'text/plain');

    // dhtnode prints a value as `Value[id:<hex id> data:<hex data>]`.
    const ours = InfoHash.random();
    await b.put(ours, 'hello-from-binding', { id: 0xc0ffee42n });
    const printed = new RegExp(`Value\\[id:c0ffee42 data:${Buffer.from('hello-from-binding').toString('hex')}\\]`);
    const mark2 = dhtnode!.command(`g ${ours.toString()}`);
    await dhtnode!.waitForOutput(printed, mark2, 10_000, 'dhtnode to get our value');
  });

  it('verifies what dhtnode signs, and each side decrypts what the other encrypted for it', async () => {
    const key = InfoHash.random();
    let mark = dhtnode!.command(`s ${key.toString()} signed-by-dhtnode`);
    await dhtnode!.waitForOutput(/Put signed: (success|failure)/, mark, 10_000, 'dhtnode signed put');
    const signed = await getUntil(a, key, dataIs('signed-by-dhtnode'), 'the signed value');
    assert.equal(signed.signed, true);
    assert.equal(signed.ownerId, dhtnodeKeyId);

    const forB = InfoHash.random();
    mark = dhtnode!.command(`e ${forB.toString()} ${bIdentity.id} secret-for-b`);
    await dhtnode!.waitForOutput(/Put encrypted: (success|failure)/, mark, 15_000, 'dhtnode encrypted put');
    const decrypted = await getUntil(b, forB, dataIs('secret-for-b'), 'the value encrypted for b');
    assert.equal(decrypted.encrypted, true);
    assert.equal(decrypted.ownerId, dhtnodeKeyId);
    assert.deepEqual(await a.get(forB), [], 'a node that is not the recipient read the value');

    const forDhtnode = InfoHash.random();
    await b.putEncrypted(forDhtnode, dhtnodeKeyId, 'secret-for-dhtnode');
    mark = dhtnode!.command(`g ${forDhtnode.toString()}`);
    const hex = Buffer.from('secret-for-dhtnode').toString('hex');
    await dhtnode!.waitForOutput(new RegExp(`data:${hex}`), mark, 10_000, 'dhtnode to decrypt our value');
  });
});
