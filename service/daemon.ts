// Wires the daemon together: bus -> name -> accounts -> DHT node -> link transport -> link operations
// -> the exported ConfigurationManager object, and takes it apart again in reverse order on stop.

import dbus from 'dbus-next';
import type { Logger } from 'pino';
import { AccountStore } from './accounts/account-store.js';
import { connectBus, type BusConnection } from './dbus/bus-connection.js';
import { configurationManager } from './dbus/configuration-manager.js';
import { ExportedObject } from './dbus/exported-object.js';
import { CONFIGURATION_MANAGER_XML, INSTANCE_XML, loadInterfaceXml } from './dbus/interface-description.js';
import { instance } from './dbus/instance.js';
import { RegistrationStates } from './dbus/registration-states.js';
import { SignalAudience } from './dbus/signal-audience.js';
import { systemClock } from './contract/clock.js';
import { DhtNode } from './dht/dht-node.js';
import { LinkOperations } from './linking/link-operations.js';
import type { LinkTransportOptions } from './transport/create-link-transport.js';
import { deferredTransport } from './deferred-transport.js';
import { parseIceServers, redact } from './transport/webrtc/ice-servers.js';
import { turnDetailsOf } from './dbus/account-template.js';
import { INSTANCE_INTERFACE, INSTANCE_PATH, INTERFACE_NAME, OBJECT_PATH, type DaemonConfig } from './config.js';
import { callerCheckFor } from './dbus/caller-check.js';
import { AbandonedOperations } from './dbus/abandoned-operations.js';
import { traced, tracedSignaling, tracingWanted } from './link-trace.js';

export class NameTakenError extends Error {}

export interface Daemon {
  readonly connection: BusConnection;
  readonly dht: DhtNode;
  readonly accounts: AccountStore;
  stop(): Promise<void>;
}

const { RequestNameReply } = dbus;
const DO_NOT_QUEUE = 4;

