// The direction of dependencies, checked on the sources: bin -> client -> service root (daemon, config,
// log) -> dbus -> linking | accounts -> transport -> dht -> opendht-node, and every layer may use the
// leaf contract module, which imports nothing of ours.

import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Layers and their heights: a file may import a lower layer, its own layer, or the contract. Layers of
 *  the same height (linking, accounts) do not import each other: linking reaches accounts through ports. */
const LAYERS: ReadonlyArray<{ name: string; height: number; files: RegExp }> = [
  { name: 'opendht-node', height: 0, files: /^(packages\/opendht-node\/|opendht-node$)/ },
  { name: 'dht', height: 1, files: /^service\/dht\// },
  { name: 'transport', height: 2, files: /^service\/transport\// },
  { name: 'accounts', height: 3, files: /^service\/accounts\// },
  { name: 'linking', height: 3, files: /^service\/linking\// },
  { name: 'dbus', height: 4, files: /^service\/dbus\// },
  { name: 'service root', height: 5, files: /^service\/[^/]+\.ts$/ },
  { name: 'client', height: 6, files: /^client\// },
  { name: 'bin', height: 7, files: /^bin\// },
];
const CONTRACT = /^service\/contract\//;

function layerOf(file: string): { name: string; height: number } | undefined {
  return LAYERS.find((layer) => layer.files.test(file));
}

/** Why `file` may not import `target`, or undefined when it may. */
function refusal(file: string, target: string): string | undefined {
  if (CONTRACT.test(file)) return CONTRACT.test(target) ? undefined : 'the contract imports nothing of ours';
  if (CONTRACT.test(target)) return undefined;
  const from = layerOf(file);
  const to = layerOf(target);
  if (from === undefined || to === undefined) return `${target} is in no layer`;
  if (from.name === to.name || to.height < from.height) return undefined;
  return `${from.name} may not import ${to.name}`;
}

function sourcesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const relative = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourcesUnder(relative));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(relative);
  }
  return out;
}

/** Every module a file imports: our files relative to the root, 'opendht-node' for the binding. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
    const spec = match[1]!;
    if (spec === 'opendht-node') found.push('opendht-node');
    else if (spec.startsWith('.')) found.push(path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts'));
  }
  return found;
}

function violations(): string[] {
  const problems: string[] = [];
  for (const file of ['service', 'client', 'bin'].flatMap(sourcesUnder)) {
    for (const target of importsOf(file)) {
      const why = refusal(file, target);
      if (why !== undefined) problems.push(`${file} -> ${target}: ${why}`);
    }
  }
  return problems;
}

describe('the layers', () => {
  it('depend one way only: bin -> client -> service root -> dbus -> linking/accounts -> transport -> dht -> opendht-node, and on the contract', () => {
    assert.deepEqual(violations(), []);
  });

  it('refuses imports against the direction', () => {
    assert.equal(refusal('service/transport/peer-link.ts', 'service/linking/auth-token.ts'), 'transport may not import linking');
    assert.equal(refusal('service/linking/import-session.ts', 'service/accounts/archive.ts'), 'linking may not import accounts');
    assert.equal(refusal('service/dht/dht-node.ts', 'service/transport/signaling.ts'), 'dht may not import transport');
    assert.equal(refusal('service/contract/clock.ts', 'service/log.ts'), 'the contract imports nothing of ours');
    assert.equal(refusal('service/dbus/x.ts', 'service/linking/link-operations.ts'), undefined);
    assert.equal(refusal('service/transport/x.ts', 'service/contract/link-contract.ts'), undefined);
  });
});
