// jami-link and the daemon load dbus-next without xml2js (service/dbus/lean-dbus.ts), which they never need, yet
// what dbus-next builds with xml2js still works if something asks for it. Run in a fresh node: this process may
// hold both.

import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LEAN_DBUS = fileURLToPath(new URL('../../../service/dbus/lean-dbus.js', import.meta.url));

function inFreshNode(body: string): unknown {
  const script = `
    import { createRequire } from 'node:module';
    import { leanDbus } from ${JSON.stringify(LEAN_DBUS)};
    const require = createRequire(${JSON.stringify(LEAN_DBUS)});
    const xml2jsLoaded = () => Object.keys(require.cache).some((file) => file.includes('/xml2js/'));
    ${body}`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
}

describe('dbus-next without xml2js', () => {
  it('loads without xml2js, and builds the same way once something asks', () => {
    const seen = inFreshNode(`
      const dbus = leanDbus();
      const before = xml2jsLoaded();
      const bus = dbus.sessionBus({ busAddress: 'unix:path=/nonexistent/jami-link-test' });
      bus.on('error', () => {});
      const xml = bus._builder.buildObject({ node: { $: { name: '/x' } } });
      bus.disconnect();
      console.log(JSON.stringify({ message: typeof dbus.Message, before, after: xml2jsLoaded(), xml }));`);
    assert.deepEqual(seen, { message: 'function', before: false, after: true, xml: '<node name="/x"/>' });
  });
});
