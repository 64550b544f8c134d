// Wires the daemon together: bus -> name -> accounts -> DHT node -> link transport -> link operations
// -> the exported ConfigurationManager object, and takes it apart again in reverse order on stop.

import dbus from 'dbus-next';
import type { Logger } from 'pino';
import { AccountStore } from './accounts/account-store.js';
import { connectBus, type BusConnection } from './dbus/bus-connection.js';
import { configurationManager } from './dbus/configuration-manager.js';
import { ExportedObject } from './dbus/exported-object.js';
import { CONFIGURATION_MANAGER_XML, loadInterfaceXml } from './dbus/interface-description.js';
import { DhtNode } from './dht/dht-node.js';
import { LinkOperations } from './linking/link-operations.js';
import { createLinkTransport, shutdownTransport } from './transport/create-link-transport.js';
import { INTERFACE_NAME, OBJECT_PATH, type DaemonConfig } from './config.js';
import { callerCheckFor } from './dbus/caller-check.js';
import { AbandonedOperations } from './dbus/abandoned-operations.js';

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
  const accounts = await AccountStore.open(config.dataDir, { keyBits: config.keyBits, logger });
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
      bindIPv4: config.dhtBind,
      logger,
    });
    cleanups.push(() => dht.stop());

    const transport = createLinkTransport({
      signaling: dht,
      iceServers: config.iceServers,
      bindAddress: config.iceBind,
      idleTimeoutMs: config.peerTimeoutMs,
      heartbeatMs: Math.max(250, config.peerTimeoutMs / 4),
      signalingTimeoutMs: config.signalingTimeoutMs,
      logger,
    });
    let object: ExportedObject | undefined;
    const links = new LinkOperations({
      transport,
      logger,
      timeoutMs: config.linkTimeoutMs,
      exportAccounts: {
        exists: (id) => accounts.exists(id),
        hasPassword: (id) => accounts.hasPassword(id),
        credentials: async (id) => {
          const { chainPem, keyPem } = await accounts.deviceCredentials(id);
          return { certificateChainPem: chainPem, devicePrivateKeyPem: keyPem };
        },
        openArchive: (id, password) => accounts.openArchive(id, password),
      },
      importAccounts: {
        storeLinkedAccount: (id, archive, password) => accounts.storeLinked(id, archive, password),
        // Every failed import ends here, before its DONE: the pending account is forgotten, or the stored
        // one deleted, so a failed import leaves nothing behind, not even in the account list.
        discard: async (id) => {
          await accounts.remove(id);
        },
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

    object = new ExportedObject(
      connection.bus,
      OBJECT_PATH,
      description,
      configurationManager({
        accounts,
        links,
        registrationStatus: () => (dht.connected ? 'REGISTERED' : 'TRYING'),
        operationStarted: (client, operation) => abandoned.started(client, operation),
      }),
      logger,
      // The session bus admits only its user; the system bus or a given address may admit anyone.
      connection.kind === 'system' || connection.kind === 'address' ? callerCheckFor(connection.bus) : undefined,
    );
    const exported = object;
    cleanups.push(() => exported.close());
    const onAccountsChanged = () => exported.emitSignal('accountsChanged');
    accounts.on('changed', onAccountsChanged);
    cleanups.push(() => {
      accounts.off('changed', onAccountsChanged);
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
    logger.info({ busName: config.busName, bus: connection.kind, dataDir: config.dataDir, dhtPort: dht.port }, 'jami-linkd ready');

    let stopping: Promise<void> | undefined;
    return {
      connection,
      dht,
      accounts,
      stop() {
        stopping ??= (async () => {
          await undo();
          shutdownTransport();
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
