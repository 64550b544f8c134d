// A link as two people run it with two jami-link CLIs, timed like `wormhole send` / `wormhole receive`: the new
// device's `jami-link import --yes` starts, the old device's `jami-link export ACCOUNT TOKEN --yes` starts once
// the token is printed, and the clock runs from the first process's start to both exits.

import { JamiLinkProcess } from '../test/e2e/jami-link-process.js';
import type { Side } from '../test/support/link-fixture.js';

const TOKEN_LINE = /^\s*(jami-auth:\/\/[0-9a-f]{40}\/[0-9]{6})$/;
const TIMEOUT_MS = 300000;

/** ms from `import` starting to both CLIs' exits; the imported account is removed afterwards (off the clock). */
export async function cliLink(oldDevice: Side, newDevice: Side, account: string): Promise<number> {
  const start = performance.now();
  const importing = new JamiLinkProcess(['import', '--yes'], newDevice.bus.address);
  let exporting: JamiLinkProcess | undefined;
  try {
    const token = TOKEN_LINE.exec(await importing.waitFor('stdout', TOKEN_LINE, TIMEOUT_MS))![1];
    exporting = new JamiLinkProcess(['export', account, token, '--yes'], oldDevice.bus.address);
    const [imported, exported] = await Promise.all([importing.exit(TIMEOUT_MS), exporting.exit(TIMEOUT_MS)]);
    const elapsed = performance.now() - start;
    if (imported.code !== 0 || exported.code !== 0) {
      throw new Error(`jami-link import exited ${imported.code}, export ${exported.code}:\n${importing.transcript.join('\n')}\n${exporting.transcript.join('\n')}`);
    }
    return elapsed;
  } finally {
    importing.kill('SIGKILL');
    exporting?.kill('SIGKILL');
    for (const id of await newDevice.client.call<string[]>('getAccountList')) await newDevice.client.call('removeAccount', id);
  }
}
