// The daemon reads its introspection XML with a small reader of its own (service/dbus/interface-description.ts):
// it must see what a real XML parser sees in our files, and refuse what is not well-formed.

import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { parseStringPromise } from 'xml2js';
import { CONFIGURATION_MANAGER_XML, INSTANCE_XML, parseInterfaceXml } from '../../../service/dbus/interface-description.js';

interface XmlArg {
  $: { name?: string; type: string; direction?: string };
}
interface XmlMember {
  $: { name: string };
  arg?: XmlArg[];
}

/** Each member's signature(s) and argument names, as xml2js reads the document. */
async function asXml2jsReadsIt(text: string, interfaceName: string): Promise<Record<string, string>> {
  const doc = await parseStringPromise(text);
  const found = (doc.node.interface as XmlMember[]).find((candidate) => candidate.$.name === interfaceName)!;
  const shown: Record<string, string> = {};
  const describe = (member: XmlMember, direction?: 'in' | 'out') =>
    (member.arg ?? [])
      .filter((arg) => direction === undefined || (arg.$.direction ?? 'in') === direction)
      .map((arg, index) => `${arg.$.name ?? `arg_${index}`}:${arg.$.type}`)
      .join(',');
  for (const method of (found as unknown as { method?: XmlMember[] }).method ?? []) shown[`method ${method.$.name}`] = `${describe(method, 'in')} -> ${describe(method, 'out')}`;
  for (const signal of (found as unknown as { signal?: XmlMember[] }).signal ?? []) shown[`signal ${signal.$.name}`] = describe(signal);
  return shown;
}

async function asWeReadIt(text: string, interfaceName: string): Promise<Record<string, string>> {
  const description = await parseInterfaceXml(text, interfaceName);
  const describe = (list: ReadonlyArray<{ name: string; type: string }>) => list.map((arg) => `${arg.name}:${arg.type}`).join(',');
  const shown: Record<string, string> = {};
  for (const method of description.methods.values()) shown[`method ${method.name}`] = `${describe(method.inArgs)} -> ${describe(method.outArgs)}`;
  for (const signal of description.signals.values()) shown[`signal ${signal.name}`] = describe(signal.args);
  return shown;
}

describe('the introspection reader', () => {
  for (const [file, name] of [[CONFIGURATION_MANAGER_XML, 'cx.ring.Ring.ConfigurationManager'], [INSTANCE_XML, 'cx.ring.Ring.Instance']] as const) {
    it(`reads ${name} as xml2js does: every member, signature and argument name`, async () => {
      const text = readFileSync(file, 'utf8');
      const ours = await asWeReadIt(text, name);
      assert.ok(Object.keys(ours).length >= 3, JSON.stringify(ours));
      assert.deepEqual(ours, await asXml2jsReadsIt(text, name));
    });
  }

  it('reads quoting, entities, comments and docstrings; refuses broken markup and a missing interface', async () => {
    const doc = (body: string) => `<?xml version="1.0"?>\n<!DOCTYPE node>\n<node><!-- <method name="no"/> -->
      <interface name='x.Y'><method name="M"><tp:docstring xmlns:tp="t">a &lt;b&gt; doc</tp:docstring>
      <arg name='a&amp;b' type="s" direction="in"/><arg type='i' direction='out'/></method>${body}</interface></node>`;
    const description = await parseInterfaceXml(doc(''), 'x.Y');
    assert.deepEqual([...description.methods.values()].map((m) => [m.name, m.inSignature, m.outSignature, m.inArgs[0]!.name, m.outArgs[0]!.name]), [['M', 's', 'i', 'a&b', 'arg_0']]);
    await assert.rejects(parseInterfaceXml(doc('<signal name="S">'), 'x.Y'), /not well-formed|closes nothing/);
    await assert.rejects(parseInterfaceXml(doc('<signal name="S"></method>'), 'x.Y'), /closes nothing/);
    await assert.rejects(parseInterfaceXml(doc('< signal/>'), 'x.Y'), /not well-formed/);
    await assert.rejects(parseInterfaceXml(doc(''), 'x.Z'), /not in the XML/);
  });
});
