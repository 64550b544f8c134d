// What a script sees on the bus, as with jamid: the reply to a call comes before the signals the call
// caused (checked on the wire, on one connection), unknown members get UnknownMethod, and the private
// buses we start never activate another program for cx.ring.Ring (an installed Jami's jamid).

import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import dbus from 'dbus-next';
import { startPrivateBus } from '../../service/dbus/bus-connection.js';
import { TestClient } from '../support/client.js';
import { INTERFACE_NAME, OBJECT_PATH } from '../../service/config.js';
import { startDaemonProcess, tempDir, type RunningDaemon } from '../support/daemon-process.js';
import { startTestBus, stopChild, type PrivateBus } from '../support/private-bus.js';
import { withTimeout } from '../support/wait.js';

const { METHOD_RETURN, SIGNAL } = dbus.MessageType;
const A_TOKEN = `jami-auth://${'ab'.repeat(20)}/123456`;

/** Every message one connection receives, in arrival order. */
async function wireRecorder(address: string) {
  const bus = dbus.sessionBus({ busAddress: address });
  await bus.call(new dbus.Message({
    destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'AddMatch',
    signature: 's', body: [`type='signal',interface='${INTERFACE_NAME}'`],
  }));
  const arrived: dbus.Message[] = [];
  const news = new EventEmitter();
  bus.on('message', (message: dbus.Message) => {
    arrived.push(message);
    news.emit('message');
  });
  let serial = 1000;
  return {
    arrived,
    news,
    /** Sends a call without waiting for its reply; returns its serial. */
    send(member: string, signature: string, body: unknown[]): number {
      serial += 1;
      bus.send(new dbus.Message({ destination: 'cx.ring.Ring', path: OBJECT_PATH, interface: INTERFACE_NAME, member, signature, body, serial }));
      return serial;
    },
    async call(member: string, signature: string, body: unknown[]): Promise<unknown> {
      const reply = await bus.call(new dbus.Message({ destination: 'cx.ring.Ring', path: OBJECT_PATH, interface: INTERFACE_NAME, member, signature, body }));
      return reply?.body[0];
    },
    close: () => bus.disconnect(),
  };
}

/** The index of the first message `accept` takes, checked now and on each message that arrives. */
async function arrivalOf(wire: { arrived: dbus.Message[]; news: EventEmitter }, accept: (message: dbus.Message) => boolean, what: string): Promise<number> {
  let look = (): void => undefined;
  return withTimeout(new Promise<number>((resolve) => {
    look = () => {
      const index = wire.arrived.findIndex(accept);
      if (index >= 0) resolve(index);
    };
    wire.news.on('message', look);
    look();
  }), 15000, what).finally(() => wire.news.off('message', look));
}

describe('jami-linkd on the bus, as jamid behaves', () => {
  let bus: PrivateBus;
  let daemon: RunningDaemon;
  let owner: TestClient;

  before(async () => {
    bus = await startTestBus();
    daemon = await startDaemonProcess({ busAddress: bus.address });
    owner = await TestClient.connect(bus.address);
  });
  after(async () => {
    owner?.close();
    await daemon?.stop();
    await bus?.stop();
  });

  it('replies to addDevice before its addDeviceStateChanged(op, 2), and to cancelAddDevice before the DONE it causes', async () => {
    const wire = await wireRecorder(bus.address);
    try {
      const accountId = await owner.createAccount({ 'Account.alias': 'Order' });
      const addSerial = wire.send('addDevice', 'ss', [accountId, A_TOKEN]);
      const reply = await arrivalOf(wire, (m) => m.type === METHOD_RETURN && Number(m.replySerial) === addSerial, 'the addDevice reply');
      const opId = wire.arrived[reply]!.body[0] as number;
      assert.ok(opId > 0);
      const connecting = await arrivalOf(wire, (m) => m.type === SIGNAL && m.member === 'addDeviceStateChanged' && m.body[1] === opId && m.body[2] === 2, 'state 2');
      assert.ok(reply < connecting, 'the reply came after the signal it caused');

      const cancelSerial = wire.send('cancelAddDevice', 'su', [accountId, opId]);
      const cancelReply = await arrivalOf(wire, (m) => m.type === METHOD_RETURN && Number(m.replySerial) === cancelSerial, 'the cancelAddDevice reply');
      assert.equal(wire.arrived[cancelReply]!.body[0], true);
      const done = await arrivalOf(wire, (m) => m.type === SIGNAL && m.member === 'addDeviceStateChanged' && m.body[1] === opId && m.body[2] === 5, 'DONE');
      assert.ok(cancelReply < done, 'the reply came after the DONE it caused');
      assert.equal((wire.arrived[done]!.body[3] as Record<string, string>).error, 'canceled');
    } finally {
      wire.close();
    }
  });

  it('answers an unknown member of its interface with org.freedesktop.DBus.Error.UnknownMethod, and keeps serving', async () => {
    const wire = await wireRecorder(bus.address);
    try {
      await assert.rejects(wire.call('launchMissiles', '', []), (error: { type?: string }) => error.type === 'org.freedesktop.DBus.Error.UnknownMethod');
      assert.ok(Array.isArray(await wire.call('getAccountList', '', [])));
    } finally {
      wire.close();
    }
  });
});

describe('the private buses jami-linkd and its tests start', () => {
  it('activate nothing, even when an activation file for cx.ring.Ring is installed (as Debian\'s jami-daemon does)', async () => {
    // A session bus reads $XDG_DATA_HOME/dbus-1/services; put an activatable cx.ring.Ring there.
    const home = tempDir('activation-');
    const services = path.join(home, 'dbus-1', 'services');
    mkdirSync(services, { recursive: true });
    const marker = path.join(home, 'activated');
    const program = path.join(home, 'fake-jamid.sh');
    writeFileSync(program, `#!/bin/sh\ntouch '${marker}'\nexit 1\n`);
    chmodSync(program, 0o755);
    writeFileSync(path.join(services, 'cx.ring.Ring.service'), `[D-BUS Service]\nName=cx.ring.Ring\nExec=${program}\n`);

    const { address, daemon } = await startPrivateBus({ ...process.env, XDG_DATA_HOME: home });
    const client = dbus.sessionBus({ busAddress: address });
    try {
      await assert.rejects(
        client.call(new dbus.Message({ destination: 'cx.ring.Ring', path: OBJECT_PATH, interface: INTERFACE_NAME, member: 'getAccountList' })),
        (error: { type?: string }) => error.type === 'org.freedesktop.DBus.Error.ServiceUnknown',
      );
      assert.equal(existsSync(marker), false, 'the bus started the activation file\'s program');
    } finally {
      client.disconnect();
      await stopChild(daemon);
    }
  });
});
