// The network test bed: a wan namespace (bridge, dhtnode, coturn, a dead server address), per home
// network a router namespace with nftables NAT, and the device namespaces behind it. Every name
// carries the run id; destroy() (or the exit hook, or the next run's sweep) removes all of it.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BedProcess, type SpawnOptions } from './bed-process.js';
import { execIn, HostCommandError, runHostCommand } from './host-command.js';
import { deleteNamespace, deleteNamespaceSync, sweepStaleNamespaces } from './namespaces.js';
import { routerRuleset, wanRuleset } from './nft-rules.js';
import { INTERFACES, planBed, type BedOptions, type BedPlan, type DevicePlan, type RouterPlan, type WanPlan } from './plan.js';
import { newRunId } from './run-id.js';
import { startCoturn, startDhtNode, type DhtService, type TurnService } from './wan-services.js';

export type LossMechanism = 'netem' | 'nftables';

export interface RouterSide extends RouterPlan {
  /** How the router's loss is made: tc netem where the kernel has it, else nftables numgen. */
  readonly lossBy?: LossMechanism;
}

export interface WanSide extends WanPlan {
  readonly dhtNode?: DhtService;
  readonly turnServer?: TurnService;
}

const IPV6_QUIET = ['net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0'];
const FORWARDING = ['net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1'];
/**
 * Where br_netfilter is loaded, bridged frames would cross the IP hooks: a router's firewall and
 * loss would then act on traffic between two devices of one LAN. Absent keys (no module) are fine.
 */
const BRIDGES_BYPASS_NFTABLES = [
  'net.bridge.bridge-nf-call-iptables=0',
  'net.bridge.bridge-nf-call-ip6tables=0',
  'net.bridge.bridge-nf-call-arptables=0',
];

/** Beds not yet destroyed, for the exit hook. */
const liveBeds = new Set<NetBed>();
let exitHookInstalled = false;
let sweep: Promise<string[]> | undefined;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const bed of liveBeds) bed.destroySync();
  });
}

/** One `ip -n NAMESPACE -batch -` run: many link and address commands for one process start. */
async function ipBatch(namespace: string, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  await runHostCommand('ip', ['-n', namespace, '-batch', '-'], { input: `${lines.join('\n')}\n` });
}

function addressLines(
  device: string,
  address: { ipv4?: string; ipv6?: string },
  v4Length: number,
  v6Length: number,
  v6Flags = '',
): string[] {
  return [
    ...(address.ipv4 ? [`address add ${address.ipv4}/${v4Length} dev ${device}`] : []),
    ...(address.ipv6 ? [`address add ${address.ipv6}/${v6Length} dev ${device} nodad${v6Flags}`] : []),
  ];
}

function defaultRouteLines(gateway: { ipv4?: string; ipv6?: string }): string[] {
  return [
    ...(gateway.ipv4 ? [`route add default via ${gateway.ipv4}`] : []),
    ...(gateway.ipv6 ? [`route add ::/0 via ${gateway.ipv6}`] : []),
  ];
}

/**
 * The wan's default route, as the Internet has one: packets to addresses nobody routes (a NATed
 * LAN's private prefix, a host candidate seen in an SDP) leave on a veth whose peer is down and
 * vanish. Without it a send fails at once with ENETUNREACH, and coturn closes a whole allocation
 * when relaying to such an address fails that way (so TURN never worked behind the bed's NATs).
 * The gateways are fixed neighbours: nothing is asked, nothing answers.
 */
function sinkRouteLines(wan: WanPlan): string[] {
  const { wanSink: sink, wanSinkPeer: peer } = INTERFACES;
  return [
    `link add ${sink} type veth peer name ${peer}`,
    `link set ${sink} up`,
    ...(wan.host.ipv4
      ? [`neigh add ${SINK_GATEWAY.ipv4} lladdr ${SINK_GATEWAY.mac} dev ${sink} nud permanent`, `route add default via ${SINK_GATEWAY.ipv4} dev ${sink} onlink`]
      : []),
    ...(wan.host.ipv6
      ? [`neigh add ${SINK_GATEWAY.ipv6} lladdr ${SINK_GATEWAY.mac} dev ${sink} nud permanent`, `route add ::/0 via ${SINK_GATEWAY.ipv6} dev ${sink} onlink`]
      : []),
  ];
}

/** Inside the documentation prefix, outside every address the plan hands out. */
const SINK_GATEWAY = { ipv4: '198.18.255.254', ipv6: '2001:db8:ffff::fe', mac: '02:00:00:00:00:fe' } as const;

