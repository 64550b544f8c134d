// dbus-next loaded with a stand-in for xml2js, which dbus-next requires at load time (its MessageBus builds an
// xml2js Builder for the services it exports, its ProxyObject a Parser for introspection) but which we never use:
// jami-link sends raw method calls, the daemon exports its objects itself (exported-object.ts) and reads its
// introspection XML itself. Loading xml2js (sax, xmlbuilder: 45 modules) was ~20 ms of every start and a few MB
// of the daemon's memory; the stand-in loads it only if it is ever used.
//
// Call leanDbus() before any module that imports dbus-next is even loaded (not only run): Node's ESM loader
// enters a CommonJS module in require's cache when it links the importer, and a require then would see it empty.

import { createRequire } from 'node:module';
import path from 'node:path';
import type dbus from 'dbus-next';

const require = createRequire(import.meta.url);

type Loader = (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown;
interface ModuleInternals {
  _load: Loader;
}

/** xml2js's Builder and Parser as dbus-next uses them, each loading the real one on first use. */
function deferredXml2js(): unknown {
  let real: { Builder: new (options: unknown) => { buildObject(o: unknown): string }; Parser: new (options?: unknown) => Record<string, unknown> } | undefined;
  // The xml2js dbus-next itself depends on, resolved from where dbus-next is (it is not a dependency of ours).
  const load = () => (real ??= createRequire(require.resolve('dbus-next'))('xml2js') as NonNullable<typeof real>);
  class Builder {
    constructor(private readonly options: unknown) {}
    buildObject(object: unknown): string {
      return new (load().Builder)(this.options).buildObject(object);
    }
  }
  class Parser {
    constructor(private readonly options?: unknown) {}
    parseString(...args: unknown[]): unknown {
      const parser = new (load().Parser)(this.options);
      return (parser.parseString as (...a: unknown[]) => unknown).apply(parser, args);
    }
  }
  return { Builder, Parser };
}

let loaded: typeof dbus | undefined;

/** dbus-next, with xml2js deferred inside it (or as it was loaded already). */
export function leanDbus(): typeof dbus {
  if (loaded !== undefined) return loaded;
  const internals = require('node:module') as ModuleInternals;
  const original = internals._load;
  const insideDbusNext = `${path.sep}dbus-next${path.sep}`;
  const standIn = deferredXml2js();
  internals._load = function (request, parent, isMain) {
    if (request === 'xml2js' && parent?.filename?.includes(insideDbusNext)) return standIn;
    return original.call(this, request, parent, isMain);
  };
  try {
    loaded = require('dbus-next') as typeof dbus;
  } finally {
    internals._load = original;
  }
  return loaded;
}
