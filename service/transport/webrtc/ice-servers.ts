// STUN/TURN server settings, validated once at start-up and turned into node-datachannel's IceServer objects
// (objects, not URL strings, so credentials holding ':' or '@' survive).

import type { IceServer } from 'node-datachannel';

/**
 * Either a URL — `stun:host[:port]`, `turn:[user:pass@]host[:port][?transport=udp]` (user/pass percent-encoded;
 * IPv6 hosts in brackets; `turns:` and `?transport=tcp` are read, then refused) — or the standard RTCIceServer
 * shape `{ urls, username, credential }` whose credentials apply to every TURN url.
 */
export type IceServerSpec = string | { readonly urls: string | readonly string[]; readonly username?: string; readonly credential?: string };

export class IceServerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IceServerConfigError';
  }
}

const URL_SHAPE = /^(stun|turn|turns):(?:([^@]*)@)?(\[[0-9A-Fa-f:.]+\]|[^:?@/[\]]+)(?::(\d{1,5}))?(?:\?transport=(udp|tcp))?$/;

function decode(part: string, url: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new IceServerConfigError(`bad percent-encoding in ICE server URL ${redact(url)}`);
  }
}

/** For logs and error messages: never repeat a password. */
export function redact(url: string): string {
  return url.replace(/:[^:@]*@/, ':***@');
}

/**
 * node-datachannel's ICE agent (libjuice) relays over UDP only: it skips TURN over TCP and TLS with a warning, so
 * such a server would silently do nothing. Refused here, where the URL is read, so every way in refuses it.
 */
const RELAYS_OVER_UDP_ONLY = 'TURN over TCP or TLS is not supported by the WebRTC stack (libjuice relays over UDP only)';

/** A STUN or TURN URL without a port means this one (RFC 7064, 7065). */
export const DEFAULT_ICE_PORT = 3478;

function parseUrl(url: string, username?: string, credential?: string): IceServer {
  const match = URL_SHAPE.exec(url);
  if (match === null) throw new IceServerConfigError(`unsupported ICE server URL ${redact(url)}`);
  const [, scheme, userInfo, rawHost, rawPort, transport] = match as unknown as [string, string, string | undefined, string, string | undefined, string | undefined];
  const hostname = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
  const port = rawPort === undefined ? DEFAULT_ICE_PORT : Number(rawPort);
  if (port < 1 || port > 65535) throw new IceServerConfigError(`bad port in ICE server URL ${redact(url)}`);
  if (scheme === 'turns' || transport === 'tcp') throw new IceServerConfigError(`${RELAYS_OVER_UDP_ONLY}: ${redact(url)}; use turn:USER:PASS@HOST:PORT`);
  if (scheme === 'stun') {
    if (userInfo !== undefined || transport !== undefined) throw new IceServerConfigError(`a STUN URL takes no credentials nor transport: ${redact(url)}`);
    return { hostname, port };
  }
  let user = username;
  let pass = credential;
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    if (colon < 0) throw new IceServerConfigError(`a TURN URL's credentials are user:pass@ (${redact(url)})`);
    user = decode(userInfo.slice(0, colon), url);
    pass = decode(userInfo.slice(colon + 1), url);
  }
  if (!user || pass === undefined) throw new IceServerConfigError(`a TURN server needs a username and a password: ${redact(url)}`);
  return { hostname, port, username: user, password: pass, relayType: 'TurnUdp' };
}

export function parseIceServers(specs: readonly IceServerSpec[]): IceServer[] {
  return specs.flatMap((spec) => {
    if (typeof spec === 'string') return [parseUrl(spec)];
    const urls = typeof spec.urls === 'string' ? [spec.urls] : spec.urls;
    return urls.map((url) => parseUrl(url, spec.username, spec.credential));
  });
}
