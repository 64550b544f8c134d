// The signed messages exchanged through the DHT before WebRTC connects (inside sealed envelopes):
// the exporter's offer and the importer's reply (answer or refusal). Pure encode/validate, no I/O.

import { createHash } from 'node:crypto';
import { CODE6, HEX40, SHA256_HEX } from '../../contract/patterns.js';

export const MAX_SIGNALING_VALUE_BYTES = 64 * 1024;
const MAX_SDP_LENGTH = 16 * 1024;
const MAX_CHAIN_LENGTH = 32 * 1024;
/** A session id: 16 random bytes chosen by the exporter, hex. */
export const SESSION_ID = /^[0-9a-f]{32}$/;
const RAW_KEY_B64URL = /^[A-Za-z0-9_-]{43}$/;

/** Exporter -> importer, signed by the device key (RSA), sealed to the importer's X25519 key. */
export interface OfferBody {
  readonly t: 'offer';
  readonly v: 1;
  /** The importer's id (the token's 40 hex): binds the offer to this rendezvous. */
  readonly to: string;
  /** 16 random bytes, hex: names this attempt (reply key, replay detection). */
  readonly session: string;
  /** The token's 6 digits. */
  readonly code: string;
  /** The exporter's X25519 public key (raw, base64url) the reply is sealed to. */
  readonly replyTo: string;
  /** Full SDP offer (ICE candidates + DTLS fingerprint). */
  readonly sdp: string;
  /** Device -> account [-> CA] certificates, PEM. */
  readonly chain: string;
  readonly ts: number;
}

/**
 * Exporter -> importer, signed by the device key, sealed like the offer: "I applied your answer, start your ICE
 * checks now". Until then the importer holds back the offer's candidates (see PROTOCOL.md).
 */
export interface ReadyBody {
  readonly t: 'ready';
  readonly v: 1;
  readonly to: string;
  readonly session: string;
  /** SHA-256 (hex) of the signed answer body applied. */
  readonly answer: string;
  readonly ts: number;
}

/** One ICE candidate as it travels: the SDP attribute's value ("candidate:...") and its media section. */
export interface CandidateEntry {
  readonly candidate: string;
  readonly mid: string;
}

/** Candidates per message, and a candidate's length: a few per interface and server, short lines. */
export const MAX_TRICKLED_CANDIDATES = 16;
const CANDIDATE_TEXT = /^candidate:[\x21-\x7e][\x20-\x7e]{0,511}$/;
const MID_TEXT = /^[A-Za-z0-9_.-]{1,32}$/;

/**
 * Exporter -> importer, signed by the device key, sealed like the offer: candidates gathered after the offer
 * was sent (a TURN relay, a slow STUN server). The importer treats them as the offer's own.
 */
export interface ExporterCandidatesBody {
  readonly t: 'candidates';
  readonly v: 1;
  readonly to: string;
  readonly session: string;
  readonly candidates: readonly CandidateEntry[];
  readonly ts: number;
}

/**
 * Exporter -> importer, signed by the device key, sealed like the offer: "I gave up on this session" (time-out,
 * failed connection), so an importer that accepted it ends now instead of at its own time-out.
 */
export interface GaveUpBody {
  readonly t: 'gave_up';
  readonly v: 1;
  readonly to: string;
  readonly session: string;
  readonly ts: number;
}

/**
 * Why the importer refused an offer. One neutral 'not_accepted' for every check that failed (code, chain,
 * signature, SDP), so a refusal tells a sender nothing about which part of its offer was right.
 */
export type RefusalReason = 'not_accepted' | 'in_use' | 'closed';
export const REFUSAL_REASONS: readonly RefusalReason[] = ['not_accepted', 'in_use', 'closed'];

interface ReplyCommon {
  readonly v: 1;
  /** The importer's id. */
  readonly from: string;
  readonly session: string;
  /** SHA-256 (hex) of the signed offer body this replies to. */
  readonly offer: string;
  readonly ts: number;
}

/** Importer -> exporter, signed by the temporary Ed25519 key, sealed to the offer's replyTo. */
export interface AnswerBody extends ReplyCommon {
  readonly t: 'answer';
  readonly sdp: string;
}

export interface RefusalBody extends ReplyCommon {
  readonly t: 'refused';
  readonly reason: RefusalReason;
}

/** Importer -> exporter, on the reply key: candidates gathered after the answer was sent. */
export interface ImporterCandidatesBody extends ReplyCommon {
  readonly t: 'candidates';
  readonly candidates: readonly CandidateEntry[];
}

export type ReplyBody = AnswerBody | RefusalBody | ImporterCandidatesBody;

/** The plaintext inside a sealed value: the body text exactly as signed, and the signature. */
export interface SignedMessage {
  readonly bodyText: string;
  readonly signature: Buffer;
}

export function encodeSignedMessage(message: SignedMessage): Buffer {
  return Buffer.from(JSON.stringify({ body: message.bodyText, sig: message.signature.toString('base64') }), 'utf8');
}

export function decodeSignedMessage(plaintext: Buffer): SignedMessage | undefined {
  const parsed = parseJsonObject(plaintext.toString('utf8'));
  if (parsed === undefined || typeof parsed.body !== 'string' || typeof parsed.sig !== 'string') return undefined;
  if (Object.keys(parsed).length !== 2 || !/^[A-Za-z0-9+/]+={0,2}$/.test(parsed.sig)) return undefined;
  return { bodyText: parsed.body, signature: Buffer.from(parsed.sig, 'base64') };
}

