// Reads the interface XML in dbus-introspection/ — the single source of truth for the D-Bus face —
// into a table of members (signatures and argument names) and the introspection text we serve.

import { readFileSync } from 'node:fs';
import { packageFile } from '../contract/package-files.js';

export interface ArgDescription {
  readonly name: string;
  readonly type: string;
}

export interface MethodDescription {
  readonly name: string;
  readonly inArgs: readonly ArgDescription[];
  readonly outArgs: readonly ArgDescription[];
  readonly inSignature: string;
  readonly outSignature: string;
}

export interface SignalDescription {
  readonly name: string;
  readonly args: readonly ArgDescription[];
  readonly signature: string;
}

export interface InterfaceDescription {
  readonly name: string;
  readonly methods: ReadonlyMap<string, MethodDescription>;
  readonly signals: ReadonlyMap<string, SignalDescription>;
  /** The <interface> element as written in the XML file (argument names and docstrings included). */
  readonly xml: string;
}

export const CONFIGURATION_MANAGER_XML = packageFile('dbus-introspection/cx.ring.Ring.ConfigurationManager.xml');
export const INSTANCE_XML = packageFile('dbus-introspection/cx.ring.Ring.Instance.xml');

/** One <method> or <signal> as the document lists it: its name and its <arg> attributes, in order. */
interface XmlMember {
  readonly kind: 'method' | 'signal';
  readonly name: string;
  readonly args: Array<Record<string, string>>;
}

/**
 * Every tag of an introspection document, and what may stand between tags: comments, the XML declaration, the
 * DOCTYPE. Text (docstrings) is skipped. The files are ours and small; loading xml2js (sax, xmlbuilder: 45
 * modules) for them cost the daemon's start ~20 ms and its idle memory a few MB.
 */
const MARKUP = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/g;
const ATTRIBUTE = /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function attributesOf(text: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [, name, double, single] of text.matchAll(ATTRIBUTE)) {
    attributes[name!] = (double ?? single ?? '').replace(/&(amp|lt|gt|quot|apos);/g, (_, entity: string) => ENTITIES[entity]!);
  }
  return attributes;
}

/** The members of `interfaceName`, in document order; throws on markup that is not well-formed. */
function membersOf(text: string, interfaceName: string): XmlMember[] | undefined {
  const open: string[] = [];
  let members: XmlMember[] | undefined;
  let inInterface = false;
  let member: XmlMember | undefined;
  let at = 0;
  for (const match of text.matchAll(MARKUP)) {
    if (text.slice(at, match.index).includes('<')) throw new Error(`not well-formed XML near offset ${at}`);
    at = match.index + match[0].length;
    const [, closing, tag, attributeText, selfClosing] = match;
    if (tag === undefined) continue; // a comment, the declaration, the DOCTYPE
    if (closing) {
      if (open.pop() !== tag) throw new Error(`</${tag}> closes nothing near offset ${match.index}`);
      if (tag === 'interface') inInterface = false;
      if (tag === 'method' || tag === 'signal') member = undefined;
      continue;
    }
    const attributes = attributesOf(attributeText ?? '');
    const parent = open.at(-1);
    if (tag === 'interface' && parent === 'node' && attributes.name === interfaceName) {
      inInterface = true;
      members = [];
    } else if (inInterface && parent === 'interface' && (tag === 'method' || tag === 'signal') && attributes.name) {
      member = { kind: tag, name: attributes.name, args: [] };
      members!.push(member);
    } else if (member !== undefined && tag === 'arg' && (parent === 'method' || parent === 'signal')) {
      member.args.push(attributes);
    }
    if (!selfClosing) open.push(tag);
  }
  if (text.slice(at).includes('<') || open.length > 0) throw new Error('not well-formed XML: unclosed elements');
  return members;
}

function args(member: XmlMember, direction?: 'in' | 'out'): ArgDescription[] {
  return member.args
    .filter((arg) => direction === undefined || (arg.direction ?? 'in') === direction)
    .map((arg, index) => ({ name: arg.name ?? `arg_${index}`, type: arg.type ?? '' }));
}

const signatureOf = (list: readonly ArgDescription[]): string => list.map((arg) => arg.type).join('');

/** Parses one interface out of an introspection XML document. */
export async function parseInterfaceXml(text: string, interfaceName: string): Promise<InterfaceDescription> {
  const found = membersOf(text, interfaceName);
  if (!found) throw new Error(`interface ${interfaceName} is not in the XML`);
  const methods = new Map<string, MethodDescription>();
  const signals = new Map<string, SignalDescription>();
  for (const member of found) {
    if (member.kind === 'method') {
      const inArgs = args(member, 'in');
      const outArgs = args(member, 'out');
      methods.set(member.name, { name: member.name, inArgs, outArgs, inSignature: signatureOf(inArgs), outSignature: signatureOf(outArgs) });
    } else {
      const list = args(member);
      signals.set(member.name, { name: member.name, args: list, signature: signatureOf(list) });
    }
  }
  const start = text.indexOf(`<interface name="${interfaceName}"`);
  const end = text.indexOf('</interface>', start);
  const xml = text.slice(start, end + '</interface>'.length);
  return { name: interfaceName, methods, signals, xml };
}

export async function loadInterfaceXml(path: string, interfaceName: string): Promise<InterfaceDescription> {
  return parseInterfaceXml(readFileSync(path, 'utf8'), interfaceName);
}
