// The daemon's start time to "bus name owned" and its idle RSS.

import { readFileSync } from 'node:fs';
import { startTestBus } from '../test/support/private-bus.js';
import { startDaemonProcess } from '../test/support/daemon-process.js';
import { TestClient } from '../test/support/client.js';
import { median, ms, row, timed } from './stats.js';

const RUNS = Number(process.env.BENCH_START_RUNS ?? 5);

export async function benchDaemonStart(): Promise<void> {
  console.log('\n== daemon ==');
  const bus = await startTestBus();
  try {
    const times: number[] = [];
    const rss: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const [elapsed, daemon] = await timed(() => startDaemonProcess({ busAddress: bus.address }));
      times.push(elapsed);
      const client = await TestClient.connect(bus.address);
      await client.call('getAccountList');
      client.close();
      rss.push(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${daemon.child.pid}/status`, 'utf8'))?.[1]) / 1024);
      await daemon.stop();
    }
    row('start -> bus name owned (median)', ms(median(times)), 'spawn of node included');
    row('idle RSS after start (median)', `${median(rss).toFixed(1)} MB`);
  } finally {
    await bus.stop();
  }
}
