// Hostile archive files (issue #12, finding 1): a 470 KB gzip that inflates to 458 MiB, a deflate bomb behind a
// password, and JSON built to make the parse itself the attack. Each is refused with InvalidArchive while
// another client keeps getting answers, the daemon's peak memory stays bounded, and nothing is created.

import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { aesEncrypt } from 'opendht-node';
import { gzipBomb } from '../support/archive-bomb.js';
import { TestClient } from '../support/client.js';
import { startDaemonProcess, tempDir, type RunningDaemon } from '../support/daemon-process.js';
import { startTestBus, type PrivateBus } from '../support/private-bus.js';
import { rememberSecret } from '../support/secrets.js';

const PASSWORD = rememberSecret('bomb-password-5521');
/** Peak RSS a daemon may reach while refusing a bomb: its idle size plus one bounded inflate and parse. */
const PEAK_RSS_BOUND_MB = 400;
/** The longest a getAccountList call may take while a bomb is being refused. */
const LATENCY_BOUND_MS = 1000;

function peakRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'))!;
  return Number(/(\d+)/.exec(line)![1]) / 1024;
}

/** Calls getAccountList back to back until `done` settles; returns the slowest answer in ms. */
async function pollWhile(client: TestClient, done: Promise<unknown>): Promise<{ worstMs: number; calls: number }> {
  let finished = false;
  void done.finally(() => (finished = true)).catch(() => undefined);
  let worstMs = 0;
  let calls = 0;
  for (let i = 0; i < 100_000 && !finished; i += 1) {
    const start = process.hrtime.bigint();
    await client.call('getAccountList');
    worstMs = Math.max(worstMs, Number(process.hrtime.bigint() - start) / 1e6);
    calls += 1;
  }
  return { worstMs, calls };
}

describe('hostile archive files', function () {
  this.timeout(120000);
  let bus: PrivateBus;
  let daemon: RunningDaemon;
  let importer: TestClient;
  let observer: TestClient;
  let files: string;

  before(async () => {
    bus = await startTestBus();
    daemon = await startDaemonProcess({ busAddress: bus.address });
    importer = await TestClient.connect(bus.address);
    observer = await TestClient.connect(bus.address);
    files = tempDir('archive-bombs-');
  });
  after(async () => {
    importer?.close();
    observer?.close();
    await daemon?.stop();
    await bus?.stop();
  });

  async function refuses(name: string, bytes: Buffer, extra: Record<string, string> = {}): Promise<{ worstMs: number; calls: number; peakMb: number }> {
    const file = path.join(files, name);
    await fs.writeFile(file, bytes);
    const before = await observer.call<string[]>('getAccountList');
    const imported = importer.call('addAccount', { 'Account.archivePath': file, ...extra });
    const [outcome, polling] = await Promise.all([imported.then(() => undefined, (error: Error & { type?: string }) => error), pollWhile(observer, imported)]);
    assert.ok(outcome, `${name} was accepted`);
    assert.equal(outcome.type, 'cx.ring.Ring.Error.InvalidArchive', `${name}: ${outcome.type} ${outcome.message}`);
    assert.ok(!outcome.message.includes('\n') && outcome.message.length < 200, outcome.message);
    assert.deepEqual(await observer.call<string[]>('getAccountList'), before, 'an account was created');
    return { ...polling, peakMb: peakRssMb(daemon.child.pid!) };
  }

  it('refuses a 470 KB gzip that inflates to 458 MiB, answering another client within 1 s throughout, peak RSS bounded', async () => {
    const bomb = gzipBomb(458);
    assert.ok(bomb.length < 500_000);
    const { worstMs, calls, peakMb } = await refuses('bomb.gz', bomb);
    console.log(`      458 MiB bomb: ${calls} getAccountList calls answered meanwhile, worst ${worstMs.toFixed(1)} ms, daemon peak RSS ${peakMb.toFixed(0)} MB`);
    assert.ok(worstMs < LATENCY_BOUND_MS, `a call took ${worstMs} ms`);
    assert.ok(peakMb < PEAK_RSS_BOUND_MB, `peak RSS ${peakMb} MB`);
  });

  it('refuses an encrypted archive whose zlib content inflates past the bound', async () => {
    const bomb = await aesEncrypt(deflateSync(Buffer.alloc(128 * 1024 * 1024, 0x20)), PASSWORD);
    const { worstMs, peakMb } = await refuses('bomb.enc', bomb, { 'Account.archivePassword': PASSWORD });
    assert.ok(worstMs < LATENCY_BOUND_MS + 2000, `a call took ${worstMs} ms`); // the KDF itself runs off the loop
    assert.ok(peakMb < PEAK_RSS_BOUND_MB, `peak RSS ${peakMb} MB`);
  });

  it('refuses JSON nested 100000 deep and JSON of two million values, without parsing them', async () => {
    await refuses('deep.gz', gzipSync(`{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`));
    const { peakMb } = await refuses('wide.gz', gzipSync(`{"a":[${'{},'.repeat(2_000_000)}{}]}`));
    assert.ok(peakMb < PEAK_RSS_BOUND_MB, `peak RSS ${peakMb} MB`);
  });

  it('still imports a real backup afterwards', async () => {
    const seed = await importer.createAccount({ 'Account.alias': 'After bombs' });
    const backup = path.join(files, 'real.gz');
    assert.equal(await importer.call('exportToFile', seed, backup, '', ''), true);
    const again = await importer.createAccount({ 'Account.archivePath': backup });
    assert.ok((await observer.call<string[]>('getAccountList')).includes(again));
  });
});
