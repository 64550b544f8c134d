// The anchor of "daemon start -> bus name owned": a bare node process that connects to a bus with dbus-next and
// owns a name, nothing else. Stays until SIGTERM (so its idle RSS can be read), then releases the bus.
//   node dist/bench/bare-bus-name.js BUS_ADDRESS NAME

import dbus from 'dbus-next';

const [address, name] = process.argv.slice(2);
const DO_NOT_QUEUE = 4;
const bus = dbus.sessionBus({ busAddress: address });
await bus.requestName(name, DO_NOT_QUEUE);
process.on('SIGTERM', () => {
  bus.disconnect();
  process.exit(0);
});
