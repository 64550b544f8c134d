// The seed diagrams the machine tests use are the seed's own lines.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SEED_CLIENT_DIAGRAM, SEED_DAEMON_DIAGRAM } from '../support/seed-diagrams.js';

// Beside the repository in this project's workplace and CI (../shared/seed/); absent in other clones.
const SEED_FILE = fileURLToPath(new URL('../../../../shared/seed/link-new-device.txt', import.meta.url));

describe('the seed diagrams quoted by the tests', () => {
  it('appear line for line in seed/link-new-device.txt', function () {
    if (!existsSync(SEED_FILE)) this.skip();
    const seed = readFileSync(SEED_FILE, 'utf8');
    for (const line of [...SEED_DAEMON_DIAGRAM.split('\n'), ...SEED_CLIENT_DIAGRAM.split('\n')].filter((l) => l.trim())) {
      assert.ok(seed.includes(line), `not in the seed: ${line.trim()}`);
    }
  });
});
