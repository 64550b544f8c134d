// Reads the interface XML in dbus-introspection/ — the single source of truth for the D-Bus face —
// into a table of members (signatures and argument names) and the introspection text we serve.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseStringPromise } from 'xml2js';

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

export const CONFIGURATION_MANAGER_XML = fileURLToPath(
  new URL('../../../dbus-introspection/cx.ring.Ring.ConfigurationManager.xml', import.meta.url),
);
export const INSTANCE_XML = fileURLToPath(new URL('../../../dbus-introspection/cx.ring.Ring.Instance.xml', import.meta.url));

interface XmlArg {
  $: { name?: string; type: string; direction?: string };
}
interface XmlMember {
  $: { name: string };
  arg?: XmlArg[];
}

function args(member: XmlMember, direction?: 'in' | 'out'): ArgDescription[] {
  return (member.arg ?? [])
    .filter((arg) => direction === undefined || (arg.$.direction ?? 'in') === direction)
    .map((arg, index) => ({ name: arg.$.name ?? `arg_${index}`, type: arg.$.type }));
}

const signatureOf = (list: readonly ArgDescription[]): string => list.map((arg) => arg.type).join('');

/** Parses one interface out of an introspection XML document. */
export async function parseInterfaceXml(text: string, interfaceName: string): Promise<InterfaceDescription> {
  const doc = await parseStringPromise(text);
  const found = (doc.node?.interface ?? []).find((candidate: XmlMember) => candidate.$.name === interfaceName);
  if (!found) throw new Error(`interface ${interfaceName} is not in the XML`);
  const methods = new Map<string, MethodDescription>();
  for (const method of (found.method ?? []) as XmlMember[]) {
    const inArgs = args(method, 'in');
    const outArgs = args(method, 'out');
    methods.set(method.$.name, {
      name: method.$.name,
      inArgs,
      outArgs,
      inSignature: signatureOf(inArgs),
      outSignature: signatureOf(outArgs),
    });
  }
  const signals = new Map<string, SignalDescription>();
  for (const signal of (found.signal ?? []) as XmlMember[]) {
    const list = args(signal);
    signals.set(signal.$.name, { name: signal.$.name, args: list, signature: signatureOf(list) });
  }
  const start = text.indexOf(`<interface name="${interfaceName}"`);
  const end = text.indexOf('</interface>', start);
  const xml = text.slice(start, end + '</interface>'.length);
  return { name: interfaceName, methods, signals, xml };
}

export async function loadInterfaceXml(path: string, interfaceName: string): Promise<InterfaceDescription> {
  return parseInterfaceXml(readFileSync(path, 'utf8'), interfaceName);
}
