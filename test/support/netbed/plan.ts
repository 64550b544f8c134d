// The bed's topology as plain data: which namespaces, links and addresses a set of options means.
// Pure, so the address rules (documentation prefixes only, names that fit) are checked without root.

export type NatKind = 'none' | 'masquerade' | 'symmetric';
export type IpFamilies = 'dual' | 'ipv4' | 'ipv6';

/** One home network: a router and the devices on its LAN. */
export interface NetworkOptions {
  readonly name: string;
  /**
   * none: plain routing, no firewall (the devices are reachable from the wan);
   * masquerade: port-preserving NAT; symmetric: `masquerade fully-random`.
   * Both NATs drop unsolicited inbound as a home router does. IPv6 gets the same NAT as IPv4,
   * so a topology means the same thing on both families.
   */
  readonly nat: NatKind;
  readonly devices: readonly string[];
  /** Random loss on every packet the router forwards, each direction, in percent. */
  readonly lossPercent?: number;
}

export interface BedOptions {
  readonly families?: IpFamilies;
  readonly networks: readonly NetworkOptions[];
  /** Start Debian's dhtnode in the wan (default true). */
  readonly dht?: boolean;
  /** Start Debian's coturn in the wan (default true). */
  readonly turn?: boolean;
  /** Keep the temp dir with every process's output after destroy() (default false). */
  readonly keepLogs?: boolean;
}

export interface Addresses {
  readonly ipv4?: string;
  readonly ipv6?: string;
}

export interface WanPlan {
  readonly namespace: string;
  /** The wan host itself: where test listeners in the wan bind. */
  readonly host: Addresses;
  readonly dht: Addresses;
  readonly turn: Addresses;
  /** Owned by the wan, which drops everything sent to it: a STUN/TURN server that never answers. */
  readonly dead: Addresses;
}

export interface RouterPlan {
  readonly network: string;
  readonly namespace: string;
  readonly nat: NatKind;
  readonly lossPercent: number;
  /** Its address on the wan: what a NATed device's packets carry as source. */
  readonly wan: Addresses;
  /** Its address on the LAN: the devices' gateway. */
  readonly lan: Addresses;
  readonly lanPrefix: Addresses;
  /** The router's bridge port toward the wan bridge, an interface in the wan namespace. */
  readonly wanPort: string;
}

export interface DevicePlan {
  readonly name: string;
  readonly network: string;
  readonly namespace: string;
  readonly address: Addresses;
  readonly gateway: Addresses;
  /** The device's port on its router's LAN bridge, an interface in the router namespace. */
  readonly lanPort: string;
}

export interface BedPlan {
  readonly runId: string;
  readonly families: IpFamilies;
  readonly wan: WanPlan;
  readonly routers: readonly RouterPlan[];
  readonly devices: readonly DevicePlan[];
}

/** Interface names inside the namespaces (each namespace has its own, so they repeat freely). */
export const INTERFACES = { wanBridge: 'br0', wanSink: 'sink0', wanSinkPeer: 'sink1', routerWan: 'wan0', routerLan: 'lan0', device: 'eth0' } as const;
/** IFNAMSIZ - 1: the kernel's limit on an interface name. */
export const MAX_INTERFACE_NAME = 15;
export const WAN_PREFIX = { ipv4: '198.18.0.0/24', ipv6: '2001:db8::/64' } as const;
const MAX_NETWORKS = 200;
const MAX_DEVICES_PER_NETWORK = 200;
const NAME = /^[a-z][a-z0-9]{0,11}$/;

export function planBed(runId: string, options: BedOptions): BedPlan {
  const families = options.families ?? 'dual';
  const v4 = families !== 'ipv6';
  const v6 = families !== 'ipv4';
  // Host part n on the wan: 198.18.0.n and 2001:db8::n (n written in decimal digits, read as hex).
  const wanAddress = (n: number): Addresses => ({
    ipv4: v4 ? `198.18.0.${n}` : undefined,
    ipv6: v6 ? `2001:db8::${n}` : undefined,
  });
  if (options.networks.length === 0 || options.networks.length > MAX_NETWORKS) {
    throw new Error(`a bed has 1 to ${MAX_NETWORKS} networks (got ${options.networks.length})`);
  }
  // Networks and devices name different namespaces (router-X, device-X): each kind is unique on its own.
  const seen = { network: new Set<string>(), device: new Set<string>() };
  const claim = (name: string, what: 'network' | 'device') => {
    if (!NAME.test(name)) throw new Error(`${what} name ${JSON.stringify(name)} must match ${NAME}`);
    if (seen[what].has(name)) throw new Error(`${what} name ${name} is used twice`);
    seen[what].add(name);
  };
  const routers: RouterPlan[] = [];
  const devices: DevicePlan[] = [];
  options.networks.forEach((network, index) => {
    claim(network.name, 'network');
    const n = index + 1;
    const loss = network.lossPercent ?? 0;
    if (!(loss >= 0 && loss < 100)) throw new Error(`network ${network.name}: lossPercent ${loss} is not in [0, 100)`);
    if (network.devices.length === 0 || network.devices.length > MAX_DEVICES_PER_NETWORK) {
      throw new Error(`network ${network.name} has 1 to ${MAX_DEVICES_PER_NETWORK} devices`);
    }
    const lan = (host: number): Addresses => ({
      ipv4: v4 ? `198.19.${n}.${host}` : undefined,
      ipv6: v6 ? `2001:db8:0:${n}::${host}` : undefined,
    });
    const router: RouterPlan = {
      network: network.name,
      namespace: `${runId}-router-${network.name}`,
      nat: network.nat,
      lossPercent: loss,
      wan: wanAddress(10 + index),
      lan: lan(1),
      lanPrefix: { ipv4: v4 ? `198.19.${n}.0/24` : undefined, ipv6: v6 ? `2001:db8:0:${n}::/64` : undefined },
      wanPort: `r${n}`,
    };
    routers.push(router);
    network.devices.forEach((device, position) => {
      claim(device, 'device');
      devices.push({
        name: device,
        network: network.name,
        namespace: `${runId}-device-${device}`,
        address: lan(2 + position),
        gateway: router.lan,
        lanPort: `d${position + 1}`,
      });
    });
  });
  return {
    runId,
    families,
    wan: { namespace: `${runId}-wan`, host: wanAddress(1), dht: wanAddress(2), turn: wanAddress(3), dead: wanAddress(4) },
    routers,
    devices,
  };
}

/** "198.18.0.2:4222" or "[2001:db8::2]:4222". */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
