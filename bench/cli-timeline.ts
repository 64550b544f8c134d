// Where a two-CLI link's time goes (a development aid, not part of `npm run bench`): one `jami-link import --yes`
// and one `jami-link export … --yes` as cli-link.ts runs them, each output line and exit stamped in ms from the
// first spawn, with both daemons' trace lines (JAMI_LINKD_TRACE=1) merged in.
//   npm run build && node dist/bench/cli-timeline.js        (BENCH_TRACE_MB=50: an account of that many MB of data;
//   BENCH_TRACE_ROUNDS: how many links (3), the last one shown; BENCH_TRACE_ALL=1: every one shown)

import { spawn } from 'node:child_process';
import { JAMI_LINK_BIN } from '../test/e2e/jami-link-process.js';
import { createBigAccount } from '../test/support/big-archive.js';
import { startLinkNetwork, startSide, stopSide } from '../test/support/link-fixture.js';

const TOKEN_LINE = /(jami-auth:\/\/[0-9a-f]{40}\/[0-9]{6})/;
/** Trace fields worth seeing beside a daemon's line. */
const SHOWN = ['ms', 'bytes', 'unpackMs', 'deviceKeyWaitMs', 'writeMs'];

process.env.JAMI_LINKD_TRACE = '1';
const network = await startLinkNetwork();
const [oldDevice, newDevice] = await Promise.all([startSide(network.dht), startSide(network.dht)]);
const lines: Array<[number, string]> = [];
try {
  const megabytes = Number(process.env.BENCH_TRACE_MB ?? 0);
  const account = megabytes > 0
    ? (await createBigAccount(oldDevice.client, megabytes, 'Timeline')).accountId
    : await oldDevice.client.createAccount({ 'Account.alias': 'Timeline' });
  const rounds = Number(process.env.BENCH_TRACE_ROUNDS ?? 3);
  for (let round = 0; round < rounds; round++) {
    lines.length = 0;
    const [oldFrom, newFrom] = [oldDevice.daemon.logs.length, newDevice.daemon.logs.length];
    const t0 = performance.now();
    const wall0 = performance.timeOrigin + t0;
    const stamp = (who: string) => (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push([performance.now() - t0, `${who}: ${line.trim().slice(0, 90)}`]);
    };
    const env = { ...process.env, NO_COLOR: '1' };
    const importing = spawn(process.execPath, [JAMI_LINK_BIN, '--bus', newDevice.bus.address, 'import', '--yes'], { env });
    importing.stderr.on('data', stamp('import err'));
    const token = await new Promise<string>((resolve) => importing.stdout.on('data', (chunk: Buffer) => {
      stamp('import')(chunk);
      const found = TOKEN_LINE.exec(chunk.toString());
      if (found) resolve(found[1]!);
    }));
    lines.push([performance.now() - t0, 'bench: token seen, export spawned']);
    const exporting = spawn(process.execPath, [JAMI_LINK_BIN, '--bus', oldDevice.bus.address, 'export', account, token, '--yes'], { env });
    exporting.stdout.on('data', stamp('export'));
    exporting.stderr.on('data', stamp('export err'));
    await Promise.all([importing, exporting].map((child, i) => new Promise<void>((resolve) => child.on('exit', () => {
      lines.push([performance.now() - t0, `${i === 0 ? 'import' : 'export'} exited`]);
      resolve();
    }))));
    for (const [side, daemon, from] of [['old', oldDevice.daemon, oldFrom], ['new', newDevice.daemon, newFrom]] as const) {
      for (const text of daemon.logs.slice(from)) {
        try {
          const entry = JSON.parse(text) as Record<string, unknown> & { time: number; msg: string; step?: string; state?: string };
          const fields = SHOWN.filter((field) => entry[field] !== undefined).map((field) => ` ${field}=${String(entry[field])}`).join('');
          lines.push([entry.time - wall0, `${side} daemon: ${entry.msg}${entry.step ? ` ${entry.step}` : ''}${entry.state ? ` ${entry.state}` : ''}${fields}`]);
        } catch {
          // not a log line
        }
      }
    }
    for (const id of await newDevice.client.call<string[]>('getAccountList')) await newDevice.client.call('removeAccount', id);
    if (process.env.BENCH_TRACE_ALL || round === rounds - 1) {
      console.log(`-- round ${round + 1} of ${rounds}`);
      for (const [at, text] of lines.sort((a, b) => a[0] - b[0])) console.log(`${at.toFixed(1).padStart(8)}  ${text}`);
    }
  }
} finally {
  await stopSide(oldDevice);
  await stopSide(newDevice);
  await network.stop();
}
