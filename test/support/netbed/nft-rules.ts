// nftables rulesets for the bed, as text for `nft -f -`: a home router's NAT and firewall, random
// loss where the kernel has no netem, and the wan's dead server address.

import { INTERFACES, type Addresses, type NatKind } from './plan.js';

export const ROUTER_TABLE = 'netbed_router';
export const WAN_TABLE = 'netbed_wan';

/**
 * A router's ruleset. With a NAT: outbound from the LAN is masqueraded (fully-random for
 * symmetric: a new port per destination), inbound is forwarded only for connections the LAN
 * opened, and the router itself answers only ICMP (neighbour discovery needs it) and replies.
 */
export function routerRuleset(nat: NatKind, nftLossPercent: number): string {
  const { routerWan: wan, routerLan: lan } = INTERFACES;
  const chains: string[] = [];
  if (nat !== 'none') {
    const flags = nat === 'symmetric' ? ' fully-random' : '';
    chains.push(
      `chain postrouting { type nat hook postrouting priority srcnat; oifname "${wan}" masquerade${flags}; }`,
      [
        'chain forward { type filter hook forward priority filter; policy drop;',
        '  ct state established,related accept;',
        `  iifname "${lan}" oifname "${wan}" accept; }`,
      ].join('\n'),
      [
        'chain input { type filter hook input priority filter; policy drop;',
        '  ct state established,related accept;',
        `  iifname { "lo", "${lan}" } accept;`,
        '  meta l4proto { icmp, ipv6-icmp } accept; }',
      ].join('\n'),
    );
  }
  if (nftLossPercent > 0) {
    // Per mille, so 0.5% is expressible; before the filter so lost packets never count as seen.
    const perMille = Math.round(nftLossPercent * 10);
    chains.push(`chain loss { type filter hook forward priority filter - 10; numgen random mod 1000 < ${perMille} drop; }`);
  }
  return chains.length === 0 ? '' : `table inet ${ROUTER_TABLE} {\n${chains.join('\n')}\n}\n`;
}

/** The wan's ruleset: everything addressed to the dead server is dropped without an answer. */
export function wanRuleset(dead: Addresses): string {
  const drops = [dead.ipv4 && `ip daddr ${dead.ipv4} drop;`, dead.ipv6 && `ip6 daddr ${dead.ipv6} drop;`].filter(Boolean);
  return `table inet ${WAN_TABLE} {\nchain input { type filter hook input priority filter - 10;\n  ${drops.join('\n  ')} }\n}\n`;
}