export async function startDaemon(config: DaemonConfig, logger: Logger): Promise<Daemon> {
  const description = await loadInterfaceXml(CONFIGURATION_MANAGER_XML, INTERFACE_NAME);
  const instanceDescription = await loadInterfaceXml(INSTANCE_XML, INSTANCE_INTERFACE);
  const accounts = await AccountStore.open(config.dataDir, { keyBits: config.keyBits, maxPendingLinks: config.maxPendingImports, logger });
  const connection = await connectBus(config.bus);
  const cleanups: Array<() => Promise<void> | void> = [() => connection.close()];
  const undo = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    if (connection.kind === 'private') {
      logger.info({ address: connection.address }, 'no session bus: started a private dbus-daemon');
    }
    const dht = await DhtNode.start({
      port: config.dhtPort,
      bootstrap: config.bootstrap,
      peerDiscovery: config.peerDiscovery,
      bindAddress: config.dhtBind,
      dhtLog: config.dhtLog,
      logger,
    });
    cleanups.push(() => dht.stop());

    // JAMI_LINKD_TRACE=1: every DHT round and slow accounts call of a link gets a timed debug line.
    const tracing = tracingWanted();
    const trace = <T>(step: string, work: () => Promise<T>): Promise<T> => (tracing ? traced(logger, step, {}, work) : work());
    const transportOptions: LinkTransportOptions = {
      signaling: tracing ? tracedSignaling(dht, logger) : dht,
      iceServers: config.iceServers,
      bindAddress: config.iceBind,
      idleTimeoutMs: config.peerTimeoutMs,
      heartbeatMs: Math.max(250, config.peerTimeoutMs / 4),
      signalingTimeoutMs: config.signalingTimeoutMs,
      logger,
    };
    // Loaded by the first link (see deferred-transport.ts); the options were checked when the config was read.
    const transport = deferredTransport(async () => {
      try {
        const { createLinkTransport, shutdownTransport } = await import('./transport/create-link-transport.js');
        return { transport: createLinkTransport(transportOptions), shutdown: shutdownTransport };
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'the link transport could not be loaded');
        throw err;
      }
    });
    let object: ExportedObject | undefined;
    const links = new LinkOperations({
      transport,
      logger,
      timeoutMs: config.linkTimeoutMs,
      tokenLifetimeMs: config.tokenLifetimeMs,
      exportAccounts: {
        exists: (id) => accounts.exists(id),
        hasPassword: (id) => accounts.hasPassword(id),
        credentials: (id) =>
          trace('device credentials read', async () => {
            const { chainPem, keyPem } = await accounts.deviceCredentials(id);
            return { certificateChainPem: chainPem, devicePrivateKeyPem: keyPem };
          }),
        openArchive: (id, password) => trace('archive opened', () => accounts.openArchive(id, password)),
        recordDevice: async (id, chainPem) => {
          if (!(await accounts.addKnownDevice(id, chainPem))) logger.warn({ accountId: id }, 'the new device\'s certificate does not prove a device of the account');
        },
      },
      importAccounts: {
        storeLinkedAccount: (id, archive, password, exporter) =>
          trace('account stored', () => accounts.storeLinked(id, archive, password, { jamiId: exporter.accountId, exporterChainPem: exporter.chainPem })),
        prepareSealingKey: (id, password) => accounts.prepareSealingKey(id, password),
        beginReceiving: (id) => accounts.beginReceiving(id),
        // Every failed import ends here, before its DONE: what it stored and its device key are gone; the
        // account stays listed, holding nothing, until its client removes it (as jamid leaves it).
        discard: (id) => accounts.abandonLink(id),
      },
      signals: {
        deviceAuthStateChanged: (accountId, state, details) =>
          object?.emitSignal('deviceAuthStateChanged', accountId, state, details),
        addDeviceStateChanged: (accountId, opId, state, details) =>
          object?.emitSignal('addDeviceStateChanged', accountId, opId, state, details),
      },
    });
    cleanups.push(() => links.shutdown());

    const abandoned = new AbandonedOperations(connection.bus, links, config.abandonTimeoutMs, logger);
    await abandoned.start();
    cleanups.push(() => abandoned.stop());

    const registration = new RegistrationStates(accounts, () => dht.connected, {
      registrationStateChanged: (id, state, code, detail) => object?.emitSignal('registrationStateChanged', id, state, code, detail),
      volatileAccountDetailsChanged: (id, details) => object?.emitSignal('volatileAccountDetailsChanged', id, details),
    }, systemClock);
    registration.start();
    cleanups.push(() => registration.stop());

    // The session bus admits only its user; the system bus or a given address may admit anyone.
    const callerCheck = connection.kind === 'system' || connection.kind === 'address' ? callerCheckFor(connection.bus) : undefined;
    const audience = callerCheck === undefined ? undefined : new SignalAudience(connection.bus, callerCheck);
    if (audience !== undefined) {
      await audience.start();
      cleanups.push(() => audience.close());
    }
    object = new ExportedObject(
      connection.bus,
      OBJECT_PATH,
      description,
      configurationManager({
        accounts,
        links,
        registration,
        operationStarted: (client, operation) => abandoned.started(client, operation),
        registeredNameFound: (id, requestName, status, address, name) =>
          object?.emitSignal('registeredNameFound', id, requestName, status, address, name),
        turnDetails: turnDetailsOf(parseIceServers(config.iceServers).find((server) => server.relayType !== undefined)),
      }),
      logger,
      callerCheck,
      audience,
    );
    const exported = object;
    cleanups.push(() => exported.close());
    const instanceObject = new ExportedObject(connection.bus, INSTANCE_PATH, instanceDescription, instance(logger), logger, callerCheck, audience);
    cleanups.push(() => instanceObject.close());
    const accountSignals: Array<[string, (id?: unknown) => void]> = [
      ['changed', () => exported.emitSignal('accountsChanged')],
      ['devicesChanged', (id) => exported.emitSignal('knownDevicesChanged', id, accounts.knownDevices(id as string))],
    ];
    for (const [event, listener] of accountSignals) accounts.on(event, listener);
    cleanups.push(() => {
      for (const [event, listener] of accountSignals) accounts.off(event, listener);
    });

    const reply = await connection.bus.requestName(config.busName, DO_NOT_QUEUE);
    if (reply !== RequestNameReply.PRIMARY_OWNER && reply !== RequestNameReply.ALREADY_OWNER) {
      throw new NameTakenError(`the bus name ${config.busName} is already owned by another process (is jami-linkd or Jami already running?)`);
    }
    cleanups.push(async () => {
      // A bus that went away never answers: give the release a moment, not forever.
      const gone = new Promise<void>((resolve) => setTimeout(resolve, 1000).unref());
      await Promise.race([connection.bus.releaseName(config.busName).catch(() => undefined), gone]);
    });
    instanceObject.emitSignal('started');
    logger.info({ busName: config.busName, bus: connection.kind, dataDir: config.dataDir, dhtPort: dht.port, iceServers: config.iceServers.map(redact) }, 'jami-linkd ready');

    let stopping: Promise<void> | undefined;
    return {
      connection,
      dht,
      accounts,
      stop() {
        stopping ??= (async () => {
          await undo();
          transport.shutdown();
          logger.info('jami-linkd stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    await undo();
    throw error;
  }
}
