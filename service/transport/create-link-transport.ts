// The transport the daemon wires into the linking layer: DHT signaling (signed + sealed) and WebRTC data channels.

import nodeDataChannel from 'node-datachannel';
import type { AuthToken, ExportConnection, ExporterCredentials, ImportRendezvous, LinkTransport } from '../contract/link-contract.js';
import { openExportConnection } from './export-connection.js';
import { openImportRendezvous } from './import-rendezvous.js';
import { resolveTransportSettings, type LinkTransportOptions } from './transport-settings.js';
import { routeLibdatachannelLog } from './webrtc/ice-log.js';

export type { LinkTransportOptions } from './transport-settings.js';

/** Validates the options (throws RangeError/TypeError/IceServerConfigError) and returns the transport. */
export function createLinkTransport(options: LinkTransportOptions): LinkTransport {
  const settings = resolveTransportSettings(options);
  routeLibdatachannelLog(settings.logger);
  return {
    startImport: (): Promise<ImportRendezvous> => openImportRendezvous(settings),
    startExport: (token: AuthToken, credentials: ExporterCredentials): ExportConnection => openExportConnection(settings, token, credentials),
  };
}

/**
 * Releases libdatachannel's threads and sockets (node-datachannel's cleanup()). Call it when the process is about
 * to exit, after every rendezvous/connection was closed: without it Node does not exit. Any peer connection
 * still open is torn down. Calling it again is harmless, and a transport may still be used afterwards
 * (libdatachannel initialises itself again).
 */
export function shutdownTransport(): void {
  nodeDataChannel.cleanup();
}