/** What a reply quotes to prove it answers exactly that offer (and 'ready', exactly that answer). */
export function offerDigest(bodyText: string): string {
  return createHash('sha256').update(bodyText, 'utf8').digest('hex');
}

/** The text of the importer's reply to an offer (`offerBodyText`, exactly as it was signed), as signed and sent. */
export function replyBodyText(
  from: string,
  offer: { readonly session: string; readonly bodyText: string },
  content: { t: 'answer'; sdp: string } | { t: 'refused'; reason: RefusalReason } | { t: 'candidates'; candidates: readonly CandidateEntry[] },
  ts: number,
): string {
  const common = { v: 1, from, session: offer.session, offer: offerDigest(offer.bodyText), ts } as const;
  // `t` first, the shared fields, then the content's own (the order every reply has had on the wire).
  const { t, ...own } = content;
  const body = { t, ...common, ...own } as ReplyBody;
  return JSON.stringify(body);
}

/** The text of the exporter's trickled candidates for one session, as signed and sent. */
export function exporterCandidatesText(to: string, session: string, candidates: readonly CandidateEntry[], ts: number): string {
  const body: ExporterCandidatesBody = { t: 'candidates', v: 1, to, session, candidates: candidates.map(({ candidate, mid }) => ({ candidate, mid })), ts };
  return JSON.stringify(body);
}

export function gaveUpText(to: string, session: string, ts: number): string {
  const body: GaveUpBody = { t: 'gave_up', v: 1, to, session, ts };
  return JSON.stringify(body);
}

/** What the importer's inbox receives (sealed to its temporary key): offers and, from the exporter it accepted, the rest. */
export type InboxBody = OfferBody | ReadyBody | ExporterCandidatesBody | GaveUpBody;

/** An inbox value's body, parsed once and checked by its `t`; undefined for anything else. */
export function parseInboxBody(text: string): InboxBody | undefined {
  const o = parseJsonObject(text);
  if (o === undefined || o.v !== 1 || !matches(o.to, HEX40) || !matches(o.session, SESSION_ID) || !isTimestamp(o.ts)) return undefined;
  switch (o.t) {
    case 'offer':
      return isOffer(o) ? (o as unknown as OfferBody) : undefined;
    case 'ready':
      return hasExactly(o, ['t', 'v', 'to', 'session', 'answer', 'ts']) && matches(o.answer, SHA256_HEX) ? (o as unknown as ReadyBody) : undefined;
    case 'candidates':
      return hasExactly(o, ['t', 'v', 'to', 'session', 'candidates', 'ts']) && isCandidateList(o.candidates) ? (o as unknown as ExporterCandidatesBody) : undefined;
    case 'gave_up':
      return hasExactly(o, ['t', 'v', 'to', 'session', 'ts']) ? (o as unknown as GaveUpBody) : undefined;
    default:
      return undefined;
  }
}

function isOffer(o: Record<string, unknown>): boolean {
  return hasExactly(o, ['t', 'v', 'to', 'session', 'code', 'replyTo', 'sdp', 'chain', 'ts'])
    && matches(o.code, CODE6) && matches(o.replyTo, RAW_KEY_B64URL)
    && isBoundedString(o.sdp, MAX_SDP_LENGTH) && isBoundedString(o.chain, MAX_CHAIN_LENGTH);
}

export function parseReplyBody(text: string): ReplyBody | undefined {
  const o = parseJsonObject(text);
  if (o === undefined || o.v !== 1) return undefined;
  if (!matches(o.from, HEX40) || !matches(o.session, SESSION_ID) || !matches(o.offer, SHA256_HEX) || !isTimestamp(o.ts)) return undefined;
  if (o.t === 'answer' && hasExactly(o, ['t', 'v', 'from', 'session', 'offer', 'sdp', 'ts']) && isBoundedString(o.sdp, MAX_SDP_LENGTH)) {
    return o as unknown as AnswerBody;
  }
  if (o.t === 'refused' && hasExactly(o, ['t', 'v', 'from', 'session', 'offer', 'reason', 'ts'])
    && REFUSAL_REASONS.includes(o.reason as RefusalReason)) {
    return o as unknown as RefusalBody;
  }
  if (o.t === 'candidates' && hasExactly(o, ['t', 'v', 'from', 'session', 'offer', 'candidates', 'ts']) && isCandidateList(o.candidates)) {
    return o as unknown as ImporterCandidatesBody;
  }
  return undefined;
}

function isCandidateList(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0 && value.length <= MAX_TRICKLED_CANDIDATES && value.every((entry: unknown) =>
    typeof entry === 'object' && entry !== null && !Array.isArray(entry) && hasExactly(entry as Record<string, unknown>, ['candidate', 'mid'])
    && matches((entry as Record<string, unknown>).candidate, CANDIDATE_TEXT) && matches((entry as Record<string, unknown>).mid, MID_TEXT));
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function hasExactly(o: Record<string, unknown>, keys: readonly string[]): boolean {
  const present = Object.keys(o);
  return present.length === keys.length && keys.every((key) => Object.hasOwn(o, key));
}

function matches(value: unknown, pattern: RegExp): boolean {
  return typeof value === 'string' && pattern.test(value);
}

function isBoundedString(value: unknown, max: number): boolean {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}

function isTimestamp(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