export class NetBed {
  readonly runId: string;
  readonly plan: BedPlan;
  readonly logDir: string;
  readonly #keepLogs: boolean;
  readonly #namespaces: string[] = [];
  readonly #processes: BedProcess[] = [];
  readonly #routers = new Map<string, RouterSide>();
  #wan: WanSide;
  #destroyed: Promise<void> | undefined;

  private constructor(options: BedOptions) {
    this.runId = newRunId();
    this.plan = planBed(this.runId, options);
    this.#wan = this.plan.wan;
    this.#keepLogs = options.keepLogs ?? false;
    this.logDir = mkdtempSync(path.join(os.tmpdir(), `${this.runId}-`));
  }

  /** Builds the bed; on any failure it tears down what it built and rethrows. */
  static async create(options: BedOptions): Promise<NetBed> {
    sweep ??= sweepStaleNamespaces();
    await sweep;
    const bed = new NetBed(options);
    installExitHook();
    liveBeds.add(bed);
    try {
      await bed.#build(options);
      return bed;
    } catch (error) {
      await bed.destroy();
      throw error;
    }
  }

  get wan(): WanSide {
    return this.#wan;
  }

  get namespaces(): readonly string[] {
    return [...this.#namespaces];
  }

  get processes(): readonly BedProcess[] {
    return [...this.#processes];
  }

  device(name: string): DevicePlan {
    const device = this.plan.devices.find((d) => d.name === name);
    if (!device) throw new Error(`no device ${name} in this bed`);
    return device;
  }

  router(network: string): RouterSide {
    const router = this.#routers.get(network);
    if (!router) throw new Error(`no network ${network} in this bed`);
    return router;
  }

  /** The router in front of a device. */
  routerOf(device: string): RouterSide {
    return this.router(this.device(device).network);
  }

  /** Starts `command` inside one of the bed's namespaces (`ip netns exec`); destroy() stops it. */
  spawn(namespace: string, command: string, args: readonly string[] = [], options: SpawnOptions = {}): BedProcess {
    if (this.#destroyed) throw new Error(`bed ${this.runId} is destroyed`);
    if (!this.#namespaces.includes(namespace)) throw new Error(`${namespace} is not a namespace of bed ${this.runId}`);
    const child = new BedProcess(namespace, command, args, this.logDir, this.#processes.length + 1, options);
    this.#processes.push(child);
    return child;
  }

  /** Stops every process by pid, deletes every namespace by name; safe to call again. */
  destroy(): Promise<void> {
    this.#destroyed ??= this.#teardown();
    return this.#destroyed;
  }

  /** destroy() for the exit hook: no awaiting, SIGKILL at once. */
  destroySync(): void {
    for (const child of this.#processes) if (child.running) child.child.kill('SIGKILL');
    for (const namespace of [...this.#namespaces].reverse()) deleteNamespaceSync(namespace);
    this.#namespaces.length = 0;
    if (!this.#keepLogs) rmSync(this.logDir, { recursive: true, force: true });
    liveBeds.delete(this);
  }

  async #teardown(): Promise<void> {
    await Promise.all(this.#processes.map((child) => child.stop()));
    // Devices first, then routers, then the wan: each namespace's links vanish with it.
    for (const namespace of [...this.#namespaces].reverse()) await deleteNamespace(namespace);
    this.#namespaces.length = 0;
    if (!this.#keepLogs) rmSync(this.logDir, { recursive: true, force: true });
    liveBeds.delete(this);
  }

  async #addNamespace(namespace: string, sysctls: readonly string[]): Promise<void> {
    await runHostCommand('ip', ['netns', 'add', namespace]);
    this.#namespaces.push(namespace);
    // Before any link exists, so addresses are usable at once (no duplicate detection to wait for).
    await execIn(namespace, 'sysctl', ['-qw', ...IPV6_QUIET, ...sysctls]);
    await execIn(namespace, 'sysctl', ['-qwe', ...BRIDGES_BYPASS_NFTABLES]);
    await ipBatch(namespace, ['link set lo up']);
  }

  async #build(options: BedOptions): Promise<void> {
    const { wan, routers, devices } = this.plan;
    await this.#buildWan(wan);
    for (const router of routers) this.#routers.set(router.network, await this.#buildRouter(router, wan));
    for (const device of devices) await this.#buildDevice(device, this.router(device.network));
    const spawnInWan = (command: string, args: readonly string[], spawnOptions?: SpawnOptions) =>
      this.spawn(wan.namespace, command, args, spawnOptions);
    const [dhtNode, turnServer] = await Promise.all([
      options.dht === false ? undefined : startDhtNode(spawnInWan, wan.dht),
      options.turn === false ? undefined : startCoturn(spawnInWan, wan.turn, this.logDir),
    ]);
    this.#wan = { ...wan, dhtNode, turnServer };
  }

  async #buildWan(wan: WanPlan): Promise<void> {
    await this.#addNamespace(wan.namespace, FORWARDING);
    const bridge = INTERFACES.wanBridge;
    await ipBatch(wan.namespace, [
      // A fixed address: a bridge otherwise takes its lowest port's, changing under cached neighbours.
      `link add ${bridge} address 02:00:00:00:00:01 type bridge`,
      `link set ${bridge} up`,
      // The DHT address goes first and alone stays preferred for IPv6: dhtnode binds the wildcard,
      // so its replies carry the wan's default source, which must be the address devices asked.
      ...addressLines(bridge, wan.dht, 24, 64),
      ...[wan.host, wan.turn, wan.dead].flatMap((a) => addressLines(bridge, a, 24, 64, ' preferred_lft 0')),
    ]);
    await execIn(wan.namespace, 'nft', ['-f', '-'], { input: wanRuleset(wan.dead) });
    await ipBatch(wan.namespace, sinkRouteLines(wan));
  }

  async #buildRouter(router: RouterPlan, wan: WanPlan): Promise<RouterSide> {
    const { routerWan, routerLan, wanBridge } = INTERFACES;
    await this.#addNamespace(router.namespace, FORWARDING);
    // Both veth ends are born inside bed namespaces: nothing appears in the root namespace.
    await ipBatch(router.namespace, [
      `link add ${routerWan} type veth peer name ${router.wanPort} netns ${wan.namespace}`,
      `link set ${routerWan} up`,
      ...addressLines(routerWan, router.wan, 24, 64),
      `link add ${routerLan} address 02:00:00:00:01:01 type bridge`,
      `link set ${routerLan} up`,
      ...addressLines(routerLan, router.lan, 24, 64),
      ...defaultRouteLines(wan.host),
    ]);
    const wanLines = [`link set ${router.wanPort} master ${wanBridge} up`];
    if (router.nat === 'none') {
      // A network without NAT is routed: the wan knows the way to its LAN.
      if (router.lanPrefix.ipv4) wanLines.push(`route add ${router.lanPrefix.ipv4} via ${router.wan.ipv4}`);
      if (router.lanPrefix.ipv6) wanLines.push(`route add ${router.lanPrefix.ipv6} via ${router.wan.ipv6}`);
    }
    await ipBatch(wan.namespace, wanLines);
    let lossBy: LossMechanism | undefined;
    if (router.lossPercent > 0) lossBy = (await this.#tryNetem(router)) ? 'netem' : 'nftables';
    const ruleset = routerRuleset(router.nat, lossBy === 'nftables' ? router.lossPercent : 0);
    if (ruleset) await execIn(router.namespace, 'nft', ['-f', '-'], { input: ruleset });
    return { ...router, lossBy };
  }

  /** netem on both of the router's egresses (it shapes only outgoing packets); false if the kernel has none. */
  async #tryNetem(router: RouterPlan): Promise<boolean> {
    for (const device of [INTERFACES.routerWan, INTERFACES.routerLan]) {
      try {
        await execIn(router.namespace, 'tc', ['qdisc', 'add', 'dev', device, 'root', 'netem', 'loss', `${router.lossPercent}%`]);
      } catch (error) {
        if (device === INTERFACES.routerWan && error instanceof HostCommandError) return false;
        throw error;
      }
    }
    return true;
  }

  async #buildDevice(device: DevicePlan, router: RouterSide): Promise<void> {
    const nic = INTERFACES.device;
    await this.#addNamespace(device.namespace, []);
    await ipBatch(device.namespace, [
      `link add ${nic} type veth peer name ${device.lanPort} netns ${router.namespace}`,
      `link set ${nic} up`,
      ...addressLines(nic, device.address, 24, 64),
      ...defaultRouteLines(device.gateway),
    ]);
    await ipBatch(router.namespace, [`link set ${device.lanPort} master ${INTERFACES.routerLan} up`]);
  }
}
