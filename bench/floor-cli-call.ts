// The floor of `jami-link accounts`: what any client on the stack we build on pays before its own work — node,
// commander reading its arguments, dbus-next (loaded as jami-link loads it, service/dbus/lean-dbus.ts), one
// method call to the daemon, exit.
//   node dist/bench/floor-cli-call.js --bus BUS_ADDRESS

import { Command } from 'commander';
import { leanDbus } from '../service/dbus/lean-dbus.js';

const options = new Command().requiredOption('--bus <address>').parse(process.argv).opts<{ bus: string }>();
const dbus = leanDbus();
const bus = dbus.sessionBus({ busAddress: options.bus });
await bus.call(new dbus.Message({
  destination: 'cx.ring.Ring',
  path: '/cx/ring/Ring/ConfigurationManager',
  interface: 'cx.ring.Ring.ConfigurationManager',
  member: 'getAccountList',
}));
bus.disconnect();
