// Once every test file ran: no child of the test run may still be running, the directories tempDir made go, and the
// run must end. A leftover (a daemon a failed hook never stopped) is killed and named, as a failure; whatever else
// still holds the event loop a minute later is printed and the run exits with a failure, rather than wait for CI's
// own time-out.

import { removeTempFiles } from './daemon-process.js';
import { descendantsOf } from './stuck-process.js';

const LINGER_MS = 60000;

export const mochaHooks = {
  afterAll(): void {
    setTimeout(() => {
      process.stderr.write(`the test run was still holding ${JSON.stringify(process.getActiveResourcesInfo())} ${LINGER_MS} ms after its last test; exiting\n`);
      process.exit(1);
    }, LINGER_MS).unref();
    const left = descendantsOf(process.pid);
    for (const { pid } of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    // The secrets test has read the log and secrets files by now (test/final runs last).
    removeTempFiles();
    if (left.length === 0) return;
    throw new Error(`processes left running after the last test (killed):\n${left.map(({ pid, command }) => `  ${pid} ${command}`).join('\n')}`);
  },
};
