// What the transport reads from an SDP: the DTLS certificate fingerprint the signatures vouch for, and its
// ICE candidates.

import type { CandidateType } from '../../contract/link-contract.js';

export interface DtlsFingerprint {
  /** Lowercase hash name, e.g. "sha-256". */
  readonly algorithm: string;
  /** Uppercase colon-separated hex, e.g. "AB:CD:...". */
  readonly value: string;
}

const FINGERPRINT_LINE = /^a=fingerprint:(\S+) ([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})+)\s*$/;

/** The one fingerprint of the SDP; undefined if none, or if its lines disagree. */
export function dtlsFingerprintOf(sdp: string): DtlsFingerprint | undefined {
  let found: DtlsFingerprint | undefined;
  for (const line of sdp.split(/\r?\n/)) {
    const match = FINGERPRINT_LINE.exec(line);
    if (match === null) continue;
    const next = { algorithm: match[1]!.toLowerCase(), value: match[2]!.toUpperCase() };
    if (found !== undefined && (found.algorithm !== next.algorithm || found.value !== next.value)) return undefined;
    found = next;
  }
  return found;
}

export function sameFingerprint(a: DtlsFingerprint, b: { algorithm: string; value: string }): boolean {
  return a.algorithm === b.algorithm.toLowerCase() && a.value === b.value.toUpperCase();
}

export interface RemoteCandidate {
  /** "candidate:..." as in the SDP, without "a=". */
  readonly candidate: string;
  readonly mid: string;
}

const CANDIDATE_LINE = /^a=(candidate:.*?)\s*$/;
const MID_LINE = /^a=mid:(\S+)\s*$/;

/** The ICE candidates of an SDP with the mid of their media section (default "0"). */
export function candidatesOf(sdp: string): RemoteCandidate[] {
  const found: RemoteCandidate[] = [];
  let mid = '0';
  let pending: string[] = [];
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) {
      found.push(...pending.map((candidate) => ({ candidate, mid })));
      pending = [];
      mid = '0';
    }
    const midMatch = MID_LINE.exec(line);
    if (midMatch !== null) mid = midMatch[1]!;
    const candidateMatch = CANDIDATE_LINE.exec(line);
    if (candidateMatch !== null) pending.push(candidateMatch[1]!);
  }
  found.push(...pending.map((candidate) => ({ candidate, mid })));
  return found;
}

const TYPE_FIELD = / typ (host|srflx|prflx|relay)(?: |$)/;

/** A candidate's type ("... typ srflx ..."), if it names one we know. */
export function candidateTypeOf(candidate: string): CandidateType | undefined {
  return TYPE_FIELD.exec(candidate)?.[1] as CandidateType | undefined;
}

/** A candidate line's connection address, unless it is an mDNS name (never resolved here) or malformed. */
function connectionOf(candidate: string): { readonly host: string; readonly port: number } | undefined {
  // candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...
  const fields = candidate.replace(/^a=/, '').split(' ');
  const host = fields[4];
  const port = Number(fields[5]);
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65535 || host.endsWith('.local')) return undefined;
  return { host, port };
}

/** "ip:port" ("[ip6]:port") of a candidate line's connection address. */
export function candidateAddressOf(candidate: string): string | undefined {
  const connection = connectionOf(candidate);
  if (connection === undefined) return undefined;
  const { host, port } = connection;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The bare IP of a candidate line's connection address. */
export function candidateHostOf(candidate: string): string | undefined {
  return connectionOf(candidate)?.host;
}

/** The bare IP of "ip:port" or "[ip6]:port" (candidateAddressOf's shape, and the selected pair's). */
export function hostOfAddress(address: string): string {
  return address.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
}

/** The SDP without its ICE candidates nor end-of-candidates: the ICE agent gets credentials but nobody to check. */
export function withoutCandidates(sdp: string): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  return sdp.split(/\r?\n/).filter((line) => !line.startsWith('a=candidate:') && !line.startsWith('a=end-of-candidates')).join(eol);
}
