// npm run bench: every benchmark in turn (BENCH_ONLY=wormhole|trace|link|daemon|dht|scale picks one). wormhole is the
// side-by-side table of issue 14 (bench/side-by-side.ts; root: it may apt-get magic-wormhole, and makes a netns).

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchDaemonStart } from './daemon-start.js';
import { benchLink } from './link.js';
import { benchDhtScale } from './dht-scale.js';
import { benchSideBySide } from './side-by-side.js';
import { benchLinkTrace } from './link-trace.js';
import { removeTempFiles } from '../test/support/daemon-process.js';

const only = process.env.BENCH_ONLY;

if (!only || only === 'wormhole') await benchSideBySide();
if (!only || only === 'trace') await benchLinkTrace();
if (!only || only === 'daemon') await benchDaemonStart();
if (!only || only === 'link') await benchLink();
if (!only || only === 'scale') await benchDhtScale();
if (!only || only === 'dht') {
  const dhtBench = fileURLToPath(new URL('../../packages/opendht-node/dist/bench/dht-bench.js', import.meta.url));
  if (existsSync(dhtBench)) {
    console.log('\n== opendht-node vs python3-opendht ==');
    spawnSync(process.execPath, [dhtBench], { stdio: 'inherit' });
  }
}

// What the benchmarks' daemons and files left (data directories, backups, the daemons' log file): 22 directories
// and a log file after one side-by-side run.
removeTempFiles();
// libdatachannel's threads (the floors' bare peer connections) would keep the process alive after the last figure.
process.exit(0);
