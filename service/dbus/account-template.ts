// getAccountTemplate("RING"): the keys and defaults Jami's daemon starts a Jami account from (jami-daemon's
// JamiAccountConfig), because Jami's clients merge this map into every addAccount and read these keys back
// from getAccountDetails. Values are facts about Jami's defaults; jami-linkd keeps only what it uses.

import { DEFAULT_ICE_PORT } from '../transport/webrtc/ice-servers.js';

export const RING_ACCOUNT_TEMPLATE: Readonly<Record<string, string>> = {
  'Account.accountDiscovery': 'false',
  'Account.accountPublish': 'false',
  'Account.activeCallLimit': '-1',
  'Account.alias': '',
  'Account.allModeratorEnabled': 'true',
  'Account.allowCertFromContact': 'true',
  'Account.allowCertFromHistory': 'true',
  'Account.allowCertFromTrusted': 'true',
  'Account.archiveHasPassword': 'true',
  'Account.audioPortMax': '32766',
  'Account.audioPortMin': '16384',
  'Account.autoAnswer': 'false',
  'Account.defaultModerators': '',
  'Account.denySecondCall': 'false',
  'Account.deviceName': '',
  'Account.dhtPort': '0',
  'Account.dhtProxyListUrl': 'https://config.jami.net/proxyList',
  'Account.dhtProxyServerEnabled': 'false',
  'Account.dhtProxyServerPort': '42443',
  'Account.displayName': '',
  'Account.dtmfType': 'overrtp',
  'Account.enable': 'true',
  'Account.hostname': 'bootstrap.jami.net',
  'Account.localInterface': 'default',
  'Account.localModeratorsEnabled': 'true',
  'Account.mailbox': '',
  'Account.managerUri': '',
  'Account.managerUsername': '',
  'Account.peerDiscovery': 'false',
  'Account.presenceSubscribeSupported': 'true',
  'Account.proxyEnabled': 'false',
  'Account.proxyListEnabled': 'true',
  'Account.proxyServer': 'dhtproxy.jami.net:[80-95]',
  'Account.publishedAddress': '',
  'Account.publishedSameAsLocal': 'true',
  'Account.rendezVous': 'false',
  'Account.ringtoneEnabled': 'true',
  'Account.ringtonePath': 'default.opus',
  'Account.sendComposing': 'true',
  'Account.sendReadReceipt': 'true',
  'Account.type': 'RING',
  'Account.uiCustomization': '',
  'Account.upnpEnabled': 'true',
  'Account.username': '',
  'Account.useragent': '',
  'Account.videoEnabled': 'true',
  'Account.videoPortMax': '65534',
  'Account.videoPortMin': '49152',
  'DHT.AllowFromTrusted': 'true',
  'DHT.PublicInCalls': 'false',
  'RingNS.uri': '',
  'TLS.certificateFile': '',
  'TLS.certificateListFile': '',
  'TLS.password': '',
  'TLS.privateKeyFile': '',
  'TURN.enable': 'true',
  'TURN.password': 'ring',
  'TURN.realm': 'ring',
  'TURN.server': 'turn.jami.net',
  'TURN.username': 'ring',
};

/** A TURN server as the account details name it (Jami's TURN.* keys). */
export interface TurnSetting {
  readonly hostname: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
}

/**
 * The TURN.* keys for the servers this daemon really uses (Jami's client shows and edits them): the first TURN
 * server, or TURN disabled. The realm is the server's to say (libjuice takes it from the server's challenge),
 * so it is the template's.
 */
export function turnDetailsOf(turn: TurnSetting | undefined): Record<string, string> {
  if (turn === undefined) return { 'TURN.enable': 'false', 'TURN.server': '', 'TURN.username': '', 'TURN.password': '' };
  const host = turn.hostname.includes(':') ? `[${turn.hostname}]` : turn.hostname;
  return {
    'TURN.enable': 'true',
    'TURN.server': turn.port === DEFAULT_ICE_PORT ? host : `${host}:${turn.port}`,
    'TURN.username': turn.username ?? '',
    'TURN.password': turn.password ?? '',
  };
}
