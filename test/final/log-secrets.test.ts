// Runs last: every line every daemon logged during the suite, at debug level, searched for secrets.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { ALL_LOGS_FILE } from '../support/daemon-process.js';
import { rememberedSecrets } from '../support/secrets.js';

describe('daemon logs across the whole suite', () => {
  it('contain no password, token, 6-digit code, private key or archive bytes', function () {
    if (!existsSync(ALL_LOGS_FILE)) this.skip();
    const logs = readFileSync(ALL_LOGS_FILE, 'utf8');
    assert.ok(logs.length > 0);
    const leaks: string[] = [];
    for (const secret of rememberedSecrets()) {
      if (logs.includes(secret)) leaks.push(`secret ${secret.slice(0, 3)}…`);
      const code = /\/(\d{6})$/.exec(secret)?.[1];
      // A logged code is a string (quoted in JSON) or the end of a token; bare numbers such as sizes
      // and durations may share its digits by chance.
      if (code && (logs.includes(`"${code}"`) || logs.includes(`/${code}`))) leaks.push(`a 6-digit code ${code.slice(0, 2)}…`);
    }
    if (logs.includes('jami-auth://')) leaks.push('a token');
    if (logs.includes('PRIVATE KEY')) leaks.push('a PEM private key');
    if (logs.includes('LS0tLS1CRUdJTi')) leaks.push('base64 PEM (archive content)');
    if (/"ringAccountKey"\s*:/.test(logs) || logs.includes('\\"ringAccountKey\\":')) leaks.push('archive JSON');
    if (/H4sI[A-Za-z0-9+/]{20}/.test(logs)) leaks.push('base64 gzip (archive bytes)');
    assert.deepEqual(leaks, [], `${logs.split('\n').length} log lines searched`);
  });
});
