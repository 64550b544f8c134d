// The anchor of "daemon start -> bus name owned": a bare node process that connects to a bus with dbus-next and
// owns a name, nothing else. Stays until SIGTERM (so its idle RSS can be read), then releases the bus.
//   node dist/bench/bare-bus-name.js BUS_ADDRESS NAME [--with-stack]
// --with-stack: the daemon's floor; the libraries it is built on are loaded as the daemon loads them (commander,
// pino, our OpenDHT binding, then dbus-next without xml2js: service/dbus/lean-dbus.ts), and nothing else of ours.

import type dbusNext from 'dbus-next';

const [address, name, stack] = process.argv.slice(2);
let dbus: typeof dbusNext;
if (stack === '--with-stack') {
  await Promise.all([import('commander'), import('pino'), import('opendht-node')]);
  dbus = (await import('../service/dbus/lean-dbus.js')).leanDbus();
} else {
  dbus = (await import('dbus-next')).default;
}
const DO_NOT_QUEUE = 4;
const bus = dbus.sessionBus({ busAddress: address });
await bus.requestName(name, DO_NOT_QUEUE);
process.on('SIGTERM', () => {
  bus.disconnect();
  process.exit(0);
});
