// The second half of `npm run build`: bundles tsc's output for the two commands into dist/app/, which is what
// package.json's bins, the systemd units and the tests run. Node 20's ES module loader costs a resolve, a read
// and a link per module; the daemon's start loads ~50 of ours, and the bundle took 9-18 ms off its fastest starts
// (README, Performance). A link loads the WebRTC transport as a chunk of its own, as the daemon always has (deferred).
// Libraries (node_modules, our OpenDHT binding) stay outside: they are loaded from where npm put them, as before.
//   node scripts/bundle.mjs
import { build } from 'esbuild';
import { chmodSync, copyFileSync, rmSync } from 'node:fs';

const OUT = 'dist/app';

rmSync(OUT, { recursive: true, force: true }); // chunk names carry a hash: last build's would stay
const result = await build({
  entryPoints: ['dist/bin/jami-linkd.js', 'dist/bin/jami-link.js'],
  outdir: OUT,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
// A warning here is a module the bundle may have changed the meaning of (import.meta, a dynamic require): stop.
if (result.warnings.length > 0) process.exit(1);
// The daemon's CommonJS entry (bin/jami-linkd.cts) imports './jami-linkd.js' beside it: here, the bundle.
copyFileSync('dist/bin/jami-linkd.cjs', `${OUT}/jami-linkd.cjs`);
copyFileSync('dist/bin/jami-linkd.cjs.map', `${OUT}/jami-linkd.cjs.map`);
chmodSync(`${OUT}/jami-linkd.cjs`, 0o755);
